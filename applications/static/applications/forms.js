/* Applicant forms: progressive enhancement only; the server checks everything again.
   (The error summary's focus is portal/error_summary.js, on every page.)
   - A rule that depends on another field (data-rules, written from applications/registry.py)
     marks its hint as applying now, or not, as the other field changes. */
(function () {
  "use strict";

  function valueOf(form, name) {
    var fields = form.querySelectorAll("[name='" + name + "']");
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      if ((field.type === "radio" || field.type === "checkbox") && !field.checked) { continue; }
      return field.value;
    }
    return "";
  }

  document.querySelectorAll("[data-rules]").forEach(function (input) {
    var rules;
    try { rules = JSON.parse(input.dataset.rules); } catch (e) { return; }
    var form = input.form;
    var hint = document.getElementById(input.id + "_helptext");
    if (!form || !hint) { return; }
    function update() {
      var applies = rules.some(function (rule) {
        return rule.in.indexOf(valueOf(form, rule.when)) >= 0;
      });
      hint.classList.toggle("rule-applies", applies);
      var required = rules.some(function (rule) {
        return rule.kind === "required" && rule.in.indexOf(valueOf(form, rule.when)) >= 0;
      });
      if (required) { input.setAttribute("aria-required", "true"); } else { input.removeAttribute("aria-required"); }
    }
    rules.forEach(function (rule) {
      form.querySelectorAll("[name='" + rule.when + "']").forEach(function (other) {
        other.addEventListener("change", update);
      });
    });
    update();
  });
})();
