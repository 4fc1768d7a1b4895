// Review page: show the "new privilege" box only when the decision is "change privilege".
(function () {
  "use strict";

  function sync(form) {
    var select = form.querySelector("select[name$='-decision']");
    var box = form.querySelector(".new-privilege");
    if (!select || !box) return;
    box.classList.toggle("d-none", select.value !== "change");
  }

  function syncAll(root) {
    (root || document).querySelectorAll("form.decision-form").forEach(sync);
  }

  document.addEventListener("DOMContentLoaded", function () {
    syncAll(document);
    document.body.addEventListener("change", function (event) {
      var form = event.target.closest("form.decision-form");
      if (form) sync(form);
    });
  });
  document.addEventListener("htmx:afterSwap", function () { syncAll(document); });
})();
