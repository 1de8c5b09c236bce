// The webmail's progressive enhancements; every page also works without JavaScript.
// - the message frame grows to the height of the mail (it is same-origin but sandboxed
//   without scripts, so we measure it from here),
// - the number of ticked messages in the list toolbar,
// - suggestions for the address fields (our own JSON endpoint),
// - the list of chosen attachments with a size check before uploading,
// - a question before discarding or deleting for good.
(function () {
  "use strict";

  function fitFrame(frame) {
    function measure(doc) {
      return Math.max(doc.documentElement.scrollHeight, doc.body ? doc.body.scrollHeight : 0);
    }
    // Shrink first, then measure: a document is never shorter than its frame.
    function fit() {
      try {
        var doc = frame.contentDocument;
        if (!doc || !doc.documentElement) return;
        frame.style.height = "40px";
        frame.style.height = Math.min(Math.max(measure(doc) + 4, 80), 200000) + "px";
      } catch (e) {
        // Not readable (should not happen: same origin): the CSS height stays.
      }
    }
    // Content that grows later (images arriving) only ever makes the frame taller, so the
    // observer cannot start a loop of resizes.
    function grow() {
      try {
        var doc = frame.contentDocument;
        if (!doc || !doc.documentElement) return;
        var wanted = Math.min(measure(doc) + 4, 200000);
        if (wanted > frame.clientHeight + 2) frame.style.height = wanted + "px";
      } catch (e) {
        // As above.
      }
    }
    function attach() {
      fit();
      var doc = frame.contentDocument;
      if (!doc || !doc.documentElement || frame.getAttribute("data-wm-watched")) return;
      frame.setAttribute("data-wm-watched", "1");
      if (window.ResizeObserver) new ResizeObserver(grow).observe(doc.documentElement);
      Array.prototype.forEach.call(doc.images, function (img) { img.addEventListener("load", grow); });
    }
    frame.addEventListener("load", function () {
      frame.removeAttribute("data-wm-watched");
      attach();
    });
    var timer = null;
    window.addEventListener("resize", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(fit, 150);
    });
    try {
      var doc = frame.contentDocument;
      if (doc && doc.readyState === "complete" && doc.URL !== "about:blank") attach();
    } catch (e) {
      // Loaded later: the load handler does it.
    }
  }

  function initSelectedCount(root) {
    var form = root.querySelector("[data-wm-bulk]");
    var output = root.querySelector("[data-wm-selected]");
    if (!form || !output) return;
    var template = root.getAttribute("data-str-selected") || "%(count)s";
    function update() {
      var count = form.querySelectorAll(".wm-row__check:checked").length;
      output.textContent = count ? template.replace("%(count)s", String(count)) : "";
      form.classList.toggle("wm-listform--selected", count > 0);
    }
    form.addEventListener("change", update);
    update();
  }

  function initConfirm(root) {
    root.querySelectorAll("[data-wm-confirm]").forEach(function (button) {
      button.addEventListener("click", function (event) {
        if (!window.confirm(button.getAttribute("data-wm-confirm"))) event.preventDefault();
      });
    });
  }

  // --- Address suggestions ---------------------------------------------------------------

  var comboCounter = 0;

  function lastToken(value) {
    var cut = Math.max(value.lastIndexOf(","), value.lastIndexOf(";"));
    return { head: value.slice(0, cut + 1), token: value.slice(cut + 1).trim() };
  }

  function initCombo(input, url) {
    comboCounter += 1;
    var listId = "wm-suggest-" + comboCounter;
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "wm-suggest";
    list.setAttribute("role", "listbox");
    list.hidden = true;
    input.parentNode.appendChild(list);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-controls", listId);
    input.setAttribute("aria-expanded", "false");
    var timer = null;
    var items = [];
    var active = -1;
    var request = 0;

    function close() {
      list.hidden = true;
      list.textContent = "";
      items = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }

    function choose(index) {
      var item = items[index];
      if (!item) return;
      var parts = lastToken(input.value);
      var label = item.label && item.kind === "user" ? item.label.replace(/[",;<>]/g, "") + " <" + item.address + ">" : item.address;
      input.value = (parts.head ? parts.head + " " : "") + label + ", ";
      close();
      input.focus();
    }

    function highlight(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0 && list.children[index]) {
        input.setAttribute("aria-activedescendant", list.children[index].id);
        list.children[index].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function show(results) {
      list.textContent = "";
      items = results;
      active = -1;
      if (!results.length) { close(); return; }
      results.forEach(function (item, index) {
        var option = document.createElement("li");
        option.id = listId + "-" + index;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.className = "wm-suggest__item wm-suggest__item--" + item.kind;
        var name = document.createElement("span");
        name.className = "wm-suggest__label";
        name.textContent = item.label || item.address;
        var address = document.createElement("span");
        address.className = "wm-suggest__address";
        address.textContent = item.address;
        option.appendChild(name);
        option.appendChild(address);
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(index);
        });
        list.appendChild(option);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
    }

    function lookup() {
      var token = lastToken(input.value).token;
      if (token.length < 2 || token.indexOf("@") >= 0 && token.indexOf(">") >= 0) { close(); return; }
      request += 1;
      var mine = request;
      fetch(url + "?q=" + encodeURIComponent(token), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) { if (mine === request) show(data.results || []); })
        .catch(function () { close(); });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(lookup, 180);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(Math.min(items.length - 1, active + 1)); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(Math.max(0, active - 1)); }
      else if (event.key === "Enter" && active >= 0) { event.preventDefault(); choose(active); }
      else if (event.key === "Escape") { event.preventDefault(); close(); }
    });
    input.addEventListener("blur", function () { window.setTimeout(close, 120); });
  }

  // --- Attachments -------------------------------------------------------------------------

  function formatSize(bytes) {
    var units = ["B", "KB", "MB", "GB"];
    var value = bytes;
    var unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
    var text = unit === 0 ? String(value) : value.toFixed(1).replace(".", ",").replace(",0", "");
    return text + " " + units[unit];
  }

  function initAttachments(form) {
    var input = form.querySelector("[data-wm-files]");
    var list = form.querySelector("[data-wm-picked]");
    var error = form.querySelector("[data-wm-size-error]");
    var limit = parseInt(form.getAttribute("data-max-size") || "0", 10);
    if (!input || !list) return;
    function total() {
      var sum = 0;
      Array.prototype.forEach.call(input.files || [], function (file) { sum += file.size; });
      form.querySelectorAll("input[name=keep]:checked").forEach(function (box) {
        sum += parseInt(box.getAttribute("data-size") || "0", 10);
      });
      return sum;
    }
    function update() {
      list.textContent = "";
      Array.prototype.forEach.call(input.files || [], function (file) {
        var item = document.createElement("li");
        item.textContent = file.name + " (" + formatSize(file.size) + ")";
        list.appendChild(item);
      });
      var tooLarge = limit > 0 && total() > limit;
      if (error) {
        error.textContent = tooLarge ? form.getAttribute("data-too-large") : "";
        error.hidden = !tooLarge;
      }
    }
    input.addEventListener("change", update);
    form.addEventListener("change", function (event) {
      if (event.target && event.target.name === "keep") update();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-wm]");
    if (!root) return;
    document.querySelectorAll("[data-wm-frame]").forEach(fitFrame);
    initSelectedCount(root);
    initConfirm(root);
    var form = root.querySelector("[data-wm-compose]");
    if (form) {
      var url = form.getAttribute("data-suggest-url");
      form.querySelectorAll("[data-wm-recipients]").forEach(function (input) { initCombo(input, url); });
      initAttachments(form);
    }
  });
})();
