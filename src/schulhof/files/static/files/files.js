// The web file manager's enhancements: uploads of files and whole folders (buttons and
// drag and drop) with a progress bar, and the action menus. Without JavaScript the page
// still works: the upload form posts the chosen files, menus are plain <details>.
//
// Each file is sent as the raw body of one PUT request (name in X-File-Name), so the server
// can stream it to disk; folders of a folder upload are created first.
(function () {
  "use strict";

  var root = document.querySelector("[data-fm]");
  var strings = {};
  var stringsNode = document.getElementById("fm-strings");
  if (stringsNode) {
    try { strings = JSON.parse(stringsNode.textContent); } catch (e) { strings = {}; }
  }

  function t(key, params) {
    var text = strings[key] || key;
    if (params) {
      text = text.replace(/%\((\w+)\)s/g, function (match, name) {
        return params[name] !== undefined ? String(params[name]) : match;
      });
    }
    return text;
  }

  var numberFormat = new Intl.NumberFormat(document.documentElement.lang || "de", {
    maximumFractionDigits: 1
  });

  // The same as the server's format_size: base 1024, one decimal, "2 GB" not "2,0 GB".
  function formatSize(bytes) {
    var value = Math.max(0, bytes);
    if (value < 1024) return Math.round(value) + " B";
    var units = ["KB", "MB", "GB", "TB"];
    var unit = "KB";
    for (var i = 0; i < units.length; i++) {
      value = value / 1024;
      unit = units[i];
      if (value < 1024) break;
    }
    return numberFormat.format(Math.round(value * 10) / 10) + " " + unit;
  }

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // --- Menus (<details data-fm-popover>): one open at a time, closed by Escape or a click
  // elsewhere. Delegated, so they keep working after the listing is refreshed.
  function initPopovers() {
    document.addEventListener("toggle", function (event) {
      var opened = event.target;
      if (!opened.matches || !opened.matches("[data-fm-popover]") || !opened.open) return;
      document.querySelectorAll("[data-fm-popover][open]").forEach(function (other) {
        if (other !== opened) other.open = false;
      });
      var input = opened.querySelector("input[type=text]");
      if (input) input.focus();
    }, true);
    document.addEventListener("click", function (event) {
      document.querySelectorAll("[data-fm-popover][open]").forEach(function (menu) {
        if (!menu.contains(event.target)) menu.open = false;
      });
    });
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") return;
      document.querySelectorAll("[data-fm-popover][open]").forEach(function (menu) {
        menu.open = false;
        var summary = menu.querySelector("summary");
        if (summary) summary.focus();
      });
    });
  }

  // "Kopieren" next to the network drive address (guides); only where the clipboard works.
  function initCopyButtons() {
    if (!navigator.clipboard) return;
    document.querySelectorAll("[data-fm-copy]").forEach(function (button) {
      var source = document.getElementById(button.getAttribute("data-fm-copy"));
      if (!source) return;
      var label = button.textContent;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          button.textContent = button.getAttribute("data-fm-copied") || label;
          window.setTimeout(function () { button.textContent = label; }, 2000);
        });
      });
    });
  }

  initPopovers();
  initCopyButtons();
  if (!root) return;

  var uploadUrl = root.getAttribute("data-upload-url");
  var mkdirUrl = root.getAttribute("data-mkdir-url");
  var maxUpload = parseInt(root.getAttribute("data-max-upload"), 10) || 0;
  var progress = root.querySelector("[data-fm-progress]");
  var form = root.querySelector("[data-fm-upload-form]");
  if (!uploadUrl || !progress || !form) return;

  var statusText = progress.querySelector("[data-fm-progress-text]");
  var bar = progress.querySelector("[data-fm-progress-bar]");
  var list = progress.querySelector("[data-fm-progress-list]");
  var conflictBox = progress.querySelector("[data-fm-conflicts]");
  var conflictList = progress.querySelector("[data-fm-conflict-list]");
  var cancelButton = progress.querySelector("[data-fm-cancel]");
  var busy = false;
  var cancelled = false;
  var currentRequest = null;
  var conflicts = [];

  root.querySelectorAll("[data-fm-js-only]").forEach(function (node) { node.hidden = false; });
  root.querySelectorAll("[data-fm-no-js]").forEach(function (node) { node.hidden = true; });

  // --- Collecting what to upload --------------------------------------------------------

  // Items: {file: File, path: "Ordner/Unterordner/name.txt"} relative to the current folder.
  function fromInput(input) {
    var items = [];
    Array.prototype.forEach.call(input.files || [], function (file) {
      items.push({ file: file, path: file.webkitRelativePath || file.name });
    });
    return items;
  }

  function readAllEntries(reader) {
    // readEntries returns at most 100 entries per call; read until it returns none.
    return new Promise(function (resolve, reject) {
      var all = [];
      function next() {
        reader.readEntries(function (entries) {
          if (!entries.length) { resolve(all); return; }
          all = all.concat(Array.prototype.slice.call(entries));
          next();
        }, reject);
      }
      next();
    });
  }

  function walkEntry(entry, items, folders) {
    var path = entry.fullPath.replace(/^\/+/, "");
    if (entry.isFile) {
      return new Promise(function (resolve) {
        entry.file(function (file) { items.push({ file: file, path: path }); resolve(); },
          function () { resolve(); });
      });
    }
    if (entry.isDirectory) {
      folders.push(path);
      return readAllEntries(entry.createReader()).then(function (children) {
        return children.reduce(function (chain, child) {
          return chain.then(function () { return walkEntry(child, items, folders); });
        }, Promise.resolve());
      });
    }
    return Promise.resolve();
  }

  function fromDrop(dataTransfer) {
    var items = [];
    var folders = [];
    var entries = [];
    if (dataTransfer.items && dataTransfer.items.length &&
        typeof dataTransfer.items[0].webkitGetAsEntry === "function") {
      Array.prototype.forEach.call(dataTransfer.items, function (item) {
        if (item.kind !== "file") return;
        var entry = item.webkitGetAsEntry();
        if (entry) entries.push(entry);
      });
    }
    if (!entries.length) {
      Array.prototype.forEach.call(dataTransfer.files || [], function (file) {
        items.push({ file: file, path: file.name });
      });
      return Promise.resolve({ items: items, folders: folders });
    }
    return entries.reduce(function (chain, entry) {
      return chain.then(function () { return walkEntry(entry, items, folders); });
    }, Promise.resolve()).then(function () {
      return { items: items, folders: folders };
    });
  }

  // --- Progress display ------------------------------------------------------------------

  function show(text) {
    progress.hidden = false;
    statusText.textContent = text;
  }

  function addLine(item) {
    var li = document.createElement("li");
    li.className = "fm-progress__item";
    var name = document.createElement("span");
    name.className = "fm-progress__name";
    name.textContent = item.path;
    var state = document.createElement("span");
    state.className = "fm-progress__state";
    state.textContent = t("waiting");
    li.appendChild(name);
    li.appendChild(state);
    list.appendChild(li);
    item.line = li;
    item.state = state;
  }

  function mark(item, text, kind) {
    if (!item.state) return;
    item.state.textContent = text;
    item.line.className = "fm-progress__item" + (kind ? " fm-progress__item--" + kind : "");
  }

  // --- Sending -------------------------------------------------------------------------

  function parseError(xhr) {
    try {
      var data = JSON.parse(xhr.responseText);
      return { message: data.error || t("network"), code: data.code || "" };
    } catch (e) {
      return { message: t("network"), code: "" };
    }
  }

  function post(url, fields) {
    return new Promise(function (resolve, reject) {
      var body = new FormData();
      Object.keys(fields).forEach(function (key) { body.append(key, fields[key]); });
      var xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.setRequestHeader("Accept", "application/json");
      xhr.onload = function () {
        if (xhr.status >= 200 && xhr.status < 300) resolve();
        else reject(parseError(xhr));
      };
      xhr.onerror = function () { reject({ message: t("network"), code: "" }); };
      xhr.send(body);
    });
  }

  function put(item, overwrite, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      currentRequest = xhr;
      xhr.open("PUT", uploadUrl);
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.setRequestHeader("X-File-Name", encodeURIComponent(item.path));
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.setRequestHeader("Accept", "application/json");
      if (overwrite) xhr.setRequestHeader("X-Overwrite", "1");
      xhr.upload.onprogress = function (event) {
        if (event.lengthComputable) onProgress(event.loaded);
      };
      xhr.onload = function () {
        currentRequest = null;
        if (xhr.status >= 200 && xhr.status < 300) resolve();
        else reject(parseError(xhr));
      };
      xhr.onerror = function () { currentRequest = null; reject({ message: t("network"), code: "" }); };
      xhr.onabort = function () { currentRequest = null; reject({ message: t("cancelled"), code: "abort" }); };
      xhr.send(item.file);
    });
  }

  // Only the deepest folders are needed: the server creates the ones above them.
  function leafFolders(items, folders) {
    var all = {};
    folders.forEach(function (path) { if (path) all[path] = true; });
    items.forEach(function (item) {
      var parts = item.path.split("/");
      parts.pop();
      if (parts.length) all[parts.join("/")] = true;
    });
    var paths = Object.keys(all);
    return paths.filter(function (path) {
      return !paths.some(function (other) { return other.indexOf(path + "/") === 0; });
    }).sort();
  }

  function refreshListing() {
    return fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (!html) return;
        var page = new DOMParser().parseFromString(html, "text/html");
        ["[data-fm-listing]", ".fm-side"].forEach(function (selector) {
          var fresh = page.querySelector(selector);
          var old = root.querySelector(selector);
          if (fresh && old) old.innerHTML = fresh.innerHTML;
        });
        var freshRoot = page.querySelector("[data-fm]");
        if (freshRoot) root.setAttribute("data-quota-free", freshRoot.getAttribute("data-quota-free"));
        root.querySelectorAll("[data-fm-js-only]").forEach(function (node) { node.hidden = false; });
      })
      .catch(function () { /* the next page load shows the files */ });
  }

  function run(items, folders, overwrite) {
    if (busy) return;
    busy = true;
    cancelled = false;
    conflictBox.hidden = true;
    if (!overwrite) {
      list.textContent = "";
      conflicts = [];
    }
    progress.classList.remove("fm-progress--error");
    cancelButton.hidden = false;
    var failed = 0;
    var stored = 0;
    var sendable = [];
    var quotaFree = parseInt(root.getAttribute("data-quota-free"), 10);

    items.forEach(function (item) {
      if (!item.line) addLine(item);
      if (maxUpload && item.file.size > maxUpload) {
        mark(item, t("too_large", { name: item.file.name, limit: formatSize(maxUpload) }), "error");
        failed++;
      } else {
        sendable.push(item);
      }
    });
    var total = sendable.reduce(function (sum, item) { return sum + item.file.size; }, 0);
    if (!overwrite && !isNaN(quotaFree) && total > quotaFree) {
      show(t("no_space", { needed: formatSize(total), free: formatSize(quotaFree) }));
      progress.classList.add("fm-progress--error");
      sendable.forEach(function (item) { mark(item, t("skipped"), "error"); });
      bar.value = 0;
      cancelButton.hidden = true;
      busy = false;
      return;
    }
    if (!sendable.length && !folders.length) {
      show(failed ? t("failed", { count: failed }) : t("nothing"));
      progress.classList.toggle("fm-progress--error", failed > 0);
      cancelButton.hidden = true;
      busy = false;
      return;
    }

    var sent = 0;
    bar.value = 0;
    bar.max = 100;
    function update(loaded) {
      bar.value = total ? Math.min(100, Math.round(100 * (sent + loaded) / total)) : 100;
      bar.setAttribute("aria-valuetext", t("progress", {
        done: formatSize(sent + loaded), size: formatSize(total)
      }));
    }

    var chain = Promise.resolve();
    var needed = overwrite ? [] : leafFolders(sendable, folders);
    if (needed.length) {
      show(t("folders"));
      needed.forEach(function (path) {
        chain = chain.then(function () {
          if (cancelled) return;
          return post(mkdirUrl, { path: path }).catch(function (error) {
            // The files inside will fail with their own message; show this one too.
            show(error.message);
          });
        });
      });
    }
    sendable.forEach(function (item, index) {
      chain = chain.then(function () {
        if (cancelled) { mark(item, t("cancelled"), "error"); return; }
        show(t("uploading", { current: index + 1, total: sendable.length, name: item.path }));
        mark(item, "0 %", "active");
        return put(item, overwrite, function (loaded) {
          update(loaded);
          mark(item, Math.round(100 * loaded / Math.max(1, item.file.size)) + " %", "active");
        }).then(function () {
          stored++;
          mark(item, t("ok"), "ok");
        }, function (error) {
          if (error.code === "AlreadyExists" && !overwrite) {
            conflicts.push(item);
            mark(item, t("exists"), "warn");
          } else {
            failed++;
            mark(item, error.message, "error");
            if (error.code === "QuotaExceeded" || error.code === "abort") cancelled = true;
          }
        }).then(function () {
          sent += item.file.size;
          update(0);
        });
      });
    });
    chain.then(function () {
      busy = false;
      cancelButton.hidden = true;
      var summary = [];
      if (cancelled && !failed) summary.push(t("cancelled"));
      summary.push(t("done", { count: stored }));
      if (failed) summary.push(t("failed", { count: failed }));
      show(summary.join(" "));
      progress.classList.toggle("fm-progress--error", failed > 0);
      if (stored === sendable.length && !failed) bar.value = 100;
      if (conflicts.length && !cancelled) {
        conflictList.textContent = "";
        conflicts.forEach(function (item) {
          var li = document.createElement("li");
          li.textContent = item.path;
          conflictList.appendChild(li);
        });
        conflictBox.hidden = false;
      }
      return refreshListing();
    });
  }

  cancelButton.addEventListener("click", function () {
    cancelled = true;
    if (currentRequest) currentRequest.abort();
  });

  conflictBox.querySelector("[data-fm-replace]").addEventListener("click", function () {
    var again = conflicts;
    conflicts = [];
    conflictBox.hidden = true;
    run(again, [], true);
  });

  conflictBox.querySelector("[data-fm-keep]").addEventListener("click", function () {
    conflicts.forEach(function (item) { mark(item, t("skipped"), ""); });
    conflicts = [];
    conflictBox.hidden = true;
  });

  // --- Triggers --------------------------------------------------------------------------

  ["[data-fm-files]", "[data-fm-folder]"].forEach(function (selector) {
    var input = form.querySelector(selector);
    if (!input) return;
    input.addEventListener("change", function () {
      var items = fromInput(input);
      input.value = "";
      if (items.length) run(items, [], false);
    });
  });

  form.addEventListener("submit", function (event) {
    // With the script the inputs upload on their own; the button is for no-script only.
    event.preventDefault();
  });

  var dragDepth = 0;
  function hasFiles(event) {
    var types = event.dataTransfer && event.dataTransfer.types;
    return types && Array.prototype.indexOf.call(types, "Files") !== -1;
  }
  function zone() { return root.querySelector("[data-fm-drop]"); }

  root.addEventListener("dragenter", function (event) {
    if (!hasFiles(event)) return;
    event.preventDefault();
    dragDepth++;
    zone().classList.add("fm-listing--drag");
    zone().setAttribute("data-drop-label", t("drop"));
  });
  root.addEventListener("dragover", function (event) {
    if (!hasFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  });
  root.addEventListener("dragleave", function (event) {
    if (!hasFiles(event)) return;
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) zone().classList.remove("fm-listing--drag");
  });
  root.addEventListener("drop", function (event) {
    if (!hasFiles(event)) return;
    event.preventDefault();
    dragDepth = 0;
    zone().classList.remove("fm-listing--drag");
    if (busy) return;
    show(t("reading"));
    fromDrop(event.dataTransfer).then(function (found) {
      run(found.items, found.folders, false);
    });
  });
  // A file dropped next to the drop zone must not replace the page.
  window.addEventListener("dragover", function (event) { if (hasFiles(event)) event.preventDefault(); });
  window.addEventListener("drop", function (event) { if (hasFiles(event)) event.preventDefault(); });
})();
