// Desk helpers (no inline script: the Content-Security-Policy allows /static only).
(function () {
  // review queue: page links swap the large image in place
  document.querySelectorAll("[data-page-src]").forEach((link) => {
    link.addEventListener("click", (e) => {
      e.preventDefault();
      const figure = link.closest("figure");
      figure.querySelector("img").src = link.dataset.pageSrc;
      figure.querySelectorAll("[data-page-src]").forEach((a) => a.classList.toggle("current", a === link));
    });
  });
  // "select all" for bulk actions: ticks every box of the same form
  document.querySelectorAll("#check-all, [data-check-all]").forEach((all) => {
    all.addEventListener("change", () => {
      const form = all.form || document.getElementById(all.dataset.checkAll);
      document.querySelectorAll(`input[type=checkbox][form="${form.id}"], #${form.id} input[type=checkbox][name]`)
        .forEach((box) => { if (box !== all) box.checked = all.checked; });
    });
  });
  // a form with data-confirm asks before an irreversible step
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (e) => { if (!window.confirm(form.dataset.confirm)) e.preventDefault(); });
  });
})();
