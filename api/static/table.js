// Tables made by the data_table macro (templates/_table.html): sort by a
// column, page through long lists, load thumbnails only when asked for, print.
(() => {
  const collator = new Intl.Collator("zh-CN", { numeric: true });

  function setup(table) {
    const body = table.tBodies[0];
    // sorted and paged by the server (headers are links): every row shown
    const server = table.hasAttribute("data-server-sort");
    const size = server ? Infinity : parseInt(table.dataset.pageSize || "50", 10);
    const pager = document.querySelector(`[data-pager-for="${table.id}"]`);
    let page = 0;

    function rows() { return Array.from(body.rows); }

    function show() {
      const all = rows();
      const pages = Math.max(1, Math.ceil(all.length / size));
      page = Math.min(page, pages - 1);
      all.forEach((row, i) => {
        row.classList.toggle("paged-out", Math.floor(i / size) !== page);
      });
      loadThumbs();
      if (!pager) return;
      pager.hidden = pages <= 1;
      pager.replaceChildren();
      if (pages <= 1) return;
      const info = document.createElement("span");
      info.textContent = `第 ${page + 1}/${pages} 页，共 ${all.length} 条`;
      info.setAttribute("role", "status");
      const prev = button("上一页", page > 0, () => { page -= 1; show(); });
      const next = button("下一页", page < pages - 1, () => { page += 1; show(); });
      pager.append(prev, info, next);
    }

    function button(text, enabled, action) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "secondary";
      b.textContent = text;
      b.disabled = !enabled;
      b.addEventListener("click", action);
      return b;
    }

    function loadThumbs() {
      if (table.classList.contains("thumbs-off")) return;
      table.querySelectorAll("tbody tr:not(.paged-out) img[data-src]").forEach((img) => {
        img.src = img.dataset.src;
        img.removeAttribute("data-src");
      });
    }

    table.querySelectorAll("thead th").forEach((th, index) => {
      const sorter = th.querySelector("button.sort");
      if (!sorter) return;
      sorter.addEventListener("click", () => {
        const ascending = th.getAttribute("aria-sort") !== "ascending";
        table.querySelectorAll("thead th").forEach((h) => h.setAttribute("aria-sort", "none"));
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        const numeric = sorter.hasAttribute("data-numeric");
        const key = (row) => row.cells[index].textContent.trim();
        const sorted = rows().sort((a, b) => {
          const d = numeric ? parseFloat(key(a)) - parseFloat(key(b)) : collator.compare(key(a), key(b));
          return ascending ? d : -d;
        });
        body.append(...sorted);
        page = 0;
        show();
      });
    });

    const toggle = document.querySelector(`[data-thumbs="${table.id}"]`);
    if (toggle) {
      toggle.addEventListener("click", () => {
        const on = table.classList.toggle("thumbs-off") === false;
        toggle.setAttribute("aria-pressed", String(on));
        toggle.textContent = on ? "隐藏缩略图" : "显示缩略图";
        loadThumbs();
      });
    }
    show();
  }

  document.querySelectorAll("table.data-table").forEach(setup);
  document.querySelectorAll("[data-print]").forEach((b) => {
    b.addEventListener("click", () => window.print());
  });
})();
