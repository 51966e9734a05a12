/* The patrol form: before saving, say whether the chosen campaign already has a typed tally (手工录入)
   for the team's station on the patrol's day. No inline scripts (CSP). */
(function () {
  "use strict";
  var note = document.querySelector("[data-typed-tally]");
  if (!note) return;
  var fields = ["campaign", "team", "started_at"].map(function (n) { return document.getElementById("id_" + n); });
  var asked = 0;  // answers can arrive out of order: only the latest question's answer is shown
  function check() {
    var mine = ++asked;
    var params = new URLSearchParams();
    fields.forEach(function (f) { if (f && f.value) params.set(f.name, f.value); });
    fetch(note.dataset.url + "?" + params.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { message: "" }; })
      .then(function (data) {
        if (mine !== asked) return;
        note.textContent = data.message || "";
        note.hidden = !data.message;
      })
      .catch(function () { /* offline for a moment: keep what is shown */ });
  }
  fields.forEach(function (f) { if (f) f.addEventListener("change", check); });
})();
