/* Applicant forms: progressive enhancement only; the server checks everything again.
   - The error summary (GOV.UK pattern) takes the focus when the page comes back with errors,
     and each of its links moves the focus to the field it names.
   - A rule that depends on another field (data-rules, written from applications/registry.py)
     marks its hint as applying now, or not, as the other field changes. */
(function () {
  "use strict";

  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) { return; }
      var target = document.getElementById(link.getAttribute("href").slice(1));
      if (!target) { return; }
      event.preventDefault();
      // A hidden section (a utility not ticked any more) is shown before its field is focused.
      var section = target.closest("[hidden]");
      if (section) { section.hidden = false; }
      var legend = target.closest("fieldset");
      var label = legend ? legend.querySelector("legend") : document.querySelector("label[for='" + target.id + "']");
      target.focus({ preventScroll: true });
      (label || target).scrollIntoView({ block: "start" });
      if (window.history && window.history.replaceState) {
        window.history.replaceState(null, "", "#" + target.id);
      }
    });
  }

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
