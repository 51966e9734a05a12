/* Leader dashboard: period picker, charts (plotly.js from the plotly wheel, offline), live refresh.
   Data comes from the json_script block; no inline scripts. */
(function () {
  "use strict";

  // --- period picker: show the inputs of the chosen kind only
  var form = document.querySelector("[data-period-form]");
  if (form) {
    var kind = form.querySelector("[data-period-kind]");
    var sync = function () {
      form.querySelectorAll("[data-for-kind]").forEach(function (el) {
        var on = el.getAttribute("data-for-kind") === kind.value;
        el.hidden = !on;
        el.querySelectorAll("input, select").forEach(function (input) { input.disabled = !on; });
      });
    };
    kind.addEventListener("change", sync);
    sync();
  }

  // --- charts
  var dataEl = document.getElementById("dashboard-charts");
  var source = dataEl ? JSON.parse(dataEl.textContent) : null;
  // no mode bar: its per-plot <style> element would be refused by the CSP (style-src 'self')
  var config = { displaylogo: false, displayModeBar: false, responsive: true };
  var font = { family: "'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif", size: 12 };
  var margin = { l: 48, r: 48, t: 16, b: 48 };

  // plotly renders a subset of HTML in labels (<a href>, <b>, <br>, <span style>): names from the
  // data go in escaped, so they show as typed and never become links or markup
  function esc(value) {
    return String(value == null ? "" : value).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }
  function escAll(values) { return (values || []).map(esc); }

  function plot(id, traces, layout) {
    var el = document.getElementById(id);
    if (!el || typeof Plotly === "undefined") { return; }
    var done = function () { el.setAttribute("data-rendered", "1"); };
    var result = Plotly.newPlot(el, traces, Object.assign({ font: font, margin: margin, legend: { orientation: "h", y: -0.2 } }, layout), config);
    if (result && typeof result.then === "function") { result.then(done, function (err) { el.setAttribute("data-error", String(err)); }); } else { done(); }
    // click-through: a bar or point whose customdata is a (same-site) list URL opens that list
    if (typeof el.on === "function" && !el.getAttribute("data-clickable")) {
      el.setAttribute("data-clickable", "1");
      el.on("plotly_click", function (ev) {
        var point = ev && ev.points && ev.points[0];
        var url = point && point.customdata;
        if (typeof url === "string" && url.charAt(0) === "/" && url.charAt(1) !== "/") { window.location.assign(url); }
      });
    }
  }

  function slice(list, from, to) { return (list || []).slice(from, to); }

  function draw(charts) {
    if (charts.trend) {
      var t = charts.trend;
      // an unfinished month is drawn apart (hollow point, dashed segment, "至 12月5日"): it counts
      // fewer days than the whole months before it and must not read as a fall
      var cut = (t.partial || []).indexOf(true);
      var whole = cut < 0 ? t.months.length : cut;
      var trendTraces = [
        { type: "scatter", mode: "lines+markers", name: "警情", x: escAll(t.months.slice(0, whole)), y: t.incidents.slice(0, whole),
          marker: { color: t.significant.slice(0, whole).map(function (s) { return s ? "#c92a2a" : "#1f5fa8"; }), size: 7 },
          line: { color: "#1f5fa8" }, customdata: slice(t.urls, 0, whole), cliponaxis: false,
          hovertemplate: "%{x}: %{y} 起（点击查看）<extra></extra>" }
      ];
      if (cut >= 0) {
        var from = Math.max(0, cut - 1);
        trendTraces.push({ type: "scatter", mode: "lines+markers+text", name: "本月至今（未结束）",
          x: escAll(t.months.slice(from, cut + 1)), y: t.incidents.slice(from, cut + 1),
          text: t.months.slice(from, cut + 1).map(function (m, i) { return from + i === cut ? t.partial_label : ""; }),
          textposition: "top center", line: { color: "#1f5fa8", dash: "dash" }, cliponaxis: false,
          customdata: slice(t.urls, from, cut + 1),
          marker: { symbol: t.months.slice(from, cut + 1).map(function (m, i) { return from + i === cut ? "circle-open" : "circle"; }),
            size: 9, color: "#1f5fa8", line: { width: 2, color: "#1f5fa8" } },
          hovertemplate: "%{x} " + t.partial_label + ": %{y} 起<extra></extra>" });
      }
      trendTraces.push({ type: "scatter", mode: "lines", name: "去年同月", x: escAll(t.months), y: t.yoy_base,
        line: { color: "#868e96", dash: "dot" }, hovertemplate: "%{x} 去年同月: %{y} 起<extra></extra>" });
      var trendEl = document.getElementById("chart-trend");
      if (trendEl) {
        trendEl.setAttribute("data-partial-label", cut >= 0 ? t.partial_label : "");
        trendEl.setAttribute("data-partial-month", cut >= 0 ? t.months[cut] : "");
      }
      plot("chart-trend", trendTraces, { yaxis: { title: { text: "警情（起）" }, rangemode: "tozero" }, xaxis: { type: "category" } });
    }

    if (charts.stations) {
      var s = charts.stations;
      var target = 90;  // the 8-minute arrival target (%), drawn as the red dashed line
      var maxCount = Math.max.apply(null, [1].concat(s.incidents));
      plot("chart-stations", [
        { type: "bar", name: "警情（起）", x: escAll(s.names), y: s.incidents, marker: { color: "#a5c0e0" },
          customdata: s.urls, hovertemplate: "%{x}: %{y} 起（点击查看）<extra></extra>" },
        { type: "scatter", mode: "markers+text", name: "8分钟到场率", x: escAll(s.names), yaxis: "y2",
          y: s.arrival_rate.map(function (r) { return r === null ? null : r * 100; }),
          text: escAll(s.arrival_counts), textposition: "top center", marker: { color: "#2b8a3e", size: 10 },
          cliponaxis: false, customdata: s.arrival_miss_urls,
          hovertemplate: "%{x}: %{y:.1f}% (%{text})，点击查看未按时到场<extra></extra>" },
        // the target line's legend entry (the line itself is the shape below, across the whole width)
        { type: "scatter", mode: "lines", name: "到场率目标 " + target + "%", x: escAll([s.names[0], s.names[s.names.length - 1]]),
          y: [target, target], yaxis: "y2", line: { color: "#c92a2a", dash: "dash", width: 1 }, hoverinfo: "skip" }
      ], {
        margin: { l: 56, r: 56, t: 32, b: 56 },
        // headroom above the tallest bar and above 100% so that no label is cut off
        yaxis: { title: { text: "警情（起）" }, range: [0, maxCount * 1.15] },
        yaxis2: { title: { text: "到场率 %" }, overlaying: "y", side: "right", range: [0, 118], tickvals: [0, 20, 40, 60, 80, 100] },
        shapes: [{ type: "line", xref: "paper", x0: 0, x1: 1, yref: "y2", y0: target, y1: target, line: { color: "#c92a2a", dash: "dash", width: 1 } }],
        annotations: [{ xref: "paper", x: 0, xanchor: "left", yref: "y2", y: target, yanchor: "bottom", showarrow: false,
          text: "目标 " + target + "%", font: { color: "#c92a2a", size: 11 } }]
      });
    }

    if (charts.stages) {
      var names = { dispatch: "派警", video_supervision: "视频督导", leader_notified: "通报所领导", arrival: "到场" };
      var colours = { dispatch: "#1f5fa8", video_supervision: "#7048e8", leader_notified: "#e67700", arrival: "#2b8a3e" };
      var traces = [], shapes = [], annotations = [];
      Object.keys(charts.stages).forEach(function (stage) {
        var h = charts.stages[stage];
        // each category's own limit (one line per distinct limit, naming the categories when not all)
        var limits = h.limits || [{ limit_seconds: h.limit_seconds, categories: [] }];
        var longest = Math.max.apply(null, limits.map(function (l) { return l.limit_seconds; }));
        traces.push({ type: "bar", name: names[stage] || stage, x: h.x.map(function (v) { return v / 60; }), y: h.y,
          width: h.bucket_seconds / 60, opacity: 0.6, marker: { color: colours[stage] },
          // a bar past every limit opens the stage's misses, one within a limit the period's list
          customdata: h.x.map(function (v) { return v >= longest ? h.missed_url : h.url; }),
          hovertemplate: (names[stage] || stage) + " %{x:.2f} 分钟: %{y} 起（点击查看）<extra></extra>" });
        limits.forEach(function (l) {
          shapes.push({ type: "line", x0: l.limit_seconds / 60, x1: l.limit_seconds / 60, yref: "paper", y0: 0, y1: 1,
            line: { color: colours[stage], dash: "dash", width: 2 } });
          var who = limits.length > 1 ? "（" + l.categories.join("、") + "）" : "";
          annotations.push({ x: l.limit_seconds / 60, yref: "paper", y: 1 - 0.08 * annotations.length,
            text: (names[stage] || stage) + "时限" + who, showarrow: false, font: { color: colours[stage], size: 11 }, yanchor: "bottom" });
        });
      });
      plot("chart-stages", traces, { barmode: "overlay", shapes: shapes, annotations: annotations,
        margin: { l: 48, r: 48, t: 24, b: 56 },
        xaxis: { title: { text: "自接警起（分钟）" }, range: [0, 15] }, yaxis: { title: { text: "警情（起）" } } });
    }
  }

  var status = document.querySelector("[data-charts-status]");
  if (source && source.url) {
    fetch(source.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (charts) { if (status) { status.hidden = true; } draw(charts); })
      .catch(function () { if (status) { status.textContent = "图表数据暂不可用，请稍后刷新。"; } });
  }

  // --- live part: refresh every 30 s without reloading
  var live = document.querySelector("[data-live]");
  function refresh() {
    if (!live) { return; }
    fetch(live.getAttribute("data-url"), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        live.querySelectorAll("[data-live-key]").forEach(function (el) {
          var item = data[el.getAttribute("data-live-key")];
          var value = el.querySelector("[data-live-value]");
          if (!item) { value.textContent = "—"; return; }
          value.textContent = item.n === null || item.n === undefined ? "—" : String(item.n);
          value.classList.toggle("bad", el.getAttribute("data-live-key") !== "open_incidents" && item.n > 0);
          if (item.url) { el.setAttribute("href", item.url); }
        });
        var at = live.querySelector("[data-live-at]");
        if (at) { at.textContent = data.at.replace("T", " ").slice(0, 19); }
        live.setAttribute("data-refreshed", String(Date.now()));
      })
      .catch(function () { /* keep the last figures; the next tick retries */ });
  }
  refresh();
  setInterval(refresh, 30000);
})();
