// The rough edges of a first hour with Hearth (issue 17), in real browsers against the
// real server: losing the server and the login, Back after logging out, unread counts
// on every page, error pages, and the login and register forms. Each test runs in
// English and in Chinese, and each new state it reaches must be clean under axe.
// (The layout items are in daily-layout.test.js.)
"use strict";

const assert = require("node:assert/strict");
const { after, before, describe } = require("node:test");
const { Hearth } = require("./server");
const h = require("./helpers");
const { it, roomPath, online, storedTimes } = h;
const { EN, LANGUAGES } = require("./languages");

const PHONE = { viewport: { width: 375, height: 740 }, deviceScaleFactor: 2 };

/** How many elements the locator finds that are actually drawn on screen. */
function visibleCount(locator) {
  return locator.evaluateAll((els) => els.filter((e) => e.checkVisibility()).length);
}

describe("daily use: connection, login, unread counts and error pages", () => {
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

  /** A new browser session in language `w`, watched for CSP violations and script errors. */
  async function newPerson(w, options = {}) {
    const who = await h.person(browser, server, { locale: w.locale, ...options });
    people.push(who);
    return who;
  }

  it("a message sent while the server is down says “Not sent” with Retry, and goes once the server is back", async () => {
    for (const w of LANGUAGES) {
      const una = await newPerson(w);
      await h.signUp(una, `una_${w.code}`);
      const room = `Outbox ${w.code}`;
      await h.createRoom(una, room);
      const { page } = una;
      await page.goto(roomPath(room));
      await online(page, 1);
      const text = `written while the server was away (${w.code})`;
      const box = page.locator("#composer-text");
      const unsent = page.locator(".unsent", { hasText: text });

      await server.stop();
      try {
        await page.waitForFunction(() => document.body.classList.contains("ws-down"));
        await box.fill(text);
        await box.press("Enter");
        await unsent.waitFor();
        assert.equal(await unsent.locator(".unsent-status span").textContent(), w.notSent);
        const retry = unsent.getByRole("button", { name: w.retry });
        assert.ok(await retry.isVisible(), "a Retry button");
        assert.equal(await box.inputValue(), "", "the box is free for the next message");
        await h.assertAxeClean(page, `an unsent message (${w.code})`);

        // Retry while the server is still down: it is tried, fails, and stays, once.
        await Promise.all([
          page.waitForEvent("requestfailed", (r) => r.method() === "POST"),
          retry.click(),
        ]);
        await page.waitForFunction((words) => document.querySelector(".unsent-status span")?.textContent === words, w.notSent);
        assert.equal(await page.locator(".unsent").count(), 1);
      } finally {
        // Back on the same port and database (also if a step above failed, for the tests after).
        await server.start();
      }
      // Sent by itself once the server is back, and it arrives once.
      await h.waitForMessage(page, text, 20000);
      await unsent.waitFor({ state: "detached" });
      assert.equal(await h.countMessages(page, text), 1, "shown once");
      assert.equal(await storedTimes(una, room, text), 1, "stored once");
      const kept = await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith("hearth:outbox")));
      assert.deepEqual(kept, [], "nothing left to send");
      await una.context.close();
    }
  });

  it("a message whose answer was lost is retried with the same client_id and stored once", async () => {
    const vic = await newPerson(EN);
    await h.signUp(vic, "vic");
    await h.createRoom(vic, "Echo");
    const { page } = vic;
    await page.goto("/rooms/Echo");
    await online(page, 1);
    // The first send reaches the server and is stored, but its answer never arrives.
    let sentWith = null;
    await page.route("**/rooms/Echo/messages", async (route) => {
      // The composer posts a multipart form (it may carry a file).
      const posted = route.request().postData() || "";
      const part = posted.match(/name="client_id"\r\n\r\n([^\r]*)/);
      sentWith = part ? part[1] : new URLSearchParams(posted).get("client_id");
      await route.fetch();
      await route.abort("connectionreset");
    }, { times: 1 });
    const text = "did this get through?";
    await h.composer(page).fill(text);
    await h.composer(page).press("Enter");
    const unsent = page.locator(".unsent", { hasText: text });
    await unsent.waitFor();
    assert.ok(sentWith, "the page posted a client_id");
    assert.equal(await unsent.getAttribute("data-client-id"), sentWith, "kept with the same client_id");
    await h.waitForMessage(page, text, 5000); // it was stored, so the socket brings it

    await unsent.getByRole("button", { name: "Retry" }).click();
    await unsent.waitFor({ state: "detached" });
    assert.equal(await storedTimes(vic, "Echo", text), 1, "the retry did not store it twice");
    assert.equal(await h.countMessages(page, text), 1, "shown once");
  });

  it("a tab whose login ended says so with a link to log in; the draft survives, and logging in lands back on the room", async () => {
    for (const w of LANGUAGES) {
      const vera = await newPerson(w);
      const username = `vera_${w.code}`;
      await h.signUp(vera, username);
      const room = `Den ${w.code}`;
      await h.createRoom(vera, room);
      const { page } = vera;
      const other = await vera.context.newPage();
      await other.goto("/rooms");
      await page.goto(roomPath(room));
      await online(page, 1);
      const draft = `half a thought, not sent yet (${w.code})`;
      await page.locator("#composer-text").fill(draft);

      await other.getByRole("button", { name: w.logOut }).click();
      await other.waitForURL("**/login?signed_out=1");
      const notice = page.getByRole("alert").filter({ hasText: w.signedOutElsewhere });
      await notice.waitFor();
      assert.equal(await page.getByText(w.connectionLost).isVisible(), false, "not “Reconnecting…”");
      const link = notice.getByRole("link", { name: w.logIn });
      assert.equal(await link.getAttribute("href"), `/login?next=${encodeURIComponent(roomPath(room))}`);
      await h.assertAxeClean(page, `signed out elsewhere (${w.code})`);

      await link.click();
      await page.waitForURL((url) => url.pathname === "/login");
      await h.logIn(page, username, w);
      await page.waitForURL((url) => url.pathname === roomPath(room));
      assert.equal(await page.locator("#composer-text").inputValue(), draft, "the draft is back");
      await online(page, 1);
      await vera.context.close();
    }
  });

  it("logging in goes to the page asked for, and never to another site", async () => {
    const walt = await newPerson(EN);
    await h.signUp(walt, "walt");
    await h.createRoom(walt, "Study");
    const visit = async (next) => {
      const visitor = await newPerson(EN);
      await visitor.page.goto(`/login?next=${encodeURIComponent(next)}`);
      await h.logIn(visitor.page, "walt", EN);
      await visitor.page.waitForURL((url) => url.pathname !== "/login");
      const landed = new URL(visitor.page.url());
      await visitor.context.close();
      return `${landed.origin}${landed.pathname}`;
    };
    assert.equal(await visit("/rooms/Study"), `${server.url}/rooms/Study`);
    for (const next of ["//evil.example/rooms", "https://evil.example/rooms", "/\\evil.example", "javascript:alert(1)"]) {
      assert.equal(await visit(next), `${server.url}/rooms`, `next=${next} stays here`);
    }
    // Posted straight to the form's address, a foreign `next` is refused too.
    const res = await walt.request.post("/login", {
      form: { username: "walt", password: h.PASSWORD, next: "//evil.example" },
      maxRedirects: 0,
    });
    assert.equal(res.status(), 303);
    assert.equal(res.headers().location, "/rooms");
  });

  it("Back after logging out shows the login page, not the conversation: pages and fragments are no-store", async () => {
    for (const w of LANGUAGES) {
      const xena = await newPerson(w);
      await h.signUp(xena, `xena_${w.code}`);
      const room = `Diary ${w.code}`;
      await h.createRoom(xena, room);
      const secret = `the combination is 4-8-15 (${w.code})`;
      await h.post(xena.request, room, secret);
      const { page } = xena;
      const res = await page.goto(roomPath(room));
      assert.equal(res.headers()["cache-control"], "no-store", "the room page");
      await h.waitForMessage(page, secret);
      for (const fragment of [`${roomPath(room)}/messages?before=1000000`, "/dialogs/join-room"]) {
        const answer = await xena.request.get(fragment, { headers: { "HX-Request": "true" } });
        assert.equal(answer.status(), 200, fragment);
        assert.equal(answer.headers()["cache-control"], "no-store", fragment);
      }

      await page.getByRole("button", { name: w.logOut }).click();
      await page.waitForURL("**/login?signed_out=1");
      await page.goBack();
      await page.waitForURL((url) => url.pathname === "/login" && url.searchParams.get("next") === roomPath(room));
      assert.equal(await page.getByText(secret).count(), 0, "the conversation is not shown");
      await page.getByRole("button", { name: w.logIn, exact: true }).waitFor();
      await h.assertAxeClean(page, `login after Back (${w.code})`);
      await xena.context.close();
    }
  });

  it("unread counts move on /rooms, in the tab's title and on the phone's Rooms button, and reading clears them", async () => {
    for (const w of LANGUAGES) {
      const yan = await newPerson(w);
      const zed = await newPerson(w);
      const username = `yan_${w.code}`;
      await h.signUp(yan, username);
      await h.signUp(zed, `zed_${w.code}`);
      const lounge = `Lounge ${w.code}`;
      const studio = `Studio ${w.code}`;
      for (const room of [lounge, studio]) {
        await h.createRoom(zed, room);
        await h.joinRoom(yan, room);
        await h.notify(yan, room, "all");
      }

      // /rooms keeps its sidebar live: a message elsewhere shows up without a reload.
      const { page } = yan;
      await page.goto("/rooms");
      const title = await page.title();
      await h.post(zed.request, studio, `news from the studio (${w.code})`);
      const sidebar = page.getByRole("navigation");
      await sidebar.getByRole("link", { name: `${studio} 1 ${w.unread}`, exact: true }).waitFor();
      await page.waitForFunction((t) => document.title === `(1) ${t}`, title);
      await h.assertAxeClean(page, `/rooms with an unread room (${w.code})`);
      // Reading the room in another tab clears the badge and the title here.
      const tab = await yan.context.newPage();
      await tab.goto(roomPath(studio));
      await h.waitForMessage(tab, `news from the studio (${w.code})`);
      await sidebar.getByRole("link", { name: studio, exact: true }).waitFor();
      await page.waitForFunction((t) => document.title === t, title);
      await h.closePage(tab);

      // On a phone the sidebar is folded away: its Rooms button says something is unread.
      const phone = await newPerson(w, PHONE);
      await h.logInByApi(phone, username);
      await phone.page.goto(roomPath(lounge));
      await online(phone.page, 1);
      const toggle = phone.page.locator("#nav-toggle");
      const dot = phone.page.locator(".nav-unread");
      assert.equal(await toggle.getAttribute("aria-label"), w.showRooms);
      assert.equal(await dot.isVisible(), false);
      await h.post(zed.request, studio, `more news (${w.code})`);
      await dot.waitFor();
      assert.equal(await dot.textContent(), "1");
      await phone.page.waitForFunction((label) => document.getElementById("nav-toggle").getAttribute("aria-label") === label,
        `${w.showRooms} (${w.unreadRooms(1)})`);
      assert.match(await phone.page.title(), /^\(1\) /);
      await h.assertAxeClean(phone.page, `a phone with an unread room (${w.code})`);

      await phone.page.locator(".nav-toggle-button").click();
      await phone.page.getByRole("navigation").getByRole("link", { name: new RegExp(`^${studio}`) }).click();
      await phone.page.waitForURL((url) => url.pathname === roomPath(studio));
      await h.waitForMessage(phone.page, `more news (${w.code})`);
      // Read once the page has told the server its reader reached the newest message.
      await dot.waitFor({ state: "hidden" });
      await phone.page.waitForFunction((label) => document.getElementById("nav-toggle").getAttribute("aria-label") === label,
        w.showRooms);
      assert.doesNotMatch(await phone.page.title(), /^\(/);
      await yan.context.close();
      await zed.context.close();
      await phone.context.close();
    }
  });

  it("a room you are not in shows its name, its size and a Join button that takes you in", async () => {
    for (const w of LANGUAGES) {
      const owner = await newPerson(w);
      const member = await newPerson(w);
      const visitor = await newPerson(w);
      await h.signUp(owner, `owen_${w.code}`);
      await h.signUp(member, `mia_${w.code}`);
      await h.signUp(visitor, `vik_${w.code}`);
      const room = `Gazebo ${w.code}`;
      await h.createRoom(owner, room);
      await h.joinRoom(member, room);

      const { page } = visitor;
      const res = await page.goto(roomPath(room));
      assert.equal(res.status(), 403);
      const main = page.getByRole("main");
      await main.getByRole("heading", { name: room, level: 1 }).waitFor();
      await main.getByText(w.members(2), { exact: true }).waitFor();
      await main.getByText(w.notAMemberYet).waitFor();
      assert.ok(await page.getByRole("navigation").getByRole("button", { name: w.joinARoom }).isVisible(), "the app's shell");
      await h.assertAxeClean(page, `a room you are not in (${w.code})`);

      await main.getByRole("button", { name: w.join }).click();
      await page.waitForURL((url) => url.pathname === roomPath(room));
      await page.getByRole("navigation").getByRole("link", { name: room, exact: true }).waitFor();
      await online(page, 1);
      await page.locator("#composer-text").waitFor();
      for (const who of [owner, member, visitor]) await who.context.close();
    }
  });

  it("an unknown address and an unreadable query say so in plain words, with a way back", async () => {
    const jargon = /not found|invalid digit|bad request|cannot parse/i;
    for (const w of LANGUAGES) {
      const who = await newPerson(w);
      await h.signUp(who, `quinn_${w.code}`);
      const room = `Porch ${w.code}`;
      await h.createRoom(who, room);
      const { page } = who;
      for (const [address, status, words] of [
        ["/no/such/page", 404, w.noSuchPage],
        [`${roomPath(room)}/messages?before=abc`, 400, w.badQuery],
      ]) {
        const res = await page.goto(address);
        assert.equal(res.status(), status, address);
        await page.getByRole("main").getByText(words).waitFor();
        assert.doesNotMatch(await page.locator("body").innerText(), jargon, address);
        assert.doesNotMatch(await page.title(), jargon, address);
        assert.ok(await page.getByRole("navigation").getByRole("button", { name: w.createARoom }).isVisible(),
          `${address}: inside the app's shell`);
        await h.assertAxeClean(page, `${address} (${w.code})`);
        await page.getByRole("main").getByRole("link", { name: w.backToRooms }).click();
        await page.waitForURL((url) => url.pathname === "/rooms");
      }

      // Not logged in: the same plain words, and a way on.
      const visitor = await newPerson(w);
      const res = await visitor.page.goto("/no/such/page");
      assert.equal(res.status(), 404);
      await visitor.page.getByText(w.noSuchPage).waitFor();
      assert.doesNotMatch(await visitor.page.locator("body").innerText(), jargon);
      assert.doesNotMatch(await visitor.page.title(), jargon);
      await h.assertAxeClean(visitor.page, `an unknown address, logged out (${w.code})`);
      await visitor.page.getByRole("link", { name: w.backToRooms }).click();
      await visitor.page.waitForURL((url) => url.pathname === "/login");
      await who.context.close();
      await visitor.context.close();
    }
  });

  it("a refused login is said beside the fields, which are marked invalid, and the username stays", async () => {
    for (const w of LANGUAGES) {
      const username = `lena_${w.code}`;
      const lena = await newPerson(w);
      await h.signUp(lena, username);
      await lena.context.close();
      const { page } = await newPerson(w);
      await page.goto("/login");
      await page.getByLabel(w.username).fill(username);
      await page.getByLabel(w.password).fill("not the password");
      await page.getByRole("button", { name: w.logIn, exact: true }).click();
      const error = page.getByRole("alert").filter({ hasText: w.badCredentials });
      await error.waitFor();
      assert.equal(await page.getByLabel(w.username).inputValue(), username, "the username is kept");
      for (const field of ["username", "password"]) {
        const input = page.locator(`#${field}`);
        assert.equal(await input.getAttribute("aria-invalid"), "true", field);
        const described = await input.getAttribute("aria-describedby");
        assert.equal(await page.locator(`#${described}`).textContent(), w.badCredentials, `${field} points at the error`);
      }
      await assertJustBelow(page, "#password", error);
      assert.equal(await page.evaluate(() => document.activeElement.id), "password", "ready to type the password again");
      await h.assertAxeClean(page, `a refused login (${w.code})`);
    }
  });

  it("a refused registration is said beside its own field, the username stays, and a space is said plainly", async () => {
    for (const w of LANGUAGES) {
      const taken = `nina_${w.code}`;
      await h.signUp(await newPerson(w), taken);
      const { page } = await newPerson(w);
      for (const [username, password, field, words] of [
        [taken, h.PASSWORD, "username", w.usernameTaken],
        [`nina ${w.code}`, h.PASSWORD, "username", w.usernameSpace],
        [`nora_${w.code}`, "x".repeat(1100), "password", w.passwordLength],
      ]) {
        await page.goto("/register");
        await page.getByLabel(w.username).fill(username);
        await page.getByLabel(w.password).fill(password);
        await page.getByRole("button", { name: w.register, exact: true }).click();
        const error = page.locator(`#${field}-error`);
        await error.waitFor();
        assert.equal(await error.textContent(), words);
        assert.equal(await error.getAttribute("role"), "alert");
        assert.equal(await page.getByLabel(w.username).inputValue(), username, "the username is kept");
        const input = page.locator(`#${field}`);
        assert.equal(await input.getAttribute("aria-invalid"), "true");
        assert.ok((await input.getAttribute("aria-describedby")).split(" ").includes(`${field}-error`));
        const other = page.locator(field === "username" ? "#password" : "#username");
        assert.equal(await other.getAttribute("aria-invalid"), null, "only the field at fault");
        await assertJustBelow(page, `#${field}`, error);
        assert.doesNotMatch(await page.locator("main").innerText(), /\(not|“ ”|' '/, "no “(not ' ')”");
        await h.assertAxeClean(page, `register refused: ${words} (${w.code})`);
      }
    }
  });

  it("a two-character Chinese or Korean name registers, and the form says so; two Latin letters do not", async () => {
    for (const w of LANGUAGES) {
      const { page } = await newPerson(w);
      await page.goto("/register");
      const hint = await page.locator("#username-hint").textContent();
      assert.match(hint, w.code === "en" ? /2 are enough in Chinese, Japanese or Korean/ : /中文、日文或韩文 2 个字即可/);
      await h.assertAxeClean(page, `register (${w.code})`);
      await page.getByLabel(w.username).fill("ab");
      await page.getByLabel(w.password).fill(h.PASSWORD);
      await page.getByRole("button", { name: w.register, exact: true }).click();
      await page.locator("#username-error").waitFor();
      assert.equal(await page.locator("#username").getAttribute("aria-invalid"), "true");
      const name = w.code === "en" ? "小明" : "민수";
      await page.getByLabel(w.username).fill(name);
      await page.getByLabel(w.password).fill(h.PASSWORD);
      await page.getByRole("button", { name: w.register, exact: true }).click();
      await page.waitForURL("**/rooms");
      assert.match(await page.locator(".me").innerText(), new RegExp(name));
    }
  });

  it("the empty /rooms page says its sentence once and shows its two buttons once, on a desktop and a phone", async () => {
    for (const w of LANGUAGES) {
      for (const [device, options] of [["desktop", {}], ["phone", PHONE]]) {
        const newcomer = await newPerson(w, options);
        await h.signUp(newcomer, `newt_${w.code}_${device}`);
        const { page } = newcomer;
        await page.goto("/rooms");
        assert.equal(await visibleCount(page.getByText(w.noRoomsHint, { exact: true })), 1, `${device}: the sentence once`);
        for (const name of [w.joinARoom, w.createARoom]) {
          assert.equal(await visibleCount(page.getByRole("button", { name, exact: true })), 1, `${device}: “${name}” once`);
        }
        await h.assertAxeClean(page, `empty /rooms on a ${device} (${w.code})`);
        await newcomer.context.close();
      }
    }
  });

  it("saw no CSP violation and no script error on any page", () => {
    h.assertClean(...people);
  });
});

/** The error sits right under its field (beside it, not at the top of the form). */
async function assertJustBelow(page, fieldSelector, error) {
  const field = await page.locator(fieldSelector).boundingBox();
  const box = await error.boundingBox();
  const gap = box.y - (field.y + field.height);
  assert.ok(gap >= 0 && gap <= 24, `the error is just below ${fieldSelector} (gap ${gap}px)`);
  assert.ok(Math.abs(box.x - field.x) <= 2, `and lines up with it (${box.x} vs ${field.x})`);
}
