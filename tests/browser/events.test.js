// Edit, delete and react in real browsers: Eve changes her messages and reacts in one
// browser session, Finn sees every change live in another, and the actions menu works
// with the keyboard alone and is clean under axe while open.
"use strict";

const assert = require("node:assert/strict");
const { after, before, describe } = require("node:test");
const { Hearth } = require("./server");
const h = require("./helpers");
const { it } = h;

/** Waits until the focused element matches `selector` (htmx settles swaps a moment after inserting them). */
async function focusOn(page, selector) {
  await page.waitForFunction((sel) => document.activeElement && document.activeElement.matches(sel), selector);
}

/** The article of the message with this text. */
function messageWith(page, text) {
  return page.locator("#messages .msg", { has: page.locator(".text", { hasText: text }) });
}

describe("edit, delete and react, live", () => {
  let server, browser, eve, finn;

  before(async () => {
    server = await Hearth.create();
    browser = await h.launch();
    // The first account is an admin (who may delete anyone's message): someone else
    // takes it, so Eve and Finn are members, as these tests expect.
    const root = await h.person(browser, server);
    await h.signUp(root, "root");
    await root.context.close();
    eve = await h.person(browser, server);
    finn = await h.person(browser, server);
    await h.signUp(eve, "eve");
    await h.signUp(finn, "finn");
    assert.equal((await eve.request.post("/api/v1/rooms", { data: { name: "Deck" } })).status(), 201);
    assert.equal((await finn.request.post("/api/v1/rooms/Deck/members")).status(), 201);
    await h.post(eve.request, "Deck", "Meeting at 10");
    await h.post(finn.request, "Deck", "See you there");
    await h.post(eve.request, "Deck", "Bring the slides");
    for (const who of [eve, finn]) {
      await who.page.goto("/rooms/Deck");
      await h.waitForMessage(who.page, "Bring the slides");
    }
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it("Eve edits a message in place with Enter; Finn sees the new text and “(edited)” live", async () => {
    const msg = messageWith(eve.page, "Meeting at 10");
    await msg.hover();
    await msg.getByRole("link", { name: /Actions for the message from eve/ }).click();
    const menu = eve.page.getByRole("menu", { name: "Message actions" });
    await menu.waitFor();
    await menu.getByRole("menuitem", { name: "Edit" }).click();
    const box = eve.page.getByRole("textbox", { name: "Edit message" });
    await box.waitFor();
    assert.equal(await box.inputValue(), "Meeting at 10");
    await box.fill("Meeting at 11");
    await box.press("Enter");
    await h.waitForMessage(finn.page, "Meeting at 11", 5000);
    const edited = messageWith(finn.page, "Meeting at 11").locator(".edited");
    assert.match(await edited.innerText(), /\(edited\)/);
    assert.match(await edited.getAttribute("title"), /^Edited /);
    await h.waitForMessage(eve.page, "Meeting at 11");
    assert.equal(await h.countMessages(finn.page, "Meeting at 10"), 0);
  });

  it("Esc cancels an edit, and Up in an empty composer edits your last message", async () => {
    const composer = h.composer(eve.page);
    await composer.focus();
    await composer.press("ArrowUp");
    const box = eve.page.getByRole("textbox", { name: "Edit message" });
    await box.waitFor();
    assert.equal(await box.inputValue(), "Bring the slides", "the last of Eve's own messages");
    await box.fill("never saved");
    await box.press("Escape");
    await box.waitFor({ state: "detached" });
    assert.equal(await h.countMessages(eve.page, "Bring the slides"), 1);
    // Focus goes back to the message's actions, not to the top of the page.
    await focusOn(eve.page, ".msg-actions");
  });

  it("Finn reacts from the menu; both see the button with its count and who, pressed only for Finn", async () => {
    const msg = messageWith(finn.page, "Meeting at 11");
    await msg.hover();
    await msg.getByRole("link", { name: /Actions for the message from eve/ }).click();
    const menu = finn.page.getByRole("menu", { name: "Message actions" });
    assert.equal(await menu.getByRole("menuitem", { name: "Edit" }).count(), 0, "not Finn's message");
    await menu.getByRole("menuitem", { name: "React with 🎉" }).click();
    const onFinn = finn.page.getByRole("button", { name: "🎉 1: finn" });
    const onEve = eve.page.getByRole("button", { name: "🎉 1: finn" });
    await onFinn.waitFor({ timeout: 5000 });
    await onEve.waitFor({ timeout: 5000 });
    assert.equal(await onFinn.getAttribute("aria-pressed"), "true");
    assert.equal(await onEve.getAttribute("aria-pressed"), "false");
    // Eve presses the same button: two now, and pressed for her.
    await onEve.click();
    const two = eve.page.getByRole("button", { name: "🎉 2: finn, eve" });
    await two.waitFor({ timeout: 5000 });
    assert.equal(await two.getAttribute("aria-pressed"), "true");
    await finn.page.getByRole("button", { name: "🎉 2: finn, eve" }).waitFor({ timeout: 5000 });
    // Finn takes his back.
    await finn.page.getByRole("button", { name: "🎉 2: finn, eve" }).click();
    await eve.page.getByRole("button", { name: "🎉 1: eve" }).waitFor({ timeout: 5000 });
  });

  it("Eve deletes a message after confirming in a dialog; it goes from Finn's page", async () => {
    const msg = messageWith(eve.page, "Bring the slides");
    await msg.hover();
    await msg.getByRole("link", { name: /Actions for the message from eve/ }).click();
    await eve.page.getByRole("menu", { name: "Message actions" }).getByRole("menuitem", { name: "Delete" }).click();
    const dialog = eve.page.getByRole("dialog", { name: "Delete this message?" });
    await dialog.waitFor();
    assert.ok(await dialog.evaluate((d) => d.matches(":modal")), "a modal <dialog>");
    await dialog.getByRole("button", { name: "Delete" }).click();
    await dialog.waitFor({ state: "detached" });
    await finn.page.waitForFunction(
      () => ![...document.querySelectorAll("#messages .msg .text")].some((e) => e.textContent === "Bring the slides"),
      null, { timeout: 5000 },
    );
    assert.equal(await h.countMessages(eve.page, "Bring the slides"), 0);
    // After a reload it stays gone.
    await finn.page.reload();
    await h.waitForMessage(finn.page, "See you there");
    assert.equal(await h.countMessages(finn.page, "Bring the slides"), 0);
  });

  it("the actions menu works by keyboard alone and axe finds nothing with it open", async () => {
    const page = eve.page;
    await page.goto("/rooms/Deck");
    await h.waitForMessage(page, "See you there");
    const link = messageWith(page, "See you there").locator(".msg-actions");
    await link.focus();
    await page.keyboard.press("Enter");
    const menu = page.getByRole("menu", { name: "Message actions" });
    await menu.waitFor();
    // Focus starts on the first item.
    await focusOn(page, '[role=menuitem][aria-label="React with 👍"]');
    assert.equal(await link.getAttribute("aria-expanded"), "true");
    await page.keyboard.press("ArrowRight");
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute("aria-label")), "React with ❤️");
    await page.keyboard.press("End");
    assert.equal(await page.evaluate(() => document.activeElement.textContent), "Copy link");
    await page.keyboard.press("ArrowUp");
    assert.equal(await page.evaluate(() => document.activeElement.textContent), "Other reaction…");
    const result = await h.axe(page);
    assert.deepEqual(result.details, [], "no axe violations with the menu open");
    await page.keyboard.press("Escape");
    await menu.waitFor({ state: "detached" });
    assert.equal(await link.getAttribute("aria-expanded"), "false");
    assert.ok(await link.evaluate((e) => e === document.activeElement), "focus returns to ⋯");
    // Enter again, End, Enter: the "Other reaction" dialog takes any emoji by keyboard.
    await page.keyboard.press("Enter");
    await menu.waitFor();
    await focusOn(page, ".msg-menu [role=menuitem]");
    await page.keyboard.press("End");
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Other reaction…" });
    await dialog.waitFor();
    await focusOn(page, "#react-emoji");
    await page.keyboard.type("🦊");
    await page.keyboard.press("Enter");
    await dialog.waitFor({ state: "detached" });
    await page.getByRole("button", { name: "🦊 1: eve" }).waitFor({ timeout: 5000 });
    await finn.page.getByRole("button", { name: "🦊 1: eve" }).waitFor({ timeout: 5000 });
    await h.screenshot(page, "desktop-reactions");
  });

  it("a refused reaction says why in the dialog, in the reader's language", async () => {
    const page = eve.page;
    const link = messageWith(page, "See you there").locator(".msg-actions");
    await link.focus();
    await page.keyboard.press("Enter");
    await page.getByRole("menu", { name: "Message actions" }).waitFor();
    await focusOn(page, ".msg-menu [role=menuitem]");
    await page.keyboard.press("End");
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Other reaction…" });
    await dialog.waitFor();
    await focusOn(page, "#react-emoji");
    await page.keyboard.type("ok");
    await page.keyboard.press("Enter");
    await dialog.getByRole("alert").waitFor();
    assert.match(await dialog.getByRole("alert").innerText(), /exactly one emoji/);
    assert.equal(await dialog.getByLabel("Emoji").getAttribute("aria-invalid"), "true");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
  });

  it("saw no CSP violation and no script error on any page", () => {
    h.assertClean(eve, finn);
  });
});
