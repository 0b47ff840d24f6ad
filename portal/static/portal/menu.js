/* The compact header on a phone: the menu button shows and hides the navigation. Without
   this script the navigation is simply always shown. */
(function () {
  "use strict";
  var button = document.querySelector("[data-menu-toggle]");
  if (!button) { return; }
  var header = button.closest(".site-header");
  button.hidden = false;
  header.classList.add("has-menu");

  function set(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    header.classList.toggle("menu-open", open);
  }

  button.addEventListener("click", function () {
    set(button.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && header.classList.contains("menu-open")) {
      set(false);
      button.focus();
    }
  });
})();
