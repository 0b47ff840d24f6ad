/* Applicant portal: progressive enhancement only; every page works without it. */
(function () {
  "use strict";

  // A form sent once: a double click or a second Enter does not post it twice (the server
  // also dedupes by the submission token).
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) {
        event.preventDefault();
        return;
      }
      form.dataset.sent = "1";
      form.setAttribute("aria-busy", "true");
    });
  });

  // Files larger than the limit are refused before a long upload.
  document.querySelectorAll("form[data-max-bytes]").forEach(function (form) {
    var max = parseInt(form.dataset.maxBytes, 10);
    form.querySelectorAll('input[type="file"]').forEach(function (input) {
      input.addEventListener("change", function () {
        var note = document.getElementById(input.id + "-note");
        var file = input.files && input.files[0];
        if (file && max && file.size > max) {
          input.value = "";
          if (note) { note.textContent = note.dataset.tooBig; note.classList.add("field-error"); }
        } else if (note) {
          note.textContent = file ? file.name : "";
          note.classList.remove("field-error");
        }
      });
    });
  });

  // The combined request: a utility's section and the documents it needs show only when the
  // utility is ticked.
  var form = document.getElementById("request-form");
  if (!form) { return; }
  var boxes = form.querySelectorAll('input[name="utilities"]');
  function picked() {
    var chosen = [];
    boxes.forEach(function (box) { if (box.checked) { chosen.push(box.value); } });
    return chosen;
  }
  function update() {
    var chosen = picked();
    form.querySelectorAll("[data-utility]").forEach(function (section) {
      section.hidden = chosen.indexOf(section.dataset.utility) < 0;
    });
    form.querySelectorAll("[data-needed-by]").forEach(function (row) {
      var needs = row.dataset.neededBy.split(" ");
      row.hidden = !needs.some(function (u) { return chosen.indexOf(u) >= 0; });
      row.querySelectorAll("[data-u]").forEach(function (tag) {
        tag.classList.toggle("on", chosen.indexOf(tag.dataset.u) >= 0);
      });
    });
    var hint = document.getElementById("no-utility-hint");
    if (hint) { hint.hidden = chosen.length > 0; }
  }
  boxes.forEach(function (box) { box.addEventListener("change", update); });
  update();
})();
