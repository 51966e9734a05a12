/* Roster import: poll the import job until it is done, updating the progress bar and error report. */
(function () {
  "use strict";
  var box = document.querySelector("[data-import-url]");
  if (!box) return;
  var bar = box.querySelector("progress");
  var label = box.querySelector("[data-import-label]");
  var report = box.querySelector("[data-import-errors]");
  function render(data) {
    bar.value = data.progress;
    label.textContent = data.status_display + " · " + data.processed_rows + " / " + data.total_rows +
      (data.status === "done" ? " · +" + data.created_count + " / ↻" + data.updated_count : "");
    if (data.status === "failed" && report && !report.childElementCount) {
      data.errors.forEach(function (e) {
        var tr = document.createElement("tr");
        [e.row === null ? "—" : String(e.row), e.field || "—", e.message].forEach(function (t) {
          var td = document.createElement("td");
          td.textContent = t;
          tr.appendChild(td);
        });
        report.appendChild(tr);
      });
      report.closest("[hidden]") && report.closest("[hidden]").removeAttribute("hidden");
    }
    return data.status === "done" || data.status === "failed";
  }
  function poll() {
    fetch(box.dataset.importUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (data && render(data)) {
          if (data.status === "done") { window.setTimeout(function () { window.location.replace(box.dataset.doneUrl); }, 800); }
          return;
        }
        window.setTimeout(poll, 1000);
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  poll();
})();
