// Small page behaviours with no inline scripts (the CSP allows only our own files).
(function () {
  "use strict";

  // Remember the browser's time zone so the server can show local times (UserTimezoneMiddleware).
  try {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (zone && document.cookie.indexOf("tz=" + encodeURIComponent(zone)) === -1) {
      document.cookie = "tz=" + encodeURIComponent(zone) + "; path=/; max-age=31536000; SameSite=Lax";
    }
  } catch (e) { /* older browsers: times stay in UTC */ }

  // Same wording as grc/timefmt.py: "due in 3 h 12 min", "overdue by 2 days".
  function span(ms) {
    var s = Math.floor(Math.abs(ms) / 1000), m = Math.floor(s / 60), h = Math.floor(s / 3600), d = Math.floor(s / 86400);
    if (s < 60) return s + " s";
    if (m < 60) return m + " min";
    if (h < 24) { var rm = m - h * 60; return rm ? h + " h " + rm + " min" : h + " h"; }
    if (d < 3) { var rh = h - d * 24, unit = d === 1 ? "day" : "days"; return rh ? d + " " + unit + " " + rh + " h" : d + " " + unit; }
    if (d < 100) return d + " days";
    return Math.floor(d / 7) + " weeks";
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-due"));
      if (isNaN(due)) return;
      var left = due - now;
      el.textContent = left >= 0 ? "due in " + span(left) : "overdue by " + span(left);
      var overdue = left < 0;
      el.classList.toggle("countdown-overdue", overdue);
      el.classList.toggle("text-danger", overdue);
      el.classList.toggle("fw-semibold", overdue);
      var panel = el.closest("[data-clock-panel]");
      if (panel) panel.classList.toggle("overdue", overdue);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    setInterval(tick, 1000);
    // Buttons that need a second thought: <button data-confirm="Really revoke?">
    document.body.addEventListener("click", function (event) {
      var target = event.target.closest("[data-confirm]");
      if (target && !window.confirm(target.getAttribute("data-confirm"))) event.preventDefault();
    });
  });
  document.addEventListener("htmx:afterSwap", tick);
})();
