/* The one address field of the place forms: type-ahead over the standard-address register (fills the
   code and the coordinates), a map where a click or a dragged pin sets the point, and the 未标准化 flag
   for text that matches nothing. Fires "place:change" on the form when the place changes. */
(function () {
  "use strict";
  function debounce(fn, ms) { var t; return function () { var a = arguments; clearTimeout(t); t = setTimeout(function () { fn.apply(null, a); }, ms); }; }

  document.querySelectorAll("form").forEach(function (form) {
    var box = form.querySelector("[data-place-address-box]");
    var lat = form.querySelector("[data-point-lat]");
    var lon = form.querySelector("[data-point-lon]");
    var mapEl = form.querySelector("[data-place-map]");
    if (!box && !mapEl) return;
    var pin = null, map = null;

    function changed() { form.dispatchEvent(new CustomEvent("place:change", { bubbles: true })); }

    function setPoint(la, lo, fromMap) {
      if (lat) lat.value = la === null ? "" : Number(la).toFixed(6);
      if (lon) lon.value = lo === null ? "" : Number(lo).toFixed(6);
      if (map && la !== null) {
        if (!pin) { pin = L.marker([la, lo], { draggable: true }).addTo(map); pin.on("dragend", function () { var p = pin.getLatLng(); setPoint(p.lat, p.lng, true); }); }
        else { pin.setLatLng([la, lo]); }
        if (!fromMap) map.setView([la, lo], Math.max(map.getZoom(), 15));
      }
      changed();
    }

    if (mapEl && window.L) {
      var start = lat && lat.value && lon && lon.value ? [Number(lat.value), Number(lon.value)] : [30.30, 121.22];
      map = L.map(mapEl, { center: start, zoom: lat && lat.value ? 15 : 11, attributionControl: !!mapEl.dataset.tileUrl });
      if (mapEl.dataset.tileUrl) { L.tileLayer(mapEl.dataset.tileUrl, { maxZoom: 19 }).addTo(map); }
      if (mapEl.dataset.outline) {
        fetch(mapEl.dataset.outline, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; })
          .then(function (gj) { if (gj) L.geoJSON(gj, { interactive: false, style: { color: "#0b4a8b", weight: 2, dashArray: "6 4", fillOpacity: 0.1 } }).addTo(map); })
          .catch(function () {});
      }
      if (lat && lat.value && lon && lon.value) { setPoint(Number(lat.value), Number(lon.value), true); }
      map.on("click", function (e) { setPoint(e.latlng.lat, e.latlng.lng, true); });
      [lat, lon].forEach(function (input) {
        if (input) input.addEventListener("change", function () { if (lat.value && lon.value) setPoint(Number(lat.value), Number(lon.value), false); });
      });
    }

    if (!box) return;
    var input = box.querySelector("input[type=text], input:not([type])");
    var code = form.querySelector("[data-place-code]");
    var list = box.querySelector("[data-place-suggest]");
    var status = box.querySelector("[data-place-status]");
    var items = [], active = -1;

    function flag() {
      if (!status) return;
      if (code && code.value) { status.textContent = box.dataset.i18nMatched + " " + code.value; status.className = "place-status matched"; }
      else if (input.value.trim()) { status.textContent = box.dataset.i18nUnmatched; status.className = "place-status unmatched"; }
      else { status.textContent = ""; status.className = "place-status"; }
    }
    function close() { list.hidden = true; list.innerHTML = ""; items = []; active = -1; }
    function pick(item) {
      input.value = item.text;
      if (code) code.value = item.code;
      close(); flag();
      setPoint(item.lat, item.lon, false);
    }
    function render() {
      list.innerHTML = "";
      items.forEach(function (item, i) {
        var li = document.createElement("li");
        li.setAttribute("role", "option");
        li.dataset.code = item.code;
        li.textContent = item.text + (item.block ? " · " + item.block : "");
        if (i === active) li.className = "active";
        li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(item); });
        list.appendChild(li);
      });
      list.hidden = items.length === 0;
    }
    var lookup = debounce(function (text) {
      fetch(box.dataset.suggestUrl + "?q=" + encodeURIComponent(text), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) { if (input.value.trim() !== text) return; items = data.results || []; active = -1; render(); })
        .catch(function () {});
    }, 200);
    input.setAttribute("autocomplete", "off");
    input.addEventListener("input", function () {
      if (code) code.value = "";  // typing again: not the picked standard address any more
      flag();
      var text = input.value.trim();
      if (text.length < 2) { close(); return; }
      lookup(text);
    });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      if (e.key === "ArrowDown") { active = Math.min(active + 1, items.length - 1); render(); e.preventDefault(); }
      else if (e.key === "ArrowUp") { active = Math.max(active - 1, 0); render(); e.preventDefault(); }
      else if (e.key === "Enter" && active >= 0) { pick(items[active]); e.preventDefault(); }
      else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); changed(); });
    flag();
  });
})();
