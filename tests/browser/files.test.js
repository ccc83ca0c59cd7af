// Files in real browsers: Wen attaches a picture by keyboard and sends it with a
// caption, Xia sees its thumbnail arrive live and opens the full image; a page
// disguised as a picture arrives as a download that never runs; a file dropped on the
// room (or an image pasted) is attached; Wen's own picture, set on the settings page,
// shows on her messages until she removes it; a file over the limit is refused without
// losing the words typed; and all of it is clean under axe in both languages.
"use strict";

const assert = require("node:assert/strict");
const zlib = require("node:zlib");
const { after, before, describe } = require("node:test");
const { Hearth } = require("./server");
const h = require("./helpers");
const { it } = h;

/** The words of the new controls (src/i18n/en.rs and zh.rs). */
const WORDS = {
  en: {
    locale: "en-GB", attach: "Attach a file", colon: ": ", avatar: "Your picture", choose: "Choose an image",
    upload: "Upload picture", remove: "Remove picture", saved: "Your picture is updated.",
  },
  zh: {
    locale: "zh-CN", attach: "添加文件", colon: "：", avatar: "你的头像", choose: "选择图片",
    upload: "上传头像", remove: "移除头像", saved: "头像已更新。",
  },
};

/** Waits until the focused element matches `selector`. */
async function focusOn(page, selector) {
  await page.waitForFunction((sel) => document.activeElement && document.activeElement.matches(sel), selector);
}

/** The article of the message with this text. */
function messageWith(page, text) {
  return page.locator("#messages .msg", { has: page.locator(".text", { hasText: text }) });
}

/** Runs `start` with these variables in the environment the server inherits. */
async function withEnv(vars, start) {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  try {
    return await start();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A real PNG (8-bit RGB, a colour gradient) of this size. */
function png(width, height) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1); // each row starts with filter type 0
    for (let x = 0; x < width; x++) {
      rows[row + 1 + x * 3] = (x * 255) / width;
      rows[row + 2 + x * 3] = (y * 255) / height;
      rows[row + 3 + x * 3] = 128;
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", zlib.deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

describe("files: attach, previews, avatars", () => {
  let server, browser, wen, xia;
  const photo = png(1200, 900);

  before(async () => {
    server = await Hearth.create();
    browser = await h.launch();
    wen = await h.person(browser, server);
    xia = await h.person(browser, server);
    await h.signUp(wen, "wen");
    await h.signUp(xia, "xia");
    await h.createRoom(wen, "Studio");
    await h.joinRoom(xia, "Studio");
    await h.post(xia.request, "Studio", "send me the photo");
    // Playwright turns the interception of file choosers on and off as listeners come
    // and go, without waiting: a standing one keeps it on, so no key press is too early.
    wen.page.on("filechooser", () => {});
    for (const who of [wen, xia]) {
      await who.page.goto("/rooms/Studio");
      await h.waitForMessage(who.page, "send me the photo");
    }
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it("Wen attaches a picture by keyboard and sends it with a caption; Xia sees the thumbnail live and opens the full image", async () => {
    const { page } = wen;
    const box = h.composer(page);
    await box.focus();
    await page.keyboard.press("Tab");
    await focusOn(page, "#composer-file");
    const input = page.getByLabel("Attach a file");
    assert.equal(await input.evaluate((e) => e.id), "composer-file", "the focused control is named “Attach a file”");
    const chooser = page.waitForEvent("filechooser");
    await page.keyboard.press("Space");
    await (await chooser).setFiles({ name: "sunset.png", mimeType: "image/png", buffer: photo });
    assert.equal(await page.locator("#composer .attach-label").innerText(), "Attach a file: sunset.png");
    await page.keyboard.press("Shift+Tab");
    await focusOn(page, "#composer-text");
    await box.pressSequentially("the view from the roof", { delay: 5 });
    await box.press("Enter");

    // Xia, in her own browser: the message arrives with its thumbnail, named by the caption.
    await h.waitForMessage(xia.page, "the view from the roof", 15000);
    const msg = messageWith(xia.page, "the view from the roof");
    const img = msg.locator(".attachment a.image img");
    assert.equal(await img.getAttribute("alt"), "the view from the roof");
    assert.match(await img.getAttribute("src"), /^\/thumbnails\/[^/]+\.jpg$/);
    assert.deepEqual([await img.getAttribute("width"), await img.getAttribute("height")], ["800", "600"],
      "the page keeps room for it before it loads");
    await img.scrollIntoViewIfNeeded();
    await xia.page.waitForFunction((e) => e.complete && e.naturalWidth > 0, await img.elementHandle());
    assert.deepEqual(await img.evaluate((e) => [e.naturalWidth, e.naturalHeight]), [800, 600],
      "1200×900 shrunk to fit 800×600");

    // Wen's composer is empty again, the file forgotten.
    await h.waitForMessage(page, "the view from the roof", 5000);
    await page.waitForFunction(() => document.getElementById("composer-file").files.length === 0);
    assert.equal(await box.inputValue(), "");
    assert.equal(await page.locator("#composer .attach-label").innerText(), "Attach a file");
    assert.equal(await page.locator("#upload-progress").isHidden(), true);

    // Clicking the thumbnail opens the picture itself, every byte of it.
    const link = msg.locator("a.image");
    const href = await link.getAttribute("href");
    assert.match(href, /^\/files\/[^/]+\/sunset\.png$/);
    const full = xia.page.waitForResponse((r) => new URL(r.url()).pathname === href);
    const before = xia.problems.length;
    await link.click();
    const res = await full;
    await xia.page.waitForURL(`**${href}`);
    assert.equal(res.status(), 200);
    assert.equal(res.headers()["content-type"], "image/png");
    assert.match(res.headers()["content-disposition"], /^inline/);
    const body = await res.body();
    assert.equal(body.length, photo.length);
    assert.ok(body.equals(photo), "the same bytes as sent");
    // Chromium's own image viewer styles the picture with inline styles, which the
    // file's `default-src 'none'` refuses (and says so): that is the file's page, not
    // Hearth's. Anything else reported while it was open would be a real problem.
    const viewer = xia.problems.splice(before);
    for (const p of viewer) assert.match(p, /^CSP: Applying inline style violates .*'default-src 'none''/);
    await xia.page.goBack();
    await h.waitForMessage(xia.page, "the view from the roof", 5000);
    h.assertClean(wen, xia);
  });

  it("a page disguised as a picture shows as a file to download, and never runs", async () => {
    const dialogs = [];
    for (const who of [wen, xia]) who.page.on("dialog", (d) => { dialogs.push(d.message()); d.dismiss(); });
    const evil = Buffer.from("<!doctype html><html><body><script>alert('pwned')</script><p>hi</p></body></html>\n");
    const { page } = wen;
    await page.locator("#composer-file").setInputFiles({ name: "page.png", mimeType: "image/png", buffer: evil });
    assert.equal(await page.locator("#composer .attach-label").innerText(), "Attach a file: page.png");
    await h.composer(page).fill("not really a picture");
    await page.getByRole("button", { name: "Send", exact: true }).click();

    await h.waitForMessage(xia.page, "not really a picture", 5000);
    const msg = messageWith(xia.page, "not really a picture");
    assert.equal(await msg.locator(".attachment img").count(), 0, "no thumbnail for what is not an image");
    const chip = msg.locator(".attachment a.file-chip");
    assert.equal(await chip.locator(".file-name").innerText(), "page.png");
    assert.equal(await chip.locator(".file-size").innerText(), `${evil.length} B`);
    assert.notEqual(await chip.getAttribute("download"), null);

    // Fetched as Xia: a download, never sniffed, sandboxed.
    const href = await chip.getAttribute("href");
    const res = await xia.request.get(href);
    assert.equal(res.status(), 200);
    const headers = res.headers();
    assert.match(headers["content-disposition"], /^attachment; filename\*=UTF-8''page\.png$/);
    assert.equal(headers["content-type"], "application/octet-stream");
    assert.equal(headers["x-content-type-options"], "nosniff");
    assert.equal(headers["content-security-policy"], "default-src 'none'; sandbox");
    assert.ok((await res.body()).equals(evil));

    // Clicking the chip downloads it; the room stays where it was.
    const download = xia.page.waitForEvent("download");
    await chip.click();
    const file = await download;
    assert.equal(file.suggestedFilename(), "page.png");
    assert.equal(new URL(xia.page.url()).pathname, "/rooms/Studio");
    await file.delete();
    await xia.page.waitForTimeout(200); // a script, had one run, would have shown its alert by now
    assert.deepEqual(dialogs, [], "no script from the file ran");
    h.assertClean(wen, xia);
  });

  it("a file dropped on the room is attached and sent with Enter alone; a pasted image is attached too", async () => {
    const { page } = wen;
    const dropped = await page.evaluate(() => {
      const data = new DataTransfer();
      data.items.add(new File(["milk, eggs, flour\n"], "shopping list.txt", { type: "text/plain" }));
      const log = document.getElementById("messages");
      const over = new DragEvent("dragover", { bubbles: true, cancelable: true, dataTransfer: data });
      log.dispatchEvent(over);
      const highlighted = document.body.classList.contains("dropping");
      const drop = new DragEvent("drop", { bubbles: true, cancelable: true, dataTransfer: data });
      log.dispatchEvent(drop);
      return { accepted: over.defaultPrevented && drop.defaultPrevented, highlighted };
    });
    assert.deepEqual(dropped, { accepted: true, highlighted: true }, "the room takes the drop and shows it will");
    assert.equal(await page.evaluate(() => document.body.classList.contains("dropping")), false);
    assert.equal(await page.locator("#composer .attach-label").innerText(), "Attach a file: shopping list.txt");
    assert.deepEqual(await page.evaluate(() => [...document.getElementById("composer-file").files].map((f) => f.name)),
      ["shopping list.txt"]);
    await focusOn(page, "#composer-text");
    assert.equal(await h.composer(page).inputValue(), "");
    await page.keyboard.press("Enter"); // no words: the file alone is the message

    const chip = xia.page.locator("#messages .file-chip", { hasText: "shopping list.txt" });
    await chip.waitFor({ timeout: 5000 });
    assert.equal(await chip.locator(".file-size").innerText(), "18 B");
    const msg = xia.page.locator("#messages .msg").last();
    assert.equal(await msg.locator(".file-name").innerText(), "shopping list.txt", "the latest message");
    assert.equal(await msg.locator(".sender").innerText(), "wen");
    assert.equal(await msg.locator(".text").innerText(), "", "no words with it");

    // An image pasted into the message box is attached the same way.
    await page.waitForFunction(() => document.getElementById("composer-file").files.length === 0);
    const small = png(40, 30);
    const pasted = await page.evaluate((bytes) => {
      const data = new DataTransfer();
      data.items.add(new File([new Uint8Array(bytes)], "image.png", { type: "image/png" }));
      const paste = new ClipboardEvent("paste", { bubbles: true, cancelable: true, clipboardData: data });
      document.getElementById("composer-text").dispatchEvent(paste);
      return paste.defaultPrevented;
    }, [...small]);
    assert.equal(pasted, true);
    assert.equal(await page.locator("#composer .attach-label").innerText(), "Attach a file: image.png");
    // Pasting words still pastes words.
    const words = await page.evaluate(() => {
      const data = new DataTransfer();
      data.setData("text/plain", "hello");
      const paste = new ClipboardEvent("paste", { bubbles: true, cancelable: true, clipboardData: data });
      document.getElementById("composer-text").dispatchEvent(paste);
      return paste.defaultPrevented;
    });
    assert.equal(words, false, "a paste without files is left to the browser");
    await page.reload();
    h.assertClean(wen, xia);
  });

  it("Wen sets her picture on the settings page by keyboard; it shows on her messages, and removing it brings back her initials", async () => {
    const { page } = wen;
    await page.goto("/settings");
    assert.equal(await page.locator(".me img.avatar").count(), 0);
    assert.equal(await page.locator(".me .avatar").innerText(), "W");
    await page.getByRole("button", { name: "Save", exact: true }).focus();
    await page.keyboard.press("Tab");
    await focusOn(page, "#avatar-file");
    const chooser = page.waitForEvent("filechooser");
    await page.keyboard.press("Space");
    await (await chooser).setFiles({ name: "me.png", mimeType: "image/png", buffer: png(300, 200) });
    await page.keyboard.press("Tab");
    await focusOn(page, "button.primary");
    assert.equal(await page.evaluate(() => document.activeElement.textContent), "Upload picture");
    await page.keyboard.press("Enter");
    await page.getByRole("status").filter({ hasText: "Your picture is updated." }).waitFor();
    const now = page.getByRole("img", { name: "Your picture now" });
    await page.waitForFunction(() => { const i = document.querySelector(".avatar-now img"); return i && i.complete; });
    assert.deepEqual(await now.evaluate((e) => [e.naturalWidth, e.naturalHeight]), [256, 256], "cropped square");
    const src = await now.getAttribute("src");
    assert.match(src, /^\/avatars\/[0-9a-f]{32}\.jpg$/);
    const mine = page.locator(".me img.avatar");
    assert.equal(await mine.getAttribute("src"), src, "the sidebar shows it too");
    await page.waitForFunction(() => { const i = document.querySelector(".me img.avatar"); return i && i.complete && i.naturalWidth > 0; });
    assert.equal(await page.getByRole("button", { name: "Remove picture" }).count(), 1);

    // Xia, reloading the room: Wen's messages carry the picture, her own her initials.
    await h.post(xia.request, "Studio", "nice picture");
    await xia.page.reload();
    await h.waitForMessage(xia.page, "nice picture");
    const byWen = xia.page.locator("#messages .msg").filter({ has: xia.page.locator(".sender", { hasText: /^wen$/ }) });
    assert.ok((await byWen.count()) >= 3);
    assert.deepEqual(new Set(await byWen.locator("img.avatar").evaluateAll((is) => is.map((i) => i.getAttribute("src")))),
      new Set([src]));
    assert.equal(await byWen.locator("img.avatar").count(), await byWen.count(), "every message of Wen's");
    assert.equal(await byWen.locator("span.avatar").count(), 0, "no initials left");
    assert.equal(await messageWith(xia.page, "nice picture").locator("span.avatar").innerText(), "X");
    await xia.page.waitForFunction(() => [...document.querySelectorAll("#messages img.avatar")]
      .every((i) => i.complete && i.naturalWidth > 0));
    // A new message from Wen arrives live with it.
    await h.post(wen.request, "Studio", "thanks!");
    await h.waitForMessage(xia.page, "thanks!", 5000);
    assert.equal(await messageWith(xia.page, "thanks!").locator("img.avatar").getAttribute("src"), src);

    // Removing it, by keyboard: initials again, everywhere, and the old picture is gone.
    await page.getByRole("button", { name: "Remove picture" }).focus();
    await page.keyboard.press("Enter");
    await page.getByRole("status").filter({ hasText: "Your picture is updated." }).waitFor();
    await page.locator(".avatar-now span.avatar").waitFor();
    assert.equal(await page.locator(".me img.avatar").count(), 0);
    assert.equal(await page.locator(".me .avatar").innerText(), "W");
    assert.equal(await page.getByRole("button", { name: "Remove picture" }).count(), 0);
    assert.equal((await xia.request.get(src)).status(), 404);
    await xia.page.reload();
    await h.waitForMessage(xia.page, "thanks!");
    assert.equal(await byWen.locator("img.avatar").count(), 0);
    assert.equal(await byWen.locator("span.avatar").count(), await byWen.count());
    assert.equal(await messageWith(xia.page, "thanks!").locator(".avatar").innerText(), "W");
    await page.goto("/rooms/Studio");
    h.assertClean(wen, xia);
  });

  it("the room with a file chosen, its pictures and files, and the settings page are clean under axe in both languages", async () => {
    for (const w of [WORDS.en, WORDS.zh]) {
      const who = await h.person(browser, server, { locale: w.locale });
      await h.signUp(who, `yun_${w.locale.slice(0, 2)}`);
      await h.joinRoom(who, "Studio");
      const { page } = who;
      await page.goto("/rooms/Studio");
      await h.waitForMessage(page, "the view from the roof");
      assert.equal(await page.locator("#messages .attachment img").count(), 1);
      assert.equal(await page.locator("#messages .file-chip").count(), 2);
      await page.getByLabel(w.attach).setInputFiles({ name: "draft.txt", mimeType: "text/plain", buffer: Buffer.from("draft") });
      assert.equal(await page.locator("#composer .attach-label").innerText(), `${w.attach}${w.colon}draft.txt`);
      await h.assertAxeClean(page, `a room with a file chosen (${w.locale})`);

      await page.goto("/settings");
      await page.getByRole("heading", { name: w.avatar, level: 2 }).waitFor();
      await h.assertAxeClean(page, `settings with no picture (${w.locale})`);
      await page.getByLabel(w.choose).setInputFiles({ name: "me.png", mimeType: "image/png", buffer: png(64, 64) });
      await page.getByRole("button", { name: w.upload }).click();
      await page.getByRole("status").filter({ hasText: w.saved }).waitFor();
      assert.equal(await page.getByRole("button", { name: w.remove }).count(), 1);
      await h.assertAxeClean(page, `settings with a picture (${w.locale})`);
      await who.context.close();
      h.assertClean(who);
    }
    h.assertClean(wen, xia);
  });

  it("a file over the limit is refused in the composer, and the words typed stay", async () => {
    const small = await withEnv({ HEARTH_MAX_UPLOAD_BYTES: "100000" }, () => Hearth.create());
    const zoe = await h.person(browser, small);
    try {
      await h.signUp(zoe, "zoe");
      await h.createRoom(zoe, "Attic");
      const { page } = zoe;
      await page.goto("/rooms/Attic");
      const box = h.composer(page);
      await box.fill("the whole album");
      // 150 kB: over the 100 kB limit, yet under what the server refuses unread.
      await page.locator("#composer-file").setInputFiles({
        name: "album.bin", mimeType: "application/octet-stream", buffer: Buffer.alloc(150000, 7),
      });
      const answer = page.waitForResponse((r) => r.url().endsWith("/rooms/Attic/messages"));
      await box.press("Enter");
      assert.equal((await answer).status(), 413);
      const alert = page.locator("#composer [role=alert]");
      await alert.waitFor({ timeout: 2000 });
      assert.equal(await alert.innerText(), "That request or file is too large.");
      assert.equal(await h.composer(page).inputValue(), "the whole album", "the words typed stay");
      assert.equal(await page.locator("#messages .msg").count(), 0, "nothing was sent");
      await h.assertAxeClean(page, "the composer refusing a file");
      h.assertClean(zoe);
    } finally {
      await zoe.context.close();
      await small.close();
    }
  });
});
