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
