// Record viewer: zoom, the OCR-input toggle, and search hits drawn on the page image.
// Hit boxes come from /api/records/{id}/pages/{n}/hits as fractions of the page.
// They sit in percent inside a layer kept exactly over the image, so they follow
// the image at any zoom or window size.
(function () {
  const fig = document.getElementById("page-image");
  if (!fig) return;
  const img = fig.querySelector("img");

  let scale = 1;
  document.querySelectorAll("[data-zoom]").forEach((b) => b.addEventListener("click", () => {
    const step = Number(b.dataset.zoom);
    scale = step === 0 ? 1 : Math.min(4, Math.max(0.5, scale * (step > 0 ? 1.25 : 0.8)));
    img.style.width = (scale * 100) + "%";
    fig.style.overflow = scale > 1 ? "auto" : "visible";
  }));

  const toggle = document.getElementById("show-ocr-input");
  if (toggle) {
    const original = img.src;
    toggle.addEventListener("click", () => {
      const on = toggle.getAttribute("aria-pressed") !== "true";
      img.src = on ? img.dataset.ocrSrc : original;
      toggle.setAttribute("aria-pressed", on ? "true" : "false");
      toggle.textContent = on ? "原始图像" : "识别底图";
    });
  }

  const layer = fig.querySelector(".hit-layer");
  const status = document.getElementById("hit-status");
  const hitsUrl = fig.dataset.hits;
  const query = fig.dataset.q;
  if (!layer || !hitsUrl || !query) return;

  function place() {
    layer.style.left = img.offsetLeft + "px";
    layer.style.top = img.offsetTop + "px";
    layer.style.width = img.offsetWidth + "px";
    layer.style.height = img.offsetHeight + "px";
  }
  place();
  new ResizeObserver(place).observe(img);

  function say(text) {
    if (status) status.textContent = text;
  }

  function percent(v) {
    return (v * 100).toFixed(3) + "%";
  }

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

  say("正在标出检索词……");
  fetch(hitsUrl + "?" + new URLSearchParams({ q: query }), { credentials: "same-origin" })
    .then((r) => (r.ok ? r.json() : Promise.reject(r.status)))
    .then((data) => {
      draw(data.boxes);
      say(data.boxes.length
        ? `页面图像上标出 ${data.boxes.length} 处命中。`
        : `本页图像上没有找到“${query}”。`);
    })
    .catch(() => say("暂时无法在页面图像上标出检索词，图像和文字不受影响。"));
})();
