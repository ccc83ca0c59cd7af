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
  // New content is processed (its hx-* attributes bound) as it is swapped in, not 20 ms
  // later: a "Load earlier" pressed the moment it appears must work. (The delay is
  // for CSS transitions, which Hearth does not use.)
  htmx.config.defaultSettleDelay = 0;

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
      // A time with `data-date` (a search result) says its day too.
      t.textContent = t.hasAttribute("data-date")
        ? when.toLocaleString(dateLocale(), { dateStyle: "medium", timeStyle: "short" })
        : when.toLocaleTimeString(dateLocale(), { hour: "numeric", minute: "2-digit" });
      t.title = when.toLocaleString(dateLocale());
      t.setAttribute("data-local", "");
    });
    editedMarks(root);
  }

  // "(edited)" after an edited message, with when on hover and focus. The live
  // fragment carries only the time; the words are the page's, in its language. It
  // takes focus only once it has words (an empty mark would be a stop with no name).
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
      mark.tabIndex = 0;
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
  // The control that opened the dialog now showing. A dialog that comes back with an
  // error replaces the first one, so the browser's own memory of the opener is lost
  // with it: Cancel and Esc must still return there.
  var dialogOpener = null;

  function openDialogs(root) {
    var dialogs = root.matches && root.matches("dialog[data-modal]") ? [root] : [];
    root.querySelectorAll("dialog[data-modal]").forEach(function (d) { dialogs.push(d); });
    dialogs.forEach(function (dialog) {
      if (dialog.open) return;
      var active = document.activeElement;
      if (active && active !== document.body && !active.closest("dialog")) dialogOpener = active;
      dialog.addEventListener("close", function () {
        dialog.remove();
        // A replacement dialog is already open: it owns the opener now.
        if (document.querySelector("dialog[open]")) return;
        var opener = dialogOpener;
        dialogOpener = null;
        if (opener && document.body.contains(opener)) opener.focus();
      });
      dialog.showModal();
      var first = dialog.querySelector("[autofocus]") || dialog.querySelector(".join-list button");
      if (first) first.focus();
    });
  }

  // The Join dialog's filter: rooms whose name does not contain what was typed hide.
  function filterRooms(input) {
    var wanted = input.value.trim().toLocaleLowerCase();
    var list = input.closest("dialog").querySelectorAll(".join-list li");
    var shown = 0;
    list.forEach(function (item) {
      var name = item.querySelector(".room-name").textContent.toLocaleLowerCase();
      item.hidden = wanted !== "" && name.indexOf(wanted) < 0;
      if (!item.hidden) shown++;
    });
    var none = input.closest("dialog").querySelector(".no-match");
    if (none) none.hidden = shown > 0;
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

  // The message at the top of the view, and how far below the log's top edge it is.
  function topMessage(log) {
    var top = log.getBoundingClientRect().top;
    var msgs = log.querySelectorAll(".msg");
    for (var i = 0; i < msgs.length; i++) {
      var rect = msgs[i].getBoundingClientRect();
      if (rect.bottom > top) return { msg: msgs[i], offset: rect.top - top };
    }
    return null;
  }

  function startLoadingEarlier(elt, xhr) {
    var log = document.getElementById("messages");
    if (!log || !elt.closest || !elt.closest("#load-earlier")) return;
    earlier = {
      xhr: xhr,
      log: log,
      anchor: topMessage(log),
      hadFocus: elt.contains(document.activeElement) || elt === document.activeElement
    };
    log.setAttribute("aria-busy", "true");
  }

  function isEarlier(evt) {
    return earlier && evt.detail && evt.detail.xhr === earlier.xhr;
  }

  // The message that was at the top stays exactly where it was, however much the
  // older messages above it (and their day headings and grouping) take.
  function keepPlaceAfterEarlier() {
    var anchor = earlier.anchor;
    if (!anchor || !document.body.contains(anchor.msg)) return;
    var top = earlier.log.getBoundingClientRect().top;
    earlier.log.scrollTop += anchor.msg.getBoundingClientRect().top - top - anchor.offset;
  }

  // Keyboard focus stays in view: on the log, from which Tab reaches the next "Load
  // earlier" and the arrow keys scroll.
  function finishLoadingEarlier() {
    var done = earlier;
    keepPlaceAfterEarlier();
    earlier = null;
    done.log.removeAttribute("aria-busy");
    if (done.hadFocus) done.log.focus({ preventScroll: true });
  }

  // ---- unread, at a glance ---------------------------------------------------------

  // How many rooms have unread messages: a dot on the phone's Rooms button (with the
  // number in its accessible name) and "(3) Hearth" in the tab's title.
  var baseTitle = null;

  function summariseUnread() {
    var badges = document.querySelectorAll("#sidebar .badge");
    if (!badges.length && !document.getElementById("room-list")) return;
    // A room counts when something from others is unread there (its name is bold).
    var rooms = 0;
    badges.forEach(function (b) { if (b.hasAttribute("data-unread")) rooms++; });
    var dot = document.querySelector(".nav-unread");
    if (dot) {
      dot.hidden = rooms === 0;
      dot.textContent = rooms > 0 ? String(rooms) : "";
    }
    var toggle = document.getElementById("nav-toggle");
    if (toggle) {
      var label = toggle.getAttribute("data-label") || "";
      var words = toggle.getAttribute(rooms === 1 ? "data-unread-one" : "data-unread-other") || "";
      var unread = words.replace(/\{[^}]*\}/, rooms);
      toggle.setAttribute("aria-label", rooms > 0 ? label + " (" + unread + ")" : label);
    }
    if (baseTitle === null) baseTitle = document.title.replace(/^\(\d+\) /, "");
    document.title = rooms > 0 ? "(" + rooms + ") " + baseTitle : baseTitle;
  }

  // ---- whose page this is, and being signed out -------------------------------------

  // The signed-in person's username (the app's shell carries it), or null on a page
  // without one (login, register).
  function currentUser() {
    var shell = document.querySelector(".shell[data-user]");
    return shell ? shell.getAttribute("data-user") : null;
  }

  var signedOutNow = false;

  // A socket closed with 1008, a session check or a resend answered 401: this page was
  // signed out (here or elsewhere). Say so, with a way back to this very page, instead
  // of "Reconnecting…" forever.
  function signedOut() {
    if (signedOutNow) return;
    signedOutNow = true;
    // What this page promises to give back after logging in again (its draft and
    // unsent messages) stays, under this person's name only (see keptKey); all else
    // this tab kept goes.
    forgetKept(function (key) { return key === draftKey() || key === outboxKey(); });
    stopSockets();
    document.body.classList.remove("ws-down");
    document.body.classList.add("signed-out-now");
    var note = document.getElementById("signed-out");
    if (!note) return;
    var link = note.querySelector("a");
    if (link) link.href = "/login?next=" + encodeURIComponent(location.pathname + location.search);
    note.hidden = false;
  }

  // Nothing live is for a signed-out page: its sockets stop retrying (the ws extension
  // gives up on an element no longer in the page), so one that would succeed because
  // someone else logged in on this browser meanwhile never opens here.
  function stopSockets() {
    document.querySelectorAll("[ws-connect]").forEach(function (elt) { elt.remove(); });
  }

  // A socket that cannot reconnect says only 1006, whether the network is down or the
  // server refused it for want of a session (logged out in another tab while this
  // one's socket was down). So ask the server, cheaply, whose session this tab has:
  // none (401), or someone else's, is being signed out; no answer is a network problem
  // after all, and "Reconnecting…" is right.
  var askingSession = false;

  function checkSession() {
    var user = currentUser();
    if (askingSession || signedOutNow || user === null) return;
    askingSession = true;
    fetch("/api/v1/session", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (res) {
        if (res.status === 401) return signedOut();
        if (!res.ok) return;
        return res.json().then(function (me) {
          if (me && me.username !== user) signedOut();
        });
      })
      .catch(function () {})
      .then(function () { askingSession = false; });
  }

  // ---- drafts and unsent messages ----------------------------------------------------

  // What is typed in a room's composer is kept (in this tab) until it is sent, so a
  // trip to the login page or a reload loses nothing. It is kept per person as well as
  // per room: on a shared computer, the next person to log in in this same tab must
  // not get the last one's draft, nor send their unsent messages under their own name.
  function keptKey(kind) {
    return "hearth:" + kind + ":" + encodeURIComponent(currentUser() || "") + ":" + location.pathname;
  }

  function draftKey() {
    return keptKey("draft");
  }

  function outboxKey() {
    return keptKey("outbox");
  }

  function storage() {
    try { return window.sessionStorage; } catch (e) { return null; }
  }

  // Removes every draft and unsent message this tab keeps, but those `keep` spares.
  function forgetKept(keep) {
    var store = storage();
    if (!store) return;
    var keys = [];
    for (var i = 0; i < store.length; i++) keys.push(store.key(i));
    keys.forEach(function (key) {
      if (key && key.indexOf("hearth:") === 0 && !(keep && keep(key))) store.removeItem(key);
    });
  }

  // A logged-in page forgets what anyone else left in this tab (signed out elsewhere,
  // say, and then someone else logged in here): it is never theirs to see.
  function forgetOthers() {
    var user = currentUser();
    if (user === null) return;
    var owner = encodeURIComponent(user);
    forgetKept(function (key) { return key.split(":")[2] === owner; });
  }

  function saveDraft(box) {
    var store = storage();
    if (!store) return;
    if (box.value.trim() === "") store.removeItem(draftKey());
    else store.setItem(draftKey(), box.value);
  }

  function restoreDraft() {
    var box = document.getElementById("composer-text");
    var store = storage();
    if (!box || !store || box.value !== "") return;
    var draft = store.getItem(draftKey());
    if (draft) box.value = draft;
  }

  function outbox() {
    var store = storage();
    try { return JSON.parse((store && store.getItem(outboxKey())) || "[]"); } catch (e) { return []; }
  }

  function saveOutbox(items) {
    var store = storage();
    if (!store) return;
    if (items.length) store.setItem(outboxKey(), JSON.stringify(items));
    else store.removeItem(outboxKey());
  }

  // The unsent messages still to try: not those the server refused (sending them again
  // would only be refused again).
  function pending() {
    return outbox().filter(function (i) { return !i.refused; });
  }

  function forgetUnsent(clientId) {
    saveOutbox(outbox().filter(function (i) { return i.client_id !== clientId; }));
    var shown = unsentEntry(clientId);
    if (shown) shown.remove();
  }

  function newClientId() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  function unsentEntry(clientId) {
    return document.querySelector('.unsent[data-client-id="' + clientId + '"]');
  }

  function logWords(key, fallback) {
    var log = document.getElementById("messages");
    return (log && log.getAttribute("data-" + key)) || fallback || "";
  }

  // A message the server never got shows under the conversation as "Not sent", with
  // Retry. Its client_id stays the same, so however often it is retried it is stored
  // once. One the server refused says why, and offers Discard instead.
  function showUnsent(item) {
    var log = document.getElementById("messages");
    if (!log || unsentEntry(item.client_id)) return;
    var box = document.createElement("div");
    box.className = "unsent";
    box.setAttribute("data-client-id", item.client_id);
    var text = document.createElement("p");
    text.className = "text";
    text.textContent = item.text;
    var status = document.createElement("p");
    status.className = "unsent-status";
    var words = document.createElement("span");
    words.textContent = logWords("not-sent");
    var retry = document.createElement("button");
    retry.type = "button";
    retry.className = "retry";
    retry.textContent = logWords("retry", "Retry");
    retry.addEventListener("click", sendUnsent);
    status.appendChild(words);
    status.appendChild(document.createTextNode(" "));
    status.appendChild(retry);
    box.appendChild(text);
    box.appendChild(status);
    log.appendChild(box);
    if (item.refused) markRefused(box, item);
    log.scrollTop = log.scrollHeight;
  }

  // Refused: "Not sent." and the server's reason, and Discard (Retry would only be
  // refused again). The text stays on the page, to copy.
  function markRefused(entry, item) {
    entry.classList.add("refused");
    var status = entry.querySelector(".unsent-status");
    var retry = status.querySelector(".retry");
    if (retry) retry.remove();
    status.querySelector("span").textContent = logWords("not-sent");
    if (!status.querySelector(".unsent-reason")) {
      var reason = document.createElement("span");
      reason.className = "unsent-reason";
      var discard = document.createElement("button");
      discard.type = "button";
      discard.className = "discard";
      discard.textContent = logWords("discard", "Discard");
      discard.addEventListener("click", function () { discardUnsent(item.client_id); });
      status.appendChild(reason);
      status.appendChild(document.createTextNode(" "));
      status.appendChild(discard);
    }
    status.querySelector(".unsent-reason").textContent = item.refused;
  }

  // Discarded: gone for good; the keyboard goes on in the composer.
  function discardUnsent(clientId) {
    forgetUnsent(clientId);
    var box = document.getElementById("composer-text");
    if (box) box.focus();
  }

  function keepUnsent(text, clientId) {
    var items = outbox().filter(function (i) { return i.client_id !== clientId; });
    items.push({ text: text, client_id: clientId });
    saveOutbox(items);
    showUnsent({ text: text, client_id: clientId });
  }

  // The server refused a resend (not a member any more, the room is gone, the text
  // breaks a rule): keep it, marked with why, so it is not sent again by itself. When
  // it is the only one and the composer is empty, its text goes back there too, ready
  // to be changed and sent.
  function refuseUnsent(item, reason) {
    var items = outbox();
    items.forEach(function (i) { if (i.client_id === item.client_id) i.refused = reason; });
    saveOutbox(items);
    item.refused = reason;
    var entry = unsentEntry(item.client_id);
    if (entry) markRefused(entry, item);
    var box = document.getElementById("composer-text");
    if (box && box.value === "" && items.length === 1) {
      box.value = item.text;
      saveDraft(box);
    }
  }

  // The words of a refusal: htmx's answers are fragments whose `.error` says it (a
  // composer, or an inline error), the API's are problem+json; else the page's own.
  function refusalWords(res) {
    return res.text().then(function (body) {
      var words = "";
      if (/json/.test(res.headers.get("Content-Type") || "")) {
        try {
          var problem = JSON.parse(body);
          words = problem.detail || problem.title || "";
        } catch (e) { words = ""; }
      } else {
        var doc = new DOMParser().parseFromString(body, "text/html");
        var error = doc.querySelector(".error");
        words = (error || doc.body).textContent.trim();
      }
      return words || logWords("refused");
    }, function () { return logWords("refused"); });
  }

  // Worth trying again later: no answer, the server in trouble, or too many at once.
  function transient(status) {
    return status === 0 || status === 408 || status === 429 || status >= 500;
  }

  var sendingUnsent = false;

  // Sends every unsent message, oldest first, each with its own client_id. One that
  // goes through leaves the list: the server stores a client_id once, and answers a
  // repeat (the first answer was lost, and the message came through the socket) as
  // a success, so the entry goes and the message shows once. One refused says why and
  // waits to be discarded; the first that fails for want of a connection stops the
  // round, to be retried when the connection is back.
  function sendUnsent() {
    var form = document.getElementById("composer");
    if (!form || sendingUnsent || signedOutNow) return;
    if (!pending().length) return;
    sendingUnsent = true;
    var statuses = function (key) {
      document.querySelectorAll(".unsent:not(.refused) .unsent-status span").forEach(function (s) {
        s.textContent = logWords(key);
      });
    };
    statuses("sending");
    var next = function () {
      var item = pending()[0];
      if (!item) { sendingUnsent = false; return; }
      var body = new URLSearchParams({ text: item.text, client_id: item.client_id });
      fetch(form.getAttribute("action"), {
        method: "POST",
        body: body,
        headers: { "HX-Request": "true" },
        credentials: "same-origin"
      }).then(function (res) {
        if (res.status === 401) { sendingUnsent = false; signedOut(); return; }
        if (res.ok) {
          forgetUnsent(item.client_id);
          return next();
        }
        if (transient(res.status)) throw new Error("not sent");
        return refusalWords(res).then(function (words) {
          refuseUnsent(item, words);
          next();
        });
      }).catch(function () {
        sendingUnsent = false;
        statuses("not-sent");
      });
    };
    next();
  }

  // The composer's own request failed without an answer (the server is down or
  // restarting): the message moves to the unsent list and the box is free again.
  function composerFailed(evt) {
    var form = evt.detail.elt;
    if (!form || form.id !== "composer") return;
    var status = evt.detail.xhr ? evt.detail.xhr.status : 0;
    if (status !== 0 && status < 500) return;
    var box = form.querySelector("textarea");
    var id = form.querySelector('input[name="client_id"]');
    if (hasFile(form)) { fileNotSent(form); return; }
    if (!box || !id || box.value.trim() === "") return;
    keepUnsent(box.value, id.value);
    box.value = "";
    id.value = newClientId();
    saveDraft(box);
  }

  // A message with a file cannot wait in this tab's storage (it holds only text), so
  // the composer keeps it: the file, what was typed and the same client_id stay in the
  // form, which says "Not sent" with Retry, and it is sent again by itself once the
  // connection is back. A reload loses the file (its text stays, as the draft).
  function fileNotSent(form) {
    showProgress(form, null);
    var status = form.querySelector(".composer-unsent");
    if (!status) {
      status = document.createElement("p");
      status.className = "unsent-status composer-unsent";
      status.setAttribute("role", "alert");
      var words = document.createElement("span");
      var retry = document.createElement("button");
      retry.type = "button";
      retry.className = "retry";
      retry.textContent = logWords("retry", "Retry");
      retry.addEventListener("click", function () { resendFile(form); });
      status.appendChild(words);
      status.appendChild(document.createTextNode(" "));
      status.appendChild(retry);
      form.appendChild(status);
    }
    status.querySelector("span").textContent = logWords("not-sent");
  }

  function resendFile(form) {
    var status = form.querySelector(".composer-unsent");
    if (status) status.querySelector("span").textContent = logWords("sending");
    form.requestSubmit();
  }

  // The connection is back: a message with a file that was not sent goes again.
  function sendUnsentFile() {
    var form = document.getElementById("composer");
    if (form && !signedOutNow && form.querySelector(".composer-unsent") && hasFile(form)) resendFile(form);
  }

  // ---- attaching files: the button, dropping, pasting, progress ------------------------

  function hasFile(form) {
    var input = form && form.querySelector('input[type="file"]');
    return !!(input && input.files && input.files.length);
  }

  // The Attach button names the file chosen (after its own words, from the page).
  function fileChosen(input) {
    var label = input.closest(".attach");
    var words = label && label.querySelector(".attach-label");
    if (!words) return;
    if (!words.hasAttribute("data-words")) words.setAttribute("data-words", words.textContent);
    var file = input.files && input.files[0];
    var chosen = (label.getAttribute("data-chosen") || "{name}").replace("{name}", file ? file.name : "");
    words.textContent = file ? chosen : words.getAttribute("data-words");
    label.classList.toggle("chosen", !!file);
  }

  // Files dropped on the room, or an image pasted into the composer, are attached as
  // if chosen with the button; Send sends them.
  function attachFiles(files) {
    var input = document.getElementById("composer-file");
    if (!input || !files || !files.length) return false;
    var chosen = new DataTransfer();
    chosen.items.add(files[0]);
    input.files = chosen.files;
    fileChosen(input);
    var box = document.getElementById("composer-text");
    if (box) box.focus();
    return true;
  }

  // A refusal that is not a composer (a file declared too large is refused before
  // the composer's handler sees it): its words go into the composer, which stays,
  // with what was typed and the file chosen.
  function composerRefused(evt) {
    var form = evt.detail.target;
    var xhr = evt.detail.xhr;
    if (!form || form.id !== "composer" || !xhr || xhr.status < 400) return;
    if (/id="composer"/.test(evt.detail.serverResponse || "")) return;
    evt.detail.shouldSwap = false;
    var words = new DOMParser().parseFromString(evt.detail.serverResponse || "", "text/html").body.textContent.trim();
    var error = form.querySelector(".error");
    if (!error) {
      error = document.createElement("p");
      error.className = "error";
      error.setAttribute("role", "alert");
      form.appendChild(error);
    }
    error.textContent = words;
    var unsent = form.querySelector(".composer-unsent");
    if (unsent) unsent.remove();
    showProgress(form, null);
  }

  function showProgress(form, fraction) {
    var bar = form && form.querySelector(".upload-progress");
    if (!bar) return;
    bar.hidden = fraction === null;
    if (fraction !== null) bar.value = Math.round(fraction * 100);
  }

  document.addEventListener("change", function (e) {
    if (e.target.id === "composer-file") fileChosen(e.target);
  });

  document.addEventListener("htmx:xhr:progress", function (e) {
    var form = e.target;
    if (!form || form.id !== "composer" || !hasFile(form) || !e.detail.lengthComputable) return;
    showProgress(form, e.detail.total ? e.detail.loaded / e.detail.total : 0);
  });

  function carriesFiles(e) {
    return e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types || [], "Files") >= 0;
  }

  document.addEventListener("dragover", function (e) {
    if (!carriesFiles(e) || !document.getElementById("composer-file")) return;
    e.preventDefault();
    document.body.classList.add("dropping");
  });
  document.addEventListener("dragleave", function (e) {
    if (e.target === document.documentElement || e.relatedTarget === null) document.body.classList.remove("dropping");
  });
  document.addEventListener("drop", function (e) {
    document.body.classList.remove("dropping");
    if (!carriesFiles(e) || !document.getElementById("composer-file")) return;
    e.preventDefault();
    attachFiles(e.dataTransfer.files);
  });
  document.addEventListener("paste", function (e) {
    if (e.target.id !== "composer-text" || !e.clipboardData) return;
    var files = e.clipboardData.files;
    if (files && files.length && attachFiles(files)) e.preventDefault();
  });

  // ---- notifications (Web Push) ---------------------------------------------------

  // The service worker shows pushed notifications; every logged-in page registers it.
  function registerServiceWorker() {
    if (!("serviceWorker" in navigator) || !document.getElementById("sidebar")) return;
    navigator.serviceWorker.register("/sw.js").catch(function () {});
  }

  function base64UrlBytes(text) {
    var padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  // The settings page's Notifications control: asks for permission only when pressed,
  // subscribes this browser (or unsubscribes it), and says plainly what happened.
  function pushSettings() {
    var section = document.getElementById("push-settings");
    var button = document.getElementById("push-toggle");
    var status = document.getElementById("push-status");
    if (!section || !button || !status) return;
    var say = function (key) { status.textContent = section.getAttribute("data-" + key) || ""; };
    if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
      say("unsupported");
      return;
    }
    var current = function () {
      return navigator.serviceWorker.ready.then(function (reg) { return reg.pushManager.getSubscription(); });
    };
    var show = function (subscribed) {
      button.hidden = false;
      button.textContent = section.getAttribute(subscribed ? "data-off" : "data-on");
      button.setAttribute("aria-pressed", subscribed ? "true" : "false");
      if (Notification.permission === "denied") say("denied");
      else say(subscribed ? "enabled" : "disabled");
    };
    current().then(function (sub) { show(!!sub); }, function () { say("unsupported"); });
    button.addEventListener("click", function () {
      button.disabled = true;
      var done = function () { button.disabled = false; };
      current().then(function (sub) {
        if (sub) return forgetSubscription(sub).then(function () { show(false); });
        return Notification.requestPermission().then(function (permission) {
          if (permission !== "granted") { show(false); say("denied"); return; }
          return fetch("/api/v1/push/key", { credentials: "same-origin" })
            .then(function (res) { return res.json(); })
            .then(function (key) {
              return navigator.serviceWorker.ready.then(function (reg) {
                return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: base64UrlBytes(key.public_key) });
              });
            })
            .then(function (sub) {
              return fetch("/api/v1/push/subscriptions", {
                method: "POST", credentials: "same-origin",
                headers: { "Content-Type": "application/json" },
                body: JSON.stringify(sub.toJSON())
              }).then(function (res) {
                if (res.ok) { show(true); return; }
                // The server refused it: the browser must not keep a subscription
                // nobody sends to, or this control would say "on" after a reload.
                return sub.unsubscribe().then(function () { throw new Error("refused"); });
              });
            })
            .catch(function () { show(false); say("failed"); });
        });
      }).then(done, function () { done(); say("failed"); });
    });
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
  // A page that does not reach the newest message (a permalink, or the first unread
  // of many) has a gap below it: new messages are not appended after the gap but
  // counted, and "Jump to the latest" shows.
  function onlyShownTargets(text) {
    var gap = !!document.getElementById("load-later");
    if (!gap && text.indexOf('hx-swap-oob="true"') < 0 && text.indexOf('hx-swap-oob="delete"') < 0) return text;
    var template = document.createElement("template");
    template.innerHTML = text;
    var dropped = false;
    Array.prototype.slice.call(template.content.children).forEach(function (child) {
      var oob = child.getAttribute("hx-swap-oob") || "";
      var missing = (oob === "true" || oob === "delete") && child.id && !document.getElementById(child.id);
      if (missing || (gap && oob.indexOf("beforeend:#messages") === 0)) {
        child.remove();
        dropped = true;
        if (gap && !missing) showJump(true);
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

  // ---- where a room opens, what is new, and the read marker -------------------------

  function say(words) {
    var announce = document.getElementById("announce");
    if (!announce) return;
    announce.textContent = "";
    // A moment later, so the change is heard even when the words repeat.
    setTimeout(function () { announce.textContent = words; }, 150);
  }

  // Opening a room: at the message a permalink names (highlighted), else at the
  // "New" divider (and screen readers hear how many are new), else at the bottom.
  function openRoom() {
    var log = document.getElementById("messages");
    if (!log) return;
    // Lay the log out as it will stay (local times, day headings, grouped messages)
    // before measuring where to scroll: htmx's first load event comes after this.
    localTimes(log);
    annotateLog(null);
    var target = log.getAttribute("data-target") && document.getElementById(log.getAttribute("data-target"));
    var divider = document.getElementById("new-divider");
    if (target) {
      target.classList.add("target");
      log.scrollTop = target.offsetTop - log.offsetTop - (log.clientHeight - target.offsetHeight) / 2;
    } else if (divider) {
      log.scrollTop = divider.offsetTop - log.offsetTop - 8;
      var announce = document.getElementById("announce");
      if (announce) say(announce.getAttribute("data-new") || "");
    } else {
      log.scrollTop = log.scrollHeight;
    }
    atBottomCheck();
  }

  function lastMessage(log) {
    var all = log.querySelectorAll(".msg");
    return all[all.length - 1] || null;
  }

  // Whether the newest message shown is in view (and no newer ones are missing).
  function readingNewest(log) {
    var last = lastMessage(log);
    if (!last || document.getElementById("load-later")) return false;
    return last.getBoundingClientRect().top < log.getBoundingClientRect().bottom - 4;
  }

  function showJump(show) {
    var jump = document.getElementById("jump-latest");
    if (jump) jump.hidden = !show;
  }

  var roomSocket = null;
  var readSent = 0;

  // Set while this page's own "Leave room" is on its way (see htmx:wsClose).
  var leavingHere = false;

  function redirecting(xhr) {
    return !!(xhr && xhr.getResponseHeader && xhr.getResponseHeader("HX-Redirect"));
  }

  function isLeaveForm(elt) {
    var action = elt && elt.getAttribute && elt.getAttribute("hx-post");
    return !!action && /\/leave$/.test(action);
  }

  // The reader reached the newest message: tell the server (which moves the read
  // marker), once per newer message, and only while the page is visible.
  function atBottomCheck() {
    var log = document.getElementById("messages");
    if (!log) return;
    var newest = readingNewest(log);
    var gap = !!document.getElementById("load-later");
    var last = lastMessage(log);
    showJump(gap || (!!last && !newest));
    if (!newest || document.hidden || !roomSocket || !last) return;
    var id = parseInt(last.id.replace(/^m-/, ""), 10);
    if (!(id > readSent)) return;
    readSent = id;
    roomSocket.send(JSON.stringify({ read: id }));
  }

  // "Jump to the latest": with nothing missing below, just scroll there.
  function jumpToLatest(e) {
    var log = document.getElementById("messages");
    if (!log || document.getElementById("load-later")) return;
    e.preventDefault();
    log.scrollTop = log.scrollHeight;
    var last = lastMessage(log);
    var link = last && last.querySelector(".msg-actions");
    (link || log).focus({ preventScroll: true });
  }

  // "Copy link" in a message's menu: the permalink, whole, on the clipboard.
  function copyLink(item) {
    var url = location.origin + item.getAttribute("data-copy");
    var log = document.getElementById("messages");
    var done = function () { say((log && log.getAttribute("data-copied")) || ""); };
    chooseFromMenu(item);
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(url).then(done, function () { window.prompt("", url); });
    } else {
      window.prompt("", url);
    }
    var menu = item.closest(".msg-menu");
    if (menu) menu.remove();
  }

  // ---- typing ----------------------------------------------------------------------

  // Others typing arrive as empty markers (who, and nothing else); the page says it in
  // its reader's words, outside the log, and forgets each after 6 s without news.
  var typers = {};
  var typingTimer = null;
  var typingSent = 0;

  function showTyping() {
    var box = document.getElementById("typing");
    if (!box) return;
    var now = Date.now();
    box.querySelectorAll(".typer").forEach(function (t) {
      typers[t.getAttribute("data-uid")] = { name: t.getAttribute("data-name"), until: now + 6000 };
      t.remove();
    });
    var names = [];
    Object.keys(typers).forEach(function (uid) {
      if (typers[uid].until <= now) delete typers[uid];
      else names.push(typers[uid].name);
    });
    var text = "";
    if (names.length === 1) text = box.getAttribute("data-one").replace(/\{[^}]*\}/, names[0]);
    else if (names.length <= 3 && names.length > 1) text = box.getAttribute("data-two").replace(/\{[^}]*\}/, names.join(", "));
    else if (names.length > 3) text = box.getAttribute("data-many");
    box.querySelector(".typing-words").textContent = text;
    clearTimeout(typingTimer);
    if (names.length) typingTimer = setTimeout(showTyping, 1000);
  }

  // Their message arrived: they are done typing it.
  function stoppedTyping(uid) {
    if (uid && typers[uid]) {
      delete typers[uid];
      showTyping();
    }
  }

  // The reader is typing: say so (the server passes it on at most every 3 s too).
  function sayTyping(box) {
    if (!roomSocket || box.value.trim() === "" || Date.now() - typingSent < 3000) return;
    typingSent = Date.now();
    roomSocket.send(JSON.stringify({ typing: true }));
  }

  // ---- the search page ---------------------------------------------------------------

  // A search the server refuses (a bad query 422, a room filter naming a room one
  // left 403, an unknown room 404) answers `#search-results` with the reason in it:
  // show it in place like any answer, whatever its status.
  function searchRefused(evt) {
    var target = evt.detail.target;
    var xhr = evt.detail.xhr;
    if (!target || target.id !== "search-results" || !xhr || xhr.status < 400 || xhr.status >= 500) return;
    if (!/^\s*<section id="search-results"/.test(evt.detail.serverResponse || "")) return;
    evt.detail.shouldSwap = true;
    evt.detail.isError = false;
  }

  // The query box is invalid, and described by the reason, exactly while the results
  // say one (the page without htmx is rendered so by the server).
  function searchErrorState() {
    var q = document.getElementById("search-q");
    if (!q) return;
    var error = document.getElementById("search-error");
    if (error) q.setAttribute("aria-invalid", "true");
    else q.removeAttribute("aria-invalid");
    var ids = (q.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (id) {
      return id && id !== "search-error";
    });
    if (error) ids.push("search-error");
    q.setAttribute("aria-describedby", ids.join(" "));
  }

  // ---- suggestions: @mentions in the composer, people in "New message" ---------------

  // A field and its listbox follow the ARIA combobox pattern: the field keeps focus,
  // aria-activedescendant names the option ↑/↓ moved to, Enter or Tab picks it, Esc
  // closes the list. The options come from the server as htmx fragments.
  function fieldOf(list) {
    var controls = '[aria-controls="' + list.id + '"]';
    return document.querySelector("input" + controls + ", textarea" + controls);
  }

  // What says whether the list is open: the field itself when it is a combobox (an
  // input), else the wrapper with role="combobox" around it (the composer's textarea,
  // which may not carry aria-expanded itself).
  function comboOf(field) {
    return field.closest('[role="combobox"]');
  }

  function setExpanded(field, open) {
    var combo = comboOf(field);
    if (combo) combo.setAttribute("aria-expanded", open ? "true" : "false");
  }

  function listOf(field) {
    var id = field && field.getAttribute && field.getAttribute("aria-controls");
    var list = id && document.getElementById(id);
    return list && list.classList.contains("suggestions") ? list : null;
  }

  function activate(field, option) {
    var list = listOf(field);
    if (!list) return;
    list.querySelectorAll("[role=option]").forEach(function (o) {
      o.setAttribute("aria-selected", o === option ? "true" : "false");
    });
    if (option) {
      field.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      field.removeAttribute("aria-activedescendant");
    }
  }

  function closeSuggestions(field) {
    var list = listOf(field);
    if (list) {
      list.hidden = true;
      list.innerHTML = "";
    }
    field.removeAttribute("aria-activedescendant");
    setExpanded(field, false);
  }

  function suggestionsArrived(list) {
    var field = fieldOf(list);
    if (!field) return;
    var first = list.querySelector("[role=option]");
    if (!first || document.activeElement !== field) return closeSuggestions(field);
    list.hidden = false;
    setExpanded(field, true);
    activate(field, first);
  }

  function pickSuggestion(option) {
    var list = option.closest(".suggestions");
    var field = list && fieldOf(list);
    if (!field) return;
    var name = option.getAttribute("data-name");
    if (field.id === "composer-text") {
      var at = field.selectionStart;
      var before = field.value.slice(0, at).replace(/@[^\s@]*$/, "@" + name + " ");
      field.value = before + field.value.slice(at);
      field.setSelectionRange(before.length, before.length);
      saveDraft(field);
    } else {
      field.value = field.value.replace(/[^,，、\s]*$/, name + ", ");
    }
    closeSuggestions(field);
    field.focus();
  }

  function moveInSuggestions(e) {
    var list = listOf(e.target);
    if (!list || list.hidden || e.isComposing) return false;
    var options = Array.prototype.slice.call(list.querySelectorAll("[role=option]"));
    if (!options.length) return false;
    var at = options.findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      var step = e.key === "ArrowDown" ? 1 : -1;
      activate(e.target, options[(at + step + options.length) % options.length]);
    } else if ((e.key === "Enter" || e.key === "Tab") && at >= 0 && !e.shiftKey) {
      pickSuggestion(options[at]);
    } else if (e.key === "Escape") {
      closeSuggestions(e.target);
    } else {
      return false;
    }
    e.preventDefault();
    e.stopPropagation();
    return true;
  }

  // An "@name" being typed in the composer: ask the room who it could be.
  var mentionAsked = null;
  function lookForMention(box) {
    var before = box.value.slice(0, box.selectionStart);
    var m = /(^|[^\p{L}\p{N}_.@-])@([\p{L}\p{N}_.-]*)$/u.exec(before);
    if (!m) {
      mentionAsked = null;
      return closeSuggestions(box);
    }
    if (m[2] === mentionAsked) return;
    mentionAsked = m[2];
    var url = box.form.getAttribute("action").replace(/\/messages$/, "/mentionable");
    htmx.ajax("GET", url + "?q=" + encodeURIComponent(m[2]), { target: "#mention-list", swap: "outerHTML" });
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
        // The composer that sent is already replaced (and detached) by now: htmx tells
        // its ancestor, naming the sender in requestConfig.
        var sender = evt.detail.requestConfig && evt.detail.requestConfig.elt;
        if (sender && sender.id === "composer" && evt.detail.successful) {
          var store = storage();
          if (store) store.removeItem(draftKey());
          // Sent: what is typed next is news again.
          typingSent = 0;
        }
      }
      if (name === "htmx:load" && elt && elt.querySelectorAll) {
        localTimes(elt);
        pressedReactions(elt);
        openDialogs(elt);
        var isMessage = elt.classList && elt.classList.contains("msg");
        if (isMessage) dropRepeat(elt);
        if (isMessage) stoppedTyping(elt.getAttribute("data-uid"));
        if (elt.classList && elt.classList.contains("suggestions")) suggestionsArrived(elt);
        if (elt.id === "search-results") searchErrorState();
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
        // A message with a file that was not sent, sent again (Enter or Send, not Retry).
        var unsentFile = elt.id === "composer" && elt.querySelector(".composer-unsent span");
        if (unsentFile) unsentFile.textContent = logWords("sending");
        startLoadingEarlier(elt, evt.detail.xhr);
        // Leaving from this page: its answer takes the page to the reader's rooms, so
        // the socket's "left the room" must not start a second navigation that
        // aborts the first.
        if (isLeaveForm(elt)) leavingHere = true;
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
        atBottomCheck();
      } else if (name === "htmx:beforeSwap") {
        composerRefused(evt);
        closeReplacedDialog(evt);
        searchRefused(evt);
      } else if (name === "htmx:afterSwap" && isEarlier(evt)) {
        keepPlaceAfterEarlier();
      } else if (name === "htmx:afterSettle" && isEarlier(evt)) {
        finishLoadingEarlier();
      } else if (name === "htmx:afterRequest" && isLeaveForm(elt) && !redirecting(evt.detail.xhr)) {
        // Refused or unsent. (A redirect's answer is neither successful nor failed
        // to htmx: it navigates before deciding, so ask the answer itself.)
        leavingHere = false;
      } else if (name === "htmx:afterRequest" && isEarlier(evt) && !evt.detail.successful) {
        finishLoadingEarlier();
      } else if (name === "htmx:wsOpen" && !signedOutNow) {
        document.body.classList.remove("ws-down");
        if (elt && elt.id === "live") {
          roomSocket = evt.detail.socketWrapper;
          readSent = 0;
          atBottomCheck();
        }
        sendUnsent();
        sendUnsentFile();
      } else if (name === "htmx:wsClose" && !signedOutNow) {
        var closed = (evt.detail && evt.detail.event) || {};
        var code = closed.code;
        // Left this room (here or in another tab): on to the reader's rooms.
        if (code === 1008 && closed.reason === "left the room") {
          if (!leavingHere) location.assign("/rooms");
        }
        else if (code === 1008) signedOut();
        else {
          document.body.classList.add("ws-down");
          checkSession();
        }
      } else if (name === "htmx:sendError" || name === "htmx:responseError") {
        composerFailed(evt);
      }
      if (name === "htmx:load" || name === "htmx:oobAfterSwap") summariseUnread();
      if (name === "htmx:oobAfterSwap" && evt.detail.target && evt.detail.target.id === "typing") showTyping();
      // An admin renamed the room open here: on to its new address.
      if (name === "htmx:oobAfterSwap" && evt.detail.target && evt.detail.target.id === "room-moved") {
        var to = evt.detail.target.querySelector("[data-path]");
        var moved = to && to.getAttribute("data-path");
        if (moved && moved.charAt(0) === "/") location.replace(moved);
      }
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    registerServiceWorker();
    pushSettings();
    openRoom();
    var log = document.getElementById("messages");
    if (log) log.addEventListener("scroll", atBottomCheck, { passive: true });
    forgetOthers();
    restoreDraft();
    outbox().forEach(showUnsent);
    summariseUnread();
  });

  // Logging out (or ending this session, or deleting the account): this tab forgets
  // every draft and unsent message it kept, for the next person at this computer, and
  // this browser stops taking that person's notifications (the server forgets its
  // subscription, the browser drops it) before the form goes. At most a second is
  // waited for that: logging out never hangs on a push service.
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!(form.matches && form.matches("form[data-signs-out]"))) return;
    forgetKept(null);
    // (Deleting the account deletes its subscriptions on the server, and a wrong
    // password there must not cost this browser its notifications.)
    if (form.hasAttribute("data-push-dropped") || !("serviceWorker" in navigator)
        || form.getAttribute("action") === "/account/delete") return;
    e.preventDefault();
    var go = function () {
      if (form.hasAttribute("data-push-dropped")) return;
      form.setAttribute("data-push-dropped", "");
      form.requestSubmit ? form.requestSubmit() : form.submit();
    };
    setTimeout(go, 1000);
    dropPushSubscription().then(go, go);
  });

  // This browser's push subscription (if it has one), forgotten by the server and
  // dropped here.
  function dropPushSubscription() {
    return navigator.serviceWorker.getRegistration().then(function (reg) {
      if (!reg || !reg.pushManager) return null;
      return reg.pushManager.getSubscription();
    }).then(function (sub) { if (sub) return forgetSubscription(sub); });
  }

  // The server forgets `sub` (kept alive through a page that is leaving), then the
  // browser drops it, whether or not the server could be reached.
  function forgetSubscription(sub) {
    return fetch("/api/v1/push/subscriptions", {
      method: "DELETE", credentials: "same-origin", keepalive: true,
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ endpoint: sub.endpoint })
    }).catch(function () {}).then(function () { return sub.unsubscribe(); });
  }

  document.addEventListener("input", function (e) {
    if (e.target.id === "composer-text") {
      saveDraft(e.target);
      sayTyping(e.target);
      lookForMention(e.target);
    }
    if (e.target.classList && e.target.classList.contains("room-filter")) filterRooms(e.target);
  });

  // "Today" becomes "Yesterday" at midnight for a page left open.
  var today = dayKey(new Date());
  setInterval(function () {
    if (dayKey(new Date()) === today) return;
    today = dayKey(new Date());
    annotateLog(null);
  }, 60 * 1000);

  document.addEventListener("visibilitychange", atBottomCheck);

  document.addEventListener("click", function (e) {
    var copy = e.target.closest && e.target.closest("[data-copy]");
    if (copy) return copyLink(copy);
    if (e.target.closest && e.target.closest("#jump-latest")) return jumpToLatest(e);
    var option = e.target.closest && e.target.closest(".suggestions [role=option]");
    if (option) return pickSuggestion(option);
    var closer = e.target.closest && e.target.closest("[data-close-dialog]");
    var dialog = closer && closer.closest("dialog");
    if (dialog) dialog.close();
    // On a phone, a tap outside the open sidebar closes it.
    var toggle = document.getElementById("nav-toggle");
    var sidebar = document.getElementById("sidebar");
    if (toggle && toggle.checked && sidebar && !sidebar.contains(e.target) &&
        !e.target.closest(".phone-bar") && !e.target.closest("dialog")) {
      toggle.checked = false;
    }
    // A click anywhere else closes an open actions menu.
    document.querySelectorAll(".msg-menu:not([hidden])").forEach(function (menu) {
      var trigger = triggerOf(menu);
      if (!menu.contains(e.target) && !(trigger && trigger.contains(e.target))) closeMenu(menu, false);
    });
  });

  document.addEventListener("keydown", function (e) {
    var menu = e.target.closest && e.target.closest(".msg-menu");
    if (menu) return moveInMenu(menu, e);
    if (moveInSuggestions(e)) return;
    // "/" anywhere but in a text field goes to the sidebar's search box.
    var typing = e.target.closest && e.target.closest("input, textarea, select, [contenteditable]");
    var search = document.getElementById("sidebar-q");
    if (e.key === "/" && !typing && search && !e.ctrlKey && !e.metaKey && !e.altKey) {
      e.preventDefault();
      var toggle = document.getElementById("nav-toggle");
      if (toggle && getComputedStyle(search).visibility === "hidden") toggle.checked = true;
      search.focus();
      return;
    }
    // Enter sends (or saves an edit); Shift+Enter (or an input method still
    // composing) makes a newline.
    var box = e.target.id === "composer-text" || (e.target.classList && e.target.classList.contains("edit-text"));
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && box) {
      e.preventDefault();
      if (e.target.value.trim() !== "" || hasFile(e.target.form)) e.target.form.requestSubmit();
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
