// Progressive enhancement only: every page works without JavaScript.
// Served from this site (CSP script-src 'self'); no inline scripts anywhere.
(function () {
  "use strict";

  // A button marked data-once sends its form once. The idempotency key on the
  // server already turns a second send into the first order; this only spares
  // the user the wait. The button stays focusable and says it is busy.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var button = form.querySelector("button[data-once]");
    if (!button) return;
    if (event.submitter && event.submitter !== button) return;
    if (button.dataset.sent) {
      event.preventDefault();
      return;
    }
    button.dataset.sent = "1";
    button.setAttribute("aria-disabled", "true");
  });
})();

// The new-prescription form: a lent device (pump, CGM reader) is one
// withdrawal of one pack covering the year, so choosing one sets those terms.
// The server refuses anything else (device_single_withdrawal) without this.
(function () {
  "use strict";
  var select = document.querySelector("select[data-devices]");
  if (!select) return;
  var devices = (select.getAttribute("data-devices") || "").split(" ");
  var form = select.form;
  select.addEventListener("change", function () {
    if (devices.indexOf(select.value) < 0) return;
    var terms = { packs_per_withdrawal: "1", withdrawals: "1", period_days: "365" };
    Object.keys(terms).forEach(function (name) {
      var input = form.elements[name];
      if (input) input.value = terms[name];
    });
  });
})();
