// The notifications socket (/ws/me/): one per signed-in tab. The server sends the unread count
// and the latest notices as HTML whenever something that concerns this person changes.
(function () {
  "use strict";
  var path = document.body.getAttribute("data-notify-socket");
  if (!path || !window.WebSocket) return;
  var live = document.getElementById("notify-live");
  var count = document.getElementById("notify-count");
  var retry = 1000;

  function show(frame) {
    if (live) {
      live.innerHTML = frame.html;
      if (window.htmx) window.htmx.process(live); // the notices' Dismiss buttons
    }
    if (count) {
      count.textContent = frame.unread;
      count.hidden = !frame.unread;
    }
    var title = document.title.replace(/^\(\d+\) /, "");
    document.title = frame.unread ? "(" + frame.unread + ") " + title : title;
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + path);
    socket.onopen = function () { retry = 1000; };
    socket.onmessage = function (event) {
      var frame = JSON.parse(event.data);
      if (frame.type === "notifications") show(frame);
      document.body.setAttribute("data-notify", "live");
    };
    socket.onclose = function (event) {
      document.body.setAttribute("data-notify", "offline");
      if (event.code === 1000 || event.code === 4401) return; // closed for good, or signed out
      setTimeout(connect, retry);
      retry = Math.min(retry * 2, 30000);
    };
  }
  connect();
})();
