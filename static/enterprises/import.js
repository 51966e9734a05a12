/* Import progress: poll the job's status until it finishes, then reload to show the result. */
(function () {
  "use strict";
  var box = document.querySelector("[data-import-job]");
  if (!box || box.dataset.finished === "1") return;
  var bar = box.querySelector("[data-import-progress]");
  var percent = box.querySelector("[data-import-percent]");
  var status = box.querySelector("[data-import-status]");
  var counts = box.querySelector("[data-import-counts]");
  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        bar.value = data.percent;
        percent.textContent = data.percent + "%";
        status.textContent = data.status_display;
        counts.textContent = data.processed_rows + " / " + data.total_rows;
        if (data.is_finished) { window.location.reload(); return; }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
