// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // After an htmx swap, move focus to the first element marked data-focus so keyboard
  // and screen-reader users land on what changed.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target.querySelector("[data-focus]") || event.detail.target;
    if (target && typeof target.focus === "function") {
      if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
      target.focus();
    }
  });
  // Show or hide form parts that depend on a choice (e.g. the completion date for Blue).
  function sync(form) {
    form.querySelectorAll("[data-show-when]").forEach(function (el) {
      var spec = el.getAttribute("data-show-when").split("=");
      var field = form.querySelector('[name="' + spec[0] + '"]:checked') ||
        form.querySelector('select[name="' + spec[0] + '"]');
      var values = spec[1].split(",");
      el.hidden = !(field && values.indexOf(field.value) !== -1);
    });
  }
  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form) sync(form);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(sync);
  });
})();
