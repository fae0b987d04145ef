// Stagecoach's small behaviours. No inline handlers: everything is wired here.
(function () {
  "use strict";

  function formatSize(bytes) {
    if (bytes >= 1024 * 1024) return Math.round(bytes / (1024 * 1024)) + " MB";
    if (bytes >= 1024) return Math.round(bytes / 1024) + " KB";
    return bytes + " bytes";
  }

  // A form marked data-once disables its buttons once submitted, so a double click sends
  // one request. (The server also recognises a repeated form by its request key.)
  function guardDoubleSubmit(root) {
    root.querySelectorAll("form[data-once]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        window.setTimeout(function () {
          if (event.defaultPrevented) return;
          form.querySelectorAll("button[type=submit], input[type=submit]").forEach(function (b) {
            b.disabled = true;
          });
        }, 0);
      });
    });
  }

  function setupDropzone(zone) {
    var input = zone.querySelector("input[type=file]");
    var chosen = zone.querySelector("[data-chosen]");
    var error = zone.querySelector("[data-size-error]");
    var form = zone.closest("form");
    var maxBytes = parseInt(zone.dataset.maxBytes || "0", 10);
    if (!input || !form) return;

    function check() {
      var file = input.files && input.files[0];
      if (chosen) chosen.textContent = file ? file.name + " (" + formatSize(file.size) + ")" : "";
      var tooBig = Boolean(file && maxBytes && file.size > maxBytes);
      if (error) {
        error.hidden = !tooBig;
        error.textContent = tooBig
          ? "This file is " + formatSize(file.size) + "; bounces can be up to " + formatSize(maxBytes) + "."
          : "";
      }
      return !tooBig;
    }

    input.addEventListener("change", check);
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("is-over");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("is-over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        check();
      }
    });

    // Refuse an over-limit file before sending a byte of it.
    form.addEventListener("htmx:confirm", function (event) {
      if (!check()) event.preventDefault();
    });
    form.addEventListener("submit", function (event) {
      if (!check()) event.preventDefault();
    });

    var bar = form.querySelector("progress[data-upload-progress]");
    if (bar) {
      form.addEventListener("htmx:beforeRequest", function () {
        bar.hidden = false;
        bar.value = 0;
      });
      form.addEventListener("htmx:xhr:progress", function (event) {
        if (event.detail.lengthComputable && event.detail.total) {
          bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
        }
      });
      form.addEventListener("htmx:afterRequest", function () { bar.value = 100; });
    }
  }

  function setupBalance(root) {
    root.querySelectorAll("input[data-balance]").forEach(function (slider) {
      var reading = document.getElementById(slider.dataset.reading);
      if (!reading) return;
      var left = slider.dataset.left;
      var right = slider.dataset.right;
      slider.addEventListener("input", function () {
        var value = parseInt(slider.value, 10);
        if (value === 0) reading.textContent = "Balanced between " + left + " and " + right + " (0)";
        else if (value < 0) reading.textContent = "Leaning towards " + left + " (" + value + ")";
        else reading.textContent = "Leaning towards " + right + " (+" + value + ")";
      });
    });
  }

  // Forms that save themselves (the journal) remember whether the text on screen is
  // newer than the last save, and the browser warns before leaving with unsaved text.
  function setupAutosave(root) {
    root.querySelectorAll("form[data-autosave]").forEach(function (form) {
      var field = form.querySelector("textarea, input[type=text]");
      if (!field) return;
      var sent = null;
      form.addEventListener("input", function () { form.dataset.dirty = "1"; });
      form.addEventListener("htmx:configRequest", function () { sent = field.value; });
      form.addEventListener("htmx:afterSettle", function () {
        var saved = form.querySelector(".saved-note");
        if (saved && sent === field.value) delete form.dataset.dirty;
      });
    });
  }

  window.addEventListener("beforeunload", function (event) {
    if (document.querySelector("form[data-autosave][data-dirty]")) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  function init(root) {
    guardDoubleSubmit(root);
    root.querySelectorAll("[data-dropzone]").forEach(setupDropzone);
    setupBalance(root);
    setupAutosave(root);
  }

  if (window.htmx) {
    window.htmx.onLoad(init);
  } else {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  }
})();
