// The assessment kit's questionnaire: a live character counter per answer and "Use the draft".
// No inline scripts (the CSP allows only our own files).
(function () {
  "use strict";

  function limitFor(textarea) {
    var input = document.querySelector('[data-kit-limit="' + textarea.getAttribute("data-kit-answer") + '"]');
    var value = input ? parseInt(input.value, 10) : parseInt(textarea.getAttribute("data-limit"), 10);
    return isNaN(value) ? 0 : value;
  }

  function update(textarea) {
    var counter = document.querySelector('[data-counter-for="' + textarea.id + '"]');
    if (!counter) return;
    // The server counts the trimmed text with \n line ends: count the same way.
    var length = textarea.value.replace(/\r\n/g, "\n").trim().length;
    var limit = limitFor(textarea);
    counter.textContent = length + " / " + limit;
    var over = limit > 0 && length > limit;
    counter.classList.toggle("kit-over", over);
    textarea.classList.toggle("is-invalid", over);
    counter.setAttribute("title", over ? (length - limit) + " characters over the limit" : (limit - length) + " characters left");
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-kit-answer]").forEach(function (textarea) {
      textarea.addEventListener("input", function () { update(textarea); });
      update(textarea);
    });
    document.querySelectorAll("[data-kit-limit]").forEach(function (input) {
      input.addEventListener("input", function () {
        var textarea = document.querySelector('textarea[data-kit-answer="' + input.getAttribute("data-kit-limit") + '"]');
        if (textarea) update(textarea);
      });
    });
    document.querySelectorAll("[data-use-draft]").forEach(function (button) {
      button.addEventListener("click", function () {
        var textarea = document.getElementById(button.getAttribute("data-use-draft"));
        if (!textarea) return;
        textarea.value = button.getAttribute("data-draft");
        update(textarea);
        textarea.focus();
      });
    });
  });
})();
