// Clerk desk upload: send the batch to /api/intake, then poll its progress.
(function () {
  const form = document.getElementById("upload");
  const input = document.getElementById("files");
  const drop = document.getElementById("drop");
  const table = document.getElementById("progress");
  const body = table.querySelector("tbody");
  const STATUS = { archived: "已归档", duplicate: "重复，未再次保存", rejected: "已拒收" };

  function esc(s) {
    return String(s ?? "").replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));
  }

  let refused = [];  // parts refused on arrival (no file name): shown above the batch

  function labels(j) {
    // a record the machine was unsure of is 待复核, not 已归档; a refused file is 已拒收, not 完成
    if (j.state !== "done") {
      let stage = j.stage_label || "排队中";
      if (j.stage === "ocr" && j.pages) {
        stage += j.pages_done ? `：第 ${Math.min(j.pages_done, j.pages)}/${j.pages} 页` : `（共 ${j.pages} 页）`;
      }
      return [stage, ""];
    }
    if (j.status === "rejected") return ["已拒收", "已拒收"];
    if (j.status === "archived" && j.needs_review) return ["完成", "待复核"];
    return ["完成", STATUS[j.status] || j.status];
  }

  function render(jobs) {
    body.innerHTML = refused.concat(jobs).map((j) => {
      const [stage, label] = labels(j);
      let result = esc(label);
      if (j.state === "done") {
        if (j.record_id) {
          const code = !j.needs_review && j.archival_code ? ` 档号 ${esc(j.archival_code)}` : "";
          result += ` <a href="/records/${esc(j.record_id)}">查看</a>${code}`;
        }
        if (j.error && j.status !== "duplicate") result += `：${esc(j.error)}`;
      }
      return `<tr class="${esc(j.status || j.state)}" data-job="${esc(j.id)}"><td>${esc(j.filename)}</td>` +
        `<td>${esc(stage)}</td><td>${result}</td></tr>`;
    }).join("");
  }

  async function poll(batch) {
    const r = await fetch(`/api/intake/${batch}`);
    if (!r.ok) return;
    const data = await r.json();
    render(data.jobs);
    table.dataset.done = data.done === data.total ? "1" : "0";
    if (data.done < data.total) setTimeout(() => poll(batch), 1000);
  }

  async function send(files) {
    if (!files.length) return;
    const fd = new FormData();
    for (const f of files) fd.append("files", f, f.name);
    table.hidden = false;
    table.dataset.done = "0";
    body.innerHTML = `<tr><td colspan="3">正在上传 ${files.length} 个文件……</td></tr>`;
    const r = await fetch("/api/intake", { method: "POST", body: fd });
    if (!r.ok) {
      const err = await r.json().catch(() => ({}));
      body.innerHTML = `<tr class="rejected"><td colspan="3">上传失败：${esc(err.error || r.status)}</td></tr>`;
      return;
    }
    const data = await r.json();
    refused = (data.rejected || []).map((x) => ({
      filename: x.filename || "（无文件名）", state: "done", stage: "done", status: "rejected", error: x.error,
    }));
    if (!data.batch) { render([]); table.dataset.done = "1"; return; }
    table.dataset.batch = data.batch;
    poll(data.batch);
  }

  if (table.dataset.batch && table.dataset.done === "0") poll(table.dataset.batch);
  form.addEventListener("submit", (e) => { e.preventDefault(); send(input.files); });
  ["dragenter", "dragover"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.add("over"); }));
  ["dragleave", "drop"].forEach((t) => drop.addEventListener(t, (e) => { e.preventDefault(); drop.classList.remove("over"); }));
  drop.addEventListener("drop", (e) => send(e.dataTransfer.files));
})();
