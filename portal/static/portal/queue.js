/* Staff work queue: the header checkbox selects or clears every application on the page for
   the bulk action (each row's box stays usable without it). */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    if (!event.target.matches("[data-select-all]")) { return; }
    document.querySelectorAll('input[name="case"][form="bulk"]').forEach(function (box) {
      box.checked = event.target.checked;
    });
  });
})();
