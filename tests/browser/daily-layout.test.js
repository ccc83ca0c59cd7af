// The layout's rough edges in a first hour with Hearth (issue 17): long room names,
// follow-on times, the Join and Create dialogs, the phone, and 200% zoom. Measured in
// real Chromium, in English and in Chinese, and every new state is clean under axe.
"use strict";

const assert = require("node:assert/strict");
const { after, before, describe } = require("node:test");
const { Hearth } = require("./server");
const h = require("./helpers");
const { it, roomPath } = h;
const { LANGUAGES } = require("./languages");

const PHONE = { viewport: { width: 375, height: 740 }, deviceScaleFactor: 2 };
const TOUCH_PHONE = { ...PHONE, hasTouch: true, isMobile: true };
/** A 1280×800 window at 200% zoom lays out like a 640×400 one at twice the density. */
const ZOOMED = { viewport: { width: 640, height: 400 }, deviceScaleFactor: 2 };

/** Room names of the longest kind, 64 characters each. */
const LONG = "Committee for the Preservation of Very Long Room Names 2024-2025";
const LONG_TO_JOIN = "Society of People Who Name Rooms With Far Too Many Words In Them";
/** A 64-character name ending in `tag`, for a room of one test's own. */
const longName = (tag) => `${LONG.slice(0, 63 - tag.length)} ${tag}`;
const ORCHARD = Array.from({ length: 12 }, (_, i) => `Orchard ${String(i + 1).padStart(2, "0")}`);

/** A time zone where the hour is now `hour` (so a test knows what the clock shows). */
function zoneWhereItIs(hour) {
  const offset = ((((hour - new Date().getUTCHours()) % 24) + 36) % 24) - 12; // -12 … 11
  return offset === 0 ? "UTC" : `Etc/GMT${offset > 0 ? "-" : "+"}${Math.abs(offset)}`;
}

/** Where an element is, and whether its text is cut short (with an ellipsis). */
function measure(locator) {
  return locator.evaluate((e) => {
    const r = e.getBoundingClientRect();
    return {
      left: r.left, right: r.right, top: r.top, bottom: r.bottom, width: r.width, height: r.height,
      cut: e.scrollWidth > e.clientWidth && getComputedStyle(e).textOverflow === "ellipsis",
    };
  });
}

function assertInside(inner, outer, what) {
  const inside = inner.width > 0 && inner.left >= outer.left - 0.5 && inner.right <= outer.right + 0.5 &&
    inner.top >= outer.top - 0.5 && inner.bottom <= outer.bottom + 0.5;
  assert.ok(inside, `${what}: ${JSON.stringify(inner)} inside ${JSON.stringify(outer)}`);
}

/** "" when the focused element's focus ring lies whole inside its scroll box; what is cut otherwise. */
function ringCutBy(page, scroller) {
  return page.evaluate((selector) => {
    const el = document.activeElement;
    const box = el.closest(selector);
    const style = getComputedStyle(el);
    const out = parseFloat(style.outlineWidth) + parseFloat(style.outlineOffset);
    if (style.outlineStyle === "none" || !(parseFloat(style.outlineWidth) >= 2)) return `no focus ring on ${el.outerHTML}`;
    if (!box) return `${el.outerHTML} is not in ${selector}`;
    const r = el.getBoundingClientRect();
    const b = box.getBoundingClientRect();
    const port = { top: b.top + box.clientTop, left: b.left + box.clientLeft };
    port.bottom = port.top + box.clientHeight;
    port.right = port.left + box.clientWidth;
    const ring = { top: r.top - out, left: r.left - out, bottom: r.bottom + out, right: r.right + out };
    const whole = ring.top >= port.top - 0.5 && ring.left >= port.left - 0.5 &&
      ring.bottom <= port.bottom + 0.5 && ring.right <= port.right + 0.5;
    return whole ? "" : `${el.textContent.trim()}: ring ${JSON.stringify(ring)}, scroll box ${JSON.stringify(port)}`;
  }, scroller);
}

/** Opens the phone's sidebar and waits until it has slid all the way in. */
async function openSidebar(page) {
  await page.locator(".nav-toggle-button").click();
  await page.waitForFunction(() => {
    const sidebar = document.getElementById("sidebar");
    return getComputedStyle(sidebar).visibility === "visible" && sidebar.getBoundingClientRect().left === 0;
  });
}

describe("daily use: long names, times, dialogs, phones and zoom", () => {
  let server, browser, olga;
  const people = [];

  before(async () => {
    server = await Hearth.create();
    browser = await h.launch();
    olga = await h.person(browser, server);
    people.push(olga);
    await h.signUp(olga, "olga");
    for (const room of ["Porch", LONG, LONG_TO_JOIN, ...ORCHARD]) await h.createRoom(olga, room);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  async function newPerson(w, options = {}) {
    const who = await h.person(browser, server, { locale: w.locale, ...options });
    people.push(who);
    return who;
  }

  it("a 64-character room name ends in an ellipsis, whole in its tooltip and accessible name; badges and member counts stay in view", async () => {
    for (const w of LANGUAGES) {
      for (const [device, options] of [["desktop", {}], ["phone", PHONE]]) {
        const rhea = await newPerson(w, options);
        await h.signUp(rhea, `rhea_${w.code}_${device}`);
        const long = longName(`${w.code} ${device}`);
        assert.equal(long.length, 64);
        await h.createRoom(olga, long);
        await h.joinRoom(rhea, long);
        await h.notify(rhea, long, "all");
        await h.joinRoom(rhea, "Porch");
        const { page } = rhea;
        await page.goto("/rooms/Porch");
        await h.post(olga.request, long, "first of two");
        await h.post(olga.request, long, "second of two");
        if (device === "phone") await openSidebar(page);

        const sidebar = page.getByRole("navigation");
        const link = sidebar.getByRole("link", { name: `${long} 2 ${w.unread}`, exact: true });
        await link.waitFor();
        const name = link.locator(".room-name");
        assert.equal(await name.getAttribute("title"), long, "the whole name in a tooltip");
        assert.ok((await measure(name)).cut, "the name ends in an ellipsis");
        const side = await measure(page.locator("#sidebar"));
        assertInside(await measure(link.locator(".badge")), await measure(link), `${device}: the badge in its link`);
        assertInside(await measure(link.locator(".badge")), side, `${device}: the badge in the sidebar`);
        assert.ok(await page.locator("#sidebar").evaluate((s) => s.scrollWidth <= s.clientWidth), "no sideways scroll");
        await h.assertAxeClean(page, `a long room name with unread messages, ${device} (${w.code})`);

        await sidebar.getByRole("button", { name: w.joinARoom }).click();
        const dialog = page.getByRole("dialog", { name: w.joinARoom });
        const room = dialog.getByRole("button", { name: `${LONG_TO_JOIN} ${w.members(1)}`, exact: true });
        await room.scrollIntoViewIfNeeded();
        const roomName = room.locator(".room-name");
        assert.equal(await roomName.getAttribute("title"), LONG_TO_JOIN);
        assert.ok((await measure(roomName)).cut, "the name in the dialog ends in an ellipsis");
        const members = await measure(room.locator(".members"));
        assertInside(members, await measure(room), `${device}: the member count in its button`);
        assertInside(members, await measure(dialog), `${device}: the member count in the dialog`);
        await h.assertAxeClean(page, `the Join dialog with a long name, ${device} (${w.code})`);
        await page.keyboard.press("Escape");
        await dialog.waitFor({ state: "detached" });
        await rhea.context.close();
      }
    }
  });

  it("a follow-on message shows its time in the margin on hover and focus, in the reader's own clock (1:12 PM, not 01:12 PM)", async () => {
    // Each language's own clock, with no leading zero: 12-hour in en-US, 24-hour in zh-CN.
    const clock = { en: /^[1-9]:[0-5]\d\sPM$/, zh: /^1[34]:[0-5]\d$/ };
    for (const w of LANGUAGES) {
      // Where it is now between 1 and 2 in the afternoon: a one-digit hour.
      const reader = await newPerson(w, { timezoneId: zoneWhereItIs(13) });
      await h.signUp(reader, `tim_${w.code}`);
      const room = `Clock ${w.code}`;
      await h.createRoom(olga, room);
      await h.joinRoom(reader, room);
      await h.post(olga.request, room, "one");
      await h.post(olga.request, room, "and another, a moment later");
      const { page } = reader;
      await page.goto(roomPath(room));
      await h.waitForMessage(page, "and another, a moment later");
      const second = page.locator("#messages .msg").nth(1);
      assert.ok(await second.evaluate((m) => m.classList.contains("continued")), "the second follows on");
      const time = second.locator("time");
      assert.match(await time.textContent(), clock[w.code]);
      const opacity = () => time.evaluate((t) => getComputedStyle(t).opacity);
      await page.mouse.move(0, 0);
      assert.equal(await opacity(), "0", "hidden until wanted");

      for (const how of ["hover", "focus"]) {
        if (how === "hover") await second.hover();
        else await second.locator(".msg-actions").focus();
        await page.waitForFunction((t) => getComputedStyle(t).opacity === "1", await time.elementHandle());
        // In the margin, where the avatar would be, not over the text.
        const at = await measure(time);
        const body = await measure(second.locator(".msg-body"));
        const msg = await measure(second);
        assert.ok(at.width > 0 && at.left >= msg.left && at.right <= body.left, `${how}: in the margin (${JSON.stringify(at)})`);
        await h.assertAxeClean(page, `a follow-on time shown on ${how} (${w.code})`);
        await page.mouse.move(0, 0);
        await page.locator("#composer-text").focus();
      }
      assert.equal(await opacity(), "0", "hidden again");
      await reader.context.close();
    }
  });

  it("the Join dialog starts on the first room, shows each room's whole focus ring, and narrows the list as you type", async () => {
    for (const w of LANGUAGES) {
      const jo = await newPerson(w);
      await h.signUp(jo, `jo_${w.code}`);
      const { page } = jo;
      await page.goto("/rooms");
      const opener = page.getByRole("navigation").getByRole("button", { name: w.joinARoom });
      await opener.focus();
      await page.keyboard.press("Enter");
      const dialog = page.getByRole("dialog", { name: w.joinARoom });
      await dialog.waitFor();
      await page.waitForFunction(() => document.activeElement === document.querySelector("dialog .join-list button"));
      await h.assertAxeClean(page, `the Join dialog (${w.code})`);
      const list = page.locator("dialog .join-list");
      assert.ok(await list.evaluate((l) => l.scrollHeight > l.clientHeight), "enough rooms to scroll");

      // Down the list with Tab: every room's ring is whole, however far it scrolled.
      const rooms = await list.getByRole("button").count();
      for (let i = 0; i < rooms; i++) {
        assert.equal(await ringCutBy(page, ".join-list"), "", `room ${i + 1} of ${rooms}`);
        await page.keyboard.press("Tab");
      }

      const filter = dialog.getByLabel(w.filterRooms);
      const shown = () => list.locator("li:not([hidden]) .room-name").allTextContents();
      await filter.fill("orchard 1");
      assert.deepEqual(await shown(), ["Orchard 10", "Orchard 11", "Orchard 12"]);
      await h.assertAxeClean(page, `the Join dialog, filtered (${w.code})`);
      await filter.fill("no such room at all");
      assert.deepEqual(await shown(), []);
      await dialog.getByRole("status").filter({ hasText: w.noMatchingRooms }).waitFor();
      await h.assertAxeClean(page, `the Join dialog, nothing matches (${w.code})`);
      await filter.fill("");
      assert.equal((await shown()).length, rooms);
      assert.equal(await dialog.getByText(w.noMatchingRooms).isVisible(), false);
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });
      await jo.context.close();
    }
  });

  it("after a refused room name, Cancel and Esc give focus back to “Create a room”", async () => {
    for (const w of LANGUAGES) {
      const cy = await newPerson(w);
      await h.signUp(cy, `cy_${w.code}`);
      const { page } = cy;
      await page.goto("/rooms");
      for (const close of ["Cancel", "Escape"]) {
        await page.getByRole("navigation").getByRole("button", { name: w.createARoom }).click();
        const dialog = page.getByRole("dialog", { name: w.createARoom });
        // Refused twice: the dialog is replaced each time, and still knows its opener.
        await dialog.waitFor();
        for (const name of ["...", "...."]) {
          const shown = await dialog.elementHandle();
          await dialog.getByLabel(w.name).fill(name);
          await page.keyboard.press("Enter");
          await page.waitForFunction((old) => !old.isConnected, shown);
          await dialog.getByRole("alert").filter({ hasText: w.roomNameDots }).waitFor();
          await page.waitForFunction((value) => document.activeElement?.value === value, name);
        }
        if (close === "Cancel") {
          await h.assertAxeClean(page, `the Create dialog with an error (${w.code})`);
          await dialog.getByRole("button", { name: w.cancel }).click();
        } else {
          await page.keyboard.press("Escape");
        }
        await dialog.waitFor({ state: "detached" });
        await page.waitForFunction((words) => document.activeElement?.textContent === words, w.createARoom);
      }
      await cy.context.close();
    }
  });

  it("on a phone /rooms is the room list, a tap outside the open sidebar closes it, and a long name keeps the placeholder short", async () => {
    for (const w of LANGUAGES) {
      const pia = await newPerson(w, TOUCH_PHONE);
      await h.signUp(pia, `pia_${w.code}`);
      await h.joinRoom(pia, "Porch");
      await h.joinRoom(pia, LONG);
      const { page } = pia;
      await page.goto("/rooms");
      // The list itself is on screen, with nothing to unfold first.
      assert.equal(await page.locator(".nav-toggle-button").isVisible(), false, "no Rooms button to press");
      for (const room of ["Porch", LONG]) {
        const link = page.getByRole("navigation").getByRole("link", { name: room, exact: true });
        assertInside(await measure(link), { left: 0, top: 0, right: 375, bottom: 740 }, `${room} on screen`);
      }
      await h.assertAxeClean(page, `/rooms on a phone (${w.code})`);

      await page.getByRole("navigation").getByRole("link", { name: "Porch", exact: true }).tap();
      await page.waitForURL("**/rooms/Porch");
      const sidebar = page.locator("#sidebar");
      assert.equal(await sidebar.isVisible(), false, "folded away in a room");
      await page.locator(".nav-toggle-button").tap();
      await sidebar.waitFor({ state: "visible" });
      // Beside it (it leaves the right-hand 15% of the screen uncovered), on the conversation.
      await page.touchscreen.tap(PHONE.viewport.width - 20, PHONE.viewport.height / 2);
      await sidebar.waitFor({ state: "hidden" });
      assert.equal(await page.locator("#nav-toggle").isChecked(), false);

      await page.goto(roomPath(LONG));
      const box = page.locator("#composer-text");
      const placeholder = await box.getAttribute("placeholder");
      assert.ok(placeholder.endsWith("…") && placeholder.length < 40, `cut short: ${placeholder}`);
      const lines = await box.evaluate((t) => {
        const s = getComputedStyle(t);
        return (t.clientHeight - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom)) / parseFloat(s.lineHeight);
      });
      assert.ok(lines < 2.5, `the placeholder takes ${lines.toFixed(2)} lines`);
      await h.assertAxeClean(page, `a long room on a phone (${w.code})`);
      await pia.context.close();
    }
  });

  it("at 200% zoom a room's header and composer together take at most a third of the screen", async () => {
    for (const w of LANGUAGES) {
      const zoe = await newPerson(w, ZOOMED);
      await h.signUp(zoe, `zoe_${w.code}`);
      const { page } = zoe;
      for (const room of ["Porch", LONG]) {
        await h.joinRoom(zoe, room);
        await page.goto(roomPath(room));
        await page.locator("#composer-text").waitFor();
        const taken = await page.evaluate(() => ({
          header: document.querySelector(".room-header").getBoundingClientRect().height,
          composer: document.getElementById("composer").getBoundingClientRect().height,
          composerBottom: document.getElementById("composer").getBoundingClientRect().bottom,
          screen: window.innerHeight,
        }));
        assert.ok(taken.header + taken.composer <= taken.screen / 3,
          `${room}: header ${taken.header}px + composer ${taken.composer}px of ${taken.screen}px`);
        assert.ok(taken.composerBottom <= taken.screen, "the composer is on screen");
        await h.assertAxeClean(page, `${room} at 200% zoom (${w.code})`);
      }
      await zoe.context.close();
    }
  });

  it("saw no CSP violation and no script error on any page", () => {
    h.assertClean(...people);
  });
});
