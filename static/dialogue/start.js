// The new-dialogue form: show each variant's own field (the container's minutes per stage,
// positive flooding's list) only while that variant is picked. Progressive enhancement: without
// JavaScript every field stays visible and usable, and the server ignores those that do not apply.
(function () {
  "use strict";

  function enhance(form) {
    var dependents = form.querySelectorAll("[data-for-kinds]");
    if (!dependents.length) return;

    function update() {
      var picked = form.querySelector('input[name="kind"]:checked');
      var kind = picked ? picked.value : "";
      dependents.forEach(function (input) {
        var field = input.closest(".field") || input;
        field.hidden = input.dataset.forKinds.split(" ").indexOf(kind) === -1;
      });
    }

    form.addEventListener("change", function (event) {
      if (event.target.name === "kind") update();
    });
    update();
  }

  document.querySelectorAll("form[data-start-form]").forEach(enhance);
})();
