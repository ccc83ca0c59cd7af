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

  htmx.defineExtension("hearth", {
    onEvent: function (name, evt) {
      var elt = evt.detail && evt.detail.elt;
      if (name === "htmx:load" && elt && elt.querySelectorAll) {
        localTimes(elt);
        openDialogs(elt);
        var isMessage = elt.classList && elt.classList.contains("msg");
        if (isMessage || elt.querySelector(".msg")) annotateLog(isMessage ? elt : null);
        followNewest(elt);
      } else if (name === "htmx:beforeRequest" && elt) {
        startLoadingEarlier(elt, evt.detail.xhr);
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
  });

  document.addEventListener("keydown", function (e) {
    // Enter sends; Shift+Enter (or an input method still composing) makes a newline.
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.target.id === "composer-text") {
      e.preventDefault();
      if (e.target.value.trim() !== "") e.target.form.requestSubmit();
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
