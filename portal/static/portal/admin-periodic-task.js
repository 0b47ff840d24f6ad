/* Admin, periodic task page (django-celery-beat): the chosen crontab schedule in words under
   its field, updated when another one is picked. */
(function () {
  "use strict";
  var script = document.currentScript;
  var data = document.getElementById("readable-crontabs");
  var select = document.getElementById("id_crontab");
  var help = document.querySelector(".field-crontab .help");
  if (!data || !select || !help) { return; }
  var readable = JSON.parse(data.textContent);
  var original = help.textContent;
  document.querySelectorAll(".field-crontab_translation").forEach(function (row) {
    row.style.display = "none";  // the saved schedule's reading: the live one replaces it
  });
  select.addEventListener("change", function () {
    help.textContent = original;
    var words = readable[select.value];
    if (words) {
      help.appendChild(document.createElement("br"));
      help.appendChild(document.createTextNode(script.dataset.inWords + " " + words));
    }
  });
})();
