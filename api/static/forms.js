// Forms that submit themselves when a choice changes (no inline handlers: the
// Content-Security-Policy allows scripts from /static only).
document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
});
