// Voice notes: record a spoken comment in the browser (MediaRecorder), hear it back, then
// send it with its comment form's fields (the moment or range the waveform set, the reply's
// thread, blocking) and swap in the thread the server answers, as a text comment does.
// Wired by data attributes (templates/coaching/_voice_control.html). Every sentence shown
// comes from the server in those attributes; the one format computed here is the elapsed
// m:ss, as songs/analysis/units.py clock() writes it.
(function () {
  "use strict";

  // Containers the server takes, in the order a recorder is asked for them.
  var TYPES = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/webm", "audio/ogg", "audio/mp4"];

  function clock(seconds) {
    var whole = Math.max(0, Math.floor(seconds));
    var hours = Math.floor(whole / 3600);
    var minutes = Math.floor((whole % 3600) / 60);
    var rest = whole % 60;
    var tail = (rest < 10 ? "0" : "") + rest;
    if (hours) return hours + ":" + (minutes < 10 ? "0" : "") + minutes + ":" + tail;
    return minutes + ":" + tail;
  }

  function recorderType() {
    if (typeof MediaRecorder.isTypeSupported !== "function") return "";
    for (var i = 0; i < TYPES.length; i++) {
      if (MediaRecorder.isTypeSupported(TYPES[i])) return TYPES[i];
    }
    return "";
  }

  function extensionOf(type) {
    if (type.indexOf("ogg") !== -1) return "ogg";
    if (type.indexOf("mp4") !== -1) return "m4a";
    return "webm";
  }

  function setup(box) {
    if (box.dataset.ready) return;
    box.dataset.ready = "1";
    var form = box.closest("form");
    var startButton = box.querySelector("[data-voice-start]");
    var recordingPanel = box.querySelector("[data-voice-recording]");
    var elapsed = box.querySelector("[data-voice-elapsed]");
    var stopButton = box.querySelector("[data-voice-stop]");
    var previewPanel = box.querySelector("[data-voice-preview]");
    var playback = box.querySelector("[data-voice-playback]");
    var length = box.querySelector("[data-voice-length]");
    var sendButton = box.querySelector("[data-voice-send]");
    var discardButton = box.querySelector("[data-voice-discard]");
    var status = box.querySelector("[data-voice-status]");
    var maxSeconds = parseFloat(box.dataset.maxS || "0");
    var maxBytes = parseInt(box.dataset.maxBytes || "0", 10);
    if (!form || !startButton) return;

    var stream = null;
    var recorder = null;
    var chunks = [];
    var recording = null;
    var previewUrl = "";
    var startedAt = 0;
    var ticker = null;
    var limitTimer = null;
    var stoppedAtLimit = false;

    function say(sentence) {
      status.textContent = sentence || "";
      status.hidden = !sentence;
    }

    function show(state) {
      box.dataset.state = state;
      startButton.hidden = state !== "idle";
      startButton.disabled = false;
      recordingPanel.hidden = state !== "recording";
      previewPanel.hidden = state !== "preview";
      sendButton.disabled = false;
      discardButton.disabled = false;
    }

    if (!window.MediaRecorder || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      startButton.hidden = true;
      box.dataset.state = "unsupported";
      say(box.dataset.unsupported);
      return;
    }

    function release() {
      window.clearInterval(ticker);
      window.clearTimeout(limitTimer);
      ticker = null;
      if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
    }

    function forget() {
      if (previewUrl) URL.revokeObjectURL(previewUrl);
      previewUrl = "";
      recording = null;
      playback.removeAttribute("src");
      playback.load();
    }

    function tick() {
      // The form was swapped away (a thread resolved, say): the microphone goes off too.
      if (!box.isConnected) {
        if (recorder && recorder.state !== "inactive") recorder.stop();
        release();
        return;
      }
      elapsed.textContent = clock((performance.now() - startedAt) / 1000);
    }

    function stop() {
      // The length as recorded: a recorder's WebM does not say, so its preview cannot.
      if (length) length.textContent = clock((performance.now() - startedAt) / 1000);
      if (recorder && recorder.state !== "inactive") recorder.stop();
      release();
    }

    function finished() {
      release();
      var type = (recorder && recorder.mimeType) || (chunks[0] && chunks[0].type) || "audio/webm";
      recording = new Blob(chunks, {type: type});
      chunks = [];
      if (maxBytes && recording.size > maxBytes) {
        forget();
        show("idle");
        say(box.dataset.tooLarge);
        return;
      }
      previewUrl = URL.createObjectURL(recording);
      playback.src = previewUrl;
      show("preview");
      say(stoppedAtLimit ? box.dataset.limitReached : "");
    }

    function refused(error) {
      release();
      show("idle");
      var name = error && error.name;
      say(name === "NotAllowedError" || name === "SecurityError" ? box.dataset.denied : box.dataset.noMicrophone);
    }

    startButton.addEventListener("click", function () {
      say("");
      startButton.disabled = true;
      stoppedAtLimit = false;
      navigator.mediaDevices.getUserMedia({audio: true}).then(function (granted) {
        stream = granted;
        var type = recorderType();
        chunks = [];
        try {
          recorder = type ? new MediaRecorder(stream, {mimeType: type}) : new MediaRecorder(stream);
          recorder.addEventListener("dataavailable", function (event) {
            if (event.data && event.data.size) chunks.push(event.data);
          });
          recorder.addEventListener("start", function () {
            startedAt = performance.now();
            elapsed.textContent = clock(0);
            show("recording");
            ticker = window.setInterval(tick, 200);
            if (maxSeconds > 0) {
              limitTimer = window.setTimeout(function () {
                stoppedAtLimit = true;
                stop();
              }, maxSeconds * 1000);
            }
          });
          recorder.addEventListener("stop", finished);
          recorder.start(1000);
        } catch (error) {
          // A recorder this browser cannot make: writing still works.
          release();
          show("idle");
          startButton.hidden = true;
          say(box.dataset.unsupported);
        }
      }, refused);
    });

    stopButton.addEventListener("click", stop);

    discardButton.addEventListener("click", function () {
      forget();
      show("idle");
      say("");
    });

    sendButton.addEventListener("click", function () {
      if (!recording) return;
      sendButton.disabled = true;
      discardButton.disabled = true;
      say(box.dataset.sending);
      // The form's own fields first, the recording last: should it be refused while it
      // streams in, the server still has the text, the moment and the rest.
      var data = new FormData(form);
      data.delete("voice");
      data.append("voice", recording, "voice-note." + extensionOf(recording.type));
      var host = form.closest("[data-thread-host]");
      window.fetch(form.action, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: {"HX-Request": "true", "HX-Current-URL": window.location.href},
      }).then(function (response) {
        var redirect = response.headers.get("HX-Redirect");
        if (redirect) {
          window.location.href = redirect;
          return null;
        }
        if (response.headers.get("HX-Refresh") === "true") {
          window.location.reload();
          return null;
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      }).then(function (html) {
        if (html === null) return;
        forget();
        if (host && window.htmx) {
          window.htmx.swap(host, html, {swapStyle: "innerHTML"});
        } else {
          window.location.reload();
        }
      }).catch(function () {
        sendButton.disabled = false;
        discardButton.disabled = false;
        say(box.dataset.failed);
      });
    });

    show("idle");
  }

  function init(root) {
    var boxes = [];
    if (root.matches && root.matches("[data-voice]")) boxes.push(root);
    if (root.querySelectorAll) boxes = boxes.concat(Array.prototype.slice.call(root.querySelectorAll("[data-voice]")));
    boxes.forEach(setup);
  }

  if (window.htmx) {
    window.htmx.onLoad(init);
  } else {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  }
})();
