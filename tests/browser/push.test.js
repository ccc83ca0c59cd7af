// Installable, with notifications: the manifest parses and names icons that exist, the
// service worker installs with the whole site as its scope, the settings page's
// Notifications control asks for permission only when pressed and says honestly what
// the browser did, and the tab's title counts rooms with unread messages. (Headless
// Chromium reaches no real push service; delivery itself is covered by the suite's
// push receiver tests.)
"use strict";

const assert = require("node:assert/strict");
const { after, before, describe } = require("node:test");
const { Hearth } = require("./server");
const h = require("./helpers");
const { it } = h;

const WORDS = {
  en: {
    locale: "en-GB", title: "Notifications on this device", on: "Turn on notifications",
    denied: "This browser blocks notifications from Hearth: allow them in its site settings, then try again.",
    failed: "This browser could not reach its push service, so notifications are still off.",
    off: "Notifications are off for this browser.",
  },
  zh: {
    locale: "zh-CN", title: "此设备上的通知", on: "开启通知",
    denied: "此浏览器已阻止 Hearth 的通知：请在网站设置中允许后重试。",
    failed: "此浏览器无法连接其推送服务，通知仍为关闭。",
    off: "此浏览器的通知已关闭。",
  },
};

describe("installable, with notifications", () => {
  let server, browser, ida, jon;

  before(async () => {
    server = await Hearth.create();
    browser = await h.launch();
    ida = await h.person(browser, server);
    jon = await h.person(browser, server);
    await h.signUp(ida, "ida");
    await h.signUp(jon, "jon");
    for (const room of ["North", "South", "West"]) {
      await h.createRoom(jon, room);
      await h.joinRoom(ida, room);
      await h.notify(ida, room, "all");
    }
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it("the manifest parses and its icons exist at the sizes it says", async () => {
    const { page } = ida;
    await page.goto("/rooms");
    const href = await page.locator('link[rel="manifest"]').getAttribute("href");
    const response = await ida.request.get(href);
    assert.equal(response.status(), 200);
    assert.match(response.headers()["content-type"], /^application\/manifest\+json/);
    const manifest = JSON.parse(await response.text());
    assert.equal(manifest.name, "Hearth");
    assert.equal(manifest.start_url, "/rooms");
    assert.equal(manifest.display, "standalone");
    const purposes = new Set(manifest.icons.map((i) => i.purpose));
    assert.ok(purposes.has("maskable") && purposes.has("any"));
    for (const icon of manifest.icons) {
      const size = Number(icon.sizes.split("x")[0]);
      assert.ok([192, 512].includes(size), icon.sizes);
      const drawn = await page.evaluate(async (src) => {
        const img = new Image();
        img.src = src;
        await img.decode();
        return [img.naturalWidth, img.naturalHeight];
      }, icon.src);
      assert.deepEqual(drawn, [size, size], `${icon.src} is ${icon.sizes}`);
    }
  });

  it("the service worker installs with the whole site as its scope", async () => {
    const { page } = ida;
    await page.goto("/rooms");
    const worker = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.ready;
      return { scope: reg.scope, script: reg.active && reg.active.scriptURL };
    });
    assert.equal(worker.scope, `${server.url}/`);
    assert.equal(worker.script, `${server.url}/sw.js`);
    const script = await ida.request.get("/sw.js");
    assert.equal(script.headers()["cache-control"], "no-cache");
    assert.match(await script.text(), /showNotification/);
  });

  it("Notifications asks only when pressed, by keyboard, and says honestly what the browser did", async () => {
    for (const w of [WORDS.en, WORDS.zh]) {
      // Refused: the browser says no, and the page says so.
      const refuser = await h.person(browser, server, { locale: w.locale });
      await h.logInByApi(refuser, "ida");
      const { page } = refuser;
      let asked = 0;
      await page.exposeFunction("countAsk", () => { asked += 1; });
      await page.addInitScript(() => {
        const ask = Notification.requestPermission.bind(Notification);
        Notification.requestPermission = (...args) => { window.countAsk(); return ask(...args); };
      });
      await page.goto("/settings");
      await page.getByRole("heading", { name: w.title }).waitFor();
      const toggle = page.getByRole("button", { name: w.on });
      await toggle.waitFor();
      await page.getByRole("status").filter({ hasText: w.off }).waitFor();
      assert.equal(asked, 0, "nothing asked before the button is pressed");
      await h.assertAxeClean(page, `settings with the notifications control (${w.locale})`);
      await toggle.focus();
      await page.keyboard.press("Enter");
      await page.getByRole("status").filter({ hasText: w.denied }).waitFor();
      assert.equal(asked, 1, "asked once, when pressed");
      await refuser.context.close();
      h.assertClean(refuser);

      // Allowed, but headless Chromium has no push service to reach: said so, and
      // nothing is subscribed.
      const allower = await h.person(browser, server, { locale: w.locale });
      await allower.context.grantPermissions(["notifications"]);
      await h.logInByApi(allower, "ida");
      await allower.page.goto("/settings");
      await allower.page.getByRole("button", { name: w.on }).click();
      await allower.page.getByRole("status").filter({ hasText: w.failed }).waitFor();
      assert.equal(await allower.page.getByRole("button", { name: w.on }).isEnabled(), true);
      await allower.context.close();
      h.assertClean(allower);
    }
  });

  // A push manager of the test's own (headless Chromium reaches no push service): it
  // subscribes at once, and records what the page asks of it.
  async function withFakePush(who) {
    const calls = [];
    await who.page.exposeFunction("recordPush", (what) => { calls.push(what); });
    await who.context.addInitScript(() => {
      const key = "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
      const fake = {
        endpoint: "https://push.example/browser-1",
        toJSON() { return { endpoint: this.endpoint, keys: { p256dh: key, auth: "BTBZMqHH6r4Tts7J_aSIgg" } }; },
        unsubscribe() {
          localStorage.removeItem("fake-push");
          window.recordPush("unsubscribe");
          return Promise.resolve(true);
        },
      };
      PushManager.prototype.getSubscription = () =>
        Promise.resolve(localStorage.getItem("fake-push") ? fake : null);
      PushManager.prototype.subscribe = () => {
        localStorage.setItem("fake-push", "1");
        window.recordPush("subscribe");
        return Promise.resolve(fake);
      };
    });
    return calls;
  }

  it("logging out forgets this browser's subscription; one the server refuses is dropped", async () => {
    const kim = await h.person(browser, server);
    await kim.context.grantPermissions(["notifications"]);
    await h.logInByApi(kim, "jon");
    const calls = await withFakePush(kim);
    const deletes = [];
    kim.page.on("request", (req) => {
      if (req.method() === "DELETE" && req.url().endsWith("/api/v1/push/subscriptions")) {
        deletes.push(JSON.parse(req.postData() || "{}").endpoint);
      }
    });
    const { page } = kim;
    await page.goto("/settings");
    await page.getByRole("button", { name: WORDS.en.on }).click();
    await page.getByRole("status").filter({ hasText: "Notifications are on for this browser." }).waitFor();
    assert.deepEqual(calls, ["subscribe"]);

    // Log out: the server forgets the subscription and the browser drops it, before
    // the login page comes.
    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL(/\/login/);
    assert.deepEqual(deletes, ["https://push.example/browser-1"]);
    assert.deepEqual(calls, ["subscribe", "unsubscribe"]);
    // The server really forgot it: the same subscription is new to it again.
    await h.logInByApi(kim, "jon");
    const again = await kim.request.post("/api/v1/push/subscriptions", {
      data: {
        endpoint: "https://push.example/browser-1",
        keys: {
          p256dh: "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
          auth: "BTBZMqHH6r4Tts7J_aSIgg",
        },
      },
    });
    assert.equal(again.status(), 201, "a new subscription, not the old one kept");
    const gone = await kim.request.delete("/api/v1/push/subscriptions", {
      data: { endpoint: "https://push.example/browser-1" },
    });
    assert.equal(gone.status(), 204);

    // The server refuses a subscription: the browser does not keep it, and the
    // control still offers to turn notifications on.
    await page.route("**/api/v1/push/subscriptions", (route) =>
      route.request().method() === "POST"
        ? route.fulfill({ status: 503, contentType: "application/problem+json", body: "{}" })
        : route.continue());
    await page.goto("/settings");
    await page.getByRole("button", { name: WORDS.en.on }).click();
    await page.getByRole("status").filter({ hasText: WORDS.en.failed }).waitFor();
    assert.deepEqual(calls.slice(2), ["subscribe", "unsubscribe"]);
    await page.reload();
    await page.getByRole("button", { name: WORDS.en.on }).waitFor();
    await kim.context.close();
    h.assertClean(kim);
  });

  it("the tab's title counts rooms with unread messages and clears as they are read", async () => {
    const { page } = ida;
    await page.goto("/settings");
    await page.waitForFunction(() => document.title.startsWith("Settings"));
    await h.post(jon.request, "North", "one");
    await h.post(jon.request, "South", "two");
    await page.waitForFunction(() => document.title.startsWith("(2) "), null, { timeout: 5000 });
    await h.post(jon.request, "South", "three");
    await h.post(jon.request, "West", "four");
    await page.waitForFunction(() => document.title.startsWith("(3) "), null, { timeout: 5000 });
    await page.goto("/rooms/North");
    await h.waitForMessage(page, "one");
    await page.waitForFunction(() => document.title.startsWith("(2) "), null, { timeout: 5000 });
    h.assertClean(ida, jon);
  });
});
