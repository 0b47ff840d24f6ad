// The request form's links to the service guide follow the business type chosen: each opens
// the guide of that type (/guides/<utility>/<type>/) at the section that applies.
(() => {
  const form = document.getElementById("request-form");
  if (!form) return;
  const update = () => {
    const chosen = form.querySelector('input[name="business_type"]:checked');
    form.querySelectorAll("a[data-guide-base]").forEach((link) => {
      const section = link.dataset.guideLink.split("#")[1] || "";
      const base = link.dataset.guideBase;
      link.href = (chosen ? `${base}${encodeURIComponent(chosen.value)}/` : base) + (section ? `#${section}` : "");
    });
  };
  form.addEventListener("change", (event) => {
    if (event.target.name === "business_type") update();
  });
  update();
})();
