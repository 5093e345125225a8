// Every page (loaded by base.html; no inline script: the Content-Security-Policy
// allows scripts from /static only).
// - A form whose submission is under way shows it is busy and cannot be sent
//   twice; its submit buttons say 正在办理… (or their data-busy text).
// - .flash messages get role=status (role=alert for errors).
// - data-confirm="question" on a form, button or link asks before going on
//   (destructive or irreversible steps).
(() => {
  // messages after an action are announced to screen readers
  document.querySelectorAll(".flash:not([role])").forEach((flash) => {
    flash.setAttribute("role", flash.classList.contains("error") ? "alert" : "status");
  });

  function confirmed(element) {
    const question = element.getAttribute("data-confirm");
    return !question || window.confirm(question);
  }

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (form.getAttribute("aria-busy") === "true") {
      event.preventDefault(); // already sent: a second click does nothing
      return;
    }
    const submitter = event.submitter;
    if (!confirmed(form) || (submitter && !confirmed(submitter))) {
      event.preventDefault();
      return;
    }
    if (form.method.toLowerCase() !== "post" && !form.hasAttribute("data-busy")) return;
    form.setAttribute("aria-busy", "true");
    // disabled after the browser has read the form, so the clicked button's
    // own name and value are still sent
    setTimeout(() => {
      if (event.defaultPrevented) { // the page's own script sends it (upload.js)
        form.removeAttribute("aria-busy");
        return;
      }
      form.querySelectorAll("button[type=submit], button:not([type]), input[type=submit]").forEach((b) => {
        b.disabled = true;
        if (b === submitter || !submitter) {
          b.dataset.label = b.textContent;
          b.textContent = b.getAttribute("data-busy") || form.getAttribute("data-busy") || "正在办理…";
        }
      });
    }, 0);
  }, true);

  document.addEventListener("click", (event) => {
    const target = event.target instanceof Element ? event.target.closest("a[data-confirm], button[data-confirm]") : null;
    if (target && !target.form && !confirmed(target)) event.preventDefault();
    const busy = event.target instanceof Element ? event.target.closest("a[data-busy]") : null;
    if (busy) {
      if (busy.getAttribute("aria-busy") === "true") { event.preventDefault(); return; }
      busy.setAttribute("aria-busy", "true");
      busy.dataset.label = busy.textContent;
      busy.textContent = busy.getAttribute("data-busy");
      setTimeout(() => { busy.textContent = busy.dataset.label; busy.removeAttribute("aria-busy"); }, 4000);
    }
  });

  // back to a page kept by the browser: its forms are usable again
  window.addEventListener("pageshow", () => {
    document.querySelectorAll("form[aria-busy=true]").forEach((form) => {
      form.removeAttribute("aria-busy");
      form.querySelectorAll("button, input[type=submit]").forEach((b) => {
        b.disabled = false;
        if (b.dataset.label) b.textContent = b.dataset.label;
      });
    });
  });
})();
