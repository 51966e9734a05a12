/* Repeat calls on the call-taking form: as the phone and the place are typed, the earlier calls of the
   last 72 hours from the same phone, the same standard address or within 100 m, with their outcome. */
(function () {
  "use strict";
  var panel = document.querySelector("[data-repeats]");
  if (!panel) return;
  var form = panel.closest("form");
  var phone = form.querySelector("[name=caller_phone]");
  var code = form.querySelector("[data-place-code]");
  var lat = form.querySelector("[data-point-lat]");
  var lon = form.querySelector("[data-point-lon]");
  var list = panel.querySelector("[data-repeats-list]");
  var count = panel.querySelector("[data-repeats-count]");
  var reasons = { phone: panel.dataset.i18nPhone, address: panel.dataset.i18nAddress, nearby: panel.dataset.i18nNearby };
  var last = "", timer;
  function query() {
    var params = new URLSearchParams();
    if (phone && phone.value.trim().length >= 7) params.set("phone", phone.value.trim());
    if (code && code.value) params.set("address_code", code.value);
    if (lat && lat.value && lon && lon.value) { params.set("lat", lat.value); params.set("lon", lon.value); }
    var qs = params.toString();
    if (qs === last) return;
    last = qs;
    if (!qs) { panel.hidden = true; return; }
    fetch(panel.dataset.url + "?" + qs, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { results: [] }; })
      .then(function (data) {
        var rows = data.results || [];
        list.innerHTML = "";
        rows.forEach(function (row) {
          var li = document.createElement("li");
          var a = document.createElement("a");
          a.href = row.url; a.target = "_blank"; a.rel = "noopener";
          a.textContent = row.number;
          li.appendChild(a);
          li.appendChild(document.createTextNode(" " + row.received_at + " · " + row.category + " · " + row.status + " · " + (row.address || "") + " · " + row.reasons.map(function (k) { return reasons[k] || k; }).join("、")));
          li.dataset.repeatOf = row.number;
          list.appendChild(li);
        });
        count.textContent = rows.length;
        panel.hidden = rows.length === 0;
      })
      .catch(function () {});
  }
  function soon() { clearTimeout(timer); timer = setTimeout(query, 250); }
  if (phone) phone.addEventListener("input", soon);
  form.addEventListener("place:change", soon);
  soon();
})();
