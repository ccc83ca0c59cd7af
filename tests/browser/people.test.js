// People in real browsers: Uma starts a direct message with Vic from the “New message”
// dialog by keyboard, mentions him with the @ list, he sees the @ badge arrive live
// (beside the count, at “all”),
// code blocks and lists render, “… is typing” comes and goes, and leaving a room
// takes it off every tab. Every new control is clean under axe in both languages.
"use strict";

const assert = require("node:assert/strict");
const { after, before, describe } = require("node:test");
const { Hearth } = require("./server");
const h = require("./helpers");
const { it } = h;

describe("people: direct messages, mentions, formatting, typing, leaving", () => {
  let server, browser, uma, vic;

  before(async () => {
    server = await Hearth.create();
    browser = await h.launch();
    uma = await h.person(browser, server);
    vic = await h.person(browser, server);
    await h.signUp(uma, "uma");
    await h.signUp(vic, "vic");
    await h.createRoom(uma, "Atrium");
    await h.joinRoom(vic, "Atrium");
    await h.createRoom(vic, "Cellar");
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it("Uma starts a direct message with Vic from “New message”, picking him by keyboard", async () => {
    const { page } = uma;
    await page.goto("/rooms");
    await page.getByRole("button", { name: "New message" }).click();
    const dialog = page.getByRole("dialog", { name: "New message" });
    await dialog.waitFor();
    const to = dialog.getByRole("combobox", { name: "To" });
    await focused(page, "#direct-to");
    await to.pressSequentially("vi", { delay: 30 });
    const option = dialog.getByRole("option", { name: "vic" });
    await option.waitFor();
    assert.equal(await to.getAttribute("aria-expanded"), "true");
    assert.equal(await option.getAttribute("aria-selected"), "true", "the first is active");
    assert.equal(await to.getAttribute("aria-activedescendant"), await option.getAttribute("id"));
    await h.assertAxeClean(page, "New message with suggestions");
    await to.press("Enter");
    assert.equal(await to.inputValue(), "vic, ", "Enter picks; the list closes");
    assert.equal(await to.getAttribute("aria-expanded"), "false");
    await to.press("Enter");
    await page.waitForURL(/\/rooms\/%40uma%2Cvic$/);
    assert.equal(await page.locator("h1").innerText(), "vic", "titled by the other person");
    // Listed under Direct messages, for both of them (live for Vic, who is elsewhere).
    const dms = page.getByRole("list", { name: "Direct messages" });
    await dms.getByRole("link", { name: /^vic/ }).waitFor();
  });

  it("a direct message arrives in Vic's open sidebar and counts every message", async () => {
    await vic.page.goto("/rooms/Cellar");
    await h.post(uma.request, "@uma,vic", "are you around?");
    const link = vic.page.getByRole("list", { name: "Direct messages" }).getByRole("link", { name: /^uma/ });
    await link.waitFor();
    await vic.page.waitForFunction(() =>
      [...document.querySelectorAll("#dm-list .badge")].some((b) => !b.hidden && b.textContent === "1"));
    assert.equal(await link.getAttribute("href"), "/rooms/%40uma%2Cvic");
  });

  it("@ in the composer lists the room's members; ↓, Enter and Esc work; Vic sees an @ badge live", async () => {
    const { page } = uma;
    await page.goto("/rooms/Atrium");
    await vic.page.goto("/rooms/Cellar");
    const box = h.composer(page);
    await box.focus();
    await box.pressSequentially("hey @", { delay: 30 });
    const list = page.getByRole("listbox", { name: "Members to mention" });
    await list.waitFor();
    assert.deepEqual(await list.getByRole("option").allInnerTexts(), ["@vic"]);
    assert.equal(await box.getAttribute("aria-activedescendant"), "mention-1");
    await h.assertAxeClean(page, "the @ list open");
    await box.press("Escape");
    await list.waitFor({ state: "hidden" });
    assert.equal(await box.inputValue(), "hey @", "Esc only closes the list");
    await box.pressSequentially("v", { delay: 30 });
    await list.waitFor();
    await box.press("ArrowDown"); // one option: ↓ wraps to it again
    await box.press("Tab");
    assert.equal(await box.inputValue(), "hey @vic ");
    assert.equal(await page.evaluate(() => document.activeElement.id), "composer-text", "focus stays");
    await box.pressSequentially("the plan is ready", { delay: 5 });
    await box.press("Enter");
    await h.waitForMessage(page, "hey @vic the plan is ready");

    // Vic, in another room: Atrium turns bold with an “@1” (and no count: it notifies
    // him of mentions only).
    const atrium = vic.page.getByRole("navigation").getByRole("link", { name: /^Atrium/ });
    await vic.page.waitForFunction(() => {
      const a = [...document.querySelectorAll("#room-list a")].find((l) => l.textContent.startsWith("Atrium"));
      const b = a && a.querySelector(".badge-at");
      return b && !b.hidden && b.textContent === "@1";
    }, null, { timeout: 5000 });
    assert.equal(await atrium.locator(".badge").isHidden(), true, "no count at “mentions”");
    assert.equal(await atrium.locator(".room-name").evaluate((e) => getComputedStyle(e).fontWeight), "700");
    // Opening it shows the message highlighted for him alone.
    await atrium.click();
    await vic.page.waitForURL("**/rooms/Atrium");
    await h.waitForMessage(vic.page, "hey @vic the plan is ready");
    const mine = vic.page.locator("#messages .msg").last();
    const vicBg = await mine.evaluate((e) => getComputedStyle(e).backgroundColor);
    await h.waitForMessage(page, "hey @vic the plan is ready");
    const umaBg = await page.locator("#messages .msg").last().evaluate((e) => getComputedStyle(e).backgroundColor);
    assert.notEqual(vicBg, umaBg, "highlighted for the one mentioned");
    await vic.page.waitForFunction(() => {
      const a = [...document.querySelectorAll("#room-list a")].find((l) => l.textContent.startsWith("Atrium"));
      return a && a.querySelector(".badge").hidden && a.querySelector(".badge-at").hidden;
    }, null, { timeout: 5000 });
  });

  it("at “all”, Vic's sidebar shows the count and an “@N” beside it, live, each with words", async () => {
    const { page } = vic;
    await h.notify(vic, "Atrium", "all");
    await page.goto("/rooms/Cellar");
    const atrium = page.getByRole("navigation").getByRole("link", { name: /^Atrium/ });
    await atrium.waitFor();
    await h.post(uma.request, "Atrium", "chatter for everyone");
    await h.post(uma.request, "Atrium", "more chatter");
    await h.post(uma.request, "Atrium", "@vic over to you");
    await page.waitForFunction(() => {
      const a = [...document.querySelectorAll("#room-list a")].find((l) => l.textContent.startsWith("Atrium"));
      const count = a && a.querySelector(".badge");
      const at = a && a.querySelector(".badge-at");
      return count && !count.hidden && count.textContent === "3" && !at.hidden && at.textContent === "@1";
    }, null, { timeout: 5000 });
    // Both are seen; a screen reader hears the numbers with their words, not “at”.
    assert.ok(await atrium.locator(".badge").isVisible());
    assert.ok(await atrium.locator(".badge-at").isVisible());
    await page.getByRole("link", { name: /^Atrium\s*3\s*unread\s*1\s*mentioning you$/ }).waitFor();
    await h.assertAxeClean(page, "a count and an @ badge");
    await h.screenshot(page, "desktop-badges");
    // Another message: the count grows, the “@1” stays.
    await h.post(uma.request, "Atrium", "and one more");
    await page.waitForFunction(() => {
      const a = [...document.querySelectorAll("#room-list a")].find((l) => l.textContent.startsWith("Atrium"));
      return a.querySelector(".badge").textContent === "4" && a.querySelector(".badge-at").textContent === "@1";
    }, null, { timeout: 5000 });
    await h.notify(vic, "Atrium", "mentions");
    await page.goto("/rooms/Atrium");
    await h.waitForMessage(page, "and one more");
  });

  it("the @ list is a combobox: it filters, says it is open, ↓/↑ move, Enter picks, Esc closes; axe is clean open, in both languages", async () => {
    // More members whose names start alike, so that typing filters the list.
    for (const name of ["vanya", "vera"]) {
      const extra = await h.person(browser, server);
      await h.signUp(extra, name);
      await h.joinRoom(extra, "Atrium");
      await extra.context.close();
    }
    const cases = [
      { who: uma, locale: "en-GB", message: "Message", members: "Members to mention" },
      { who: await h.person(browser, server, { locale: "zh-CN" }), locale: "zh-CN", message: "消息", members: "可提及的成员" },
    ];
    await h.signUp(cases[1].who, "wang");
    await h.joinRoom(cases[1].who, "Atrium");
    for (const { who, locale, message, members } of cases) {
      const { page } = who;
      await page.goto("/rooms/Atrium");
      const box = page.getByRole("textbox", { name: message, exact: true });
      const combo = page.getByRole("combobox", { name: message, exact: true });
      const list = page.getByRole("listbox", { name: members });
      assert.equal(await combo.getAttribute("aria-expanded"), "false", `${locale}: closed at first`);
      assert.equal(await combo.locator("#composer-text").count(), 1, `${locale}: around the message box`);
      assert.equal(await combo.getAttribute("aria-controls"), "mention-list");
      assert.equal(await box.getAttribute("aria-controls"), "mention-list");
      assert.equal(await box.getAttribute("aria-autocomplete"), "list");
      await box.focus();
      await box.pressSequentially("ask @", { delay: 30 });
      await list.waitFor();
      assert.ok((await list.getByRole("option").count()) >= 3, `${locale}: everyone but the writer`);
      await box.pressSequentially("v", { delay: 30 });
      await page.waitForFunction(() => [...document.querySelectorAll("#mention-list [role=option]")]
        .every((o) => o.dataset.name.startsWith("v")));
      await box.pressSequentially("e", { delay: 30 });
      await page.waitForFunction(() => document.querySelectorAll("#mention-list [role=option]").length === 1);
      assert.deepEqual(await list.getByRole("option").allInnerTexts(), ["@vera"], `${locale}: filtered as typed`);
      await box.press("Backspace");
      await page.waitForFunction(() => document.querySelectorAll("#mention-list [role=option]").length === 3);
      const names = await list.getByRole("option").evaluateAll((os) => os.map((o) => o.dataset.name));
      assert.deepEqual([...names].sort(), ["vanya", "vera", "vic"], `${locale}: ${names}`);
      assert.equal(await combo.getAttribute("aria-expanded"), "true", `${locale}: open`);
      const options = list.getByRole("option");
      const active = () => box.getAttribute("aria-activedescendant");
      const selected = () => list.locator("[aria-selected=true]").evaluateAll((os) => os.map((o) => o.id));
      assert.equal(await active(), await options.nth(0).getAttribute("id"), `${locale}: the first is active`);
      await h.assertAxeClean(page, `the @ list open (${locale})`);
      await box.press("ArrowDown");
      assert.equal(await active(), await options.nth(1).getAttribute("id"), `${locale}: ↓ moves`);
      assert.deepEqual(await selected(), [await options.nth(1).getAttribute("id")], "one option is selected");
      await box.press("ArrowDown");
      assert.equal(await active(), await options.nth(2).getAttribute("id"));
      await box.press("ArrowUp");
      assert.equal(await active(), await options.nth(1).getAttribute("id"), `${locale}: ↑ moves back`);
      await box.press("ArrowUp");
      await box.press("ArrowUp");
      assert.equal(await active(), await options.nth(2).getAttribute("id"), `${locale}: ↑ wraps to the last`);
      await box.press("Escape");
      await list.waitFor({ state: "hidden" });
      assert.equal(await combo.getAttribute("aria-expanded"), "false", `${locale}: Esc closes`);
      assert.equal(await box.getAttribute("aria-activedescendant"), null);
      assert.equal(await box.inputValue(), "ask @v", "Esc only closes the list");
      // Typing again opens it; ↓ and Enter pick the second into the text.
      await box.pressSequentially("a", { delay: 30 });
      await page.waitForFunction(() => document.querySelectorAll("#mention-list [role=option]").length === 1);
      await box.press("Backspace");
      await page.waitForFunction(() => document.querySelectorAll("#mention-list [role=option]").length === 3);
      assert.equal(await combo.getAttribute("aria-expanded"), "true");
      await box.press("ArrowDown");
      const second = await options.nth(1).getAttribute("data-name");
      await box.press("Enter");
      assert.equal(await box.inputValue(), `ask @${second} `, `${locale}: Enter picks, and sends nothing`);
      assert.equal(await combo.getAttribute("aria-expanded"), "false", `${locale}: and closes`);
      assert.equal(await box.getAttribute("aria-activedescendant"), null);
      assert.ok(await list.isHidden());
      assert.equal(await page.evaluate(() => document.activeElement.id), "composer-text", "focus stays");
      assert.equal(await h.countMessages(page, `ask @${second}`), 0, "nothing sent");
      await h.assertAxeClean(page, `the @ list closed (${locale})`);
      await box.fill("");
    }
    h.assertClean(cases[1].who);
    await cases[1].who.context.close();
  });

  it("a code block and a list render as such, and raw HTML stays text", async () => {
    await h.post(uma.request, "Atrium", "steps:\n\n- one\n- **two**\n\n```\nlet x = 1 < 2;\n```\n<b>not bold</b>");
    const text = vic.page.locator("#messages .msg").last().locator(".text");
    await text.locator("pre code").waitFor();
    assert.equal((await text.locator("pre code").innerText()).trim(), "let x = 1 < 2;");
    assert.deepEqual(await text.locator("ul li").allInnerTexts(), ["one", "two"]);
    assert.equal(await text.locator("li strong").innerText(), "two");
    assert.equal(await text.locator("b").count(), 0);
    assert.match(await text.innerText(), /<b>not bold<\/b>/);
  });

  it("“uma is typing…” shows for Vic while she types, and is gone when her message arrives", async () => {
    const typing = vic.page.locator("#typing");
    // A sent message is no draft: after a reload the composer is empty.
    await uma.page.reload();
    assert.equal(await h.composer(uma.page).inputValue(), "");
    await h.composer(uma.page).pressSequentially("one moment", { delay: 20 });
    await vic.page.waitForFunction(() => document.querySelector("#typing").textContent === "uma is typing…");
    assert.equal(await typing.getAttribute("aria-hidden"), "true", "screen readers do not hear it");
    assert.equal(await vic.page.locator("[role=log] #typing").count(), 0, "outside the log");
    await h.composer(uma.page).press("Enter");
    await h.waitForMessage(vic.page, "one moment", 5000);
    await vic.page.waitForFunction(() => document.querySelector("#typing").textContent === "");
    // Typing with nothing sent after: it goes by itself.
    await h.composer(uma.page).pressSequentially("hmm", { delay: 20 });
    await vic.page.waitForFunction(() => document.querySelector("#typing").textContent !== "");
    await vic.page.waitForFunction(() => document.querySelector("#typing").textContent === "", null, { timeout: 9000 });
    await h.composer(uma.page).fill("");
  });

  it("the notification select and Leave room work by keyboard; leaving takes the room off every tab", async () => {
    const { page } = vic;
    const other = await vic.context.newPage();
    await other.goto("/rooms/Cellar");
    await page.goto("/rooms/Atrium");
    const select = page.getByRole("combobox", { name: "Notifications" });
    assert.equal(await select.inputValue(), "mentions", "group rooms default to mentions");
    await select.focus();
    const saved = page.waitForResponse((r) => r.url().endsWith("/rooms/Atrium/notify"));
    await select.selectOption("all");
    assert.equal((await saved).status(), 204);
    await page.reload();
    assert.equal(await page.getByRole("combobox", { name: "Notifications" }).inputValue(), "all");

    await page.locator(".room-menu summary").focus();
    await page.keyboard.press("Enter");
    const leave = page.getByRole("button", { name: "Leave room" });
    await leave.focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Leave Atrium?" });
    await dialog.waitFor();
    await focused(page, "[data-close-dialog]");
    await h.assertAxeClean(page, "the Leave dialog");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.waitForURL("**/rooms");
    assert.equal(await page.getByRole("navigation").getByRole("link", { name: /^Atrium/ }).count(), 0);
    await other.getByRole("navigation").getByRole("link", { name: /^Atrium/ }).waitFor({ state: "detached" });
    await h.closePage(other);
    const res = await vic.request.get("/api/v1/rooms/Atrium/messages");
    assert.equal(res.status(), 403);
  });

  it("the new controls are clean under axe in both languages", async () => {
    for (const locale of ["en-GB", "zh-CN"]) {
      const who = await h.person(browser, server, { locale });
      await h.signUp(who, `wen_${locale.slice(0, 2)}`);
      await h.joinRoom(who, "Atrium");
      await h.post(uma.request, "@uma,vic", "hello");
      const res = await who.request.post("/api/v1/direct", { data: { users: ["uma"] } });
      assert.equal(res.status(), 201);
      const { page } = who;
      // Atrium at “all” with a mention: the count and the “@1”, each with its words.
      await h.notify(who, "Atrium", "all");
      await h.post(uma.request, "Atrium", `@wen_${locale.slice(0, 2)} welcome`);
      await page.goto("/rooms");
      const words = locale === "zh-CN" ? /^Atrium\s*\d+\s*条未读\s*1\s*条提及你$/ : /^Atrium\s*\d+\s*unread\s*1\s*mentioning you$/;
      await page.getByRole("navigation").getByRole("link", { name: words }).waitFor();
      await h.assertAxeClean(page, `a count and an @ badge (${locale})`);
      await page.goto("/rooms/Atrium");
      await page.locator(".room-menu summary").click();
      await h.assertAxeClean(page, `a room with its menu open (${locale})`);
      await page.goto(`/rooms/${encodeURIComponent((await res.json()).name)}`);
      await h.assertAxeClean(page, `a direct room (${locale})`);
      await page.getByRole("button", { name: locale === "zh-CN" ? "新私信" : "New message" }).click();
      await page.locator("dialog[open]").waitFor();
      await h.assertAxeClean(page, `the New message dialog (${locale})`);
      await page.goto("/settings");
      await h.assertAxeClean(page, `settings (${locale})`);
      await who.context.close();
      h.assertClean(who);
    }
    h.assertClean(uma, vic);
  });
});

/** Waits until the focused element matches `selector`. */
async function focused(page, selector) {
  await page.waitForFunction((sel) => document.activeElement && document.activeElement.matches(sel), selector);
}
