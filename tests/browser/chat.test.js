// Two people, Ann and Bob, use Hearth in two separate browser sessions against the
// real server: register, create and join rooms, talk both ways, read history, lose
// the connection to a restart and get back every message once, log out.
// The steps run in order and build on each other.
"use strict";

const assert = require("node:assert/strict");
const { after, before, describe } = require("node:test");
const { Hearth, sleep } = require("./server");
const h = require("./helpers");
const { it } = h;

describe("two people chatting in real browsers", () => {
  let server, browser, ann, bob;

  before(async () => {
    server = await Hearth.create();
    browser = await h.launch();
    ann = await h.person(browser, server);
    bob = await h.person(browser, server);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it("every page answers with a strict CSP, nosniff and a careful Referrer-Policy", async () => {
    const res = await ann.page.goto("/register");
    const headers = res.headers();
    assert.equal(headers["x-content-type-options"], "nosniff");
    assert.equal(headers["referrer-policy"], "strict-origin-when-cross-origin");
    const csp = headers["content-security-policy"];
    for (const directive of ["default-src 'self'", "script-src 'self'", "object-src 'none'",
      "base-uri 'none'", "frame-ancestors 'none'", "connect-src 'self'", "img-src 'self'",
      "media-src 'self'", "form-action 'self'"]) {
      assert.ok(csp.includes(directive), `${directive} in ${csp}`);
    }
    // Nothing inline for the CSP to refuse: no inline script, handler or style attribute.
    const inline = await ann.page.evaluate(() => ({
      scripts: [...document.scripts].filter((s) => !s.src).length,
      handlers: [...document.querySelectorAll("*")].filter((e) =>
        [...e.attributes].some((a) => /^on|^hx-on/.test(a.name))).length,
      styles: document.querySelectorAll("[style]").length,
    }));
    assert.deepEqual(inline, { scripts: 0, handlers: 0, styles: 0 });
  });

  it("Ann registers through the form, creates rooms in a dialog and sees them in the sidebar", async () => {
    const { page } = ann;
    await h.register(page, "ann");
    await page.getByRole("main").getByText("You are not in any room yet").waitFor();

    const [fragment] = await Promise.all([
      page.waitForResponse((r) => r.url().includes("/dialogs/create-room")),
      page.getByRole("navigation").getByRole("button", { name: "Create a room" }).click(),
    ]);
    assert.equal(fragment.headers()["x-content-type-options"], "nosniff");
    const dialog = page.getByRole("dialog", { name: "Create a room" });
    await dialog.waitFor();
    assert.ok(await dialog.evaluate((d) => d.matches(":modal")), "a modal <dialog>");
    await h.screenshot(page, "desktop-dialog");
    await page.getByLabel("Name").fill("Porch");
    await page.keyboard.press("Enter");
    await dialog.waitFor({ state: "detached" });
    await page.getByRole("navigation").getByRole("link", { name: "Porch" }).waitFor();

    await page.getByRole("navigation").getByRole("button", { name: "Create a room" }).click();
    await page.getByLabel("Name").fill("Garden");
    await page.getByRole("button", { name: "Create", exact: true }).click();
    await page.getByRole("navigation").getByRole("link", { name: "Garden" }).waitFor();

    await page.getByRole("link", { name: "Porch" }).click();
    await page.waitForURL("**/rooms/Porch");
    await page.getByText("No messages yet. Say hello!").waitFor();
  });

  it("Bob registers, uses “Join a room” and opens the room", async () => {
    const { page } = bob;
    await h.register(page, "bob");
    for (const room of ["Porch", "Garden"]) {
      await page.getByRole("navigation").getByRole("button", { name: "Join a room" }).click();
      const dialog = page.getByRole("dialog", { name: "Join a room" });
      await dialog.getByRole("button", { name: new RegExp(`^${room}`) }).click();
      await dialog.waitFor({ state: "detached" });
      await page.getByRole("navigation").getByRole("link", { name: room }).waitFor();
    }
    await page.getByRole("link", { name: "Porch" }).click();
    await page.waitForURL("**/rooms/Porch");
    await page.waitForFunction(() => !document.body.classList.contains("ws-down"));
  });

  it("messages go both ways, by button and by Enter, live within 2 s and once for the sender", async () => {
    // The socket is open once the online count says both are here.
    for (const { page } of [ann, bob]) {
      await page.waitForFunction(() => document.getElementById("online-count").textContent.trim() === "2");
    }

    await h.composer(ann.page).fill("Hello Bob, by button");
    await ann.page.getByRole("button", { name: "Send" }).click();
    await h.waitForMessage(bob.page, "Hello Bob, by button");
    await h.waitForMessage(ann.page, "Hello Bob, by button");

    await h.composer(bob.page).fill("Hi Ann, by Enter");
    await h.composer(bob.page).press("Enter");
    await h.waitForMessage(ann.page, "Hi Ann, by Enter");
    await h.waitForMessage(bob.page, "Hi Ann, by Enter");

    await h.composer(ann.page).fill("And by Enter from me");
    await h.composer(ann.page).press("Enter");
    await h.waitForMessage(bob.page, "And by Enter from me");

    await h.composer(bob.page).fill("And the button from me");
    await bob.page.getByRole("button", { name: "Send" }).click();
    await h.waitForMessage(ann.page, "And the button from me");

    await sleep(300); // long enough for a duplicate to show up, if there were one
    for (const text of ["Hello Bob, by button", "Hi Ann, by Enter", "And by Enter from me", "And the button from me"]) {
      assert.equal(await h.countMessages(ann.page, text), 1, `Ann sees ${text} once`);
      assert.equal(await h.countMessages(bob.page, text), 1, `Bob sees ${text} once`);
    }
    assert.equal(await h.composer(ann.page).inputValue(), "", "the composer is empty again");
  });

  it("links are clickable and safe, other text is plain, and one sender's run groups together", async () => {
    await h.post(ann.request, "Porch", "read https://example.org/a?b=1&c=2 please");
    await h.post(ann.request, "Porch", "javascript:alert(1) <b>not bold</b>");
    await h.waitForMessage(bob.page, "javascript:alert(1) <b>not bold</b>");
    const link = bob.page.locator("#messages a", { hasText: "https://example.org/a?b=1&c=2" });
    assert.equal(await link.getAttribute("href"), "https://example.org/a?b=1&c=2");
    assert.equal(await link.getAttribute("rel"), "noopener nofollow ugc");
    assert.equal(await bob.page.locator("#messages b").count(), 0, "HTML in a message stays text");
    assert.equal(await bob.page.locator('#messages a[href^="javascript"]').count(), 0);

    // Ann's two in a row: the second continues the first. Days get one heading.
    const grouped = await bob.page.locator("#messages .msg").evaluateAll((msgs) =>
      msgs.slice(-2).map((m) => m.classList.contains("continued")));
    assert.deepEqual(grouped, [false, true]);
    assert.deepEqual(await bob.page.locator("#messages h2.day").allTextContents(), ["Today"]);
    // Ann's own messages look like hers, not like Bob's.
    const background = (page, text) => page.locator(".msg", { hasText: text }).evaluate(
      (m) => getComputedStyle(m).backgroundColor);
    assert.notEqual(await background(ann.page, "Hello Bob"), await background(ann.page, "Hi Ann"));
    await h.screenshot(bob.page, "desktop-room-chat");
  });

  it("Bob's sidebar counts unread messages in a room he is not viewing, and opening it clears them", async () => {
    await h.notify(bob, "Garden", "all");
    const badge = bob.page.getByRole("link", { name: /Garden/ }).locator(".badge");
    assert.equal(await badge.isVisible(), false);
    await h.post(ann.request, "Garden", "anyone in the garden?");
    await h.post(ann.request, "Garden", "the roses are out");
    await bob.page.waitForFunction(() => {
      const b = [...document.querySelectorAll("#room-list a")].find((a) => a.textContent.includes("Garden"));
      return b && b.querySelector(".badge:not([hidden])")?.textContent === "2";
    }, null, { timeout: 2000 });
    assert.equal(await bob.page.getByRole("link", { name: "Garden 2 unread" }).count(), 1, "read out as “2 unread”");

    await bob.page.getByRole("link", { name: /Garden/ }).click();
    await bob.page.waitForURL("**/rooms/Garden");
    await h.waitForMessage(bob.page, "the roses are out");
    // The page tells the server once it shows the newest message, and the badge clears
    // when the read marker has moved: a round trip, slower on a loaded machine.
    await bob.page.getByRole("link", { name: /Garden/ }).locator(".badge").waitFor({ state: "hidden", timeout: 5000 });
    await bob.page.goBack();
    await bob.page.waitForURL("**/rooms/Porch");
  });

  it("a reload shows the history", async () => {
    await bob.page.reload();
    const texts = await h.shownTexts(bob.page);
    assert.deepEqual(texts.slice(0, 4), [
      "Hello Bob, by button", "Hi Ann, by Enter", "And by Enter from me", "And the button from me",
    ]);
  });

  it("with 120 messages, “Load earlier” pages back to the first, without announcing them", async () => {
    const created = await ann.request.post("/api/v1/rooms", { data: { name: "Archive" } });
    assert.equal(created.status(), 201);
    for (let n = 1; n <= 120; n++) await h.post(ann.request, "Archive", `archived ${String(n).padStart(3, "0")}`);

    const { page } = ann;
    await page.goto("/rooms/Archive");
    let texts = await h.shownTexts(page);
    assert.equal(texts.length, 50);
    assert.equal(texts[0], "archived 071");
    // The message at the top of the view, and where it is on screen.
    const topOfView = () => page.evaluate(() => {
      const log = document.getElementById("messages");
      const top = log.getBoundingClientRect().top;
      const msg = [...log.querySelectorAll(".msg")].find((m) => m.getBoundingClientRect().bottom > top);
      return { id: msg.id, y: msg.getBoundingClientRect().top };
    });
    for (const firstShown of ["archived 021", "archived 001"]) {
      // With the keyboard, as someone without a mouse would.
      await page.getByRole("button", { name: "Load earlier" }).focus();
      const before = await topOfView();
      await page.keyboard.press("Enter");
      await page.waitForFunction((t) => document.querySelector("#messages .msg .text").textContent === t, firstShown);
      // Wait for the state the next step needs: the page has finished taking them in.
      await page.waitForFunction(() => !document.getElementById("messages").hasAttribute("aria-busy"));
      // What the reader was looking at stays where it was (not thrown to the bottom).
      const after = await page.evaluate((id) => document.getElementById(id).getBoundingClientRect().top, before.id);
      assert.ok(Math.abs(after - before.y) <= 2, `${before.id} stayed at ${before.y}px (now ${after}px)`);
    }
    texts = await h.shownTexts(page);
    assert.equal(texts.length, 120);
    assert.deepEqual(texts, Array.from({ length: 120 }, (_, i) => `archived ${String(i + 1).padStart(3, "0")}`));
    assert.equal(await page.getByRole("button", { name: "Load earlier" }).count(), 0, "nothing earlier");

    // Older pages sit in aria-live="off" wrappers; the log is polite and no longer busy.
    const live = await page.evaluate(() => {
      const log = document.getElementById("messages");
      const first = log.querySelector(".msg");
      return {
        role: log.getAttribute("role"), live: log.getAttribute("aria-live"), busy: log.getAttribute("aria-busy"),
        olderLive: first.closest("[aria-live]").getAttribute("aria-live"),
        focusInLog: log.contains(document.activeElement) || log === document.activeElement,
      };
    });
    assert.deepEqual(live, { role: "log", live: "polite", busy: null, olderLive: "off", focusInLog: true });
  });

  it("a restart cuts the socket: the page says so, then catches up in order with no duplicates", async () => {
    await ann.page.goto("/rooms/Porch");
    await bob.page.waitForFunction(() => document.getElementById("online-count").textContent.trim() === "2");
    const before = await h.shownTexts(bob.page);

    await server.stop();
    for (const { page } of [ann, bob]) {
      await page.waitForFunction(() => document.body.classList.contains("ws-down"), null, { timeout: 5000 });
      assert.ok(await page.getByText("Connection lost. Reconnecting…").isVisible());
    }
    await h.screenshot(bob.page, "desktop-connection-lost");

    // While the pages' port is dark, Ann writes through a second start of the server
    // on another port (same database), so the pages can only learn of it by catching up.
    const { freePort } = require("./server");
    const elsewhere = await freePort();
    await server.start(elsewhere);
    const meanwhile = ["while you were away 1", "while you were away 2", "while you were away 3"];
    for (const text of meanwhile) await h.post(ann.request, "Porch", text, `http://127.0.0.1:${elsewhere}`);
    await server.stop();
    await server.start();

    for (const { page } of [ann, bob]) {
      await page.waitForFunction(() => !document.body.classList.contains("ws-down"), null, { timeout: 15000 });
      await h.waitForMessage(page, meanwhile[2], 5000);
      assert.equal(await page.getByText("Connection lost. Reconnecting…").isVisible(), false);
    }
    assert.deepEqual(await h.shownTexts(bob.page), [...before, ...meanwhile], "in order, each once");
    const annSees = await h.shownTexts(ann.page);
    assert.deepEqual(annSees.slice(-3), meanwhile);
    for (const text of meanwhile) assert.equal(await h.countMessages(ann.page, text), 1);

    // And live again.
    await h.composer(bob.page).fill("back online");
    await h.composer(bob.page).press("Enter");
    await h.waitForMessage(ann.page, "back online");
  });

  it("logging out says so, and leaves /rooms redirecting to the login page", async () => {
    const { page } = ann;
    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL("**/login?signed_out=1");
    await page.getByRole("status").getByText("You have been logged out.").waitFor();
    await page.goto("/rooms");
    assert.match(page.url(), /\/login\?next=%2Frooms$/);
    await page.getByRole("heading", { name: "Log in" }).waitFor();
  });

  it("saw no CSP violation and no script error on any page", () => {
    h.assertClean(ann, bob);
  });
});
