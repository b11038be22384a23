// lmforge classroom: behaviour shared by every page (no inline script: the CSP forbids it).
// Pages opt in through data- attributes; nothing here runs model or user text as HTML.
(function () {
  "use strict";

  // A course status page polls its JSON until the preparation is over, then reloads.
  function pollStatus(box) {
    var url = box.getAttribute("data-status-url");
    var bar = box.querySelector("progress");
    var text = box.querySelector("[data-progress-text]");
    var state = box.querySelector("[data-status]");
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (s) {
          var p = s.progress || {};
          if (state) { state.textContent = s.status; }
          if (bar && p.total) { bar.max = p.total; bar.value = p.done || 0; }
          if (text) { text.textContent = (p.step || "") + " " + (p.done || 0) + "/" + (p.total || 0); }
          if (s.status === "queued" || s.status === "preparing") {
            window.setTimeout(tick, 1000);
          } else if (box.getAttribute("data-initial") !== s.status) {
            window.location.reload();
          }
        })
        .catch(function () { window.setTimeout(tick, 3000); });
    }
    tick();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var boxes = document.querySelectorAll("[data-status-url]");
    for (var i = 0; i < boxes.length; i++) { pollStatus(boxes[i]); }
  });
})();
