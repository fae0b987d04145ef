// The coach's review page: "All done well" in one click, and the draft's safety net.
// No inline handlers: everything is wired here, by data attributes. Every sentence this
// script shows comes from the server, in data attributes.
(function () {
  "use strict";

  // "All done well" marks every core action done well. Without this script it is a submit
  // button and the server sends the form back with every mark set; here it becomes a plain
  // button, so it is no longer the form's default (Enter in a field never presses it).
  function setupAllDoneWell(button) {
    var form = button.form;
    if (!form || button.dataset.ready) return;
    button.dataset.ready = "1";
    button.type = "button";
    button.addEventListener("click", function () {
      var changed = null;
      form.querySelectorAll("input[type=radio][name^='mark_'][value='done_well']").forEach(function (radio) {
        if (radio.checked) return;
        radio.checked = true;
        changed = radio;
      });
      // One change event, as a click on a mark would send: the draft is saved at once.
      if (changed) changed.dispatchEvent(new Event("change", {bubbles: true}));
    });
  }

  // The draft is saved by htmx a moment after each change (hx-trigger on the form). This
  // says so when a save fails; sends no draft once the review itself is being sent, and
  // lets a save under way finish first (leaving the page would cut it off); and saves the
  // last change when the page is left before its moment came.
  function setupDraft(form) {
    if (form.dataset.ready) return;
    form.dataset.ready = "1";
    var status = document.getElementById((form.getAttribute("hx-target") || "").replace(/^#/, ""));
    var url = form.getAttribute("hx-post");
    var edits = 0;
    var sent = 0;
    var saved = 0;
    var sending = false;
    var saving = false;
    var waiting = null;

    function note(event) { if (event.target !== form) edits += 1; }
    form.addEventListener("input", note);
    form.addEventListener("change", note);
    form.addEventListener("submit", function (event) {
      sending = true;
      if (!saving) return;
      event.preventDefault();
      var submitter = event.submitter || undefined;
      waiting = function () {
        waiting = null;
        saving = false;  // after the wait, the review goes whatever became of the save
        form.requestSubmit(submitter);
      };
      window.setTimeout(function () { if (waiting) waiting(); }, 3000);
    });
    form.addEventListener("htmx:confirm", function (event) {
      if (sending) event.preventDefault();
    });
    form.addEventListener("htmx:beforeRequest", function () { saving = true; });
    form.addEventListener("htmx:configRequest", function () { sent = edits; });
    form.addEventListener("htmx:afterRequest", function (event) {
      saving = false;
      if (event.detail.successful) saved = Math.max(saved, sent);
      if (waiting) waiting();
    });
    function failed() {
      if (status) status.textContent = form.dataset.draftFailed || "";
    }
    form.addEventListener("htmx:responseError", failed);
    form.addEventListener("htmx:sendError", failed);

    function flush() {
      if (sending || !url || saved >= edits || !window.fetch) return;
      saved = edits;
      window.fetch(url, {
        method: "POST",
        body: new FormData(form),
        keepalive: true,
        credentials: "same-origin",
        headers: {"HX-Request": "true"},
      }).catch(function () {});
    }
    window.addEventListener("pagehide", flush);
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") flush();
    });
  }

  function init(root) {
    root.querySelectorAll("button[data-all-done-well]").forEach(setupAllDoneWell);
    root.querySelectorAll("form[data-review-draft]").forEach(setupDraft);
  }

  if (window.htmx) {
    window.htmx.onLoad(init);
  } else {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  }
})();
