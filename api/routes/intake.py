"""Batch intake for the clerk desk: upload returns at once, progress is polled;
intake statistics."""

from __future__ import annotations

import errno
import secrets

from dangan.api import uploads
from dangan.api.auth import Ingester, masked
from dangan.api.deps import ArchiveDep
from dangan.api.schemas.intake import BatchProgress, BatchSubmitted, IntakeStats
from dangan.api.templating import templates
from dangan.ingest.intake import IntakeQueue
from dangan.ingest.stats import intake_stats
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from dangan.errors import NotFound

api = APIRouter(tags=["intake"])
ui = APIRouter(include_in_schema=False)


def get_queue(request: Request) -> IntakeQueue:
    return request.app.state.intake


def _submit_all(
    queue: IntakeQueue, batch: str, received: list[uploads.Received], user: str
) -> tuple[list[dict], list[dict]]:
    jobs, rejected = [], []
    try:
        for item in received:
            if item.error:
                rejected.append({"filename": item.name, "error": item.error, "reason": item.reason})
                continue
            job_id = queue.submit(batch, item.name, item.path, user)
            jobs.append({"id": job_id, "filename": item.name})
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise uploads.disk_full(exc) from exc
        raise
    finally:
        uploads.discard(received)  # what was not moved into the inbox
    return jobs, rejected


@api.post(
    "/intake",
    summary="批量上传：立即返回，后台排队识别（进度见 /api/intake/{batch}）",
    openapi_extra=uploads.OPENAPI,
    response_model=BatchSubmitted,
    response_model_exclude_unset=True,
)
async def submit(request: Request, user: Ingester) -> dict:
    queue = get_queue(request)
    settings = queue.archive.settings
    received = await uploads.receive(request, settings.work_root, settings.max_file_bytes)
    batch = secrets.token_hex(6)
    jobs, rejected = await run_in_threadpool(_submit_all, queue, batch, received, user.name)
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
