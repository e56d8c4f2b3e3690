// Record a dip sample: show the result percentage as the counts are typed. The server
// works it out again on save; this only saves a round trip to "Work out the result".
(function () {
  "use strict";
  function update(form) {
    var output = form.querySelector("#sample-result");
    var size = form.querySelector('[name="sample_size"]');
    var compliant = form.querySelector('[name="compliant"]');
    if (!output || !size || !compliant) return;
    var n = parseInt(size.value, 10);
    var c = parseInt(compliant.value, 10);
    if (!(n >= 1) || !(c >= 0) || c > n || String(n) !== size.value.trim() || String(c) !== compliant.value.trim()) {
      output.textContent = "–";
      return;
    }
    // Round half up to one decimal on the exact tenths, as the server does.
    var tenths = Math.floor((c * 1000) / n);
    var rest = (c * 1000) % n;
    if (rest * 2 >= n) tenths += 1;
    output.textContent = (tenths / 10).toFixed(1) + "%";
  }
  document.addEventListener("input", function (event) {
    var form = event.target.form;
    if (form && form.classList.contains("sample-form")) update(form);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.sample-form").forEach(update);
  });
})();
