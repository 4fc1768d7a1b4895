// Incident pages: copy the checked notification text to the clipboard (no inline scripts: CSP).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-copy-target]").forEach(function (button) {
      button.addEventListener("click", function () {
        var source = document.querySelector(button.getAttribute("data-copy-target"));
        if (!source || !navigator.clipboard) return;
        var subject = document.querySelector("#id_subject");
        var text = (subject ? "Subject: " + subject.value + "\n\n" : "") + source.value;
        navigator.clipboard.writeText(text).then(function () {
          var label = button.textContent;
          button.textContent = button.getAttribute("data-copied-label") || "Copied";
          setTimeout(function () { button.textContent = label; }, 2000);
        });
      });
    });
  });
})();
