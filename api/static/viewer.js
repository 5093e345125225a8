// Record viewer: the page image first, turned in place (←/→, PgUp/PgDn),
// zoomed with +/− and the wheel, panned by dragging, rotated for reading.
// The image lives in a fixed frame (overflow hidden) and is placed with one CSS
// transform; zoom, pan and rotation stay when the page changes. Search hits
// sit in a layer inside the transformed sheet, so they follow the image.
(function () {
  const reader = document.getElementById("reader");
  const fig = document.getElementById("page-image");
  if (!reader || !fig) return;
  const sheet = document.getElementById("sheet");
  const img = sheet.querySelector("img");
  const pages = Number(reader.dataset.pages) || 1;
  const record = reader.dataset.record;
  const query = reader.dataset.q || "";
  let page = Number(reader.dataset.page) || 1;
  // an embed ticket's own paths, or the session's /api and /records
  const api = (reader.dataset.api || "/api") + "/records/" + encodeURIComponent(record);
  const links = (reader.dataset.links || "") + "/records/" + encodeURIComponent(record);
  const view = { zoom: 1, x: 0, y: 0, rot: 0 };

  function base() {
    // the scale that shows the whole page in the frame (rotation swaps sides)
    const w = img.naturalWidth || 1, h = img.naturalHeight || 1;
    const turned = view.rot % 180 !== 0;
    const fw = fig.clientWidth, fh = fig.clientHeight;
    return Math.min(fw / (turned ? h : w), fh / (turned ? w : h));
  }

  function clamp() {
    // never let the page leave the frame: pan only as far as it overhangs
    const s = base() * view.zoom;
    const turned = view.rot % 180 !== 0;
    const w = (turned ? img.naturalHeight : img.naturalWidth) * s;
    const h = (turned ? img.naturalWidth : img.naturalHeight) * s;
    const mx = Math.max(0, (w - fig.clientWidth) / 2), my = Math.max(0, (h - fig.clientHeight) / 2);
    view.x = Math.min(mx, Math.max(-mx, view.x));
    view.y = Math.min(my, Math.max(-my, view.y));
  }

  function apply() {
    if (!img.naturalWidth) return;
    clamp();
    sheet.style.width = img.naturalWidth + "px";
    sheet.style.height = img.naturalHeight + "px";
    sheet.style.transform = `translate(-50%, -50%) translate(${view.x}px, ${view.y}px) rotate(${view.rot}deg) scale(${base() * view.zoom})`;
    fig.dataset.zoom = String(Math.round(view.zoom * 100));
    fig.dataset.rotate = String(view.rot);
    fig.dataset.x = String(Math.round(view.x));
    fig.dataset.y = String(Math.round(view.y));
    const label = document.getElementById("zoom-level");
    if (label) label.textContent = Math.round(view.zoom * 100) + "%";
  }

  function zoomBy(factor, cx, cy) {
    // keep the point under the pointer (or the frame centre) where it is
    const before = view.zoom;
    view.zoom = Math.min(8, Math.max(1, view.zoom * factor));
    const k = view.zoom / before;
    if (cx !== undefined) {
      const r = fig.getBoundingClientRect();
      const px = cx - r.left - r.width / 2, py = cy - r.top - r.height / 2;
      view.x = px - (px - view.x) * k;
      view.y = py - (py - view.y) * k;
    } else {
      view.x *= k;
      view.y *= k;
    }
    apply();
  }

  function reset() {
    view.zoom = 1; view.x = 0; view.y = 0;
    apply();
  }

  function fit() {
    // on a wide screen the frame reaches down to the bottom of the window,
    // so the whole page is on screen whatever stands above it
    if (window.innerWidth > 900) {
      const top = fig.getBoundingClientRect().top + window.scrollY;
      fig.style.height = Math.max(360, window.innerHeight - top - 12) + "px";
    } else {
      fig.style.height = "";
    }
    apply();
  }
  window.addEventListener("resize", fit);
  fit();

  img.addEventListener("load", apply);
  if (img.complete) apply();
  new ResizeObserver(apply).observe(fig);

  document.querySelectorAll("button[data-zoom]").forEach((b) => b.addEventListener("click", () => {
    const step = Number(b.dataset.zoom);
    if (step === 0) reset(); else zoomBy(step > 0 ? 1.25 : 0.8);
  }));
  document.querySelectorAll("button[data-rotate]").forEach((b) => b.addEventListener("click", () => {
    view.rot = (view.rot + 90) % 360;
    apply();
  }));
  fig.addEventListener("wheel", (e) => {
    e.preventDefault();
    zoomBy(e.deltaY < 0 ? 1.15 : 1 / 1.15, e.clientX, e.clientY);
  }, { passive: false });

  let drag = null;
  fig.addEventListener("pointerdown", (e) => {
    drag = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y };
    fig.setPointerCapture(e.pointerId);
    fig.classList.add("dragging");
  });
  fig.addEventListener("pointermove", (e) => {
    if (!drag) return;
    view.x = drag.vx + e.clientX - drag.x;
    view.y = drag.vy + e.clientY - drag.y;
    apply();
  });
  ["pointerup", "pointercancel"].forEach((t) => fig.addEventListener(t, () => {
    drag = null;
    fig.classList.remove("dragging");
  }));

  // --- turning pages in place ---------------------------------------------
  function pageUrl(n) {
    const params = new URLSearchParams(location.search);
    params.set("page", String(n));
    return `${links}?${params}`;
  }

  async function turn(n) {
    n = Math.min(pages, Math.max(1, n));
    if (n === page) return;
    page = n;
    const url = pageUrl(n);
    img.src = `${api}/pages/${n}/image`;
    img.dataset.ocrSrc = `${api}/pages/${n}/ocr-image`;
    img.alt = `第 ${n} 页图像`;
    document.getElementById("page-no").textContent = `第 ${n} / ${pages} 页`;
    document.querySelectorAll(".pages a[data-page]").forEach((a) => {
      const on = Number(a.dataset.page) === n;
      a.classList.toggle("current", on);
      if (on) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    });
    document.querySelectorAll("[data-turn]").forEach((a) => {
      const target = n + Number(a.dataset.turn);
      a.href = pageUrl(Math.min(pages, Math.max(1, target)));
      a.classList.toggle("disabled", target < 1 || target > pages);
    });
    history.replaceState(null, "", url);
    reader.dataset.page = String(n);
    if (layer) { layer.replaceChildren(); showHits(n); }
    // the page's text (and its audit entry) from the same page the link opens
    try {
      const r = await fetch(url, { credentials: "same-origin" });
      if (r.ok && page === n) {
        const doc = new DOMParser().parseFromString(await r.text(), "text/html");
        const text = doc.getElementById("page-text");
        const mine = document.getElementById("page-text");
        if (text && mine) { text.open = mine.open; mine.replaceWith(text); }
      }
    } catch (e) { /* the image is there; the text follows on the next turn */ }
  }

  document.querySelectorAll("[data-turn]").forEach((a) => a.addEventListener("click", (e) => {
    e.preventDefault();
    turn(page + Number(a.dataset.turn));
  }));
  document.querySelectorAll(".pages a[data-page]").forEach((a) => a.addEventListener("click", (e) => {
    e.preventDefault();
    turn(Number(a.dataset.page));
  }));
  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.target.closest("input, select, textarea, [contenteditable]")) return;
    const keys = {
      ArrowRight: () => turn(page + 1), PageDown: () => turn(page + 1),
      ArrowLeft: () => turn(page - 1), PageUp: () => turn(page - 1),
      "+": () => zoomBy(1.25), "=": () => zoomBy(1.25), "-": () => zoomBy(0.8), "_": () => zoomBy(0.8),
      "0": reset, r: () => { view.rot = (view.rot + 90) % 360; apply(); },
    };
    const act = keys[e.key] || keys[e.key.toLowerCase?.()];
    if (act) { e.preventDefault(); act(); }
  });

  const toggle = document.getElementById("show-ocr-input");
  if (toggle) {
    toggle.addEventListener("click", () => {
      const on = toggle.getAttribute("aria-pressed") !== "true";
      img.src = on ? img.dataset.ocrSrc : `${api}/pages/${page}/image`;
      toggle.setAttribute("aria-pressed", on ? "true" : "false");
      toggle.textContent = on ? "原始图像" : "识别底图";
    });
  }

  // --- search hits on the page image --------------------------------------
  const layer = sheet.querySelector(".hit-layer");
  const status = document.getElementById("hit-status");
  function say(text) { if (status) status.textContent = text; }
  function percent(v) { return (v * 100).toFixed(3) + "%"; }

  function draw(boxes) {
    layer.replaceChildren(...boxes.map((b) => {
      const mark = document.createElement("div");
      mark.className = "hit-box";
      mark.title = "命中：" + b.text;
      mark.style.left = percent(b.x);
      mark.style.top = percent(b.y);
      mark.style.width = percent(b.w);
      mark.style.height = percent(b.h);
      return mark;
    }));
    layer.dataset.count = String(boxes.length);
  }

  function showHits(n) {
    if (!layer || !query) return;
    say("正在标出检索词……");
    const url = `${api}/pages/${n}/hits?` + new URLSearchParams({ q: query });
    fetch(url, { credentials: "same-origin" })
      .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
      .then((data) => {
        if (n !== page) return;
        draw(data.boxes);
        say(data.boxes.length
          ? `页面图像上标出 ${data.boxes.length} 处命中。`
          : `本页图像上没有找到“${query}”。`);
      })
      .catch(() => say("暂时无法在页面图像上标出检索词，图像和文字不受影响。"));
  }
  showHits(page);
})();
