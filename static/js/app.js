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
  /* Irreversible actions (办结, 结案, 销号, 退回/驳回): a form (or its submit button) with data-confirm asks
     in a dialog before it is sent. data-confirm-reason="<field>" adds a reason box copied into that
     field of the form; data-confirm-required makes the reason mandatory. The services enforce the
     rules; this only stops a slip of the mouse. */
  var body = document.body.dataset;
  var dialog = null;
  function buildDialog() {
    dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-dialog-title");
    dialog.innerHTML =
      '<form method="dialog"><h2 id="confirm-dialog-title" data-confirm-text></h2>' +
      '<div class="field" data-confirm-reason-box><label for="confirm-dialog-reason" data-confirm-reason-label></label>' +
      '<textarea id="confirm-dialog-reason" rows="3" data-confirm-reason-input></textarea>' +
      '<div class="error" role="alert" data-confirm-error hidden></div></div>' +
      '<div class="actions"><button type="submit" value="ok" class="btn btn-danger" data-confirm-ok></button> ' +
      '<button type="submit" value="cancel" class="btn" data-confirm-cancel formnovalidate></button></div></form>';
    dialog.querySelector("[data-confirm-ok]").textContent = body.i18nConfirm || "OK";
    dialog.querySelector("[data-confirm-cancel]").textContent = body.i18nCancel || "Cancel";
    document.body.appendChild(dialog);
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter || null;
    var source = submitter && submitter.dataset.confirm ? submitter : form;
    var text = source.dataset ? source.dataset.confirm : null;
    if (!text || form.dataset.confirmed === "1" || typeof HTMLDialogElement === "undefined") return;
    var when = source.dataset.confirmIf; // "field=value": ask only when that field has that value
    if (when) {
      var parts = when.split("=");
      var field = form.elements[parts[0]];
      if (!field || field.value !== parts[1]) return;
    }
    event.preventDefault();
    if (!dialog) buildDialog();
    var reasonField = source.dataset.confirmReason || "";
    var required = source.hasAttribute("data-confirm-required");
    var box = dialog.querySelector("[data-confirm-reason-box]");
    var input = dialog.querySelector("[data-confirm-reason-input]");
    var error = dialog.querySelector("[data-confirm-error]");
    dialog.querySelector("[data-confirm-text]").textContent = text;
    dialog.querySelector("[data-confirm-reason-label]").textContent =
      (source.dataset.confirmReasonLabel || body.i18nReason || "") + (required ? " *" : "");
    box.hidden = !reasonField;
    input.required = false;
    error.hidden = true;
    var existing = reasonField ? form.querySelector('[name="' + reasonField + '"]') : null;
    input.value = existing ? existing.value : "";
    dialog.returnValue = "";
    dialog.onclose = null;
    dialog.querySelector("form").onsubmit = function (e) {
      if (e.submitter && e.submitter.value === "ok" && reasonField && required && !input.value.trim()) {
        e.preventDefault();
        error.textContent = body.i18nReasonRequired || "";
        error.hidden = false;
        input.focus();
      }
    };
    dialog.onclose = function () {
      if (dialog.returnValue !== "ok") return;
      if (reasonField) {
        var target = form.querySelector('[name="' + reasonField + '"]');
        if (!target) {
          target = document.createElement("input");
          target.type = "hidden";
          target.name = reasonField;
          form.appendChild(target);
        }
        target.value = input.value.trim();
      }
      form.dataset.confirmed = "1";
      if (form.requestSubmit) form.requestSubmit(submitter || undefined);
      else form.submit();
    };
    dialog.showModal();
    (reasonField ? input : dialog.querySelector("[data-confirm-ok]")).focus();
  }, true);

  // "返回上一页" on the error pages (no inline script under the CSP)
  document.querySelectorAll("[data-back]").forEach(function (button) {
    button.addEventListener("click", function () {
      if (window.history.length > 1) window.history.back();
      else window.location.href = "/";
    });
  });

  window.qianwan = window.qianwan || {};
  window.qianwan.refreshUnread = refreshUnread;
})();
