// The listening surface: an interactive waveform drawn by wavesurfer.js (static/vendor/)
// from the peaks the engine stored, so the browser decodes nothing; comments and the
// problems the engine located as regions on it; keyboard review; the A/B compare player.
// Without the peaks (a bounce analysed before they were kept) or without JavaScript, the
// PNG waveform and the browser's own audio controls remain, and the comment list with its
// times is the way to every moment.
(function () {
  "use strict";

  // The page's nonce: wavesurfer marks the one <style> it writes into its shadow DOM with
  // it, which is all the Content Security Policy lets through.
  var NONCE = (document.currentScript && document.currentScript.nonce) || "";
  var shared = window.Stagecoach;
  var clock = shared.clock;
  var isTyping = shared.isTyping;
  var SKIP_S = 5;
  var JUMP_S = 10;
  var MAX_PX_PER_S = 400;

  var listeners = []; // every player on the page, in page order; the keyboard drives one
  var lastUsed = null;

  function cssValue(element, name) {
    return window.getComputedStyle(element).getPropertyValue(name).trim();
  }

  // A colour (#rrggbb or rgb(r, g, b)) with an alpha, for a region's fill.
  function withAlpha(colour, alpha) {
    var hex = colour.match(/^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i);
    if (hex) colour = "rgb(" + hex.slice(1).map(function (h) { return parseInt(h, 16); }).join(", ") + ")";
    var parts = colour.match(/[\d.]+/g);
    if (!parts || parts.length < 3) return colour;
    return "rgba(" + parts[0] + ", " + parts[1] + ", " + parts[2] + ", " + alpha + ")";
  }

  function play(media) {
    var started = media.play();
    if (started && started.catch) started.catch(function () {});
  }

  function openThread(targetId) {
    var comment = document.getElementById(targetId);
    if (!comment) return;
    comment.classList.add("highlight");
    comment.scrollIntoView({block: "nearest"});
    window.setTimeout(function () { comment.classList.remove("highlight"); }, 1500);
  }

  // --- One bounce: the waveform, its regions and the comment form's moment ----------------

  function Listen(section) {
    this.section = section;
    this.box = section.querySelector("[data-waveform]");
    this.audio = document.getElementById(this.box.dataset.player);
    this.duration = parseFloat(this.box.dataset.duration || "0");
    this.ws = null;
    this.regions = null;
    this.selection = null;
    this.adding = false;
    this.fitPxPerS = 0;
    this.pxPerS = 0;
  }

  Listen.prototype.form = function () {
    return document.getElementById(this.box.dataset.form);
  };

  // The moment a new comment is about: a point, a range, or nothing (the whole bounce).
  Listen.prototype.setMoment = function (at, until) {
    var form = this.form();
    if (!form) return;
    var label = form.querySelector("[data-moment]");
    if (label && label.dataset.idle === undefined) label.dataset.idle = label.textContent;
    form.querySelector("[data-at]").value = at === null ? "" : at.toFixed(3);
    form.querySelector("[data-until]").value = until === null ? "" : until.toFixed(3);
    if (!label) return;
    if (at === null) {
      label.textContent = label.dataset.idle;
      return;
    }
    var template = until === null ? label.dataset.atTemplate : label.dataset.rangeTemplate;
    label.textContent = (template || "")
      .replace("{at}", clock(at))
      .replace("{until}", until === null ? "" : clock(until));
  };

  Listen.prototype.clearSelection = function () {
    if (this.selection) {
      this.selection.remove();
      this.selection = null;
    }
  };

  Listen.prototype.toggle = function () {
    if (this.audio.paused) play(this.audio);
    else this.audio.pause();
  };

  Listen.prototype.skip = function (seconds) {
    var length = this.audio.duration || this.duration;
    this.audio.currentTime = Math.min(Math.max(this.audio.currentTime + seconds, 0), length);
  };

  // C: pause, and aim the comment form at the playhead.
  Listen.prototype.commentHere = function () {
    var form = this.form();
    if (!form) return false;
    this.audio.pause();
    this.clearSelection();
    this.setMoment(this.audio.currentTime, null);
    var text = form.querySelector("textarea[name=body]");
    if (text) text.focus();
    return true;
  };

  Listen.prototype.cancel = function () {
    this.clearSelection();
    this.setMoment(null, null);
  };

  Listen.prototype.zoom = function (direction) {
    if (!this.ws || !this.fitPxPerS) return;
    var next = direction > 0 ? Math.max(this.pxPerS, this.fitPxPerS) * 2 : this.pxPerS / 2;
    var top = Math.max(MAX_PX_PER_S, this.fitPxPerS * 2);
    next = Math.min(next, top);
    this.pxPerS = next <= this.fitPxPerS * 1.01 ? this.fitPxPerS : next;
    this.ws.zoom(this.pxPerS === this.fitPxPerS ? 0 : this.pxPerS);
    this.keepPlayheadInView();
    this.section.querySelectorAll("[data-zoom]").forEach(function (button) {
      var out = parseInt(button.dataset.zoom, 10) < 0;
      button.disabled = out ? this.pxPerS === this.fitPxPerS : this.pxPerS >= top;
    }, this);
  };

  // After a zoom the view centres on the playhead, wherever it was.
  Listen.prototype.keepPlayheadInView = function () {
    var view = this.ws.getWidth();
    var left = this.audio.currentTime * this.pxPerS - view / 2;
    this.ws.setScroll(Math.max(0, left));
  };

  Listen.prototype.focusedHere = function () {
    return this.section.contains(document.activeElement);
  };

  Listen.prototype.live = function (data) {
    var self = this;
    var box = this.box;
    var level = data.levels && data.levels[data.levels.length - 1];
    var duration = data.duration_s || this.duration;
    if (!level || !duration || !window.WaveSurfer) return;
    var host = box.querySelector("[data-wave]");
    var overview = box.querySelector("[data-overview]");
    var waveColour = cssValue(box, "--wave");
    var playedColour = cssValue(box, "--wave-played");
    var narrow = box.clientWidth < 600;
    this.regions = window.WaveSurfer.Regions.create();
    var plugins = [
      this.regions,
      window.WaveSurfer.Hover.create({
        lineColor: cssValue(box, "--wave-hover"),
        labelBackground: cssValue(box, "--wave-label-bg"),
        labelColor: cssValue(box, "--wave-label"),
        labelSize: 12,
        formatTimeCallback: clock,
      }),
      window.WaveSurfer.Timeline.create({height: 22, formatTimeCallback: clock}),
      window.WaveSurfer.Minimap.create({
        container: overview,
        height: 28,
        waveColor: waveColour,
        progressColor: playedColour,
        cursorWidth: 0,
        normalize: false,
        overlayColor: cssValue(box, "--wave-window"),
        cspNonce: NONCE,
      }),
    ];
    box.classList.add("is-live");
    this.ws = window.WaveSurfer.create({
      container: host,
      media: this.audio,
      peaks: [level.max, level.min],
      duration: duration,
      height: narrow ? 96 : 128,
      normalize: false,
      waveColor: waveColour,
      progressColor: playedColour,
      cursorColor: cssValue(box, "--wave-cursor"),
      cursorWidth: 2,
      barWidth: 2,
      barGap: 1,
      barRadius: 1,
      interact: true,
      dragToSeek: false,
      autoScroll: true,
      autoCenter: true,
      cspNonce: NONCE,
      plugins: plugins,
    });
    this.duration = duration;
    this.audio.controls = false;
    this.ws.on("ready", function () {
      self.fitPxPerS = host.clientWidth / duration;
      self.pxPerS = self.fitPxPerS;
      self.zoom(0);
      self.drawMarks();
      self.drawComments();
      var start = parseFloat(box.dataset.start || "");
      if (start >= 0) {
        // Sent here to comment at this moment (C on the compare page).
        self.audio.currentTime = start;
        self.setMoment(start, null);
        var form = self.form();
        var text = form && form.querySelector("textarea[name=body]");
        if (text) text.focus();
      }
      box.dataset.ready = "live";
    });
    this.ws.on("interaction", function (time) {
      lastUsed = self;
      self.clearSelection();
      self.setMoment(time, null);
    });
    this.regions.enableDragSelection({color: cssValue(box, "--selection")});
    this.regions.on("region-created", function (region) {
      if (self.adding) return;
      lastUsed = self;
      if (self.selection && self.selection !== region) self.selection.remove();
      self.selection = region;
      self.setMoment(region.start, region.end);
    });
    this.regions.on("region-updated", function (region) {
      if (region === self.selection) self.setMoment(region.start, region.end);
    });
    this.regions.on("region-clicked", function (region, event) {
      if (region === self.selection) return;
      event.stopPropagation();
      self.audio.currentTime = region.start;
      if (region.target) openThread(region.target);
    });
    this.wireBar();
  };

  Listen.prototype.add = function (options) {
    this.adding = true;
    try {
      return this.regions.addRegion(options);
    } finally {
      this.adding = false;
    }
  };

  // The located problems (clips, long silences) as red bands that cannot be moved.
  Listen.prototype.drawMarks = function () {
    var source = document.getElementById(this.box.dataset.marks || "");
    var marks = source ? JSON.parse(source.textContent || "[]") : [];
    if (!Array.isArray(marks)) return;
    var colour = cssValue(this.box, "--problem");
    marks.forEach(function (mark) {
      var end = Math.max(mark.end, mark.start + 0.05);
      var region = this.add({start: mark.start, end: end, color: colour, drag: false, resize: false, id: "mark-" + mark.start});
      if (region.element) region.element.title = mark.label;
    }, this);
  };

  // The comments as regions in their author's colour, from the marker buttons the server
  // rendered (which stay as the keyboard's and the screen reader's way to them).
  Listen.prototype.drawComments = function () {
    if (!this.regions) return;
    this.regions.getRegions().slice().forEach(function (region) {
      if (region.id.indexOf("comment-") === 0) region.remove();
    });
    this.box.querySelectorAll(".markers .marker").forEach(function (marker) {
      var colour = window.getComputedStyle(marker).getPropertyValue("--person").trim();
      var at = parseFloat(marker.dataset.at);
      var until = marker.dataset.until ? parseFloat(marker.dataset.until) : at;
      var tag = document.createElement("span");
      tag.textContent = (marker.dataset.person || "?").charAt(0);
      tag.style.background = colour;
      tag.style.color = "#10151c";
      tag.style.borderRadius = "50%";
      tag.style.display = "inline-block";
      tag.style.width = "1.25em";
      tag.style.height = "1.25em";
      tag.style.lineHeight = "1.25em";
      tag.style.textAlign = "center";
      tag.style.fontSize = "11px";
      tag.style.fontWeight = "700";
      tag.style.marginLeft = until > at ? "0" : "-0.65em";
      var region = this.add({
        id: marker.dataset.target,
        start: at,
        end: until,
        color: until > at ? withAlpha(colour, 0.22) : colour,
        content: tag,
        drag: false,
        resize: false,
      });
      region.target = marker.dataset.target;
      if (region.element) {
        region.element.title = marker.title;
        if (marker.classList.contains("resolved")) region.element.style.opacity = "0.45";
      }
    }, this);
  };

  Listen.prototype.wireBar = function () {
    var self = this;
    var bar = this.section.querySelector("[data-player-bar]");
    if (!bar) return;
    bar.hidden = false;
    var button = bar.querySelector("[data-play]");
    var time = bar.querySelector("[data-time]");
    button.addEventListener("click", function () { lastUsed = self; self.toggle(); });
    function state() {
      button.textContent = self.audio.paused ? button.dataset.playLabel : button.dataset.pauseLabel;
    }
    this.audio.addEventListener("play", state);
    this.audio.addEventListener("pause", state);
    this.audio.addEventListener("timeupdate", function () { time.textContent = clock(self.audio.currentTime); });
    bar.querySelectorAll("[data-zoom]").forEach(function (zoom) {
      zoom.addEventListener("click", function () { self.zoom(parseInt(zoom.dataset.zoom, 10)); });
    });
    var here = bar.querySelector("[data-comment-here]");
    if (here) here.addEventListener("click", function () { self.commentHere(); });
  };

  function setupListen(section) {
    if (section.dataset.listenReady) return;
    section.dataset.listenReady = "1";
    var listen = new Listen(section);
    listeners.push(listen);
    var url = listen.box.dataset.peaks;
    if (!url || !window.WaveSurfer || !(listen.duration > 0)) return;
    window.fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (response) {
        if (!response.ok) throw new Error("peaks " + response.status);
        return response.json();
      })
      .then(function (data) { listen.live(data); })
      .catch(function () { /* the PNG and the audio controls stay */ });
  }

  // --- Compare: two waveforms, one audible at a time, a selection that loops ---------------

  function Compare(section) {
    this.section = section;
    this.a = section.querySelector("[data-ab-a]");
    this.b = section.querySelector("[data-ab-b]");
    this.playButton = section.querySelector("[data-ab-play]");
    this.seekBar = section.querySelector("[data-ab-seek]");
    this.time = section.querySelector("[data-ab-time]");
    this.match = section.querySelector("[data-ab-match]");
    this.loop = section.querySelector("[data-ab-loop]");
    this.current = "a";
    this.range = null;
    this.views = [];
  }

  Compare.prototype.active = function () { return this.current === "a" ? this.a : this.b; };

  Compare.prototype.volumes = function () {
    var matched = !this.match || this.match.checked;
    this.a.volume = matched ? parseFloat(this.section.dataset.volumeA || "1") : 1;
    this.b.volume = matched ? parseFloat(this.section.dataset.volumeB || "1") : 1;
    this.a.muted = this.current !== "a";
    this.b.muted = this.current !== "b";
  };

  Compare.prototype.choose = function (which) {
    var at = this.active().currentTime;
    this.current = which;
    this.a.currentTime = at;
    this.b.currentTime = at;
    this.volumes();
    this.section.querySelectorAll("[data-ab-choose]").forEach(function (button) {
      button.setAttribute("aria-pressed", button.dataset.abChoose === which ? "true" : "false");
    });
    this.section.dataset.current = which;
  };

  Compare.prototype.seek = function (at) {
    this.a.currentTime = at;
    this.b.currentTime = at;
  };

  Compare.prototype.toggle = function () {
    if (this.a.paused) {
      this.seek(this.active().currentTime);
      play(this.a);
      play(this.b);
    } else {
      this.a.pause();
      this.b.pause();
    }
  };

  Compare.prototype.skip = function (seconds) {
    var length = this.active().duration || 0;
    this.seek(Math.min(Math.max(this.active().currentTime + seconds, 0), length));
  };

  // C on the compare page: comment on the version being heard, at this moment, on its page.
  Compare.prototype.commentHere = function () {
    var link = this.section.querySelector("[data-ab-comment-" + this.current + "]");
    if (!link) return false;
    this.a.pause();
    this.b.pause();
    window.location.href = link.href + "?at=" + this.active().currentTime.toFixed(3);
    return true;
  };

  Compare.prototype.cancel = function () {
    this.range = null;
    this.views.forEach(function (view) {
      if (view.selection) view.selection.remove();
      view.selection = null;
    });
  };

  Compare.prototype.zoom = function () {};

  Compare.prototype.focusedHere = function () {
    return this.section.contains(document.activeElement);
  };

  Compare.prototype.sync = function () {
    var on = this.active();
    var off = on === this.a ? this.b : this.a;
    var length = on.duration || 0;
    if (this.time) this.time.textContent = clock(on.currentTime);
    if (this.seekBar && length) this.seekBar.value = Math.round((on.currentTime / length) * 1000);
    if (this.range && !on.paused && this.loop && this.loop.checked && on.currentTime >= this.range[1]) {
      this.seek(this.range[0]);
      return;
    }
    // Keep the silent one in step with the audible one, so a switch lands on the same moment.
    if (!on.paused && Math.abs(off.currentTime - on.currentTime) > 0.08) off.currentTime = on.currentTime;
  };

  // Each version's waveform: clicking one moves both; a range dragged on one shows on both.
  Compare.prototype.draw = function (which, data) {
    var self = this;
    var host = this.section.querySelector("[data-ab-wave=" + which + "]");
    var level = data.levels && data.levels[data.levels.length - 1];
    if (!host || !level || !window.WaveSurfer) return;
    var regions = window.WaveSurfer.Regions.create();
    var view = {regions: regions, selection: null, adding: false};
    var media = which === "a" ? this.a : this.b;
    var ws = window.WaveSurfer.create({
      container: host,
      media: media,
      peaks: [level.max, level.min],
      duration: data.duration_s,
      height: host.clientWidth < 600 ? 72 : 96,
      normalize: false,
      waveColor: cssValue(host, "--wave"),
      progressColor: cssValue(host, "--wave-played"),
      cursorColor: cssValue(host, "--wave-cursor"),
      cursorWidth: 2,
      barWidth: 2,
      barGap: 1,
      interact: true,
      cspNonce: NONCE,
      plugins: [
        regions,
        window.WaveSurfer.Hover.create({
          lineColor: cssValue(host, "--wave-hover"),
          labelBackground: cssValue(host, "--wave-label-bg"),
          labelColor: cssValue(host, "--wave-label"),
          labelSize: 12,
          formatTimeCallback: clock,
        }),
      ],
    });
    this.views.push(view);
    host.classList.add("is-live");
    ws.on("interaction", function (time) { self.seek(time); });
    regions.enableDragSelection({color: cssValue(host, "--selection")});
    regions.on("region-created", function (region) {
      if (view.adding) return;
      self.select(region.start, region.end, view, region);
    });
    regions.on("region-updated", function (region) {
      if (region === view.selection) self.select(region.start, region.end, view, region);
    });
    ws.on("ready", function () { host.dataset.ready = "live"; });
  };

  Compare.prototype.select = function (start, end, origin, region) {
    this.range = [start, end];
    this.views.forEach(function (view) {
      if (view === origin) {
        if (view.selection && view.selection !== region) view.selection.remove();
        view.selection = region;
        return;
      }
      if (view.selection) view.selection.remove();
      view.adding = true;
      view.selection = view.regions.addRegion({start: start, end: end, color: withAlpha(cssValue(this.section, "--wave-played"), 0.25), drag: false, resize: false});
      view.adding = false;
    }, this);
    this.seek(start);
    if (this.loop) this.loop.checked = true;
  };

  function setupCompare(section) {
    if (section.dataset.abReady) return;
    section.dataset.abReady = "1";
    var compare = new Compare(section);
    listeners.push(compare);
    compare.playButton.addEventListener("click", function () { compare.toggle(); });
    function state() {
      compare.playButton.textContent = compare.a.paused ? compare.playButton.dataset.playLabel : compare.playButton.dataset.pauseLabel;
    }
    compare.a.addEventListener("play", state);
    compare.a.addEventListener("pause", state);
    section.querySelectorAll("[data-ab-choose]").forEach(function (button) {
      button.addEventListener("click", function () { compare.choose(button.dataset.abChoose); });
    });
    if (compare.match) compare.match.addEventListener("change", function () { compare.volumes(); });
    compare.a.addEventListener("timeupdate", function () { compare.sync(); });
    compare.b.addEventListener("timeupdate", function () { compare.sync(); });
    if (compare.seekBar) {
      compare.seekBar.addEventListener("input", function () {
        compare.seek((parseInt(compare.seekBar.value, 10) / 1000) * (compare.active().duration || 0));
      });
    }
    compare.volumes();
    section.dataset.current = compare.current;
    if (!window.WaveSurfer) return;
    ["a", "b"].forEach(function (which) {
      var host = section.querySelector("[data-ab-wave=" + which + "]");
      if (!host || !host.dataset.peaks) return;
      window.fetch(host.dataset.peaks, {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then(function (response) {
          if (!response.ok) throw new Error("peaks " + response.status);
          return response.json();
        })
        .then(function (data) { compare.draw(which, data); })
        .catch(function () { /* the position slider stays */ });
    });
  }

  // --- The keyboard ------------------------------------------------------------------------

  function target() {
    for (var i = 0; i < listeners.length; i += 1) {
      if (listeners[i].focusedHere()) return listeners[i];
    }
    return lastUsed || listeners[0] || null;
  }

  function openShortcuts() {
    var dialog = document.getElementById("shortcuts");
    if (dialog && !dialog.open && dialog.showModal) dialog.showModal();
  }

  document.addEventListener("keydown", function (event) {
    if (!listeners.length || event.ctrlKey || event.metaKey || event.altKey) return;
    var dialog = document.getElementById("shortcuts");
    if (dialog && dialog.open) return; // the dialog has the keyboard; Esc closes it
    var player = target();
    if (!player) return;
    var key = event.key;
    if (isTyping(event.target)) {
      // Esc leaves the field (keeping what was typed) so the shortcuts work again.
      if (key === "Escape" && event.target.blur) event.target.blur();
      return;
    }
    // A slider and a radio group move with the arrows; leave those to them.
    var own = event.target.closest && event.target.closest("input[type=range], input[type=radio]");
    if (own && key.indexOf("Arrow") === 0) return;
    // Space plays even on a focused tick box, so Enter ticks it (and picks a radio button).
    var tick = event.target.closest && event.target.closest("input[type=checkbox], input[type=radio]");
    if (tick && key === "Enter") {
      event.preventDefault();
      tick.click();
      return;
    }
    var handled = true;
    if (key === " " || key === "k" || key === "K") player.toggle();
    else if (key === "ArrowLeft") player.skip(-SKIP_S);
    else if (key === "ArrowRight") player.skip(SKIP_S);
    else if (key === "j" || key === "J") player.skip(-JUMP_S);
    else if (key === "l" || key === "L") player.skip(JUMP_S);
    else if (key === "c" || key === "C") handled = player.commentHere();
    else if (key === "Escape") player.cancel();
    else if (key === "+" || key === "=") player.zoom(1);
    else if (key === "-" || key === "_") player.zoom(-1);
    else if (key === "?") openShortcuts();
    else if ((key === "a" || key === "A") && player.choose) player.choose("a");
    else if ((key === "b" || key === "B") && player.choose) player.choose("b");
    else handled = false;
    // A focused checkbox or button would take Space (and the click) for itself.
    if (handled) event.preventDefault();
  });

  function init(root) {
    var scope = root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches("[data-listen]")) setupListen(scope);
    scope.querySelectorAll("[data-listen]").forEach(setupListen);
    scope.querySelectorAll("[data-ab]").forEach(setupCompare);
    scope.querySelectorAll("[data-shortcuts]").forEach(function (button) {
      if (button.dataset.shortcutsReady) return;
      button.dataset.shortcutsReady = "1";
      button.addEventListener("click", openShortcuts);
    });
    // New comments arrive with a fresh marker lane (hx-swap-oob) and a fresh form: redraw
    // the comments, and drop the selection unless the form kept its moment (an error).
    listeners.forEach(function (listen) {
      if (!listen.regions || root === listen.section || !listen.section.contains(root)) return;
      listen.drawComments();
      var form = listen.form();
      if (!form || !form.querySelector("[data-at]").value) listen.clearSelection();
    });
  }

  if (window.htmx) {
    window.htmx.onLoad(init);
  } else {
    init(document);
  }
})();
