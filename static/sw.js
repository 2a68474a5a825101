// Imago's service worker: shows a push notification and opens its link when tapped. The text
// comes from the server already discreet; nothing here stores or caches anything.
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (error) { data = {}; }
  event.waitUntil(self.registration.showNotification(data.title || "Imago", {
    body: data.body || "",
    tag: data.tag,
    icon: "/static/favicon.svg",
    data: { url: data.url || "/" }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = (event.notification.data && event.notification.data.url) || "/";
  event.waitUntil(self.clients.openWindow(url));
});
