"""The compliance desk's batch page: the items of a batch listed (with links)
for the appraisers, who tick the records they appraise, and for the agency
head, who approves, returns or rejects the batch after seeing them."""

from __future__ import annotations

from typing import Annotated

from dangan.api.auth import masked, visible_levels
from dangan.api.deps import ArchiveDep
from dangan.api.labels import bj_time
from dangan.api.routes.disposal import Head, Viewer, batch_url
from dangan.api.templating import templates
from dangan.retention import procedure
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from dangan.errors import DanganError

ui = APIRouter(include_in_schema=False)

DECISIONS = {"pending": "待鉴定", "destroy": "销毁", "keep": "继续保存"}


@ui.get("/compliance/batches/{batch_id}", response_class=HTMLResponse)
def batch_page(
    request: Request,
    batch_id: int,
    archive: ArchiveDep,
    user: Viewer,
    done: str = "",
    error: str = "",
):
    batch = masked(procedure.get_batch(archive, batch_id, visible_levels(user)), user)
    schedule = archive.schedule()
    names = {u["username"]: u["display_name"] for u in request.app.state.accounts.list_users()}
    for item in batch["items"]:
        row = schedule.by_code.get(item["doc_type"]) if item["doc_type"] else None
        item["class_name"] = row.material if row else "未定"
        item["decision_label"] = DECISIONS.get(item["decision"], item["decision"])
        item["appraiser_names"] = "、".join(names.get(a, a) for a in item["appraisers"])
    counts = {k: sum(i["decision"] == k for i in batch["items"]) for k in DECISIONS}
    return templates.TemplateResponse(
        request,
        "compliance_batch.html",
        {
            "b": batch,
            "counts": counts,
            "status_label": procedure.STATUS_LABELS.get(batch["status"], batch["status"]),
            "created_by": names.get(batch["created_by"], batch["created_by"]),
            "decided_by": names.get(batch["approved_by"] or "", batch["approved_by"] or ""),
            "created_at": bj_time(batch["created_at"]),
            "decided_at": bj_time(batch.get("approved_at")),
            "done": done,
            "error": error,
        },
    )


@ui.post("/compliance/batches/{batch_id}/return")
def desk_return(
    batch_id: int, archive: ArchiveDep, user: Head, reason: Annotated[str, Form()] = ""
):
    try:
        procedure.send_back(archive, user, batch_id, reason)
    except DanganError as exc:
        return batch_url(batch_id, error=exc.message)
    return batch_url(batch_id, done=f"批次 {batch_id} 已退回鉴定小组重新鉴定。")


@ui.post("/compliance/batches/{batch_id}/reject")
def desk_reject(
    batch_id: int, archive: ArchiveDep, user: Head, reason: Annotated[str, Form()] = ""
):
    try:
        procedure.send_back(archive, user, batch_id, reason, reject=True)
    except DanganError as exc:
        return batch_url(batch_id, error=exc.message)
    return batch_url(batch_id, done=f"批次 {batch_id} 未同意销毁，已关闭；其中档案回到到期清单。")
