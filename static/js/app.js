// Stagecoach's small behaviours. No inline handlers: everything is wired here.
// Every sentence this script shows comes from the server, in data attributes; the one
// format it computes is a moment's m:ss (clock below), as songs/analysis/units.py writes it.
(function () {
  "use strict";

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
    // A name longer than the server can read in a form part is refused here, with the
    // server's sentence, instead of the server's 400 page.
    var maxName = parseInt(zone.dataset.maxName || "0", 10);
    if (!input || !form) return;

    function check() {
      var file = input.files && input.files[0];
      if (chosen) chosen.textContent = file ? file.name : "";
      var tooBig = Boolean(file && maxBytes && file.size > maxBytes);
      var tooLong = Boolean(file && maxName && file.name.length > maxName);
      if (error) {
        error.hidden = !(tooBig || tooLong);
        error.textContent = tooBig ? zone.dataset.tooLarge || "" : tooLong ? zone.dataset.tooLong || "" : "";
      }
      return !(tooBig || tooLong);
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

  // The slider's reading: the server rendered the sentence for every place (data-readings).
  function setupBalance(root) {
    root.querySelectorAll("input[data-balance]").forEach(function (slider) {
      var reading = document.getElementById(slider.dataset.reading);
      var readings = JSON.parse(slider.dataset.readings || "{}");
      if (!reading) return;
      slider.addEventListener("input", function () {
        var sentence = readings[String(parseInt(slider.value, 10))];
        if (sentence) reading.textContent = sentence;
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

  // Where a key press is typing, not a shortcut: text fields, text areas, drop-downs and
  // editable text. A checkbox, a range or a button is not typing.
  function isTyping(target) {
    if (!target || !target.closest) return false;
    if (target.closest("textarea, select, [contenteditable]")) return true;
    var input = target.closest("input");
    if (!input) return false;
    return ["checkbox", "radio", "range", "button", "submit", "reset", "file"].indexOf(input.type) === -1;
  }

  // m:ss (h:mm:ss from an hour on), rounded down: songs/analysis/units.py clock().
  function clock(seconds) {
    var whole = Math.max(0, Math.floor(seconds));
    var hours = Math.floor(whole / 3600);
    var minutes = Math.floor((whole % 3600) / 60);
    var rest = whole % 60;
    var tail = (rest < 10 ? "0" : "") + rest;
    if (hours) return hours + ":" + (minutes < 10 ? "0" : "") + minutes + ":" + tail;
    return minutes + ":" + tail;
  }

  function playerFor(element) {
    var host = element.closest("[data-listen]") || document;
    return host.querySelector("audio.player");
  }

  function seek(element, seconds) {
    var player = playerFor(element);
    if (!player) return;
    player.currentTime = seconds;
    var playing = player.play();
    if (playing && playing.catch) playing.catch(function () {});
  }

  // The waveform: click to comment at a moment, drag for a range; markers sit at their
  // times and seek the player; a playhead follows the audio.
  function setupWaveform(box) {
    if (box.dataset.ready) return;
    box.dataset.ready = "1";
    var duration = parseFloat(box.dataset.duration || "0");
    var player = document.getElementById(box.dataset.player);
    var selection = box.querySelector(".selection");
    var playhead = box.querySelector(".playhead");
    var start = null;

    function secondsAt(event) {
      var rect = box.getBoundingClientRect();
      var fraction = Math.min(Math.max((event.clientX - rect.left) / rect.width, 0), 1);
      return fraction * duration;
    }

    function choose(from, to) {
      var form = document.getElementById(box.dataset.form);
      if (!form) return;
      var range = to !== null && Math.abs(to - from) >= 0.5;
      var at = range ? Math.min(from, to) : from;
      var until = range ? Math.max(from, to) : null;
      form.querySelector("[data-at]").value = at.toFixed(3);
      form.querySelector("[data-until]").value = until === null ? "" : until.toFixed(3);
      var label = form.querySelector("[data-moment]");
      if (label) {
        var template = until === null ? label.dataset.atTemplate : label.dataset.rangeTemplate;
        label.textContent = (template || "")
          .replace("{at}", clock(at))
          .replace("{until}", until === null ? "" : clock(until));
      }
      if (selection) {
        selection.hidden = false;
        selection.style.left = (at / duration) * 100 + "%";
        selection.style.width = until === null ? "2px" : ((until - at) / duration) * 100 + "%";
      }
      var text = form.querySelector("textarea[name=body]");
      if (text) text.focus();
    }

    if (duration > 0) {
      // Once the interactive player is drawn (player.js), it takes the pointer.
      box.addEventListener("mousedown", function (event) {
        if (box.classList.contains("is-live") || event.target.closest(".marker")) return;
        event.preventDefault();
        start = secondsAt(event);
      });
      box.addEventListener("mouseup", function (event) {
        if (start === null) return;
        var end = secondsAt(event);
        var from = start;
        start = null;
        choose(from, Math.abs(end - from) >= 0.5 ? end : null);
      });
    }
    if (player && playhead && duration > 0) {
      player.addEventListener("timeupdate", function () {
        playhead.style.left = (player.currentTime / duration) * 100 + "%";
      });
    }
    layoutMarkers(box);
  }

  function layoutMarkers(root) {
    var box = root.matches && root.matches("[data-waveform]") ? root : root.closest && root.closest("[data-waveform]");
    var boxes = box ? [box] : Array.prototype.slice.call(root.querySelectorAll("[data-waveform]"));
    boxes.forEach(function (waveform) {
      var duration = parseFloat(waveform.dataset.duration || "0");
      if (!(duration > 0)) return;
      waveform.querySelectorAll(".marker").forEach(function (marker) {
        var at = parseFloat(marker.dataset.at);
        marker.style.left = (at / duration) * 100 + "%";
        if (marker.dataset.until) {
          marker.style.width = ((parseFloat(marker.dataset.until) - at) / duration) * 100 + "%";
          marker.classList.add("range");
        }
      });
    });
  }

  function setupSeeking(root) {
    root.querySelectorAll(".marker").forEach(function (marker) {
      if (marker.dataset.ready) return;
      marker.dataset.ready = "1";
      marker.addEventListener("click", function () {
        seek(marker, parseFloat(marker.dataset.at));
        var comment = document.getElementById(marker.dataset.target);
        if (comment) {
          comment.classList.add("highlight");
          comment.scrollIntoView({block: "nearest"});
          window.setTimeout(function () { comment.classList.remove("highlight"); }, 1500);
        }
      });
    });
    root.querySelectorAll("[data-seek]").forEach(function (button) {
      if (button.dataset.ready) return;
      button.dataset.ready = "1";
      button.addEventListener("click", function () { seek(button, parseFloat(button.dataset.seek)); });
    });
  }

  // A snippet is inserted into the comment box, where the coach edits it.
  function setupSnippets(root) {
    root.querySelectorAll("select[data-snippets]").forEach(function (select) {
      select.addEventListener("change", function () {
        var text = document.getElementById(select.dataset.snippets);
        if (!text || !select.value) return;
        text.value = text.value ? text.value.replace(/\s*$/, "") + "\n\n" + select.value : select.value;
        select.value = "";
        text.focus();
      });
    });
  }

  // A strip of stages wider than the screen (the song page's timeline on a phone) starts
  // scrolled to the current stage, not to the first.
  function showCurrentStage(root) {
    root.querySelectorAll(".timeline").forEach(function (strip) {
      var current = strip.querySelector(".is-current");
      if (!current || strip.scrollWidth <= strip.clientWidth) return;
      var step = (current.closest("li") || current).getBoundingClientRect();
      var box = strip.getBoundingClientRect();
      strip.scrollLeft += step.left - box.left - (strip.clientWidth - step.width) / 2;
    });
  }

  function init(root) {
    guardDoubleSubmit(root);
    showCurrentStage(root);
    root.querySelectorAll("[data-dropzone]").forEach(setupDropzone);
    setupBalance(root);
    setupAutosave(root);
    root.querySelectorAll("[data-waveform]").forEach(setupWaveform);
    layoutMarkers(root);
    setupSeeking(root);
    setupSnippets(root);
  }

  // What the player (player.js) shares with this script.
  window.Stagecoach = {clock: clock, isTyping: isTyping};

  if (window.htmx) {
    window.htmx.onLoad(init);
  } else {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  }
})();
