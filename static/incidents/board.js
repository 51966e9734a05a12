/* Duty board: polls the board JSON every 3 s and ticks every countdown each second from the server's
   deadlines (corrected for the client's clock offset). Green = within limit, amber = due soon,
   red = breached; each state also has an icon and words. No inline scripts (CSP). */
(function () {
  "use strict";
  var root = document.querySelector("[data-board]");
  if (!root) return;
  var rows = root.querySelector("[data-board-rows]");
  var inbound = document.querySelector("[data-board-inbound]");
  var status = document.querySelector("[data-board-status]");
  var banner = document.querySelector("[data-reminders-banner]");
  var t = root.dataset;
  var offsetMs = 0; // server time − client time
  var data = null;
  var POLL_MS = 3000;

  function fmt(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return (m ? m + t.i18nMin : "") + s + t.i18nSec;
  }

  function clockState(stage, nowMs) {
    if (stage.done_at) {
      return stage.met
        ? { cls: "ok", text: "✓ " + t.i18nDone + " " + fmt(stage.elapsed_seconds) }
        // "超时 X" is always the time over the limit, never the total time taken
        : { cls: "bad", text: "✗ " + t.i18nLate + " · " + t.i18nOver + " " + fmt(stage.elapsed_seconds - stage.limit_seconds) };
    }
    if (stage.not_needed) return { cls: "none", text: "— " + t.i18nNone };
    var left = (Date.parse(stage.deadline) - nowMs) / 1000;
    if (left < 0) return { cls: "bad", text: "✗ " + t.i18nOver + " " + fmt(-left) };
    var amber = Math.max(15, stage.limit_seconds * 0.25);
    if (left <= amber) return { cls: "warn", text: "⚠ " + t.i18nSoon + " " + fmt(left) };
    return { cls: "ok", text: "◷ " + t.i18nLeft + " " + fmt(left) };
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function stepForm(incident) {
    var form = el("form", { method: "post", action: t.eventUrl.replace("{id}", incident.id), class: "inline" });
    if (incident.next_kind === "closed") form.setAttribute("data-confirm", t.i18nConfirmClose);
    form.appendChild(el("input", { type: "hidden", name: "csrfmiddlewaretoken", value: t.csrf }));
    form.appendChild(el("input", { type: "hidden", name: "kind", value: incident.next_kind }));
    form.appendChild(el("input", { type: "hidden", name: "next", value: t.next }));
    if (incident.next_kind === "dispatched" || incident.next_kind === "arrived") {
      // who goes: the station's people, on-duty first (the duty roster of the moment)
      var people = (data.people && data.people[String(incident.station_id)]) || [];
      var picker = el("details", { class: "officer-picker", "data-officer-picker": "" });
      picker.appendChild(el("summary", {}, t.i18nPick));
      people.forEach(function (p) {
        var label = el("label", { class: "check" });
        label.appendChild(el("input", { type: "checkbox", name: "officers", value: p.username }));
        label.appendChild(document.createTextNode(" " + p.name + (p.on_duty ? " ★" : "")));
        picker.appendChild(label);
      });
      var unit = el("input", { type: "text", name: "unit", maxlength: "40", placeholder: t.i18nUnit, "aria-label": t.i18nUnit, size: "8" });
      picker.appendChild(unit);
      form.appendChild(picker);
    }
    var button = el("button", { type: "submit", class: "btn btn-primary btn-sm", "data-step": incident.next_kind }, incident.next_label);
    form.appendChild(button);
    return form;
  }

  function rowKey(i) {
    return i.id + i.next_kind + (i.officers || []).map(function (o) { return o.username; }).join("+");
  }

  function render() {
    if (!data) return;
    var nowMs = Date.now() + offsetMs;
    if (!data.incidents.length) {
      rows.replaceChildren(el("tr", {}, ""));
      var td = el("td", { colspan: "7", class: "muted empty" }, t.i18nEmpty);
      rows.firstChild.appendChild(td);
    } else if (rows.dataset.ids !== data.incidents.map(rowKey).join(",") && !rows.querySelector("details[open]")) {
      rows.replaceChildren.apply(rows, data.incidents.map(function (incident) {
        var tr = el("tr", { "data-incident": incident.id });
        var first = el("td");
        first.appendChild(el("a", { href: incident.url }, incident.number));
        if (incident.repeat_count) {
          first.appendChild(document.createTextNode(" "));
          first.appendChild(el("span", { class: "tag tag-repeat", "data-repeat": incident.repeat_count, title: t.i18nRepeatTitle.replace("%s", incident.repeat_count) }, t.i18nRepeat));
        }
        first.appendChild(el("div", { class: "muted" }, incident.category + " · " + (incident.address || "")));
        if (incident.officers && incident.officers.length) {
          first.appendChild(el("div", { class: "call-officers", "data-call-officers": "" },
            t.i18nOfficers + "：" + incident.officers.map(function (o) { return o.name; }).join("、") +
            (incident.units && incident.units.length ? " · " + incident.units.join("、") : "")));
        }
        tr.appendChild(first);
        tr.appendChild(el("td", { class: "nowrap", "data-label": t.i18nReceived }, new Date(incident.received_at).toLocaleTimeString("zh-CN", { hour12: false, timeZone: "Asia/Shanghai" })));
        incident.sla.forEach(function (stage) {
          var cell = el("td", { "data-label": stage.label });
          cell.appendChild(el("span", { class: "clock", "data-stage": stage.stage }));
          tr.appendChild(cell);
        });
        var action = el("td", { class: "step-cell" });
        action.appendChild(stepForm(incident));
        tr.appendChild(action);
        return tr;
      }));
      rows.dataset.ids = data.incidents.map(rowKey).join(",");
    }
    data.incidents.forEach(function (incident) {
      var tr = rows.querySelector('[data-incident="' + incident.id + '"]');
      if (!tr) return;
      incident.sla.forEach(function (stage) {
        var span = tr.querySelector('[data-stage="' + stage.stage + '"]');
        var state = clockState(stage, nowMs);
        span.className = "clock " + state.cls;
        span.textContent = state.text;
        span.title = stage.label;
      });
    });
  }

  function renderInbound() {
    if (!inbound || !data) return;
    if (!data.inbound.length) { inbound.replaceChildren(el("li", { class: "muted" }, "—")); return; }
    inbound.replaceChildren.apply(inbound, data.inbound.map(function (e) {
      var li = el("li");
      li.appendChild(el("a", { href: e.url }, e.title));
      li.appendChild(el("span", { class: "muted" }, " · " + e.source + " · " + new Date(e.created_at).toLocaleString("zh-CN", { hour12: false, timeZone: "Asia/Shanghai" })));
      return li;
    }));
  }

  var timers = [];

  function signedOut() {
    // the session ended (idle or end of shift): no stale data, a sign-in prompt instead
    timers.forEach(clearInterval);
    data = null;
    var cell = el("td", { colspan: "7", class: "empty", "data-board-expired": "" });
    cell.appendChild(document.createTextNode(t.i18nExpired + " "));
    cell.appendChild(el("a", { href: t.loginUrl + "?next=" + encodeURIComponent(t.next) }, t.i18nLogin));
    var tr = el("tr");
    tr.appendChild(cell);
    rows.replaceChildren(tr);
    rows.dataset.ids = "";
    if (inbound) inbound.replaceChildren(el("li", { class: "muted" }, "—"));
    if (status) status.textContent = "";
  }

  function poll() {
    // background polling: not activity, so an open board does not keep an idle session alive
    fetch(t.url, { credentials: "same-origin", headers: { Accept: "application/json", "X-Qianwan-Background": "1" } })
      .then(function (r) {
        if (r.status === 401 || r.status === 403) { signedOut(); return null; }
        if (!r.ok) throw new Error(r.status);
        return r.json();
      })
      .then(function (json) {
        if (!json) return;
        offsetMs = Date.parse(json.now) - Date.now();
        data = json;
        if (status) status.textContent = "";
        // red banner while the reminders are not running (the beat sweep's heartbeat is stale)
        if (banner) banner.hidden = json.reminders !== "stale";
        render();
        renderInbound();
      })
      .catch(function () { if (status) status.textContent = "· " + t.i18nOffline; });
  }

  poll();
  timers.push(setInterval(poll, POLL_MS));
  timers.push(setInterval(render, 1000));
})();
