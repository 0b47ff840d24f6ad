/* The error summary (GOV.UK pattern), on every page of the site: it takes the focus when the
   page comes back with errors, and each of its links moves the focus to the field it names.
   Progressive enhancement only: without it the links still jump to their fields. */
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
      // A form folded away (the case page's actions) is unfolded.
      var folded = target.closest("details");
      if (folded) { folded.open = true; }
      var legend = target.closest("fieldset");
      var label = legend ? legend.querySelector("legend") : document.querySelector("label[for='" + target.id + "']");
      target.focus({ preventScroll: true });
      (label || target).scrollIntoView({ block: "start" });
      if (window.history && window.history.replaceState) {
        window.history.replaceState(null, "", "#" + target.id);
      }
    });
  }
})();
