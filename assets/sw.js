// Hearth's service worker: shows the notifications the server pushes (Web Push), and
// a click on one opens its message: in a Hearth tab that is already open, if there is
// one, or in a new one. It caches nothing: pages are never kept (no-store).
"use strict";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {}; }
  const url = typeof data.url === "string" && data.url.startsWith("/") ? data.url : "/rooms";
  event.waitUntil(self.registration.showNotification(String(data.title || "Hearth"), {
    body: String(data.body || ""),
    // One notification per room: a burst of messages replaces it instead of stacking.
    tag: String(data.tag || "hearth"),
    renotify: true,
    icon: "/assets/icon-192.png",
    data: { url },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = new URL(event.notification.data && event.notification.data.url || "/rooms", self.location.origin).href;
  event.waitUntil((async () => {
    const open = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of open) {
      if (new URL(client.url).origin !== self.location.origin) continue;
      const shown = "navigate" in client ? await client.navigate(url) : null;
      return (shown || client).focus();
    }
    return self.clients.openWindow(url);
  })());
});
