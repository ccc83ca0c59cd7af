// Running a community in real browsers, by keyboard: the admin switches registration
// to invitations and makes a link another person registers with (once); deactivates
// someone, whose open page says they were signed out; makes a reset link that works
// once; and a person changes their password (their other browser is signed out) and
// ends a session from the account page. Every page is clean under axe in both
// languages.
"use strict";

const assert = require("node:assert/strict");
const { after, before, describe } = require("node:test");
const { Hearth } = require("./server");
const h = require("./helpers");
const { it } = h;

/** Presses a button (or link) by keyboard: focused, then Enter. */
async function press(page, locator) {
  await locator.focus();
  await page.keyboard.press("Enter");
}

/** Types into a field by keyboard. */
async function type(locator, text) {
  await locator.focus();
  await locator.pressSequentially(text);
}

/** The one-time link or token the admin page shows, which has the focus. */
async function shownSecret(page) {
  const secret = page.locator("#secret-value");
  await secret.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), "secret-value", "the secret has the focus");
  return secret.inputValue();
}

describe("running a community: admin, invitations, accounts, resets", () => {
  let server, browser, ada, bea;

  before(async () => {
    server = await Hearth.create();
    browser = await h.launch();
    ada = await h.person(browser, server);
    bea = await h.person(browser, server);
    await h.signUp(ada, "ada"); // the first account: an admin
    await h.signUp(bea, "bea");
    await h.createRoom(ada, "Porch");
    await h.joinRoom(bea, "Porch");
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it("settings leads an admin (only) to the admin page; registration by invitation, by keyboard", async () => {
    await bea.page.goto("/settings");
    assert.equal(await bea.page.getByRole("link", { name: "Administration" }).count(), 0);
    const { page } = ada;
    await page.goto("/settings");
    await press(page, page.getByRole("link", { name: "Administration" }));
    await page.waitForURL("**/admin");

    const invite = page.getByRole("radio", { name: "Only people with an invitation link" });
    await invite.focus();
    await page.keyboard.press("Space");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Enter");
    await page.getByRole("status").filter({ hasText: "Saved." }).waitFor();
    assert.equal(await page.getByRole("radio", { name: "Only people with an invitation link" }).isChecked(), true);

    const uses = page.getByLabel("People it may bring (up to 1000)");
    await uses.fill("");
    await type(uses, "1");
    await page.keyboard.press("Enter");
    const link = await shownSecret(page);
    assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/join\/[A-Za-z0-9_-]{43}$/);
    await h.assertAxeClean(page, "the admin page with a new link");

    const guest = await h.person(browser, server);
    await guest.page.goto("/register");
    await guest.page.getByLabel("Username").fill("walkin");
    await guest.page.getByLabel("Password").fill(h.PASSWORD);
    await guest.page.keyboard.press("Enter");
    await guest.page.getByText("This Hearth is not taking new accounts").waitFor();

    await guest.page.goto(link);
    await type(guest.page.getByLabel("Username"), "guest");
    await type(guest.page.getByLabel("Password"), h.PASSWORD);
    await guest.page.keyboard.press("Enter");
    await guest.page.waitForURL("**/rooms");
    await h.assertAxeClean(guest.page, "rooms, after joining by invitation");

    const late = await h.person(browser, server);
    const used = await late.page.goto(link);
    assert.equal(used.status(), 403);
    await late.page.getByText("This invitation has been used as many times as it may be.").waitFor();
    await h.assertAxeClean(late.page, "a used invitation");
    h.assertClean(ada, guest, late);
    await guest.context.close();
    await late.context.close();
  });

  it("deactivating someone signs their open page out; a reset link works once", async () => {
    await bea.page.goto("/rooms/Porch");
    await h.composer(bea.page).waitFor();
    const { page } = ada;
    await page.goto("/admin");
    await press(page, page.getByRole("button", { name: "Deactivate: bea" }));
    await page.waitForURL("**/admin?done=saved");
    await bea.page.getByRole("alert").filter({ hasText: "You have been signed out" }).waitFor();
    assert.match(await page.getByRole("row", { name: /bea/ }).innerText(), /Deactivated/);

    const again = await h.person(browser, server);
    await again.page.goto("/login");
    await h.logIn(again.page, "bea", { username: "Username", password: "Password", logIn: "Log in" });
    await again.page.getByText("This account has been deactivated").waitFor();

    await press(page, page.getByRole("button", { name: "Reactivate: bea" }));
    await page.waitForURL("**/admin?done=saved");
    await press(page, page.getByRole("button", { name: "Password reset link: bea" }));
    const link = await shownSecret(page);
    assert.match(link, /\/reset\/[A-Za-z0-9_-]{43}$/);

    await again.page.goto(link);
    await again.page.getByText("For bea.").waitFor();
    await h.assertAxeClean(again.page, "the reset page");
    await type(again.page.getByLabel("New password"), "a much better passphrase");
    await again.page.keyboard.press("Enter");
    await again.page.waitForURL("**/rooms");
    const reused = await again.page.goto(link);
    assert.equal(reused.status(), 403);
    await again.page.getByText("This reset link has been used already.").waitFor();
    h.assertClean(ada, again);
    await again.context.close();
  });

  it("the account page: a new password signs other browsers out; a session ends by keyboard", async () => {
    const phone = await h.person(browser, server);
    await h.logInByApi(phone, "ada");
    await phone.page.goto("/rooms/Porch");
    await h.composer(phone.page).waitFor();
    const laptop = await h.person(browser, server);
    await h.logInByApi(laptop, "ada");

    const { page } = ada;
    await page.goto("/account");
    assert.equal(await page.getByRole("row").filter({ hasText: "This session" }).count(), 1);
    assert.ok((await page.getByRole("row").count()) >= 4, "a header and three sessions");
    await h.assertAxeClean(page, "the account page");

    await type(page.getByLabel("Current password"), "not it at all");
    await type(page.getByLabel("New password"), "the next passphrase");
    await page.keyboard.press("Enter");
    await page.getByRole("alert").filter({ hasText: "Your current password is not right." }).waitFor();
    assert.equal(await page.getByLabel("Current password").getAttribute("aria-invalid"), "true");
    await h.assertAxeClean(page, "the account page with an error");

    await type(page.getByLabel("Current password"), h.PASSWORD);
    await type(page.getByLabel("New password"), "the next passphrase");
    await page.keyboard.press("Enter");
    await page.waitForURL("**/account?done=password");
    await page.getByRole("status").filter({ hasText: "Password changed." }).waitFor();
    await phone.page.getByRole("alert").filter({ hasText: "You have been signed out" }).waitFor();
    assert.equal((await laptop.request.get("/api/v1/session")).status(), 401);

    // A fresh login elsewhere, ended from here by keyboard.
    const tablet = await h.person(browser, server, { userAgent: "Tablet <b>browser</b>" });
    const res = await tablet.request.post("/api/v1/session", { data: { username: "ada", password: "the next passphrase" } });
    assert.equal(res.status(), 200);
    await page.reload();
    const row = page.getByRole("row").filter({ hasText: "Tablet <b>browser</b>" });
    await press(page, row.getByRole("button", { name: "Log out" }));
    await page.waitForURL("**/account?done=session");
    assert.equal((await tablet.request.get("/api/v1/session")).status(), 401);
    assert.equal(await page.getByRole("row").filter({ hasText: "Tablet" }).count(), 0);
    h.assertClean(ada, phone);
    for (const who of [phone, laptop, tablet]) await who.context.close();
  });

  it("the admin, account, reset and join pages are clean under axe in Chinese", async () => {
    const zh = await h.person(browser, server, { locale: "zh-CN" });
    const res = await zh.request.post("/api/v1/session", { data: { username: "ada", password: "the next passphrase" } });
    assert.equal(res.status(), 200);
    const { page } = zh;
    await page.goto("/admin");
    await page.getByRole("heading", { name: "管理", level: 1 }).waitFor();
    await h.assertAxeClean(page, "the admin page (zh)");
    await page.goto("/account");
    await page.getByRole("heading", { name: "账号", level: 1 }).waitFor();
    await h.assertAxeClean(page, "the account page (zh)");
    await page.goto("/admin");
    await press(page, page.getByRole("button", { name: "密码重置链接: bea" }));
    const link = await shownSecret(page);
    const stranger = await h.person(browser, server, { locale: "zh-CN" });
    await stranger.page.goto(link);
    await stranger.page.getByRole("heading", { name: "设置新密码" }).waitFor();
    await h.assertAxeClean(stranger.page, "the reset page (zh)");
    const missing = await stranger.page.goto("/join/no-such-code");
    assert.equal(missing.status(), 404);
    await stranger.page.getByText("这个邀请不存在").waitFor();
    await h.assertAxeClean(stranger.page, "an unknown invitation (zh)");
    h.assertClean(zh, stranger);
    await zh.context.close();
    await stranger.context.close();
  });
});
