// The pack's progress panel (templates/evidence/_pack_progress.html) polls with htmx while the
// pack is built; the server ends the polling (status 286) once the pack is ready or failed.
// Anything else than the panel coming back — the sign-in page after the idle timeout, a 403
// once an auditor's access ended, an error — also ends it: the page is reloaded once, so the
// browser shows what happened instead of polling for ever.
(function () {
  "use strict";

  function isPanel(event) {
    var target = event.detail && event.detail.target;
    return target && target.id === "pack-progress";
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    if (!isPanel(event)) return;
    var url = (event.detail.xhr && event.detail.xhr.responseURL) || "";
    if (url.indexOf("/progress/") === -1) {
      event.detail.shouldSwap = false;
      event.detail.target.removeAttribute("hx-trigger");
      window.location.reload();
    }
  });

  document.addEventListener("htmx:responseError", function (event) {
    if (!isPanel(event)) return;
    event.detail.target.removeAttribute("hx-trigger");
    window.location.reload();
  });
})();
