/* Reusable offline map (挂图作战) on the Leaflet that django-leaflet bundles.
 *
 * Markup: <div data-qw-map data-sources="URL [URL …]" data-outline="URL" data-tile-url="" data-center="lat,lon"
 *              data-zoom="12" data-label-open="…" data-label-count="…" data-label-error="…"></div>
 * Each source returns a GeoJSON FeatureCollection; an optional foreign member
 * "layers": [{"id", "label", "on"}] names the overlay layers. Every feature's properties may carry:
 *   layer (id, required), label, detail, url (click-through), color, radius, hollow (bool),
 *   shape ("circle" default | "square" | "station"), tag (a name shown on the map itself, e.g. a zone's
 *   or a block's), and polygons/lines are drawn as they are. An optional foreign member
 *   (a layer with "cluster": true is drawn with Leaflet.markercluster when it is loaded)
 *   "legend": [{"shape": "circle"|"square"|"station"|"area", "color", "hollow", "label"}] says what each
 *   colour means; it is drawn as a legend box on the map. Every text is set as text, never as HTML.
 * With no tile URL the map shows a plain background and the outline, and everything else still works.
 * Other apps (e.g. traffic patrol zones) reuse it by pointing data-sources at their own endpoint,
 * or by calling window.QianwanMap.mount(element).
 */
(function () {
  "use strict";
  if (typeof L === "undefined") { return; }

  function text(tag, value, cls) {
    var node = document.createElement(tag);
    node.textContent = value == null ? "" : String(value);
    if (cls) { node.className = cls; }
    return node;
  }

  // Leaflet puts a string tooltip, popup or layer-control name in as HTML: data (hazard titles, asset
  // and zone names) only ever goes in as a text node, or escaped where Leaflet takes a string only.
  function escapeHtml(value) {
    return String(value == null ? "" : value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }

  function popupFor(props, labels) {
    var box = document.createElement("div");
    box.className = "qw-popup";
    if (props.url) {
      var a = text("a", props.label || labels.open);
      a.href = props.url;
      a.className = "qw-popup-title";
      box.appendChild(a);
    } else {
      box.appendChild(text("strong", props.label));
    }
    if (props.detail) { box.appendChild(text("div", props.detail, "qw-popup-detail")); }
    if (props.url) {
      var open = text("a", labels.open + " ›", "qw-popup-open");
      open.href = props.url;
      box.appendChild(open);
    }
    return box;
  }

  function pointLayer(feature, latlng) {
    var p = feature.properties || {};
    var cls = "qw-f qw-layer-" + (p.layer || "other") + (p.kind ? " qw-kind-" + p.kind : "");
    if (p.shape === "square" || p.shape === "station") {
      var glyph = p.shape === "station" ? "★" : "■";
      return L.marker(latlng, {
        title: p.label || "",
        alt: p.label || "",
        keyboard: true,
        icon: L.divIcon({
          className: cls + " qw-icon qw-" + p.shape,
          html: "<span aria-hidden=\"true\">" + glyph + "</span>",
          iconSize: [18, 18],
          iconAnchor: [9, 9]
        })
      }).on("add", function (e) {
        var icon = e.target.getElement && e.target.getElement();
        if (icon && p.color) { icon.style.color = p.color; }
      });
    }
    return L.circleMarker(latlng, {
      radius: p.radius || 6,
      color: p.color || "#0b4a8b",
      weight: 2,
      fillColor: p.color || "#0b4a8b",
      fillOpacity: p.hollow ? 0 : 0.75,
      className: cls
    });
  }

  function styleFor(feature) {
    var p = feature.properties || {};
    // L.geoJSON applies `style` to circle markers too: points keep what pointLayer gave them
    if (feature.geometry && feature.geometry.type === "Point") { return {}; }
    var cls = "qw-f qw-layer-" + (p.layer || "other");
    if (p.layer === "district") {
      return { color: "#0b4a8b", weight: 2, dashArray: "6 4", fillColor: "#dfe8f3", fillOpacity: 0.35, className: cls, interactive: false };
    }
    return { color: p.color || "#c92a2a", weight: 1, fillColor: p.color || "#c92a2a", fillOpacity: 0.35, className: cls };
  }

  function mount(el) {
    if (el.qwMap) { return el.qwMap; }
    var ds = el.dataset;
    var labels = { open: ds.labelOpen || "Open", count: ds.labelCount || "", error: ds.labelError || "Error" };
    var centre = (ds.center || "30.29,121.23").split(",").map(Number);
    // quarter zoom steps: fitting the district or the records fills the frame instead of a third of it
    var map = L.map(el, { center: centre, zoom: Number(ds.zoom || 12), zoomSnap: 0.25, maxZoom: 19, preferCanvas: false, attributionControl: !!ds.tileUrl });
    if (ds.tileUrl) {
      L.tileLayer(ds.tileUrl, { maxZoom: 19 }).addTo(map);
    } else {
      el.classList.add("qw-map-plain");
    }
    var state = { map: map, groups: {}, labels: {}, on: {}, control: L.control.layers(null, {}, { collapsed: false }).addTo(map), count: 0, legend: [], cluster: {} };
    el.qwMap = state;

    function group(id) {
      if (!state.groups[id]) {
        // a dense layer is clustered when the plugin is there (node_modules via `make assets`)
        state.groups[id] = state.cluster[id] && typeof L.markerClusterGroup === "function"
          ? L.markerClusterGroup({ maxClusterRadius: 40, disableClusteringAtZoom: 17, showCoverageOnHover: false, chunkedLoading: true })
          : L.featureGroup();
        if (state.on[id] !== false) { state.groups[id].addTo(map); }
      }
      return state.groups[id];
    }

    function add(collection) {
      (collection.legend || []).forEach(function (item) {
        if (!state.legend.some(function (known) { return known.label === item.label; })) { state.legend.push(item); }
      });
      (collection.layers || []).forEach(function (meta) {
        state.labels[meta.id] = meta.label;
        if (meta.cluster) { state.cluster[meta.id] = true; }
        if (meta.on === false && !state.groups[meta.id]) { state.on[meta.id] = false; }
      });
      L.geoJSON(collection, {
        pointToLayer: pointLayer,
        style: styleFor,
        onEachFeature: function (feature, layer) {
          var p = feature.properties || {};
          if (p.layer !== "district") { layer.bindPopup(popupFor(p, labels)); }
          if (p.tag && layer.bindTooltip) {
            // a permanent name on the area itself (a DOM node: Leaflet would read a string as HTML)
            layer.bindTooltip(text("span", p.tag), { permanent: true, direction: "center", className: "qw-tag", interactive: false });
          } else if (p.label && layer.bindTooltip && p.layer !== "district") {
            layer.bindTooltip(text("span", p.label));
          }
          group(p.layer || "other").addLayer(layer);
          state.count += 1;
        }
      });
    }

    function refreshControl() {
      var order = Object.keys(state.labels);
      var ids = Object.keys(state.groups).sort(function (a, b) {
        var ia = order.indexOf(a), ib = order.indexOf(b);
        return (ia < 0 ? 999 : ia) - (ib < 0 ? 999 : ib);
      });
      ids.forEach(function (id) {
        if (id === "district") { return; }
        var n = state.groups[id].getLayers().length;
        state.control.removeLayer(state.groups[id]);
        state.control.addOverlay(state.groups[id], escapeHtml((state.labels[id] || id) + " (" + n + ")"));
      });
    }

    function drawLegend() {
      if (!state.legend.length) { return; }
      var legend = L.control({ position: "bottomright" });
      legend.onAdd = function () {
        var box = L.DomUtil.create("div", "qw-legend");
        box.setAttribute("role", "list");
        box.setAttribute("aria-label", ds.labelLegend || "");
        if (ds.labelLegend) { box.appendChild(text("div", ds.labelLegend, "qw-legend-title")); }
        state.legend.forEach(function (item) {
          var row = text("div", "", "qw-legend-row");
          row.setAttribute("role", "listitem");
          var swatch = text("span", item.shape === "station" ? "★" : "", "qw-swatch qw-swatch-" + (item.shape || "circle") + (item.hollow ? " qw-swatch-hollow" : ""));
          swatch.setAttribute("aria-hidden", "true");
          if (item.shape === "station") { swatch.style.color = item.color; } else {
            swatch.style.borderColor = item.color;
            if (!item.hollow) { swatch.style.backgroundColor = item.color; }
          }
          row.appendChild(swatch);
          row.appendChild(text("span", item.label));
          box.appendChild(row);
        });
        L.DomEvent.disableClickPropagation(box);
        return box;
      };
      legend.addTo(map);
      state.legendControl = legend;
    }

    function load(url) {
      return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
    }

    var status = document.querySelector("[data-map-status]");
    var outline = ds.outline ? load(ds.outline).then(function (geo) {
      var layer = L.geoJSON(geo, { style: styleFor, interactive: false }).addTo(map);
      map.invalidateSize();
      map.fitBounds(layer.getBounds(), { padding: [10, 10] });
    }) : Promise.resolve();
    var sources = (ds.sources || "").split(/\s+/).filter(Boolean);
    Promise.all([outline].concat(sources.map(function (u) { return load(u).then(add); })))
      .then(function () {
        refreshControl();
        drawLegend();
        // open on the records (not the stations) when there are any, filling the frame: a station
        // sees its own area, the bureau the district; with none, the district outline fitted above
        map.invalidateSize();
        var bounds = L.latLngBounds([]);
        Object.keys(state.groups).forEach(function (id) {
          if (id !== "stations" && id !== "district" && map.hasLayer(state.groups[id]) && state.groups[id].getLayers().length) {
            bounds.extend(state.groups[id].getBounds());
          }
        });
        if (bounds.isValid()) { map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 }); }
        // how many hazards the visible layers hold (clustered or not): what the page says it shows
        var hazards = 0;
        Object.keys(state.groups).forEach(function (id) {
          if (!map.hasLayer(state.groups[id])) { return; }
          state.groups[id].getLayers().forEach(function (layer) {
            if (layer.feature && layer.feature.properties && layer.feature.properties.kind === "hazard") { hazards += 1; }
          });
        });
        el.dataset.hazards = String(hazards);
        el.dataset.loaded = String(state.count);
        if (status) { status.textContent = state.count + " " + labels.count; }
      })
      .catch(function (err) { if (window.console) { console.error(err && err.stack ? err.stack : String(err)); }
        el.dataset.loaded = "error";
        if (status) { status.textContent = labels.error; }
      });
    return state;
  }

  window.QianwanMap = { mount: mount };
  Array.prototype.forEach.call(document.querySelectorAll("[data-qw-map]"), mount);
})();
