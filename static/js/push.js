// Push on this device: opt-in from the notification settings page. The browser subscribes with
// the server's VAPID key and hands its subscription to the server; turning off removes it.
(function () {
  "use strict";
  var box = document.getElementById("push");
  if (!box) return;
  var status = document.getElementById("push-status");
  var button = document.getElementById("push-toggle");
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !window.Notification) {
    status.textContent = "This browser can't receive push notifications. On an iPhone, add Imago to your home screen first.";
    return;
  }
  var csrf = "";
  try { csrf = JSON.parse(document.body.getAttribute("hx-headers"))["x-csrftoken"]; } catch (e) { csrf = ""; }

  function key(base64) {
    var padded = (base64 + "===".slice((base64.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function send(body) {
    return fetch(box.getAttribute("data-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body)
    });
  }

  function show(subscription) {
    button.hidden = false;
    button.textContent = subscription ? "Turn off push on this device" : "Turn on push on this device";
    status.textContent = subscription ? "Push is on for this device." : "Push is off for this device.";
  }

  navigator.serviceWorker.register(box.getAttribute("data-worker")).then(function (registration) {
    return registration.pushManager.getSubscription().then(function (current) {
      show(current);
      button.addEventListener("click", function () {
        registration.pushManager.getSubscription().then(function (existing) {
          if (existing) {
            return send({ endpoint: existing.endpoint, unsubscribe: true })
              .then(function () { return existing.unsubscribe(); })
              .then(function () { show(null); });
          }
          return registration.pushManager.subscribe({
            userVisibleOnly: true, applicationServerKey: key(box.getAttribute("data-key"))
          }).then(function (subscription) {
            return send(subscription.toJSON()).then(function () { show(subscription); });
          });
        }).catch(function () {
          status.textContent = "Push could not be turned on. Check that this site may show notifications.";
        });
      });
    });
  });
})();
