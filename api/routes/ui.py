"""Web UI in Simplified Chinese: search, record viewer, upload."""

from __future__ import annotations

from typing import Annotated

from dangan.api.auth import (
    Ingester,
    Reader,
    Reviewer,
    SecuritySetter,
    log_access,
    masked,
    masked_record,
    sees_full_ids,
    visible_levels,
)
from dangan.api.deps import ArchiveDep, load_record
from dangan.api.routes.records import ingest_uploads
from dangan.api.templating import templates
from dangan.catalog.base import SECURITY_LEVELS
from dangan.catalog.highlight import mark, term_pattern
from dangan.ingest.review import confirm, review_queue, set_security_level
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup

from dangan.errors import DanganError

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20


@router.get("/records/{record_id}", response_class=HTMLResponse)
def viewer(
    request: Request,
    record_id: str,
    archive: ArchiveDep,
    user: Reader,
    q: str = "",
    page: int = 1,
    done: str = "",
    error: str = "",
):
    record = load_record(archive, record_id, user)
    page = min(max(1, page), max(1, record.page_count))
    log_access(request, user, "record.view", record_id, page=page, via="ui")
    pattern = term_pattern(q) if q else None
    hit_pages = [p.page_no for p in record.pages if pattern and pattern.search(p.text)]
    record = masked_record(record, user)  # masked before any markup is added
    text = next((p.text for p in record.pages if p.page_no == page), "")
    return templates.TemplateResponse(
        request,
        "record.html",
        {
            "record": record,
            "fields": record.fields,
            "q": q,
            "page": page,
            "text_html": Markup(mark(text, pattern)),
            "hit_pages": hit_pages,
            "levels": SECURITY_LEVELS,
            "done": done,
            "error": error,
        },
    )


@router.post("/records/{record_id}/security")
def security_submit(
    record_id: str,
    archive: ArchiveDep,
    user: SecuritySetter,
    level: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
):
    from urllib.parse import quote

    try:
        record = set_security_level(archive, record_id, level, reason, actor=user.name)
    except DanganError as exc:
        return RedirectResponse(f"/records/{record_id}?error={quote(exc.message)}", status_code=303)
    message = f"密级已调整为“{SECURITY_LEVELS[record.security_level]}”。"
    return RedirectResponse(f"/records/{record_id}?done={quote(message)}", status_code=303)


@router.get("/upload", response_class=HTMLResponse)
def upload_form(request: Request, user: Ingester):
    return templates.TemplateResponse(request, "upload.html", {"results": None})


@router.post("/upload", response_class=HTMLResponse)
async def upload_submit(
    request: Request,
    archive: ArchiveDep,
    user: Ingester,
):
    results = [masked(r.to_json(), user) for r in await ingest_uploads(request, archive)]
    return templates.TemplateResponse(request, "upload.html", {"results": results})


@router.get("/review", response_class=HTMLResponse)
def review_page(
    request: Request, archive: ArchiveDep, user: Reviewer, error: str = "", done: str = ""
):
    return templates.TemplateResponse(
        request,
        "review.html",
        {
            "items": [masked_record(r, user) for r in review_queue(archive, visible_levels(user))],
            "full_ids": sees_full_ids(user),
            "schedule": archive.schedule(),
            "error": error,
            "done": done,
        },
    )


@router.post("/review/{record_id}")
def review_submit(
    record_id: str,
    archive: ArchiveDep,
    user: Reviewer,
    doc_type: Annotated[str, Form()] = "",
    business_date: Annotated[str, Form()] = "",
    id_numbers: Annotated[str, Form()] = "",
):
    from urllib.parse import quote

    try:
        load_record(archive, record_id, user)  # refused above the caller's 密级
        record = confirm(
            archive,
            record_id,
            doc_type=doc_type or None,
            business_date=business_date or None,
            id_numbers=id_numbers.split() if id_numbers.strip() else None,
            actor=user.name,
        )
    except DanganError as exc:
        return RedirectResponse(f"/review?error={quote(exc.message)}", status_code=303)
    message = f"{record.title} 已归档，档号 {record.archival_code}"
    return RedirectResponse(f"/review?done={quote(message)}", status_code=303)
