// Hearth's own htmx extension: the few behaviours htmx has no attribute for.
// It runs under the strict CSP (no eval, no inline handlers) and needs no build step.
// Everything here depends on the viewer (their time zone, their focus, their
// connection), which is why it is done in the page and not in the server's HTML:
// the server renders each message once for every reader.
(function () {
  "use strict";

  var FIVE_MINUTES = 5 * 60 * 1000;

  // The ws extension's own backoff doubles up to 64 s, so after a server restart a
  // page could sit disconnected for a minute. Cap it at 5 s, with jitter so that a
  // restart's clients do not all come back in the same instant.
  htmx.config.wsReconnectDelay = function (retries) {
    var ceiling = Math.min(5000, 500 * Math.pow(2, retries));
    return ceiling / 2 + Math.random() * ceiling / 2;
  };

  function pageLang() {
    return document.documentElement.lang || undefined;
  }

  // Dates and times in the page's language, with the reader's regional habits when
  // their browser has them (an en-GB reader of the English page gets a 24-hour clock).
  function dateLocale() {
    var lang = pageLang();
    if (!lang) return undefined;
    var primary = lang.split("-")[0];
    var preferred = (navigator.languages || []).filter(function (l) {
      return l.split("-")[0] === primary;
    });
    return preferred[0] || lang;
  }

  // ---- times and days -----------------------------------------------------------

  function sentAt(msg) {
    var time = msg.querySelector("time[datetime]");
    return time ? new Date(time.getAttribute("datetime")) : new Date(NaN);
  }

  function dayKey(date) {
    return date.getFullYear() + "-" + date.getMonth() + "-" + date.getDate();
  }

  function dayLabel(date, log) {
    var today = new Date();
    var yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
    if (dayKey(date) === dayKey(today)) return log.getAttribute("data-today");
    if (dayKey(date) === dayKey(yesterday)) return log.getAttribute("data-yesterday");
    var options = { weekday: "long", month: "long", day: "numeric" };
    if (date.getFullYear() !== today.getFullYear()) options.year = "numeric";
    return date.toLocaleDateString(dateLocale(), options);
  }

  // Message times in the viewer's own time zone (the server sends UTC).
  function localTimes(root) {
    root.querySelectorAll("time[datetime]:not([data-local])").forEach(function (t) {
      var when = new Date(t.getAttribute("datetime"));
      if (isNaN(when)) return;
      t.textContent = when.toLocaleTimeString(dateLocale(), { hour: "2-digit", minute: "2-digit" });
      t.title = when.toLocaleString(dateLocale());
      t.setAttribute("data-local", "");
    });
    editedMarks(root);
  }

  // "(edited)" after an edited message, with when on hover and focus. The live
  // fragment carries only the time; the words are the page's, in its language.
  function editedMarks(root) {
    var log = document.getElementById("messages");
    if (!log) return;
    root.querySelectorAll(".edited[data-at]:not([data-local])").forEach(function (mark) {
      var when = new Date(mark.getAttribute("data-at"));
      var at = isNaN(when) ? "" : when.toLocaleString(dateLocale());
      var label = (log.getAttribute("data-edited-at") || "").replace(/\{[^}]*\}/, at);
      mark.textContent = log.getAttribute("data-edited") || "";
      var hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = " " + label;
      mark.appendChild(hidden);
      mark.setAttribute("data-when", label);
      mark.title = label;
      mark.setAttribute("data-local", "");
    });
  }

  // ---- reactions ------------------------------------------------------------------

  function me() {
    var log = document.getElementById("messages");
    return log ? log.getAttribute("data-me") : null;
  }

  // A reaction button is pressed when the reader is among those who reacted. The
  // fragment is the same for everyone; each page marks its own.
  function pressedReactions(root) {
    var mine = me();
    if (!mine) return;
    var buttons = root.matches && root.matches(".reaction") ? [root] : [];
    root.querySelectorAll(".reaction").forEach(function (b) { buttons.push(b); });
    buttons.forEach(function (b) {
      var uids = " " + (b.getAttribute("data-uids") || "") + " ";
      b.setAttribute("aria-pressed", uids.indexOf(" " + mine + " ") >= 0 ? "true" : "false");
    });
  }

  // A heading before the first message of each day, and `continued` on a message
  // that follows one from the same sender within five minutes (drawn as one group).
  function annotate(msg, previous, log) {
    var when = sentAt(msg);
    var before = previous && sentAt(previous);
    var newDay = !previous || dayKey(when) !== dayKey(before);
    var heading = msg.previousElementSibling;
    var hasHeading = heading && heading.classList.contains("day");
    if (newDay) {
      if (!hasHeading) {
        heading = document.createElement("h2");
        heading.className = "day";
        msg.parentNode.insertBefore(heading, msg);
      }
      heading.textContent = dayLabel(when, log);
    } else if (hasHeading) {
      heading.remove();
    }
    var continued = !newDay &&
      previous.getAttribute("data-uid") === msg.getAttribute("data-uid") &&
      when - before < FIVE_MINUTES;
    msg.classList.toggle("continued", continued);
  }

  // Only the newest message when one arrives at the end; the whole log otherwise.
  function annotateLog(newest) {
    var log = document.getElementById("messages");
    if (!log) return;
    var all = log.querySelectorAll(".msg");
    var from = newest && all[all.length - 1] === newest ? all.length - 1 : 0;
    for (var i = from; i < all.length; i++) annotate(all[i], all[i - 1], log);
  }

  // ---- dialogs ------------------------------------------------------------------

  // Dialogs loaded by htmx open as real modals: focus stays inside, Esc closes them,
  // and closing returns focus to the button that opened them.
  function openDialogs(root) {
    var dialogs = root.matches && root.matches("dialog[data-modal]") ? [root] : [];
    root.querySelectorAll("dialog[data-modal]").forEach(function (d) { dialogs.push(d); });
    dialogs.forEach(function (dialog) {
      if (dialog.open) return;
      dialog.addEventListener("close", function () { dialog.remove(); });
      dialog.showModal();
    });
  }

  // A dialog's form succeeded (the answer is no new dialog): close it properly, so
  // focus goes back where it was, before htmx empties the slot.
  function closeReplacedDialog(evt) {
    var slot = evt.detail.target;
    if (!slot || slot.id !== "dialog-slot") return;
    var open = slot.querySelector("dialog[open]");
    var text = evt.detail.serverResponse || "";
    if (open && text.indexOf("<dialog") < 0) open.close();
  }

  // ---- the log ------------------------------------------------------------------

  // Keep the conversation pinned to the newest message unless the reader scrolled up.
  function followNewest(elt) {
    var log = document.getElementById("messages");
    if (!log || !elt.classList || !elt.classList.contains("msg") || elt.parentNode !== log) return;
    if (elt.nextElementSibling && elt.nextElementSibling.classList.contains("msg")) return;
    var distance = log.scrollHeight - log.scrollTop - log.clientHeight - elt.offsetHeight;
    if (distance < 160) log.scrollTop = log.scrollHeight;
  }

  // "Load earlier": the log is busy while older messages come in (they arrive in an
  // aria-live="off" wrapper, so they are not read out), what the reader was looking
  // at stays where it was, and keyboard focus lands on the next "Load earlier".
  var earlier = null;

  function startLoadingEarlier(elt, xhr) {
    var log = document.getElementById("messages");
    if (!log || !elt.closest || !elt.closest("#load-earlier")) return;
    earlier = {
      xhr: xhr,
      log: log,
      fromBottom: log.scrollHeight - log.scrollTop,
      hadFocus: elt.contains(document.activeElement) || elt === document.activeElement
    };
    log.setAttribute("aria-busy", "true");
  }

  function isEarlier(evt) {
    return earlier && evt.detail && evt.detail.xhr === earlier.xhr;
  }

  function keepPlaceAfterEarlier() {
    earlier.log.scrollTop = earlier.log.scrollHeight - earlier.fromBottom;
  }

  function finishLoadingEarlier() {
    var done = earlier;
    earlier = null;
    done.log.removeAttribute("aria-busy");
    if (done.hadFocus) {
      var next = document.querySelector("#load-earlier button");
      (next || done.log).focus({ preventScroll: true });
    }
  }

  // ---- a message's actions menu -------------------------------------------------

  function menuItems(menu) {
    return Array.prototype.slice.call(menu.querySelectorAll("[role=menuitem]"));
  }

  function triggerOf(menu) {
    var previous = menu.previousElementSibling;
    return previous && previous.classList.contains("msg-actions") ? previous : null;
  }

  // The menu arrived (after its "⋯" link): focus moves into it, one item at a time.
  function openMenu(menu) {
    document.querySelectorAll(".msg-menu").forEach(function (other) {
      if (other !== menu) closeMenu(other, false);
    });
    var trigger = triggerOf(menu);
    if (trigger) trigger.setAttribute("aria-expanded", "true");
    var items = menuItems(menu);
    items.forEach(function (item, i) { item.tabIndex = i === 0 ? 0 : -1; });
    if (items[0]) items[0].focus();
  }

  function closeMenu(menu, refocus) {
    var trigger = triggerOf(menu);
    if (trigger) {
      trigger.setAttribute("aria-expanded", "false");
      if (refocus) trigger.focus();
    }
    menu.remove();
  }

  function moveInMenu(menu, e) {
    var items = menuItems(menu);
    var at = items.indexOf(document.activeElement);
    var next = null;
    if (e.key === "ArrowDown" || e.key === "ArrowRight") next = items[(at + 1) % items.length];
    else if (e.key === "ArrowUp" || e.key === "ArrowLeft") next = items[(at - 1 + items.length) % items.length];
    else if (e.key === "Home") next = items[0];
    else if (e.key === "End") next = items[items.length - 1];
    else if (e.key === "Escape") { e.preventDefault(); closeMenu(menu, true); return; }
    else if (e.key === "Tab") { closeMenu(menu, true); return; }
    if (!next) return;
    e.preventDefault();
    items.forEach(function (item) { item.tabIndex = item === next ? 0 : -1; });
    next.focus();
  }

  // A menu item was chosen: the menu hides at once and goes when its request is
  // done. Focus returns to the "⋯" link first, so a dialog the item opens gives it
  // back there when it closes (an edit form takes focus itself).
  function chooseFromMenu(item) {
    var menu = item.closest(".msg-menu");
    if (!menu || menu.hidden) return;
    menu.hidden = true;
    var trigger = triggerOf(menu);
    if (trigger) {
      trigger.setAttribute("aria-expanded", "false");
      trigger.focus();
    }
  }

  // ---- editing in place -----------------------------------------------------------

  // Where focus goes when an edit form closes: the message's "⋯" link.
  var editing = null;

  function startEditing(form) {
    editing = form.id.replace(/^c-/, "");
    var box = form.querySelector("textarea");
    if (!box) return;
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
  }

  function finishedEditing(content) {
    if (!editing || content.id !== "c-" + editing) return;
    var link = document.querySelector("#m-" + editing + " .msg-actions");
    editing = null;
    if (link) link.focus();
  }

  function editLastOwnMessage() {
    var mine = me();
    var log = document.getElementById("messages");
    if (!mine || !log) return false;
    var own = log.querySelectorAll('.msg[data-uid="' + mine + '"]');
    var last = own[own.length - 1];
    if (!last) return false;
    var id = last.id.replace(/^m-/, "");
    htmx.ajax("GET", "/messages/" + id + "/edit", { target: "#c-" + id, swap: "outerHTML" });
    return true;
  }

  // ---- live fragments -------------------------------------------------------------

  // An event may be about a message this page does not show (older than what is
  // loaded): drop those parts of the fragment instead of letting htmx complain that
  // their targets are missing.
  function onlyShownTargets(text) {
    if (text.indexOf('hx-swap-oob="true"') < 0 && text.indexOf('hx-swap-oob="delete"') < 0) return text;
    var template = document.createElement("template");
    template.innerHTML = text;
    var dropped = false;
    Array.prototype.slice.call(template.content.children).forEach(function (child) {
      var oob = child.getAttribute("hx-swap-oob");
      if ((oob === "true" || oob === "delete") && child.id && !document.getElementById(child.id)) {
        child.remove();
        dropped = true;
      }
    });
    return dropped ? template.innerHTML : text;
  }

  // Focus inside something an event replaces (a reaction button just pressed) stays
  // on the element with the same id afterwards, or falls back to the message.
  var refocus = null;

  function rememberFocus(target) {
    var active = document.activeElement;
    if (!target || !active || active === document.body || !target.contains(active)) return;
    var message = target.closest(".msg");
    refocus = { id: active.id, message: message ? message.id : null };
  }

  function restoreFocus() {
    if (!refocus) return;
    var wanted = refocus;
    refocus = null;
    if (document.activeElement && document.activeElement !== document.body) return;
    var again = wanted.id && document.getElementById(wanted.id);
    if (again) return again.focus();
    var link = wanted.message && document.querySelector("#" + wanted.message + " .msg-actions");
    (link || document.getElementById("messages")).focus();
  }

  var removed = false;

  // A message removed: its day heading goes too if nothing else is under it.
  function beforeRemoving(msg) {
    var heading = msg.previousElementSibling;
    var next = msg.nextElementSibling;
    var alone = !next || !next.classList.contains("msg");
    if (heading && heading.classList.contains("day") && alone) heading.remove();
  }

  // A message repeated (a resumed socket replays what a page loaded meanwhile):
  // the newer copy stays.
  function dropRepeat(msg) {
    document.querySelectorAll('[id="' + msg.id + '"]').forEach(function (copy) {
      if (copy !== msg) copy.remove();
    });
  }

  htmx.defineExtension("hearth", {
    transformResponse: function (text, xhr) {
      return xhr === null ? onlyShownTargets(text) : text;
    },
    onEvent: function (name, evt) {
      var elt = evt.detail && evt.detail.elt;
      if (name === "htmx:afterRequest" && elt && elt.closest) {
        var chosen = elt.closest(".msg-menu");
        if (chosen && chosen.hidden) chosen.remove();
      }
      if (name === "htmx:load" && elt && elt.querySelectorAll) {
        localTimes(elt);
        pressedReactions(elt);
        openDialogs(elt);
        var isMessage = elt.classList && elt.classList.contains("msg");
        if (isMessage) dropRepeat(elt);
        if (isMessage || elt.querySelector(".msg")) annotateLog(isMessage ? elt : null);
        followNewest(elt);
        if (elt.classList.contains("msg-menu")) openMenu(elt);
        if (elt.classList.contains("edit-form")) startEditing(elt);
        else if (elt.classList.contains("content")) finishedEditing(elt);
      } else if (name === "htmx:beforeRequest" && elt) {
        var trigger = elt.classList && elt.classList.contains("msg-actions") ? elt : null;
        var open = trigger && trigger.nextElementSibling;
        if (open && open.classList.contains("msg-menu")) {
          // "⋯" again: the menu closes instead of opening twice.
          evt.preventDefault();
          closeMenu(open, true);
          return;
        }
        if (elt.closest && elt.closest(".msg-menu")) chooseFromMenu(elt);
        startLoadingEarlier(elt, evt.detail.xhr);
      } else if (name === "htmx:oobBeforeSwap") {
        var target = evt.detail.target;
        rememberFocus(target);
        // Whole messages are only ever removed (a delete); edits and reactions
        // replace parts of them.
        if (target && target.classList && target.classList.contains("msg")) {
          beforeRemoving(target);
          removed = true;
        }
      } else if (name === "htmx:wsAfterMessage") {
        restoreFocus();
        if (removed) annotateLog(null);
        removed = false;
      } else if (name === "htmx:beforeSwap") {
        closeReplacedDialog(evt);
      } else if (name === "htmx:afterSwap" && isEarlier(evt)) {
        keepPlaceAfterEarlier();
      } else if (name === "htmx:afterSettle" && isEarlier(evt)) {
        finishLoadingEarlier();
      } else if (name === "htmx:afterRequest" && isEarlier(evt) && !evt.detail.successful) {
        finishLoadingEarlier();
      } else if (name === "htmx:wsOpen") {
        document.body.classList.remove("ws-down");
      } else if (name === "htmx:wsClose") {
        document.body.classList.add("ws-down");
      }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var log = document.getElementById("messages");
    if (log) log.scrollTop = log.scrollHeight;
  });

  // "Today" becomes "Yesterday" at midnight for a page left open.
  var today = dayKey(new Date());
  setInterval(function () {
    if (dayKey(new Date()) === today) return;
    today = dayKey(new Date());
    annotateLog(null);
  }, 60 * 1000);

  document.addEventListener("click", function (e) {
    var closer = e.target.closest && e.target.closest("[data-close-dialog]");
    var dialog = closer && closer.closest("dialog");
    if (dialog) dialog.close();
    // A click anywhere else closes an open actions menu.
    document.querySelectorAll(".msg-menu:not([hidden])").forEach(function (menu) {
      var trigger = triggerOf(menu);
      if (!menu.contains(e.target) && !(trigger && trigger.contains(e.target))) closeMenu(menu, false);
    });
  });

  document.addEventListener("keydown", function (e) {
    var menu = e.target.closest && e.target.closest(".msg-menu");
    if (menu) return moveInMenu(menu, e);
    // Enter sends (or saves an edit); Shift+Enter (or an input method still
    // composing) makes a newline.
    var box = e.target.id === "composer-text" || (e.target.classList && e.target.classList.contains("edit-text"));
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && box) {
      e.preventDefault();
      if (e.target.value.trim() !== "") e.target.form.requestSubmit();
      return;
    }
    // Esc cancels an edit; Up in an empty composer edits the reader's last message.
    if (e.key === "Escape" && e.target.classList && e.target.classList.contains("edit-text")) {
      e.preventDefault();
      var cancel = e.target.form.querySelector(".edit-cancel");
      if (cancel) cancel.click();
      return;
    }
    if (e.key === "ArrowUp" && e.target.id === "composer-text" && e.target.value === "" && !e.isComposing) {
      if (editLastOwnMessage()) e.preventDefault();
      return;
    }
    // Esc closes the phone sidebar, and focus returns to its toggle.
    var toggle = document.getElementById("nav-toggle");
    if (e.key === "Escape" && toggle && toggle.checked && !document.querySelector("dialog[open]")) {
      toggle.checked = false;
      toggle.focus();
    }
  });
})();
