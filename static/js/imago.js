// Site-wide behaviour: the quick exit and copy buttons. Everything else works without JavaScript.
(function () {
  "use strict";
  function leave() {
    var exit = document.getElementById("quick-exit");
    document.body.style.display = "none";
    // The link's own address logs out and then leaves for a neutral page; replace(): the back
    // button does not return to this page.
    window.location.replace(exit ? exit.href : "/leave/");
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

  // <button data-copy="ID"> copies the value of the field #ID and says so in [data-copy-status].
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.getElementById(button.dataset.copy);
    var status = document.querySelector('[data-copy-status="' + button.dataset.copy + '"]');
    if (!field) return;
    function done(ok) {
      if (status) status.textContent = ok ? "Link copied." : "Select the link and copy it.";
    }
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(function () { done(true); }, function () { done(false); });
    } else {
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      done(ok);
    }
  });
})();
