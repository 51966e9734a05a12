// Live diversion suggestion on the call-taking form: as the category or the description changes, ask
// the catalogue (GET /api/v1/diversion-catalogue/?q=&category=) and show what it suggests; a click on
// a suggested item picks it and the hotline. Without JavaScript the "检查分流建议" button does the same.
(function () {
  "use strict";
  var box = document.getElementById("diversion-suggestion");
  if (!box) return;
  var form = box.closest("form");
  var category = form.querySelector("[name=category]");
  var description = form.querySelector("[name=description]");
  var itemSelect = form.querySelector("[name=catalogue_item]");
  var divertSelect = form.querySelector("[name=divert_to]");
  var timer = null;
  var seq = 0;

  function render(data) {
    var s = data.suggestion;
    if (!s || !s.divert) { box.hidden = true; return; }
    var names = {};
    data.results.forEach(function (r) { names[r.id] = r.category + " · " + r.name; });
    box.querySelector("[data-role=reason]").textContent = s.reason;
    var list = box.querySelector("[data-role=items]");
    list.textContent = "";
    s.items.forEach(function (id) {
      var li = document.createElement("li");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-sm";
      button.textContent = names[id] || String(id);
      button.addEventListener("click", function () {
        if (itemSelect) itemSelect.value = String(id);
        if (divertSelect && !divertSelect.value && divertSelect.options.length > 1) divertSelect.selectedIndex = 1;
      });
      li.appendChild(button);
      list.appendChild(li);
    });
    box.hidden = false;
  }

  function ask() {
    var params = new URLSearchParams({ direction: "to_12345" });
    if (description && description.value.trim()) params.set("q", description.value.trim());
    if (category && category.value) params.set("category", category.value);
    if (!params.has("q") && !params.has("category")) { box.hidden = true; return; }
    var mine = ++seq;
    fetch(box.dataset.url + "?" + params.toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-Qianwan-Background": "1" },
    })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data && mine === seq) render(data); })
      .catch(function () { /* the server-side check still works */ });
  }

  function later() { clearTimeout(timer); timer = setTimeout(ask, 300); }
  if (category) category.addEventListener("change", later);
  if (description) description.addEventListener("input", later);
})();
