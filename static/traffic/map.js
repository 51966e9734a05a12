/* The zone map: zone outlines with the team on duty, assets and recent accidents. Offline: Leaflet
 * comes from the django-leaflet package, tiles only when a tile server is configured, otherwise the
 * district outline on a plain background. */
(function () {
  "use strict";
  var el = document.getElementById("traffic-map");
  if (!el || typeof L === "undefined") return;
  var center = [parseFloat(el.dataset.centerLat) || 30.29, parseFloat(el.dataset.centerLon) || 121.23];
  var map = L.map(el, { zoomControl: true, attributionControl: false }).setView(center, 11);
  if (el.dataset.tiles) {
    L.tileLayer(el.dataset.tiles, { maxZoom: 18 }).addTo(map);
  }
  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error(r.status);
      return r.json();
    });
  }
  if (el.dataset.outline) {
    getJSON(el.dataset.outline).then(function (data) {
      L.geoJSON(data, { style: { color: "#5f6b7a", weight: 1, dashArray: "4 4", fill: false }, interactive: false }).addTo(map);
    }).catch(function () { /* the outline is decoration */ });
  }
  var colours = { camera: "#16794a", radar_sign: "#8a5a00", police_post: "#0b4a8b" };
  getJSON(el.dataset.url).then(function (data) {
    var zones = L.geoJSON(null, {
      style: function (f) {
        return { color: "#0b4a8b", weight: 2, fillColor: f.properties.team ? "#16794a" : "#5f6b7a", fillOpacity: 0.08, className: "zone-outline" };
      },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(f.properties.label, { permanent: true, direction: "center", className: "traffic-zone-label" });
      }
    }).addTo(map);
    var points = L.layerGroup().addTo(map);
    data.features.forEach(function (f) {
      var p = f.properties;
      if (p.layer === "zone") { zones.addData(f); return; }
      var latlng = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
      var marker;
      if (p.layer === "asset") {
        marker = L.circleMarker(latlng, { radius: 5, color: colours[p.kind] || "#16794a", weight: 2, fillOpacity: 0.9, className: "asset-marker asset-" + p.kind });
      } else {
        marker = L.circleMarker(latlng, { radius: p.severity === "death" ? 9 : 7, color: "#b42318", weight: 2, fillColor: "#b42318", fillOpacity: 0.6, className: "accident-marker" });
        if (p.url) marker.on("click", function () { window.location.href = p.url; });
      }
      marker.bindTooltip(p.label);
      marker.addTo(points);
    });
    if (zones.getLayers().length) map.fitBounds(zones.getBounds(), { padding: [10, 10] });
    el.dataset.loaded = "true";
  }).catch(function () {
    el.insertAdjacentHTML("beforeend", "");
    el.dataset.loaded = "error";
  });
})();
