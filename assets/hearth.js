// Hearth's own htmx extension: the few behaviours htmx has no attribute for.
// It runs under the strict CSP (no eval, no inline handlers) and needs no build step.
(function () {
  "use strict";

  // Show message times in the viewer's own time zone.
  function localTimes(root) {
    root.querySelectorAll("time[datetime]:not([data-local])").forEach(function (t) {
      var when = new Date(t.getAttribute("datetime"));
      if (isNaN(when)) return;
      t.textContent = when.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
      t.title = when.toLocaleString();
      t.setAttribute("data-local", "");
    });
  }

  // Dialogs loaded by htmx open as real modals: focus stays inside, Esc closes them.
  function openDialogs(root) {
    var dialogs = root.matches && root.matches("dialog[data-modal]") ? [root] : [];
    root.querySelectorAll("dialog[data-modal]").forEach(function (d) { dialogs.push(d); });
    dialogs.forEach(function (dialog) {
      if (dialog.open) return;
      dialog.addEventListener("close", function () { dialog.remove(); });
      dialog.showModal();
    });
  }

  // Keep the conversation pinned to the newest message unless the reader scrolled up.
  function followNewest(elt) {
    var log = document.getElementById("messages");
    if (!log || !elt.classList || !elt.classList.contains("msg") || elt.parentNode !== log) return;
    if (elt.nextElementSibling && elt.nextElementSibling.classList.contains("msg")) return;
    var distance = log.scrollHeight - log.scrollTop - log.clientHeight - elt.offsetHeight;
    if (distance < 160) log.scrollTop = log.scrollHeight;
  }

  htmx.defineExtension("hearth", {
    onEvent: function (name, evt) {
      var elt = evt.detail && evt.detail.elt;
      if (name === "htmx:load" && elt && elt.querySelectorAll) {
        localTimes(elt);
        openDialogs(elt);
        followNewest(elt);
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

  document.addEventListener("click", function (e) {
    var closer = e.target.closest && e.target.closest("[data-close-dialog]");
    var dialog = closer && closer.closest("dialog");
    if (dialog) dialog.close();
  });

  // Enter sends; Shift+Enter (or an input method still composing) makes a newline.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Enter" || e.shiftKey || e.isComposing || e.target.id !== "composer-text") return;
    e.preventDefault();
    if (e.target.value.trim() !== "") e.target.form.requestSubmit();
  });
})();
