// Site-wide behaviour: the quick exit. Everything else works without JavaScript.
(function () {
  "use strict";
  function leave() {
    var exit = document.getElementById("quick-exit");
    document.body.style.display = "none";
    // replace(): the back button does not return to this page.
    window.location.replace(exit ? exit.href : "https://www.google.com/");
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("#quick-exit");
    if (link) { event.preventDefault(); leave(); }
  });
  var lastEscape = 0;
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var now = Date.now();
    if (now - lastEscape < 600) leave();
    lastEscape = now;
  });
})();
