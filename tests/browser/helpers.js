// What the browser tests share: Debian's Chromium through playwright-core (never a
// downloaded browser), a watch on every page for CSP violations and script errors,
// axe-core, screenshots, and the few steps every test takes (register, post).
"use strict";

const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const nodeTest = require("node:test");
const { chromium } = require("playwright-core");
const { sleep } = require("./server");

const ROOT = path.resolve(__dirname, "../..");
const SCREENSHOTS = path.join(ROOT, "target/screenshots");
const PASSWORD = "correct horse battery";

const CHROMIUM_FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/**
 * How long one test may take: the slowest takes 20 s on a machine kept busy by
 * another program. A step that never returns (a Playwright call with no timeout of its
 * own, such as `page.close()` or `evaluate`) then fails its test, and the next test
 * runs, instead of holding the whole run. (Node's `--test-timeout` would not do: it
 * times each file as a whole as well.)
 */
const TEST_TIMEOUT_MS = 120000;

/** `it` from node:test, with at most `TEST_TIMEOUT_MS` per test. */
function it(name, fn) {
  return nodeTest.it(name, { timeout: TEST_TIMEOUT_MS }, fn);
}

/** Chromium with a fresh temporary profile (playwright makes and removes it). */
function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN || "/usr/bin/chromium",
    args: CHROMIUM_FLAGS,
  });
}

/**
 * A separate browser session (own cookies, own storage) for one person, whose
 * pages are all watched: any console message about the Content Security Policy,
 * and any uncaught script error, is recorded and fails `assertClean`.
 */
async function person(browser, server, options = {}) {
  const context = await browser.newContext({
    baseURL: server.url,
    viewport: { width: 1280, height: 800 },
    locale: "en-GB",
    timezoneId: "Asia/Shanghai",
    ...options,
  });
  context.setDefaultTimeout(10000); // fail in seconds, not half a minute
  const problems = [];
  // Say where a violation came from, so a failure names the culprit.
  await context.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.warn(`Content Security Policy violation at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber} ` +
        `(${e.violatedDirective}) on ${location.pathname}: ${e.sample}`);
    });
  });
  context.on("page", (page) => watch(page, problems));
  const page = await context.newPage();
  return { context, page, problems, request: context.request };
}

function watch(page, problems) {
  page.on("console", (msg) => {
    if (/content.security.policy/i.test(msg.text())) problems.push(`CSP: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`script error: ${err.message}`));
}

function assertClean(...people) {
  for (const { problems } of people) assert.deepEqual(problems, [], "no CSP violation, no script error");
}

/** Registers through the form, as a person would, and lands on /rooms. */
async function register(page, username) {
  await page.goto("/register");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Register" }).click();
  await page.waitForURL("**/rooms");
}

/** Registers (and so logs in) through the API, in this person's own session. */
async function signUp(who, username) {
  const res = await who.request.post("/api/v1/users", { data: { username, password: PASSWORD } });
  assert.equal(res.status(), 201, `registering ${username}: ${await res.text()}`);
}

/** Logs an existing person in through the API, in this session (another device, say). */
async function logInByApi(who, username) {
  const res = await who.request.post("/api/v1/session", { data: { username, password: PASSWORD } });
  assert.equal(res.status(), 200, `logging in ${username}: ${await res.text()}`);
}

/** Creates a room through the API, as this person (who is then its first member). */
async function createRoom(who, name) {
  const res = await who.request.post("/api/v1/rooms", { data: { name } });
  assert.equal(res.status(), 201, `creating ${name}: ${await res.text()}`);
}

/** Joins a room through the API. */
async function joinRoom(who, name) {
  const res = await who.request.post(`/api/v1/rooms/${encodeURIComponent(name)}/members`);
  assert.equal(res.status(), 201, `joining ${name}: ${await res.text()}`);
}

/** Sets how a room notifies this person (`all`, `mentions` or `none`) through the API. */
async function notify(who, room, level) {
  const res = await who.request.put(`/api/v1/rooms/${encodeURIComponent(room)}/membership`, { data: { notify: level } });
  assert.equal(res.status(), 200, `notify ${level} in ${room}: ${await res.text()}`);
}

/** Logs in through the form on the page it is on, with the words of language `w`. */
async function logIn(page, username, w) {
  await page.getByLabel(w.username).fill(username);
  await page.getByLabel(w.password).fill(PASSWORD);
  await page.getByRole("button", { name: w.logIn, exact: true }).click();
}

/** Posts a message through the JSON API with the person's own session cookie. */
async function post(request, room, text, base) {
  const url = `${base || ""}/api/v1/rooms/${encodeURIComponent(room)}/messages`;
  const res = await request.post(url, { data: { text } });
  assert.equal(res.status(), 201, `posting ${text}: ${await res.text()}`);
  return res.json();
}

/** The texts of the messages the page shows, in order. */
function shownTexts(page) {
  return page.locator("#messages .msg .text").allTextContents();
}

/** The message box (the log's name, "Messages in …", also contains "Message"). */
function composer(page) {
  return page.getByRole("textbox", { name: "Message", exact: true });
}

/** Waits (at most `timeout` ms) until the page shows a message with this text. */
async function waitForMessage(page, text, timeout = 2000) {
  await page.waitForFunction(
    (t) => [...document.querySelectorAll("#messages .msg .text")].some((e) => e.textContent === t),
    text,
    { timeout },
  );
}

async function countMessages(page, text) {
  return (await shownTexts(page)).filter((t) => t === text).length;
}

const AXE_SOURCE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

/**
 * Runs axe-core on the page as it is now. The strict CSP refuses an inline <script>
 * (so `addScriptTag({content})` fails); `evaluate` runs through the DevTools
 * protocol, which the page's CSP does not govern.
 */
async function axe(page) {
  if (!(await page.evaluate(() => typeof window.axe === "object"))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(() =>
    window.axe.run(document, {
      runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"] },
    }),
  );
  const byImpact = { critical: 0, serious: 0, moderate: 0, minor: 0 };
  for (const v of result.violations) byImpact[v.impact] = (byImpact[v.impact] || 0) + v.nodes.length;
  const details = result.violations.map(
    (v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`,
  );
  return { byImpact, details, passes: result.passes.length };
}

/**
 * `caret: "initial"`: hiding the caret makes Playwright leave `style=""` on inputs,
 * which htmx later copies when it settles a swap: a (test-made) CSP violation.
 */
async function screenshot(page, name) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), caret: "initial" });
}

/** Fails, naming each violation, unless axe finds nothing on the page as it is now. */
async function assertAxeClean(page, state) {
  const { details } = await axe(page);
  assert.deepEqual(details, [], `${state}: no axe violations`);
}

/** Whether anything on the page sticks out sideways (a horizontal scrollbar). */
function overflowsSideways(page) {
  return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
}

/** A room's page path. */
const roomPath = (name) => `/rooms/${encodeURIComponent(name)}`;

/** Waits until the room page's socket is open: the server counts `n` people online. */
async function online(page, n) {
  await page.waitForFunction((want) => document.getElementById("online-count")?.textContent.trim() === want, String(n));
}

/** How many messages with this text the room holds, as the JSON API's history lists them. */
async function storedTimes(who, room, text) {
  const res = await who.request.get(`/api/v1${roomPath(room)}/messages?limit=200`);
  assert.equal(res.status(), 200);
  return (await res.json()).filter((m) => m.text === text).length;
}

/**
 * Closes a page. Chromium can acknowledge a close that races a navigation's commit
 * without closing the page, and `page.close()` then waits for ever
 * (microsoft/playwright#41900, #42366; seen here in 3 of 40 closes made just after a
 * logout click). So a test waits for a page's navigation to end before closing it,
 * and this bounds each try and makes it again, as Playwright's proposed fix does. A
 * page still open after that is wedged for good; closing its context removes it.
 */
async function closePage(page) {
  await page.waitForLoadState().catch(() => {});
  for (let i = 0; i < 3 && !page.isClosed(); i++) {
    await Promise.race([page.close().catch(() => {}), sleep(3000)]);
  }
  if (!page.isClosed()) console.warn(`the page at ${page.url()} would not close; its context will take it`);
}

module.exports = {
  it, PASSWORD, launch, person, assertClean, register, signUp, logInByApi, createRoom, joinRoom, notify, logIn, post,
  shownTexts, waitForMessage, countMessages, composer, axe, assertAxeClean, screenshot, overflowsSideways,
  roomPath, online, storedTimes, closePage,
};
