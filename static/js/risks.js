// Risk form: show the score (likelihood x impact) and its band next to each pair of selects as
// they change. Progressive enhancement only: the server computes and checks the scores.
(function () {
  "use strict";
  var BANDS = [[4, "low"], [9, "medium"], [16, "high"], [25, "critical"]];

  function band(score) {
    for (var i = 0; i < BANDS.length; i++) {
      if (score <= BANDS[i][0]) return BANDS[i][1];
    }
    return "";
  }

  function update(prefix) {
    var preview = document.querySelector('[data-score-of="' + prefix + '"]');
    var likelihood = document.querySelector('[data-level="' + prefix + '_likelihood"]');
    var impact = document.querySelector('[data-level="' + prefix + '_impact"]');
    if (!preview || !likelihood || !impact) return;
    var l = parseInt(likelihood.value, 10), i = parseInt(impact.value, 10);
    if (!l || !i) {
      preview.textContent = "";
      preview.removeAttribute("data-band");
      return;
    }
    var score = l * i;
    preview.textContent = "score " + score + " · " + band(score);
    preview.setAttribute("data-band", band(score));
  }

  document.addEventListener("DOMContentLoaded", function () {
    ["inherent", "residual"].forEach(function (prefix) {
      ["likelihood", "impact"].forEach(function (part) {
        var select = document.querySelector('.risk-form [data-level="' + prefix + "_" + part + '"]');
        if (select) select.addEventListener("change", function () { update(prefix); });
      });
      update(prefix);
    });
  });
})();
