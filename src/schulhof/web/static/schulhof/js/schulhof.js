// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";

  function initNavToggle() {
    var button = document.querySelector("[data-nav-toggle]");
    var nav = document.getElementById("main-nav");
    if (!button || !nav) return;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") === "true";
      button.setAttribute("aria-expanded", open ? "false" : "true");
      nav.classList.toggle("sidenav--open", !open);
    });
  }

  // Live hint for new passwords: asks the server (the same policy as on submit).
  function initPasswordHint() {
    var input = document.querySelector("[data-password-hint]");
    var output = document.querySelector("[data-password-hint-output]");
    var url = document.body.getAttribute("data-password-hint-url");
    if (!input || !output || !url) return;
    var timer = null;
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        if (!input.value) { output.textContent = ""; output.className = "password-hint"; return; }
        var body = new FormData();
        body.append("password", input.value);
        var token = document.querySelector("input[name=csrfmiddlewaretoken]");
        fetch(url, {
          method: "POST", body: body, credentials: "same-origin",
          headers: { "X-CSRFToken": token ? token.value : "" }
        }).then(function (r) { return r.json(); }).then(function (data) {
          output.textContent = data.ok ? data.ok_message : data.messages.join(" ");
          output.className = "password-hint " + (data.ok ? "password-hint--ok" : "password-hint--bad");
        }).catch(function () { output.textContent = ""; });
      }, 250);
    });
  }

  // A "select all" checkbox (data-select-all="<css selector>") ticks the boxes it names;
  // the server also understands it on its own, so this is only for what the user sees.
  function initSelectAll() {
    document.querySelectorAll("[data-select-all]").forEach(function (master) {
      var selector = master.getAttribute("data-select-all");
      master.addEventListener("change", function () {
        document.querySelectorAll(selector).forEach(function (box) { box.checked = master.checked; });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    initNavToggle();
    initPasswordHint();
    initSelectAll();
  });
})();
