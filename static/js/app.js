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
  // Tables wider than the screen scroll sideways inside their own box, with a cue, and
  // the box takes keyboard focus so it can be scrolled without a mouse. (Tables marked
  // "stack" become one card per row on a phone instead: static/css/app.css.)
  function fitTables(root) {
    root.querySelectorAll("main table").forEach(function (table) {
      if (table.parentElement.classList.contains("table-scroll")) return;
      var box = document.createElement("div");
      box.className = "table-scroll";
      table.parentNode.insertBefore(box, table);
      box.appendChild(table);
    });
    root.querySelectorAll(".table-scroll").forEach(function (box) {
      var wide = box.scrollWidth > box.clientWidth + 1;
      box.classList.toggle("is-scrollable", wide);
      if (wide) {
        var table = box.querySelector("table");
        var caption = table && table.querySelector("caption");
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", (caption ? caption.textContent.trim() + ": " : "") +
          "table, scroll sideways to see every column");
      } else {
        ["tabindex", "role", "aria-label"].forEach(function (name) { box.removeAttribute(name); });
      }
    });
  }
  var resizing;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () { fitTables(document); }, 150);
  });
  document.addEventListener("htmx:afterSettle", function () { fitTables(document); });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(sync);
    fitTables(document);
  });
})();
