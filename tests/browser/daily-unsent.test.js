// What a tab keeps, and what it forgets (issue 17, items 1 and 2), in real browsers
// against the real server: drafts and unsent messages never reach the next person to
// log in at the same computer; a login that ended while the socket was down is said
// as such, not as a network problem; a message with a file that could not be sent
// says so; and a resend the server refuses says why. Each new state is clean under
// axe in English and in Chinese.
"use strict";

const assert = require("node:assert/strict");
const { after, before, describe } = require("node:test");
const { Hearth, sleep } = require("./server");
const h = require("./helpers");
const { it, roomPath, online, storedTimes } = h;
const { EN, LANGUAGES } = require("./languages");

// The server's own words for the refusals these tests meet (src/i18n/errors.rs).
const REFUSED = {
  en: { controlChar: "Control characters are not allowed.", notAMember: "You are not a member of this room." },
  zh: { controlChar: "不能包含控制字符。", notAMember: "你不是这个聊天室的成员。" },
};
// And the page's (src/i18n/en.rs, zh.rs).
const DISCARD = { en: "Discard", zh: "丢弃" };

/** The keys this tab keeps (drafts, unsent messages). */
function keptKeys(page) {
  return page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith("hearth:")));
}

/** The message box, in either language. */
const box = (page) => page.locator("#composer-text");

/** The composer's next send fails as if the network were down (the server never sees it). */
async function failNextSend(page, room) {
  await page.route(`**${roomPath(room)}/messages`, (route) => route.abort("connectionrefused"), { times: 1 });
}

/** Sends `text` from the composer, fails it, and waits for it to show as “Not sent”. */
async function leaveUnsent(page, room, text) {
  await failNextSend(page, room);
  await box(page).fill(text);
  await box(page).press("Enter");
  const unsent = page.locator(".unsent", { hasText: text });
  await unsent.waitFor();
  return unsent;
}

/**
 * Puts the page's room socket behind a switch: `drop()` cuts it as a network fault
 * would (1006) and refuses every reconnect the same way, `restore()` lets reconnects
 * reach the real server again (which answers them as it sees fit).
 */
async function socketSwitch(page) {
  let down = false;
  const open = [];
  await page.routeWebSocket((url) => url.pathname.endsWith("/ws"), (ws) => {
    if (down) return ws.close({ code: 1006 });
    open.push(ws);
    ws.connectToServer();
  });
  return {
    drop: async () => {
      down = true;
      for (const ws of open.splice(0)) await ws.close({ code: 1006 });
      await page.waitForFunction(() => document.body.classList.contains("ws-down"));
    },
    restore: () => { down = false; },
  };
}

describe("daily use: drafts, unsent messages and logins on a shared computer", () => {
  let server, browser;
  const people = [];

  before(async () => {
    server = await Hearth.create();
    browser = await h.launch();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function newPerson(w, options = {}) {
    const who = await h.person(browser, server, { locale: w.locale, ...options });
    people.push(who);
    return who;
  }

  /** Ann (whose page is returned) and Ben, both members of `room`. */
  async function annAndBen(tag, room) {
    const ann = await newPerson(EN);
    const ben = await newPerson(EN);
    await h.signUp(ann, `ann_${tag}`);
    await h.signUp(ben, `ben_${tag}`);
    await h.createRoom(ann, room);
    await h.joinRoom(ben, room);
    return { ann, ben };
  }

  /** Asserts that the room page, opened by the next person, shows and sends nothing of Ann's. */
  async function nothingOfAnns(page, ben, room, draft, unsentText) {
    await online(page, 1);
    // The page sends what it holds as unsent as soon as its socket opens: give it time.
    await sleep(1000);
    assert.equal(await box(page).inputValue(), "", "no draft of the last person's");
    assert.equal(await page.locator(".unsent").count(), 0, "nothing shown as unsent");
    assert.equal(await page.getByText(draft).count(), 0);
    assert.equal(await h.countMessages(page, unsentText), 0, "nothing sent");
    assert.equal(await storedTimes(ben, room, unsentText), 0, "nothing stored in the next person's name");
    const kept = await keptKeys(page);
    assert.ok(!kept.some((k) => /ann_/.test(k) || !/ben_/.test(k)), `nothing of Ann's kept: ${kept}`);
  }

  it("logging out forgets the draft and the unsent messages: the next person in that tab gets neither, and nothing goes in their name", async () => {
    const room = "Kitchen";
    const { ann, ben } = await annAndBen("out", room);
    const { page } = ann;
    await page.goto(roomPath(room));
    await online(page, 1);
    const unsentText = "ann's words that never left";
    await leaveUnsent(page, room, unsentText);
    const draft = "ann's half-written thought";
    await box(page).fill(draft);
    assert.equal((await keptKeys(page)).length, 2, "a draft and an unsent message kept");

    await page.getByRole("button", { name: EN.logOut }).click();
    await page.waitForURL("**/login?signed_out=1");
    assert.deepEqual(await keptKeys(page), [], "logging out forgets all this tab kept");
    await h.logIn(page, "ben_out", EN);
    await page.waitForURL("**/rooms");
    await page.goto(roomPath(room));
    await nothingOfAnns(page, ben, room, draft, unsentText);
  });

  it("signed out elsewhere, then someone else logs in from the notice: they get nothing of the last person's", async () => {
    const room = "Parlour";
    const { ann, ben } = await annAndBen("else", room);
    const { page } = ann;
    await page.goto(roomPath(room));
    await online(page, 1);
    const unsentText = "ann's message still waiting";
    await leaveUnsent(page, room, unsentText);
    const draft = "ann's draft, kept for ann";
    await box(page).fill(draft);

    const other = await ann.context.newPage();
    await other.goto("/rooms");
    await other.getByRole("button", { name: EN.logOut }).click();
    await other.waitForURL("**/login?signed_out=1");
    const notice = page.getByRole("alert").filter({ hasText: EN.signedOutElsewhere });
    await notice.waitFor();
    await h.closePage(other);
    // Ann's draft waits for Ann (under her name only), who may log in again here.
    await notice.getByRole("link", { name: EN.logIn }).click();
    await page.waitForURL((url) => url.pathname === "/login");
    await h.logIn(page, "ben_else", EN);
    await page.waitForURL((url) => url.pathname === roomPath(room));
    await nothingOfAnns(page, ben, room, draft, unsentText);
  });

  it("a login that ended while the socket was down says “signed out”, not “Reconnecting…”", async () => {
    for (const w of LANGUAGES) {
      const una = await newPerson(w);
      await h.signUp(una, `una_${w.code}`);
      const room = `Attic ${w.code}`;
      await h.createRoom(una, room);
      const { page } = una;
      const socket = await socketSwitch(page);
      await page.goto(roomPath(room));
      await online(page, 1);

      // The socket drops; while it is down, Una logs out in another tab (so no socket
      // of hers hears the logout); then reconnecting is refused for want of a session.
      await socket.drop();
      assert.ok(await page.getByText(w.connectionLost).isVisible(), "“Reconnecting…” while it is down");
      const other = await una.context.newPage();
      await other.goto("/rooms");
      await other.getByRole("button", { name: w.logOut }).click();
      await other.waitForURL("**/login?signed_out=1");
      await h.closePage(other);
      socket.restore();

      const notice = page.getByRole("alert").filter({ hasText: w.signedOutElsewhere });
      await notice.waitFor();
      assert.equal((await notice.innerText()).trim(), `${w.signedOutElsewhere} ${w.logIn}`, "the notice's words");
      assert.equal(await page.getByText(w.connectionLost).isVisible(), false, "not “Reconnecting…”");
      const link = notice.getByRole("link", { name: w.logIn });
      assert.equal(await link.getAttribute("href"), `/login?next=${encodeURIComponent(roomPath(room))}`);
      await h.assertAxeClean(page, `signed out while the socket was down (${w.code})`);
      await una.context.close();
    }
  });

  it("a resend the server refuses says why, offers Discard instead of Retry, and gives the text back to the composer", async () => {
    for (const w of LANGUAGES) {
      const rosa = await newPerson(w);
      await h.signUp(rosa, `rosa_${w.code}`);
      const room = `Workshop ${w.code}`;
      await h.createRoom(rosa, room);
      const { page } = rosa;
      await page.goto(roomPath(room));
      await online(page, 1);
      // Pasted with a control character in it, while the network was down.
      const text = `ring the bell\u0007 (${w.code})`;
      const unsent = await leaveUnsent(page, room, text);
      assert.equal(await box(page).inputValue(), "");

      await unsent.getByRole("button", { name: w.retry }).click();
      const reason = unsent.locator(".unsent-reason");
      await reason.waitFor();
      assert.equal((await reason.textContent()).trim(), REFUSED[w.code].controlChar, "the server's reason");
      assert.equal(await unsent.locator(".unsent-status span").first().textContent(), w.notSent);
      assert.equal(await unsent.getByRole("button", { name: w.retry }).count(), 0, "no Retry: it would be refused again");
      const discard = unsent.getByRole("button", { name: DISCARD[w.code] });
      assert.ok(await discard.isVisible(), "Discard");
      assert.equal(await box(page).inputValue(), text, "the text is back in the composer, to change");
      assert.equal(await storedTimes(rosa, room, text), 0);
      await h.assertAxeClean(page, `a refused resend (${w.code})`);

      // After a reload it is still refused, with its reason, and not sent again.
      await page.reload();
      await online(page, 1);
      await reason.waitFor();
      assert.equal((await reason.textContent()).trim(), REFUSED[w.code].controlChar);
      assert.equal(await box(page).inputValue(), text, "the draft");

      await discard.focus();
      await page.keyboard.press("Enter");
      await unsent.waitFor({ state: "detached" });
      assert.equal(await page.evaluate(() => document.activeElement.id), "composer-text", "on to the composer");
      assert.ok(!(await keptKeys(page)).some((k) => k.startsWith("hearth:outbox")), "nothing left to send");
      await rosa.context.close();
    }
  });

  it("a resend refused because the sender is no longer in the room says so, instead of “Not sent” for ever", async () => {
    const room = "Boathouse";
    const owner = await newPerson(EN);
    const otto = await newPerson(EN);
    await h.signUp(owner, "olga");
    await h.signUp(otto, "otto");
    await h.createRoom(owner, room);
    await h.joinRoom(otto, room);
    const { page } = otto;
    const socket = await socketSwitch(page);
    await page.goto(roomPath(room));
    await online(page, 1);
    const text = "see you at the dock";
    const unsent = await leaveUnsent(page, room, text);
    // Otto leaves the room from another device while this page's socket is down.
    await socket.drop();
    const left = await otto.request.delete(`/api/v1${roomPath(room)}/members/me`);
    assert.equal(left.status(), 204);
    socket.restore();

    await unsent.getByRole("button", { name: EN.retry }).click();
    const reason = unsent.locator(".unsent-reason");
    await reason.waitFor();
    assert.equal((await reason.textContent()).trim(), REFUSED.en.notAMember);
    await unsent.getByRole("button", { name: DISCARD.en }).waitFor();
    assert.equal(await storedTimes(owner, room, text), 0);
  });

  it("an unsent message the server did store (its answer was lost) is sent again on reconnecting and shows once", async () => {
    const ivy = await newPerson(EN);
    await h.signUp(ivy, "ivy");
    await h.createRoom(ivy, "Echoes");
    const { page } = ivy;
    await page.goto(roomPath("Echoes"));
    await online(page, 1);
    // Stored, but the answer never arrives: the page holds it as unsent, and the
    // socket brings it.
    await page.route(`**${roomPath("Echoes")}/messages`, async (route) => {
      await route.fetch();
      await route.abort("connectionreset");
    }, { times: 1 });
    const text = "is anyone there?";
    await box(page).fill(text);
    await box(page).press("Enter");
    const unsent = page.locator(".unsent", { hasText: text });
    await unsent.waitFor();
    await h.waitForMessage(page, text, 5000);

    // The server restarts; on reconnecting the page sends it again (same client_id).
    await server.stop();
    await server.start();
    await unsent.waitFor({ state: "detached", timeout: 20000 });
    await online(page, 1);
    assert.equal(await h.countMessages(page, text), 1, "shown once");
    assert.equal(await storedTimes(ivy, "Echoes", text), 1, "stored once");
  });

  it("a message with a file sent while the server is down says “Not sent” with Retry, keeps the file, and goes once the server is back", async () => {
    for (const w of LANGUAGES) {
      const finn = await newPerson(w);
      await h.signUp(finn, `finn_${w.code}`);
      const room = `Darkroom ${w.code}`;
      await h.createRoom(finn, room);
      const { page } = finn;
      await page.goto(roomPath(room));
      await online(page, 1);
      const caption = `the plan, attached (${w.code})`;
      const fileName = `plan-${w.code}.txt`;
      const status = page.locator("#composer .composer-unsent");

      await server.stop();
      try {
        await page.waitForFunction(() => document.body.classList.contains("ws-down"));
        await page.locator("#composer-file").setInputFiles({ name: fileName, mimeType: "text/plain", buffer: Buffer.from("step one\n") });
        await box(page).fill(caption);
        await box(page).press("Enter");
        await status.waitFor();
        assert.equal(await status.getAttribute("role"), "alert");
        assert.equal(await status.locator("span").textContent(), w.notSent);
        const retry = status.getByRole("button", { name: w.retry });
        assert.ok(await retry.isVisible(), "a Retry button");
        assert.equal(await box(page).inputValue(), caption, "the text stays");
        assert.equal(await page.locator("#composer-file").evaluate((i) => i.files[0]?.name), fileName, "the file stays");
        await h.assertAxeClean(page, `a file not sent (${w.code})`);

        // Retry while the server is still down: tried, failed, still “Not sent”, once.
        await retry.focus();
        await Promise.all([
          page.waitForEvent("requestfailed", (r) => r.method() === "POST"),
          page.keyboard.press("Enter"),
        ]);
        await page.waitForFunction((words) => document.querySelector("#composer .composer-unsent span")?.textContent === words, w.notSent);
        assert.equal(await status.count(), 1);
      } finally {
        await server.start();
      }
      // Sent by itself once the server is back, once, with its file.
      await h.waitForMessage(page, caption, 20000);
      const msg = page.locator("#messages .msg", { hasText: caption });
      assert.equal(await msg.locator(".file-name").innerText(), fileName);
      await status.waitFor({ state: "detached" });
      assert.equal(await box(page).inputValue(), "", "the composer is free again");
      assert.equal(await h.countMessages(page, caption), 1, "shown once");
      assert.equal(await storedTimes(finn, room, caption), 1, "stored once");
      await finn.context.close();
    }
  });

  it("the login page after logging out says so, in both languages, and is clean under axe", async () => {
    for (const w of LANGUAGES) {
      const lou = await newPerson(w);
      await h.signUp(lou, `lou_${w.code}`);
      const { page } = lou;
      await page.goto("/rooms");
      await page.getByRole("button", { name: w.logOut }).click();
      await page.waitForURL("**/login?signed_out=1");
      const notice = page.getByRole("status").filter({ hasText: w.signedOut });
      assert.equal((await notice.textContent()).trim(), w.signedOut);
      await h.assertAxeClean(page, `/login?signed_out=1 (${w.code})`);
      await lou.context.close();
    }
  });

  it("saw no CSP violation and no script error on any page", () => {
    h.assertClean(...people);
  });
});
