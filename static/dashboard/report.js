/* Monthly report page: poll the build progress, then reload to show the report. */
(function () {
  "use strict";
  var box = document.querySelector("[data-report-progress]");
  document.querySelectorAll("[data-print]").forEach(function (b) { b.addEventListener("click", function () { window.print(); }); });
  if (!box) { return; }
  var bar = box.querySelector("[data-report-bar]");
  function poll() {
    fetch(box.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (d) {
        if (!d) { setTimeout(poll, 3000); return; }
        bar.value = d.progress;
        box.querySelector("[data-report-percent]").textContent = d.progress + "%";
        box.querySelector("[data-report-status]").textContent = d.status_label;
        box.querySelector("[data-report-step]").textContent = d.step;
        box.querySelector("[data-report-error]").textContent = d.error || "";
        if (d.done) { window.location.reload(); return; }
        if (d.status !== "failed") { setTimeout(poll, 1500); }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
