/* Kassa web UI: the few behaviours htmx does not cover. Works without any build step. */
(function () {
  "use strict";

  function controlValue(form, name) {
    var checked = form.querySelector('[name="' + name + '"]:checked');
    if (checked) return checked.value;
    var control = form.querySelector('select[name="' + name + '"], input[name="' + name + '"]');
    return control ? control.value : null;
  }

  // data-show-when="balance_control=postpaid" (or "type=number,date"): shown, and submitted,
  // only while that control has one of those values.
  function applyShowWhen(root) {
    root.querySelectorAll("[data-show-when]").forEach(function (el) {
      var rule = el.getAttribute("data-show-when").split("=");
      var form = el.closest("form") || document;
      var value = controlValue(form, rule[0]);
      if (value === null) return;
      var show = rule[1].split(",").indexOf(value) !== -1;
      el.hidden = !show;
      el.querySelectorAll("input, select, textarea, button").forEach(function (c) {
        c.disabled = !show;
      });
    });
  }

  function addRow(button) {
    var template = document.getElementById(button.getAttribute("data-add-row"));
    var target = document.getElementById(button.getAttribute("data-target"));
    if (!template || !target) return;
    var row = template.content.firstElementChild.cloneNode(true);
    target.appendChild(row);
    var first = row.querySelector("input, select");
    if (first) first.focus();
  }

  // data-copy="<input id>": copy that input's value, say so on the button for a moment.
  function copyValue(button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input) return;
    input.focus();
    input.select();
    var done = function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () {});
    } else if (document.execCommand && document.execCommand("copy")) {
      done();
    }
  }

  // iframe[data-fit-content]: as tall as the (same-origin) document it shows, no inner scroll.
  function fitFrame(frame) {
    try {
      var doc = frame.contentDocument;
      if (doc && doc.documentElement) {
        frame.style.height = doc.documentElement.scrollHeight + 24 + "px";
      }
    } catch (e) { /* another origin: keep the stylesheet's height */ }
  }

  document.addEventListener("load", function (event) {
    var frame = event.target;
    if (frame && frame.tagName === "IFRAME" && frame.hasAttribute("data-fit-content")) fitFrame(frame);
  }, true);

  document.addEventListener("change", function (event) {
    if (event.target && event.target.name) applyShowWhen(document);
  });

  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-add-row], [data-remove-row], [data-open-dialog], [data-close-dialog], [data-copy], [data-go-back]");
    if (!el) return;
    if (el.hasAttribute("data-go-back")) {
      // Back to the page before, when there is one; the link's own target otherwise.
      if (window.history.length > 1) {
        event.preventDefault();
        window.history.back();
      }
    } else if (el.hasAttribute("data-copy")) {
      copyValue(el);
    } else if (el.hasAttribute("data-add-row")) {
      addRow(el);
    } else if (el.hasAttribute("data-remove-row")) {
      var row = el.closest("[data-row]");
      if (row) row.remove();
    } else if (el.hasAttribute("data-open-dialog")) {
      var dialog = document.getElementById(el.getAttribute("data-open-dialog"));
      if (dialog && dialog.showModal) dialog.showModal();
    } else {
      var open = el.closest("dialog");
      if (open) open.close();
    }
  });

  // form[data-upload="<result id>"]: sent by XMLHttpRequest, with a progress bar while the
  // file goes up. The server answers JSON naming the page to go to, or an HTML report of
  // what was wrong, shown in the result element. Without script the form posts as usual.
  function upload(form) {
    var result = document.getElementById(form.getAttribute("data-upload"));
    var box = form.querySelector("[data-upload-progress]");
    var bar = box && box.querySelector("progress");
    var status = box && box.querySelector("[data-upload-status]");
    var button = form.querySelector('button[type="submit"]');
    var say = function (text) { if (status) status.textContent = text; };
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Kassa-Upload", "1");
    if (box) box.hidden = false;
    if (bar) { bar.value = 0; bar.max = 100; }
    if (result) result.innerHTML = "";
    if (button) button.disabled = true;
    xhr.upload.addEventListener("progress", function (event) {
      if (!event.lengthComputable || !bar) return;
      var percent = Math.round((event.loaded / event.total) * 100);
      bar.value = percent;
      say("Uploading… " + percent + "%");
    });
    xhr.upload.addEventListener("load", function () {
      if (bar) bar.value = 100;
      say("Checking and importing…");
    });
    xhr.addEventListener("load", function () {
      if (button) button.disabled = false;
      var type = xhr.getResponseHeader("Content-Type") || "";
      if (xhr.status === 200 && type.indexOf("json") !== -1) {
        say("Imported.");
        var target = new URL(JSON.parse(xhr.responseText).redirect, window.location.href);
        if (target.pathname + target.search === window.location.pathname + window.location.search) {
          // Only the fragment differs: assigning it would not load the page again.
          window.location.hash = target.hash;
          window.location.reload();
        } else {
          window.location.assign(target.href);
        }
        return;
      }
      say("Uploaded; nothing was imported.");
      if (type.indexOf("text/html") !== -1 && result) {
        result.innerHTML = xhr.responseText;
        return;
      }
      var message = "The upload failed (" + xhr.status + ").";
      try { message = JSON.parse(xhr.responseText).detail || message; } catch (e) { /* not JSON */ }
      if (result) {
        var note = document.createElement("div");
        note.className = "flash flash-error";
        note.setAttribute("role", "alert");
        note.textContent = message;
        result.appendChild(note);
      }
    });
    xhr.addEventListener("error", function () {
      if (button) button.disabled = false;
      say("The upload failed: the connection was lost.");
    });
    xhr.send(new FormData(form));
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-upload") || !window.FormData) return;
    event.preventDefault();
    upload(form);
  });

  document.addEventListener("DOMContentLoaded", function () {
    applyShowWhen(document);
    document.querySelectorAll("iframe[data-fit-content]").forEach(fitFrame);
  });
  document.addEventListener("htmx:afterSettle", function () { applyShowWhen(document); });
})();
