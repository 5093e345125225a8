"""Web UI in Simplified Chinese: search, record viewer, upload."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from dangan.api.auth import (
    Reader,
    SecuritySetter,
    log_access,
    masked_record,
)
from dangan.api.deps import ArchiveDep, load_record
from dangan.api.labels import bj_time
from dangan.api.templating import templates
from dangan.catalog.base import SECURITY_LEVELS
from dangan.catalog.highlight import mark, term_pattern
from dangan.ingest.review import set_security_level
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
    embed: int = 0,
):
    record = load_record(archive, record_id, user)
    return record_page(request, archive, user, record, q=q, page=page, done=done, error=error,
                       embed=bool(embed))  # fmt: skip


def record_page(
    request: Request,
    archive,
    user,
    record,
    *,
    q: str = "",
    page: int = 1,
    done: str = "",
    error: str = "",
    embed: bool = False,
    link_base: str = "",
    api_base: str = "/api",
):
    """The viewer. `embed`: inside the business system's frame, no navigation;
    `link_base`/`api_base` prefix the links and images (an embed ticket's)."""
    page = min(max(1, page), max(1, record.page_count))
    log_access(request, user, "record.view", record.id, page=page, via="embed" if embed else "ui")
    pattern = term_pattern(q) if q else None
    hit_pages = [p.page_no for p in record.pages if pattern and pattern.search(p.text)]
    record = masked_record(record, user)  # masked before any markup is added
    text = next((p.text for p in record.pages if p.page_no == page), "")
    row = archive.schedule().by_code.get(record.doc_type) if record.doc_type else None
    keep = {"q": q} if q else {}
    if embed and not link_base:
        keep["embed"] = 1  # the session's embedded view stays embedded

    def page_url(n: int) -> str:
        n = min(max(1, n), max(1, record.page_count))
        return f"{link_base}/records/{record.id}?" + urlencode({**keep, "page": n})

    return templates.TemplateResponse(
        request,
        "record.html",
        {
            "page_url": page_url,
            "class_name": row.material if row else None,
            "created_at": bj_time(record.created_at),
            "record": record,
            "fields": record.fields,
            "q": q,
            "page": page,
            "text_html": Markup(mark(text, pattern)),
            "hit_pages": hit_pages,
            "levels": SECURITY_LEVELS,
            "done": done,
            "error": error,
            "embed": embed,
            "link_base": link_base,
            "api_base": api_base,
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
