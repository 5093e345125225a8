"""Web UI in Simplified Chinese: search, record viewer, upload."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from markupsafe import Markup

from api.deps import ArchiveDep, load_record
from api.routes.records import ingest_upload
from catalog.highlight import mark, term_pattern
from catalog.search import search_records

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent.parent / "templates")

PAGE_SIZE = 20


@router.get("/", response_class=HTMLResponse)
def home(request: Request, archive: ArchiveDep, q: str = "", page: int = 1):
    result = None
    page = max(1, page)
    if q.strip():
        result = search_records(
            archive.catalog, archive.index, q, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
    return templates.TemplateResponse(
        request,
        "search.html",
        {
            "q": q,
            "result": result,
            "page": page,
            "pages": ((result.total - 1) // PAGE_SIZE + 1) if result and result.total else 0,
            "total_records": archive.catalog.count(),
            "Markup": Markup,
        },
    )


@router.get("/records/{record_id}", response_class=HTMLResponse)
def viewer(request: Request, record_id: str, archive: ArchiveDep, q: str = "", page: int = 1):
    record = load_record(archive, record_id)
    page = min(max(1, page), max(1, record.page_count))
    pattern = term_pattern(q) if q else None
    text = next((p.text for p in record.pages if p.page_no == page), "")
    hit_pages = [p.page_no for p in record.pages if pattern and pattern.search(p.text)]
    return templates.TemplateResponse(
        request,
        "record.html",
        {
            "record": record,
            "q": q,
            "page": page,
            "text_html": Markup(mark(text, pattern)),
            "hit_pages": hit_pages,
        },
    )


@router.get("/upload", response_class=HTMLResponse)
def upload_form(request: Request):
    return templates.TemplateResponse(request, "upload.html", {"results": None})


@router.post("/upload", response_class=HTMLResponse)
async def upload_submit(
    request: Request, archive: ArchiveDep, files: Annotated[list[UploadFile], File()]
):
    results = []
    for upload in files:
        results.append(await run_in_threadpool(ingest_upload, archive, upload))
    return templates.TemplateResponse(request, "upload.html", {"results": results})
