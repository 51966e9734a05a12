/* Shared page behaviour: the live unread badge and the phone menu. No inline scripts (CSP). */
(function () {
  "use strict";
  var badge = document.querySelector("[data-unread-badge]");
  function refreshUnread() {
    if (!badge) return;
    // background polling: not activity, so it does not keep an idle session alive
    fetch(badge.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json", "X-Qianwan-Background": "1" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) return;
        badge.textContent = String(data.unread);
        badge.classList.toggle("zero", data.unread === 0);
      })
      .catch(function () { /* offline for a moment: keep the last value */ });
  }
  refreshUnread();
  setInterval(refreshUnread, 10000);

  var toggle = document.querySelector("[data-nav-toggle]");
  var nav = document.getElementById("sidenav");
  if (toggle && nav) {
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  window.qianwan = window.qianwan || {};
  window.qianwan.refreshUnread = refreshUnread;
})();
