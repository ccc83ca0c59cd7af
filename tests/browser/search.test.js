// Finding things in a real browser: the sidebar's search box by keyboard alone ("/",
// type, Enter, Tab to a result, Enter), "More results" appending in place, a result
// opening its message centred and highlighted (with the live socket still at work),
// the "New" divider after a reload, and axe on the search page in both languages.
"use strict";

const assert = require("node:assert/strict");
const { after, before, describe } = require("node:test");
const { Hearth } = require("./server");
const h = require("./helpers");
const { it } = h;

async function signUp(who, username) {
  const res = await who.request.post("/api/v1/users", { data: { username, password: h.PASSWORD } });
  assert.equal(res.status(), 201);
}

/** Presses Tab until `predicate` holds for the focused element; fails after `max`. */
async function tabTo(page, predicate, arg, max = 60) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(predicate, arg)) return;
  }
  throw new Error("never reached by Tab");
}

/** The results the search page lists, in order. */
function results(page) {
  return page.locator("#search-results li.result");
}

/** The sidebar's unread badge for a room. */
function badge(page, room) {
  return page.locator(`#room-list a[href="/rooms/${encodeURIComponent(room)}"] .badge`);
}

/** Whether the element is wholly inside the message log's visible part. */
function inView(page, selector) {
  return page.evaluate((sel) => {
    const el = document.querySelector(sel);
    const log = document.getElementById("messages").getBoundingClientRect();
    const r = el.getBoundingClientRect();
    return r.top >= log.top - 1 && r.bottom <= log.bottom + 1;
  }, selector);
}

describe("search, permalinks and what is new", () => {
  let server, browser, ada, ben, caramel;
  const ids = {};

  before(async () => {
    server = await Hearth.create();
    browser = await h.launch();
    ada = await h.person(browser, server);
    ben = await h.person(browser, server);
    await signUp(ada, "ada");
    await signUp(ben, "ben");
    assert.equal((await ada.request.post("/api/v1/rooms", { data: { name: "Kitchen" } })).status(), 201);
    assert.equal((await ben.request.post("/api/v1/rooms/Kitchen/members")).status(), 201);
    // Ada counts every message in Kitchen, so its badge shows a number.
    await h.notify(ada, "Kitchen", "all");
    ids.bread = (await h.post(ben.request, "Kitchen", "Fresh bread is in the oven")).id;
    for (let n = 1; n <= 25; n++) await h.post(ben.request, "Kitchen", `soup number ${n}`);
    for (let n = 1; n <= 15; n++) await h.post(ben.request, "Kitchen", `chatter ${n}`);
    caramel = await h.post(ben.request, "Kitchen", "The secret ingredient is caramel 焦糖");
    for (let n = 16; n <= 45; n++) await h.post(ben.request, "Kitchen", `chatter ${n}`);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it("/ focuses the sidebar's search box; Enter searches; Tab and Enter open a result centred and highlighted", async () => {
    const { page } = ada;
    await page.goto("/rooms");
    await page.keyboard.press("/");
    await page.waitForFunction(() => document.activeElement && document.activeElement.id === "sidebar-q");
    await page.keyboard.type("CARAMEL");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/search\?q=CARAMEL$/);
    await results(page).first().waitFor();
    assert.equal(await results(page).count(), 1);
    const mark = results(page).first().locator("mark");
    assert.equal(await mark.innerText(), "caramel", "the match is marked as the message writes it");
    const meta = await results(page).first().locator(".result-meta").innerText();
    assert.match(meta, /Kitchen · ben · /, "room, sender and time");

    const permalink = `/rooms/Kitchen/messages/${caramel.id}`;
    await tabTo(page, (href) => document.activeElement.getAttribute("href") === href, permalink);
    await page.keyboard.press("Enter");
    await page.waitForURL(`**${permalink}`);
    const target = page.locator(`#m-${caramel.id}.msg.target`);
    await target.waitFor();
    assert.ok(await inView(page, `#m-${caramel.id}`), "the message is in view");
    const centred = await page.evaluate((id) => {
      const log = document.getElementById("messages").getBoundingClientRect();
      const r = document.getElementById(id).getBoundingClientRect();
      return Math.abs((r.top + r.bottom) / 2 - (log.top + log.bottom) / 2);
    }, `m-${caramel.id}`);
    assert.ok(centred < 40, `centred in the log (${centred}px off)`);
    assert.equal(await page.locator(".msg.target").count(), 1, "only it is highlighted");
    await page.getByRole("button", { name: "Load earlier" }).waitFor();
    await page.getByRole("button", { name: "Load later" }).waitFor();
    await page.getByRole("link", { name: "Jump to the latest" }).waitFor();
    h.assertClean(ada);
  });

  it("the permalink page stays live: an edit applies there, a new message waits below the gap", async () => {
    const { page } = ada;
    const edited = await ben.request.patch(`/api/v1/messages/${caramel.id}`, {
      data: { text: "The secret ingredient is toffee 焦糖" },
    });
    assert.equal(edited.status(), 200);
    await h.waitForMessage(page, "The secret ingredient is toffee 焦糖", 5000);
    assert.equal(await page.locator(`#m-${caramel.id}.target`).count(), 1, "still highlighted");
    // Said after the newest it shows, beyond "Load later": not appended after the gap.
    await h.post(ben.request, "Kitchen", "a brand new message");
    await h.post(ben.request, "Kitchen", "edit after the new one");
    const last = await h.post(ben.request, "Kitchen", "and one more");
    await ben.request.patch(`/api/v1/messages/${caramel.id}`, { data: { text: "caramel again 焦糖" } });
    await h.waitForMessage(page, "caramel again 焦糖", 5000);
    assert.equal(await h.countMessages(page, "a brand new message"), 0);
    assert.equal(await page.locator(`#m-${last.id}`).count(), 0);
    assert.ok(await page.getByRole("link", { name: "Jump to the latest" }).isVisible());
    // "Load later" closes the gap: the newer ones arrive in order, each once.
    await page.getByRole("button", { name: "Load later" }).click();
    await h.waitForMessage(page, "and one more", 5000);
    await page.locator("#load-later").waitFor({ state: "detached" });
    const shown = await h.shownTexts(page);
    assert.deepEqual(shown.slice(-4), ["chatter 45", "a brand new message", "edit after the new one", "and one more"]);
    assert.equal(await h.countMessages(page, "and one more"), 1);
    h.assertClean(ada);
  });

  it("“More results” appends the next page in place, and every result opens its message", async () => {
    const { page } = ada;
    await page.goto("/search");
    await page.waitForFunction(() => document.activeElement && document.activeElement.id === "search-q");
    await page.evaluate(() => { window.stillHere = true; });
    await page.keyboard.type("soup");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.querySelectorAll("#search-results li.result").length === 20);
    assert.match(page.url(), /\/search\?q=soup/, "the address can be shared");
    const more = page.getByRole("link", { name: "More results" });
    await more.click();
    await page.waitForFunction(() => document.querySelectorAll("#search-results li.result").length === 25);
    await more.waitFor({ state: "detached" });
    assert.ok(await page.evaluate(() => window.stillHere), "no page load: htmx appended");
    const texts = await results(page).locator(".snippet").allInnerTexts();
    const expected = Array.from({ length: 25 }, (_, i) => `soup number ${25 - i}`);
    assert.deepEqual(texts, expected, "newest first, no repeat, no gap");
    assert.equal(await page.locator("#search-results").count(), 1);
    assert.equal(await page.locator("#search-results ol").count(), 1, "one list");

    // A result opens its message, highlighted, with newer ones below "Load later".
    await results(page).last().locator(".snippet a").click();
    await page.waitForURL(/\/rooms\/Kitchen\/messages\/\d+$/);
    const target = page.locator(".msg.target");
    await target.waitFor();
    assert.equal(await target.locator(".text").innerText(), "soup number 1");
    await page.getByRole("button", { name: "Load later" }).waitFor();
    // Newer messages are missing below: "Jump to the latest" opens the room's newest.
    await page.getByRole("link", { name: "Jump to the latest" }).click();
    await page.waitForURL(/\/rooms\/Kitchen\?latest=1$/);
    await h.waitForMessage(page, "and one more", 5000);
    await page.waitForFunction(() => {
      const log = document.getElementById("messages");
      return log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    });
    h.assertClean(ada);
  });

  it("an htmx search says a refusal where the results go (a room left: 403 too), and a search that works clears it", async () => {
    const { page } = ada;
    assert.equal((await ada.request.post("/api/v1/rooms", { data: { name: "Pantry" } })).status(), 201);
    await page.goto("/search");
    await page.evaluate(() => { window.stillHere = true; });
    const q = page.locator("#search-q");
    const error = page.locator("#search-error");
    const search = async (text) => {
      await q.fill(text);
      await q.press("Enter");
    };
    const errorState = () => q.evaluate((e) => [e.getAttribute("aria-invalid"), e.getAttribute("aria-describedby")]);

    await search("x");
    await error.waitFor();
    assert.equal(await page.locator("#search-results #search-error").count(), 1, "inside the results");
    assert.match(await error.innerText(), /2/, "says how long a term must be");
    assert.deepEqual(await errorState(), ["true", "search-hint search-error"]);
    await h.assertAxeClean(page, "a refused search");

    await search("soup");
    await results(page).first().waitFor();
    assert.equal(await error.count(), 0, "the stale error is gone");
    assert.deepEqual(await errorState(), [null, "search-hint"]);

    // A room filter naming a room she left (in another tab) since the page loaded.
    await page.selectOption("#search-room", "Pantry");
    assert.equal((await ada.request.delete("/api/v1/rooms/Pantry/members/me")).status(), 204);
    const refused = page.waitForResponse((r) => r.url().includes("room=Pantry"));
    await search("soup");
    assert.equal((await refused).status(), 403);
    await error.waitFor();
    assert.equal(await error.innerText(), "You are not a member of this room.");
    assert.equal(await results(page).count(), 0, "the old results are gone");
    assert.deepEqual(await errorState(), ["true", "search-hint search-error"]);

    await page.selectOption("#search-room", "");
    await search("soup");
    await results(page).first().waitFor();
    assert.equal(await error.count(), 0);
    assert.deepEqual(await errorState(), [null, "search-hint"]);
    assert.ok(await page.evaluate(() => window.stillHere), "all of it with htmx, no page load");
    h.assertClean(ada);
  });

  it("opening a room with news shows the New divider there (and after a reload), until the reader reaches the latest", async () => {
    const { page } = ada;
    // ada has read everything: she was at the bottom of Kitchen.
    await badge(page, "Kitchen").and(page.locator("[hidden]")).waitFor({ state: "attached" });
    await page.goto("/rooms");
    for (let n = 1; n <= 40; n++) await h.post(ben.request, "Kitchen", `news ${n}`);
    await page.waitForFunction(() => {
      const b = document.querySelector('#room-list a[href="/rooms/Kitchen"] .badge');
      return b && !b.hidden && b.textContent.trim() === "40";
    });

    await page.getByRole("navigation").getByRole("link", { name: /Kitchen/ }).click();
    await page.waitForURL("**/rooms/Kitchen");
    for (const step of ["opened", "reloaded"]) {
      const divider = page.getByRole("separator", { name: "40 new messages" });
      await divider.waitFor();
      assert.equal(await divider.textContent(), "New", step);
      await page.waitForFunction(() => document.getElementById("announce").textContent === "40 new messages");
      assert.ok(await inView(page, "#new-divider"), `${step}: scrolled to the divider`);
      const first = page.locator("#new-divider + .msg .text");
      assert.equal(await first.innerText(), "news 1", step);
      await page.getByRole("link", { name: "Jump to the latest" }).waitFor();
      assert.equal(await badge(page, "Kitchen").innerText(), "40", `${step}: opening is not reading`);
      if (step === "opened") await page.reload();
    }

    await page.getByRole("link", { name: "Jump to the latest" }).click();
    await page.waitForFunction(() => {
      const b = document.querySelector('#room-list a[href="/rooms/Kitchen"] .badge');
      return b && b.hidden;
    });
    assert.ok(await inView(page, ".msg:last-of-type"), "at the newest");
    await page.getByRole("link", { name: "Jump to the latest" }).waitFor({ state: "hidden" });
    await page.reload();
    await h.waitForMessage(page, "news 40");
    assert.equal(await page.locator("#new-divider").count(), 0, "nothing new any more");
    h.assertClean(ada);
  });

  it("axe finds nothing on the search page with results, in English and in Chinese", async () => {
    const { page } = ada;
    await page.goto("/search?q=soup");
    await results(page).first().waitFor();
    await page.getByRole("link", { name: "More results" }).click();
    await page.getByRole("link", { name: "More results" }).waitFor({ state: "detached" });
    const english = await h.axe(page);
    assert.deepEqual(english.details, [], "no axe violations (English)");
    await h.screenshot(page, "desktop-search");

    const zh = await h.person(browser, server, { locale: "zh-CN" });
    await signUp(zh, "王小明");
    assert.equal((await zh.request.post("/api/v1/rooms/Kitchen/members")).status(), 201);
    await zh.page.goto("/search?q=%E7%84%A6%E7%B3%96");
    assert.equal(await zh.page.getAttribute("html", "lang"), "zh-CN");
    await zh.page.getByRole("heading", { name: "搜索消息" }).waitFor();
    await results(zh.page).first().waitFor();
    assert.equal(await results(zh.page).first().locator("mark").innerText(), "焦糖");
    const chinese = await h.axe(zh.page);
    assert.deepEqual(chinese.details, [], "no axe violations (Chinese)");
    await zh.page.goto("/search?q=%E6%B2%A1%E6%9C%89%E8%BF%99%E4%B8%AA");
    await zh.page.getByText("没有匹配的消息。").waitFor();
    assert.deepEqual((await h.axe(zh.page)).details, [], "no axe violations (Chinese, nothing found)");
    await h.screenshot(zh.page, "desktop-search-zh");
    h.assertClean(zh);
    await zh.context.close();
  });

  it("saw no CSP violation and no script error on any page", () => {
    h.assertClean(ada, ben);
  });
});
