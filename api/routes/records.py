"""Records: upload, metadata, page images, PDF."""

from __future__ import annotations

import logging
from pathlib import Path

from dangan.api import uploads
from dangan.api.auth import (
    Downloader,
    Ingester,
    Reader,
    SecuritySetter,
    log_access,
    log_read,
    masked,
    sees_full_ids,
)
from dangan.api.deps import ArchiveDep, load_record
from dangan.api.schemas import file_download
from dangan.api.schemas.records import PageHits, RecordOut, SecurityOut, UploadResult
from dangan.api.uploads import Received
from dangan.catalog.base import FileRef
from dangan.catalog.blobs import BlobCorrupt
from dangan.catalog.cjk import check_query
from dangan.catalog.page_boxes import find_hits
from dangan.catalog.record_json import record_json
from dangan.catalog.thumbs import THUMB_WIDTH, thumbnail
from dangan.ingest.pipeline import IngestResult, ingest_file
from dangan.ingest.review import set_security_level
from dangan.ingest.validate import MEDIA_TYPES
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel

from dangan.archive import Archive
from dangan.errors import NotFound
from dangan.identifiers import id_number_hidden_positions

log = logging.getLogger(__name__)
router = APIRouter(tags=["records"])


def ingest_upload(archive: Archive, item: Received, case: str | None = None) -> IngestResult:
    if item.error:
        return IngestResult(file=item.name, status="rejected", error=item.error, reason=item.reason)
    try:
        return ingest_file(archive, item.path, name=item.name, case=case)
    finally:
        item.path.unlink(missing_ok=True)


async def ingest_uploads(
    request: Request, archive: Archive, case: str | None = None
) -> list[IngestResult]:
    """Receive the request's files (api/uploads.py) and ingest them one by one."""
    settings = archive.settings
    received = await uploads.receive(request, settings.work_root, settings.max_file_bytes)
    try:
        return [await run_in_threadpool(ingest_upload, archive, item, case) for item in received]
    finally:
        uploads.discard(received)


@router.post(
    "/records",
    summary="上传扫描件（可多个）",
    openapi_extra=uploads.OPENAPI,
    response_model=list[UploadResult],
    response_model_exclude_unset=True,
)
async def upload_records(request: Request, archive: ArchiveDep, user: Ingester) -> list[dict]:
    return [masked(r.to_json(), user) for r in await ingest_uploads(request, archive)]


@router.get("/records/{record_id}", summary="档案记录的元数据和逐页文字", response_model=RecordOut)
def get_record(request: Request, record_id: str, archive: ArchiveDep, user: Reader) -> dict:
    record = load_record(archive, record_id, user)
    log_access(request, user, "record.view", record_id, via="api")
    return masked(record_json(record), user)


VIEWABLE = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"})


def _stream(archive: Archive, ref: FileRef, media_type: str, filename: str | None = None):
    """Stream a stored file, checked against the SHA-256 in the catalog. A file
    that fails the check is cut off before its end and the failure logged, so
    a damaged copy is never delivered whole."""
    handle = archive.blobs.open(ref.key, ref.sha256)

    def body():
        with handle:
            try:
                while chunk := handle.read(256 * 1024):
                    yield chunk
            except BlobCorrupt as exc:
                log.error("%s", exc.message)
                raise

    headers = {}
    if filename:
        # only what the browser's own viewer shows safely opens in the tab;
        # anything else is saved, never rendered as a page of this site
        how = "inline" if media_type in VIEWABLE else "attachment"
        headers["Content-Disposition"] = f"{how}; filename*=UTF-8''{_quote(filename)}"
    return StreamingResponse(body(), media_type=media_type, headers=headers)


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


class SecurityChange(BaseModel):
    level: str  # public | internal | restricted (公开 | 内部 | 受控)
    reason: str


@router.put("/records/{record_id}/security", summary="调整档案密级（须写明理由）")
def put_security(
    record_id: str, change: SecurityChange, archive: ArchiveDep, user: SecuritySetter
) -> SecurityOut:
    record = set_security_level(archive, record_id, change.level, change.reason, actor=user.name)
    return SecurityOut(record_id=record.id, security_level=record.security_level)


# Page images never change once stored (their key names their SHA-256): the
# browser keeps them privately for a day and revalidates with the ETag.
PAGE_CACHE = "private, max-age=86400"


def _page_image(archive, record_id: str, page_no: int, user):
    """The stored page image of a record the user may read; 404 in Chinese if none."""
    ref = load_record(archive, record_id, user).file("page_image", page_no)
    if ref is None:
        raise NotFound(f"档案 {record_id} 没有第 {page_no} 页。")
    return ref


def _cached(request: Request, etag: str) -> Response | None:
    """304 when the browser already holds this version."""
    if etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": PAGE_CACHE})
    return None


@router.get(
    "/records/{record_id}/pages/{page_no}/image",
    summary="页面图像（JPEG）",
    response_class=StreamingResponse,
    responses=file_download("页面图像", "image/jpeg"),
)
def page_image(request: Request, record_id: str, page_no: int, archive: ArchiveDep, user: Reader):
    ref = _page_image(archive, record_id, page_no, user)
    log_read(request, user, "page.image", record_id, page=page_no)  # also when cached
    etag = f'"{ref.sha256}"'
    if (hit := _cached(request, etag)) is not None:
        return hit
    response = _stream(archive, ref, ref.media_type)
    response.headers.update({"ETag": etag, "Cache-Control": PAGE_CACHE})
    return response


@router.get(
    "/records/{record_id}/pages/{page_no}/thumb",
    summary="页面缩略图（JPEG，宽 200 像素，首次请求时生成并保存）",
    response_class=Response,
    responses=file_download("页面缩略图", "image/jpeg"),
)
def page_thumb(request: Request, record_id: str, page_no: int, archive: ArchiveDep, user: Reader):
    ref = _page_image(archive, record_id, page_no, user)
    log_read(request, user, "page.thumb", record_id, page=page_no)
    etag = f'"{ref.sha256}-t{THUMB_WIDTH}"'
    if (hit := _cached(request, etag)) is not None:
        return hit
    data = thumbnail(archive, ref)
    return Response(
        data, media_type="image/jpeg", headers={"ETag": etag, "Cache-Control": PAGE_CACHE}
    )


@router.get(
    "/records/{record_id}/pages/{page_no}/hits",
    summary="检索词在页面图像上的位置（相对坐标，0–1）",
    response_model=PageHits,
)
def page_hits(
    request: Request, record_id: str, page_no: int, q: str, archive: ArchiveDep, user: Reader
) -> dict:
    check_query(q)  # bounded before the PDF is read
    record = load_record(archive, record_id, user)
    ref = record.file("archive_pdf")
    if ref is None or not 1 <= page_no <= record.page_count:
        raise NotFound(f"档案 {record_id} 没有第 {page_no} 页。")
    log_read(request, user, "page.hits", record_id, page=page_no, q=q)
    with archive.blobs.open(ref.key, ref.sha256) as handle:
        pdf = handle.read()
    hide = None if sees_full_ids(user) else id_number_hidden_positions
    boxes = find_hits(pdf, page_no, q, hide)
    return masked(PageHits.of(record_id, page_no, q, boxes), user)


@router.get(
    "/records/{record_id}/pages/{page_no}/ocr-image",
    summary="质检：文字识别读取的图像（去除印章等处理后，半分辨率灰度 JPEG）",
    response_class=StreamingResponse,
    responses=file_download("文字识别读取的图像", "image/jpeg"),
)
def ocr_image(request: Request, record_id: str, page_no: int, archive: ArchiveDep, user: Reader):
    ref = load_record(archive, record_id, user).file("ocr_image", page_no)
    if ref is None:
        raise NotFound(
            f"档案 {record_id} 第 {page_no} 页没有识别底图（该页带文字层，未做文字识别）。"
        )
    log_read(request, user, "page.ocr_image", record_id, page=page_no)
    return _stream(archive, ref, ref.media_type)


@router.get(
    "/records/{record_id}/pdf",
    summary="可检索的 PDF/A 文件",
    response_class=StreamingResponse,
    responses=file_download("可检索的 PDF/A 文件", "application/pdf"),
)
def record_pdf(request: Request, record_id: str, archive: ArchiveDep, user: Downloader):
    record = load_record(archive, record_id, user)
    ref = record.file("archive_pdf")
    if ref is None:
        raise NotFound(f"档案 {record_id} 没有 PDF 文件。")
    log_access(request, user, "record.download", record_id, file="pdf")
    name = masked(record.filename, user)
    return _stream(archive, ref, "application/pdf", f"{Path(name).stem}.pdf")


@router.get(
    "/records/{record_id}/original",
    summary="原始文件（未经修改）",
    response_class=StreamingResponse,
    responses=file_download("上传时的原始文件，类型同上传时", *sorted(set(MEDIA_TYPES.values()))),
)
def record_original(request: Request, record_id: str, archive: ArchiveDep, user: Downloader):
    record = load_record(archive, record_id, user)
    ref = record.file("original")
    if ref is None:
        raise NotFound(f"档案 {record_id} 没有原始文件。")
    log_access(request, user, "record.download", record_id, file="original")
    return _stream(archive, ref, ref.media_type, masked(record.filename, user))
