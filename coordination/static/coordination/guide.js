// The guide's print button (no inline script under the CSP).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
document.querySelectorAll("[data-print]").forEach((button) => {
  button.hidden = false;
});
