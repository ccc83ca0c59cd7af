// Accessibility in a real browser: axe-core on every kind of page, the whole flow
// with the keyboard alone, the phone layout, 200% zoom, and the Chinese pages.
"use strict";

const assert = require("node:assert/strict");
const { after, before, describe } = require("node:test");
const { Hearth } = require("./server");
const h = require("./helpers");
const { it } = h;

const PHONE = { viewport: { width: 375, height: 740 }, deviceScaleFactor: 2 };
/** A 1280×800 window at 200% zoom lays out like a 640×400 one at twice the density. */
const ZOOMED = { viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 };

/** Presses Tab until `predicate` holds for the focused element; fails after `max`. */
async function tabTo(page, predicate, arg, max = 30) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(predicate, arg)) return;
  }
  throw new Error("never reached by Tab");
}

/** Whether the focused element shows a clear focus ring (the phone toggle shows it on its label). */
function focusIsVisible(page) {
  return page.evaluate(() => {
    let el = document.activeElement;
    if (el.id === "nav-toggle") el = document.querySelector(".nav-toggle-button");
    const style = getComputedStyle(el);
    return style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
  });
}

describe("accessibility", () => {
  let server, browser, cat, dan;
  const axeResults = {};

  before(async () => {
    server = await Hearth.create();
    browser = await h.launch();
    cat = await h.person(browser, server);
    dan = await h.person(browser, server);
    await h.signUp(cat, "cat");
    await h.signUp(dan, "dan_lee");
    assert.equal((await cat.request.post("/api/v1/rooms", { data: { name: "Kitchen" } })).status(), 201);
    assert.equal((await dan.request.post("/api/v1/rooms/Kitchen/members")).status(), 201);
    assert.equal((await dan.request.post("/api/v1/rooms", { data: { name: "Attic" } })).status(), 201);
    await h.post(cat.request, "Kitchen", "Morning! The recipe is at https://example.org/bread");
    await h.post(dan.request, "Kitchen", "Thanks, baking it tonight.");
    await h.post(dan.request, "Kitchen", "Shall I bring some tomorrow?\nWith butter?");
    await h.post(cat.request, "Kitchen", "Yes please!");
  });

  after(async () => {
    // The axe summary the report quotes: violations (nodes) by impact, per page.
    console.log(`axe results: ${JSON.stringify(axeResults, null, 1)}`);
    await browser?.close();
    await server?.close();
  });

  async function checkAxe(page, name) {
    const result = await h.axe(page);
    axeResults[name] = result.byImpact;
    const severe = result.details.filter((d) => /^(serious|critical) /.test(d));
    assert.deepEqual(severe, [], `${name}: no serious or critical axe violations`);
    assert.deepEqual(result.details, [], `${name}: no axe violations at all`);
  }

  it("axe finds nothing on the login, register, rooms, room and dialog pages", async () => {
    const visitor = await h.person(browser, server);
    await visitor.page.goto("/login");
    await checkAxe(visitor.page, "login");
    await h.screenshot(visitor.page, "desktop-login");
    await visitor.page.goto("/register");
    await checkAxe(visitor.page, "register");
    await h.register(visitor.page, "eve");
    await checkAxe(visitor.page, "rooms (new user, empty)");
    await visitor.context.close();

    const { page } = cat;
    await page.goto("/rooms");
    await checkAxe(page, "rooms");
    await page.goto("/rooms/Kitchen");
    await h.waitForMessage(page, "Yes please!");
    await checkAxe(page, "room");
    await h.screenshot(page, "desktop-room");
    await page.emulateMedia({ colorScheme: "dark" });
    await checkAxe(page, "room, dark scheme");
    await page.emulateMedia({ colorScheme: "light" });
    await page.getByRole("navigation").getByRole("button", { name: "Create a room" }).click();
    await page.getByRole("dialog").waitFor();
    await checkAxe(page, "create-room dialog");
    await page.keyboard.press("Escape");
    await page.getByRole("navigation").getByRole("button", { name: "Join a room" }).click();
    await page.getByRole("dialog").waitFor();
    await checkAxe(page, "join-room dialog");
    await page.keyboard.press("Escape");
    await page.getByRole("dialog").waitFor({ state: "detached" });
  });

  it("works with the keyboard alone: skip link, visible focus, modal dialogs, Enter and Shift+Enter", async () => {
    const { page } = cat;
    await page.goto("/rooms");

    // The first Tab reaches the skip link, shown on screen.
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.className), "skip-link");
    const box = await page.locator(".skip-link").boundingBox();
    assert.ok(box.y >= 0, "the skip link is on screen when focused");

    // Every stop through the sidebar shows where focus is; Enter on a room opens it.
    await tabTo(page, () => {
      const here = document.activeElement;
      if (here.textContent.includes("Kitchen")) return true;
      const style = getComputedStyle(here);
      if (style.outlineStyle === "none") throw new Error(`no focus ring on ${here.outerHTML.slice(0, 80)}`);
      return false;
    });
    await page.keyboard.press("Enter");
    await page.waitForURL("**/rooms/Kitchen");
    // The room opens with the message box focused, ready to type.
    await page.waitForFunction(() => document.activeElement.id === "composer-text");
    assert.ok(await focusIsVisible(page), "the message box shows focus");
    for (let stop = 0; stop < 4; stop++) {
      await page.keyboard.press("Shift+Tab");
      const where = await page.evaluate(() => document.activeElement.outerHTML.slice(0, 80));
      assert.ok(await focusIsVisible(page), `a visible focus ring on ${where}`);
    }

    // A real modal <dialog>: focus moves in, stays in, and Esc gives it back.
    await tabTo(page, () => document.activeElement.textContent === "Create a room");
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Create a room" });
    await dialog.waitFor();
    assert.ok(await dialog.evaluate((d) => d.matches(":modal")));
    assert.equal(await page.evaluate(() => document.activeElement.id), "room-name");
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press("Tab");
      const inside = await page.evaluate(() =>
        document.activeElement === document.body || !!document.activeElement.closest("dialog"));
      assert.ok(inside, "focus never leaves the open dialog");
    }
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    assert.equal(await page.evaluate(() => document.activeElement.textContent), "Create a room",
      "focus returns to the button that opened it");

    // The composer: Shift+Enter is a new line, Enter sends, and focus stays for the next one.
    await h.composer(page).focus();
    await page.keyboard.type("first line");
    await page.keyboard.press("Shift+Enter");
    await page.keyboard.type("second line");
    assert.equal(await h.composer(page).inputValue(), "first line\nsecond line");
    assert.equal(await h.countMessages(page, "first line\nsecond line"), 0, "nothing sent yet");
    await page.keyboard.press("Enter");
    await h.waitForMessage(page, "first line\nsecond line");
    await page.waitForFunction(() => document.activeElement.id === "composer-text" && !document.activeElement.value);
  });

  it("on a phone the sidebar hides behind a toggle that the keyboard opens and Esc closes", async () => {
    const phone = await h.person(browser, server, PHONE);
    await phone.page.goto("/login");
    await h.screenshot(phone.page, "phone-login");
    await phone.page.getByLabel("Username").fill("cat");
    await phone.page.getByLabel("Password").fill(h.PASSWORD);
    await phone.page.keyboard.press("Enter");
    await phone.page.waitForURL("**/rooms");
    await phone.page.goto("/rooms/Kitchen");
    await h.waitForMessage(phone.page, "Yes please!");
    const { page } = phone;
    const sidebar = page.getByRole("navigation", { name: "Rooms" });
    assert.equal(await sidebar.isVisible(), false, "hidden at first");
    assert.equal(await h.overflowsSideways(page), false);
    await h.screenshot(page, "phone-room");

    await tabTo(page, () => document.activeElement.id === "nav-toggle");
    assert.ok(await focusIsVisible(page), "the toggle shows focus");
    await page.keyboard.press("Space");
    await sidebar.waitFor({ state: "visible" });
    await page.keyboard.press("Tab");
    assert.ok(await page.evaluate(() => !!document.activeElement.closest("nav")), "Tab goes into the open sidebar");
    await page.waitForTimeout(250); // the slide-in transition
    await h.screenshot(page, "phone-sidebar");
    await checkAxe(page, "room on a phone, sidebar open");
    await page.keyboard.press("Escape");
    await sidebar.waitFor({ state: "hidden" });
    assert.equal(await page.evaluate(() => document.activeElement.id), "nav-toggle");

    await page.locator(".nav-toggle-button").click();
    await sidebar.getByRole("button", { name: "Create a room" }).click();
    await page.getByRole("dialog").waitFor();
    await h.screenshot(page, "phone-dialog");
    await page.keyboard.press("Escape");
    h.assertClean(phone);
    await phone.context.close();
  });

  it("the layout holds at 200% zoom and at 320 px: nothing sticks out sideways", async () => {
    for (const [name, options] of [["200% zoom", ZOOMED], ["320 px", { viewport: { width: 320, height: 640 } }]]) {
      const zoomed = await h.person(browser, server, options);
      const { page } = zoomed;
      await page.goto("/register");
      assert.equal(await h.overflowsSideways(page), false, `${name}: register`);
      await page.goto("/login");
      assert.equal(await h.overflowsSideways(page), false, `${name}: login`);
      await page.getByLabel("Username").fill("dan_lee");
      await page.getByLabel("Password").fill(h.PASSWORD);
      await page.keyboard.press("Enter");
      await page.waitForURL("**/rooms");
      assert.equal(await h.overflowsSideways(page), false, `${name}: rooms`);
      await page.goto("/rooms/Kitchen");
      await h.waitForMessage(page, "Yes please!");
      assert.equal(await h.overflowsSideways(page), false, `${name}: room`);
      assert.ok(await page.locator("#messages").evaluate((log) => log.scrollWidth <= log.clientWidth), `${name}: messages wrap`);
      assert.ok(await h.composer(page).isVisible(), `${name}: the composer is on screen`);
      await page.locator(".nav-toggle-button").click();
      await page.getByRole("button", { name: "Join a room" }).click();
      await page.getByRole("dialog").waitFor();
      assert.equal(await h.overflowsSideways(page), false, `${name}: dialog`);
      h.assertClean(zoomed);
      await zoomed.context.close();
    }
  });

  it("speaks Simplified Chinese to a Chinese browser, and the switch changes and remembers the language", async () => {
    const zh = await h.person(browser, server, { locale: "zh-CN" });
    const { page } = zh;
    await page.goto("/register");
    assert.equal(await page.getAttribute("html", "lang"), "zh-CN");
    await page.getByLabel("用户名").fill("张伟明");
    await page.getByLabel("密码").fill(h.PASSWORD);
    await page.getByRole("button", { name: "注册" }).click();
    await page.waitForURL("**/rooms");
    await page.getByRole("heading", { name: "欢迎，张伟明" }).waitFor();
    await checkAxe(page, "rooms in Chinese");
    assert.equal((await zh.request.post("/api/v1/rooms/Kitchen/members")).status(), 201);
    await h.post(zh.request, "Kitchen", "大家好！明天见。");
    await page.goto("/rooms/Kitchen");
    await page.getByText("今天", { exact: true }).waitFor();
    await page.getByRole("button", { name: "发送" }).waitFor();
    await checkAxe(page, "room in Chinese");
    await h.screenshot(page, "desktop-room-zh");

    await page.getByRole("button", { name: "English" }).click();
    await page.waitForURL("**/rooms/Kitchen");
    await page.getByRole("button", { name: "Send" }).waitFor();
    await page.reload();
    assert.equal(await page.getAttribute("html", "lang"), "en", "remembered");
    await page.getByRole("button", { name: "简体中文" }).click();
    await page.getByRole("button", { name: "发送" }).waitFor();
    h.assertClean(zh);
    await zh.context.close();
  });

  it("saw no CSP violation and no script error on any page", () => {
    h.assertClean(cat, dan);
  });
});
