// Keyboard shortcuts of the review app: a = accept, r = reject, n = next.
// A static file (no inline script), so the Content-Security-Policy can forbid inline code.
"use strict";
document.addEventListener("keydown", function (event) {
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) {
    return;
  }
  var target = event.target;
  if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
    return;
  }
  var focus = document.querySelector("[data-focus]");
  var key = event.key.toLowerCase();
  if (key === "n") {
    var next = document.body.getAttribute("data-next-url");
    if (next) {
      event.preventDefault();
      window.location.assign(next);
    }
  } else if ((key === "a" || key === "r") && focus) {
    var button = focus.querySelector(key === "a" ? "button.accept" : "button.reject");
    if (button) {
      event.preventDefault();
      button.form.requestSubmit(button);
    }
  }
});
document.addEventListener("DOMContentLoaded", function () {
  var focus = document.querySelector("[data-focus]");
  if (focus) {
    focus.scrollIntoView({ block: "center" });
  }
});
