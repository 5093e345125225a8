"""Batch intake for the clerk desk: upload returns at once, progress is polled;
intake statistics."""

from __future__ import annotations

import errno
import secrets
from pathlib import Path
from typing import Literal

from dangan.api import uploads
from dangan.api.auth import Ingester, masked
from dangan.api.deps import ArchiveDep
from dangan.api.labels import bj_time
from dangan.api.schemas.intake import BatchProgress, BatchSubmitted, IntakeStats
from dangan.api.templating import templates
from dangan.ingest.capture import split_options
from dangan.ingest.intake import IntakeQueue
from dangan.ingest.pipeline import IngestResult
from dangan.ingest.stats import intake_stats, record_outcome
from dangan.ingest.validate import check_file
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from dangan.errors import NotFound, RejectedFile

api = APIRouter(tags=["intake"])
ui = APIRouter(include_in_schema=False)


def get_queue(request: Request) -> IntakeQueue:
    return request.app.state.intake


def _submit_all(
    queue: IntakeQueue, batch: str, received: list[uploads.Received], user: str,
    options: dict | None = None,
) -> tuple[list[dict], list[dict]]:  # fmt: skip
    jobs, rejected = [], []
    try:
        for item in received:
            if item.error:
                rejected.append({"filename": item.name, "error": item.error, "reason": item.reason})
                continue
            refused = refuse_at_once(queue, batch, item.name, item.path, user)
            if refused is not None:
                jobs.append(refused)
                continue
            job_id = queue.submit(batch, item.name, item.path, user, options=options)
            jobs.append({"id": job_id, "filename": item.name})
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise uploads.disk_full(exc) from exc
        raise
    finally:
        uploads.discard(received)  # what was not moved into the inbox
    return jobs, rejected


def refuse_at_once(queue: IntakeQueue, batch: str, name: str, path: Path, user: str):
    """The cheap checks (type by content, name, size, pages) run while the
    clerk waits: a file that fails them is refused now, not after the OCR
    jobs queued before it; it is kept in the batch as a job done at once.
    Returns that job, or None to queue the file."""
    settings = queue.archive.settings
    try:
        check_file(path, max_bytes=settings.max_file_bytes, max_pages=settings.max_pages, name=name)
    except RejectedFile as exc:
        path.unlink(missing_ok=True)
        result = IngestResult(file=name, status="rejected", error=exc.message, reason=exc.reason)
        record_outcome(queue.archive, result)
        job_id = queue.refuse(batch, name, result.to_json(), user)
        return {"id": job_id, "filename": name, "status": "rejected", "error": exc.message}
    return None


@api.post(
    "/intake",
    summary="批量上传：立即返回，后台排队识别（进度见 /api/intake/{batch}）",
    openapi_extra=uploads.OPENAPI,
    response_model=BatchSubmitted,
    response_model_exclude_unset=True,
)
async def submit(
    request: Request,
    user: Ingester,
    split: Literal["cover", "separator", "file"] | None = Query(
        None,
        description="扫描的整叠材料：按封面（cover）或分隔页（separator）拆分为多件；不填：一个文件一件",
    ),
    duplex: Literal["simplex", "duplex", "collate"] = Query(
        "simplex",
        description="simplex 单面 | duplex 双面（略去空白背面）| collate 正面一遍、反面倒序一遍",
    ),
) -> dict:
    queue = get_queue(request)
    settings = queue.archive.settings
    received = await uploads.receive(request, settings.work_root, settings.max_file_bytes)
    batch = secrets.token_hex(6)
    options = None
    if split:
        options = {"split": split_options(split, duplex), "submitted_by": user.name}
    jobs, rejected = await run_in_threadpool(
        _submit_all, queue, batch, received, user.name, options
    )
    if jobs:
        request.app.state.intake_worker.wake()
    return masked({"batch": batch if jobs else None, "jobs": jobs, "rejected": rejected}, user)


@api.get("/intake/{batch}", summary="一批上传文件的处理进度", response_model=BatchProgress)
def batch_status(request: Request, batch: str, user: Ingester) -> dict:
    jobs = get_queue(request).batch(batch)
    if not jobs:
        raise NotFound(f"没有编号为 {batch} 的上传批次。")
    return masked(BatchProgress.of(batch, jobs), user)


@api.get(
    "/stats/intake",
    summary="收件统计：每日件数、页数、拒收、待复核、各类别",
    response_model=IntakeStats,
)
def stats(archive: ArchiveDep, user: Ingester, days: int = Query(30, ge=1, le=366)) -> dict:
    return intake_stats(archive, days)


REJECT_REASONS = {
    "empty": "空文件",
    "too_large": "文件过大",
    "unsupported": "格式不支持",
    "mislabelled": "扩展名与内容不符",
    "too_many_pages": "页数超限",
    "encrypted": "加密文件",
    "corrupt": "文件损坏",
    "unreadable": "无法读取",
    "too_small": "图像过小",
    "oversized_image": "图像尺寸过大",
    "oversized_page": "页面尺寸过大",
    "disk_full": "磁盘空间已满",
    "ocr_failed": "文字识别失败",
    "internal_error": "内部错误",
    "missing": "上传文件丢失",
}


@ui.get("/stats", response_class=HTMLResponse)
def stats_page(request: Request, archive: ArchiveDep, user: Ingester, days: int = 14):
    data = intake_stats(archive, max(1, min(days, 366)))
    return templates.TemplateResponse(
        request, "stats.html", {"s": data, "days": days, "reasons": REJECT_REASONS}
    )


# ---- the clerk's upload desk (HTML) ----

RESULT_LABELS = {"rejected": "已拒收", "duplicate": "重复，未再次保存", "archived": "已归档"}


def job_outcome(job: dict) -> tuple[str, str]:
    """(进度, 结果) as the desk shows them: a record the machine was unsure of
    is 待复核, not 已归档; a refused file is 已拒收, never 完成."""
    if job.get("state") != "done":
        return job.get("stage_label") or "排队中", ""
    status = job.get("status") or ""
    if status == "rejected":
        return "已拒收", "已拒收"
    if status == "archived" and job.get("needs_review"):
        return "完成", "待复核"
    if status == "split":
        return "完成", f"已拆分为 {len((job.get('stack') or {}).get('records') or [])} 件"
    return "完成", RESULT_LABELS.get(status, status)


def _upload_page(request: Request, user, *, results=None, batch: str = ""):
    queue = get_queue(request)
    jobs, stacks = [], []
    if batch:
        jobs = queue.batch(batch)
        if not jobs:
            raise NotFound(f"没有编号为 {batch} 的上传批次。")
        for job in jobs:
            job["progress_label"], job["result_label"] = job_outcome(job)
        stacks = stack_pages(jobs)
    history = queue.batches(30)
    for row in history:
        row["at"] = bj_time(row["created_at"])
    return templates.TemplateResponse(
        request,
        "upload.html",
        {
            "results": results,
            "batch": batch,
            "jobs": masked(jobs, user),
            "batch_done": all(j["state"] == "done" for j in jobs),
            "history": history,
            "stacks": stacks,
        },
    )


def stack_pages(jobs: list[dict]) -> list[dict]:
    """For each scanned stack in the batch: every page and where it went (the
    record cut from it, or why it is in none)."""
    by_id = {j["id"]: j for j in jobs}
    out = []
    for job in jobs:
        stack = job.get("stack")
        if not stack:
            continue
        rows: dict[int, dict] = {}
        for n, rec in enumerate(stack.get("records") or [], start=1):
            child = by_id.get(rec["job"], {})
            for k, page in enumerate(rec["pages"], start=1):
                rows[page] = {"page": page, "record": n, "record_page": k,
                              "serial": rec.get("serial"), "record_id": child.get("record_id"),
                              "note": "；".join(rec.get("review") or []),
                              "result": child.get("result_label", "")}  # fmt: skip
        for page, why in (stack.get("fates") or {}).items():
            rows[int(page)] = {"page": int(page), "note": why}
        out.append({"file": job["filename"], "notes": stack.get("notes") or [],
                    "pages": [rows[p] for p in sorted(rows)]})  # fmt: skip
    return out


@ui.get("/upload", response_class=HTMLResponse)
def upload_form(request: Request, user: Ingester, batch: str = ""):
    return _upload_page(request, user, batch=batch)


@ui.post("/upload", response_class=HTMLResponse)
async def upload_submit(request: Request, archive: ArchiveDep, user: Ingester):
    """The form's own submit (without the page's script): ingested while waiting."""
    from dangan.api.routes.records import ingest_uploads

    results = []
    for result in await ingest_uploads(request, archive):
        row = masked(result.to_json(), user)
        row["progress_label"], row["result_label"] = job_outcome({"state": "done", **row})
        results.append(row)
    return _upload_page(request, user, results=results)
