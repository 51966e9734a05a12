/* The inbox updates itself: when a notification arrives (or one is read or acknowledged elsewhere),
   the page is read again, so a thread shows its new count and latest state. */
(function () {
  "use strict";
  var box = document.querySelector("[data-inbox]");
  if (!box) return;
  var last = null;
  function poll() {
    fetch(box.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        if (last !== null && data.version !== last) { window.location.reload(); return; }
        last = data.version;
      })
      .catch(function () { /* offline for a moment: try again */ });
  }
  poll();
  setInterval(poll, 5000);
})();
