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

// Switching language (the header's Svenska/English button) reloads the page:
// what was typed in its forms comes along, through this tab's sessionStorage,
// and is filled in again on the same page in the other language. Never a
// password, hidden field or file; nothing goes in a URL; the copy is removed
// on the next page shown, and one older than a minute is not used. Without
// JavaScript the switch works the same, with the forms as the server sends them.
(function () {
  "use strict";
  var KEY = "sesamlike.typed";
  var LIFETIME_MS = 60 * 1000;
  var SKIPPED = ["password", "hidden", "file", "submit", "button", "reset", "image"];

  function storage() {
    try {
      return window.sessionStorage;
    } catch (error) {
      return null; // storage turned off: the switch still works
    }
  }

  function carried(element) {
    return (
      element.name &&
      !element.disabled &&
      SKIPPED.indexOf(element.type) < 0 &&
      !element.closest("[data-no-carry]") &&
      element.getAttribute("autocomplete") !== "one-time-code"
    );
  }

  function changed(element) {
    if (element.type === "checkbox" || element.type === "radio") {
      return element.checked !== element.defaultChecked;
    }
    if (element.tagName === "SELECT") {
      return Array.prototype.some.call(element.options, function (option) {
        return option.selected !== option.defaultSelected;
      });
    }
    return element.value !== element.defaultValue;
  }

  // A form on the page: its action and method, and which of such it is.
  function formKeys() {
    var seen = {};
    return Array.prototype.map.call(document.forms, function (form) {
      var base =
        (form.getAttribute("action") || "") +
        " " +
        (form.getAttribute("method") || "get").toLowerCase();
      seen[base] = (seen[base] || 0) + 1;
      return base + " " + seen[base];
    });
  }

  function fieldsOf(form, all) {
    var fields = [];
    var ordinal = {};
    Array.prototype.forEach.call(form.elements, function (element) {
      if (!carried(element)) return;
      var checkable = element.type === "checkbox" || element.type === "radio";
      var index = 0;
      if (!checkable) {
        index = ordinal[element.name] = (ordinal[element.name] || 0) + 1;
      }
      if (!all && !changed(element)) return;
      var field = { name: element.name, index: index };
      if (checkable) {
        field.value = element.value;
        field.checked = element.checked;
      } else if (element.tagName === "SELECT" && element.multiple) {
        field.values = Array.prototype.filter
          .call(element.options, function (option) { return option.selected; })
          .map(function (option) { return option.value; });
      } else {
        field.value = element.value;
      }
      fields.push(field);
    });
    return fields;
  }

  function save(switcher) {
    var store = storage();
    if (!store) return;
    // A page shown in answer to a form (its faults) holds what was typed and
    // sent as the fields' own values: all of them come along.
    var all = switcher.hasAttribute("data-answer-to-post");
    var keys = formKeys();
    var forms = [];
    Array.prototype.forEach.call(document.forms, function (form, i) {
      if (form === switcher) return;
      var fields = fieldsOf(form, all);
      if (fields.length) forms.push({ key: keys[i], fields: fields });
    });
    if (!forms.length) return;
    try {
      store.setItem(
        KEY,
        JSON.stringify({ path: location.pathname, at: Date.now(), forms: forms })
      );
    } catch (error) {
      // full or refused: the page switches language without the typed text
    }
  }

  function fill(form, field) {
    var same = Array.prototype.filter.call(form.elements, function (element) {
      return element.name === field.name && carried(element);
    });
    if (field.checked !== undefined) {
      same.forEach(function (element) {
        if (element.value === field.value) element.checked = field.checked;
      });
      return;
    }
    var element = same.filter(function (element) {
      return element.type !== "checkbox" && element.type !== "radio";
    })[field.index - 1];
    if (!element) return;
    if (field.values) {
      Array.prototype.forEach.call(element.options, function (option) {
        option.selected = field.values.indexOf(option.value) >= 0;
      });
    } else if (element.tagName === "SELECT") {
      var known = Array.prototype.some.call(element.options, function (option) {
        return option.value === field.value;
      });
      if (known) element.value = field.value;
    } else {
      element.value = field.value;
    }
  }

  function restore() {
    var store = storage();
    if (!store) return;
    var text = store.getItem(KEY);
    if (!text) return;
    store.removeItem(KEY); // used once, on whichever page comes next
    var saved;
    try {
      saved = JSON.parse(text);
    } catch (error) {
      return;
    }
    if (!saved || saved.path !== location.pathname) return;
    if (!(Date.now() - saved.at < LIFETIME_MS)) return;
    var keys = formKeys();
    saved.forms.forEach(function (entry) {
      var form = document.forms[keys.indexOf(entry.key)];
      if (!form) return;
      entry.fields.forEach(function (field) {
        fill(form, field);
      });
    });
  }

  document.addEventListener("submit", function (event) {
    if (event.target.hasAttribute("data-language-switch")) save(event.target);
  });
  restore();
})();
