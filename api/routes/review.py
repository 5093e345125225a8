"""Review queue: list records the machine was unsure of; confirm or correct."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from dangan.api.auth import Reviewer, masked, masked_record, sees_full_ids, visible_levels
from dangan.api.deps import ArchiveDep, load_record
from dangan.api.schemas.records import FiledRecord, ReviewQueueOut
from dangan.api.tables import Paging
from dangan.api.templating import templates
from dangan.catalog.stores.listing import REVIEW_SORT_COLUMNS
from dangan.ingest.review import confirm, confirm_each, review_queue, review_queue_page
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field

from dangan.errors import DanganError, NotFound

router = APIRouter(tags=["review"])


class Confirmation(BaseModel):
    doc_type: str | None = Field(None, description="类别代码；不填则确认机器的分类")
    business_date: str | None = Field(None, description="业务办理日期 YYYY-MM-DD")
    id_numbers: list[str] | None = Field(None, description="更正后的全部公民身份号码")
    person_name: str | None = None
    unit_name: str | None = Field(None, description="单位名称")
    serial: str | None = Field(None, description="业务流水号")


def named_record(archive, ref: str, user):
    """The record a clerk names by 档号 or 档案编号 (catalog resolver), or
    NotFound; Forbidden above the clerk's 密级."""
    record_id = archive.catalog.resolve_record_ref(ref)
    if record_id is None:
        raise NotFound(f"没有档号或档案编号为“{ref.strip()}”的档案，请核对后重试。")
    return load_record(archive, record_id, user)


def _queue(archive, user, ref: str = "") -> list:
    """The review queue, or only the record `ref` names (also a filed one,
    opened to correct it)."""
    if ref.strip():
        return [named_record(archive, ref, user)]
    return review_queue(archive, visible_levels(user))


@router.get(
    "/review", summary="待复核队列（可按档号或档案编号查找一件）", response_model=ReviewQueueOut
)
def list_review(
    archive: ArchiveDep,
    user: Reviewer,
    ref: str = Query("", description="档号或档案编号：只列这一件（已归档的也可打开更正）"),
) -> dict:
    return masked(ReviewQueueOut.of(_queue(archive, user, ref)), user)


@router.post(
    "/records/{record_id}/confirm",
    summary="确认或更正分类和字段并归档（记录可用档案编号或档号指明）",
    response_model=FiledRecord,
)
def confirm_record(record_id: str, body: Confirmation, archive: ArchiveDep, user: Reviewer) -> dict:
    record_id = named_record(archive, record_id, user).id  # refused above the caller's 密级
    record = confirm(
        archive,
        record_id,
        doc_type=body.doc_type,
        business_date=body.business_date,
        id_numbers=body.id_numbers,
        person_name=body.person_name,
        unit_name=body.unit_name,
        serial=body.serial,
        actor=user.name,
    )
    return masked(FiledRecord.of(record), user)


# ---- the clerk's review desk (HTML) ----

ui = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
SORTS = {"created_at": "上传时间", "confidence": "置信度", "title": "题名", "filename": "文件名"}

FORM_FIELDS = ("doc_type", "business_date", "person_name", "id_numbers", "unit_name", "serial")


def _initial(record, full_ids: bool) -> dict:
    """The machine's reading as the form shows it first."""
    f = record.fields
    ids = (f.get("id_numbers") or []) + (f.get("invalid_id_numbers") or [])
    return {
        "doc_type": record.doc_type or "",
        "business_date": f.get("business_date") or "",
        "person_name": f.get("person_name") or "",
        "id_numbers": " ".join(ids) if full_ids else "",
        "unit_name": f.get("unit_name") or "",
        "serial": f.get("serial") or "",
    }


def _render(
    request: Request,
    archive,
    user,
    *,
    errors: dict | None = None,
    values: dict | None = None,
    done: str = "",
    error: str = "",
    status_code: int = 200,
    ref: str = "",
):
    full_ids = sees_full_ids(user)
    paging = Paging.of(request, PAGE_SIZE, REVIEW_SORT_COLUMNS)
    try:
        if ref.strip():
            queue = _queue(archive, user, ref)
        else:  # one page, sorted over the whole queue by the column in the URL
            paging.total, queue = review_queue_page(
                archive, visible_levels(user), sort=paging.sort,
                descending=paging.descending, limit=paging.size, offset=paging.offset,
            )  # fmt: skip
    except DanganError as exc:  # a 档号 that names nothing, or above the clerk's 密级
        queue, error, status_code = [], exc.message, exc.http_status
    items = [masked_record(r, user) for r in queue]
    forms = {r.id: {**_initial(r, full_ids), **((values or {}).get(r.id) or {})} for r in items}
    return templates.TemplateResponse(
        request,
        "review.html",
        {
            "items": items,
            "forms": forms,
            "errors": errors or {},
            "full_ids": full_ids,
            "schedule": archive.schedule(),
            "error": error,
            "done": done,
            "ref": ref.strip(),
            "paging": paging,
            "sorts": SORTS,
        },
        status_code=status_code,
    )


@ui.get("/review", response_class=HTMLResponse)
def review_page(
    request: Request,
    archive: ArchiveDep,
    user: Reviewer,
    error: str = "",
    done: str = "",
    ref: str = "",
):
    return _render(request, archive, user, error=error, done=done, ref=ref)


@ui.post("/review/bulk", response_class=HTMLResponse)
def review_bulk(
    request: Request,
    archive: ArchiveDep,
    user: Reviewer,
    ids: Annotated[list[str] | None, Form()] = None,
):
    if not ids:
        return _render(request, archive, user, error="未选择任何记录：请先勾选要确认的记录。")
    filed, errors = confirm_each(
        archive, ids, actor=user.name, allowed=lambda rid: load_record(archive, rid, user)
    )
    done = f"已确认归档 {len(filed)} 件。" if filed else ""
    error = f"{len(errors)} 件未能确认，原因见各条记录。" if errors else ""
    return _render(request, archive, user, errors=errors, done=done, error=error)


@ui.post("/review/{record_id}", response_class=HTMLResponse)
def review_submit(
    request: Request,
    record_id: str,
    archive: ArchiveDep,
    user: Reviewer,
    doc_type: Annotated[str, Form()] = "",
    business_date: Annotated[str, Form()] = "",
    id_numbers: Annotated[str, Form()] = "",
    person_name: Annotated[str | None, Form()] = None,
    unit_name: Annotated[str | None, Form()] = None,
    serial: Annotated[str | None, Form()] = None,
):
    try:
        record_id = named_record(archive, record_id, user).id  # refused above the 密级
        record = confirm(
            archive,
            record_id,
            doc_type=doc_type or None,
            business_date=business_date or None,
            id_numbers=id_numbers.split() if id_numbers.strip() else None,
            person_name=person_name,
            unit_name=unit_name,
            serial=serial,
            actor=user.name,
        )
    except DanganError as exc:
        # the clerk's edits stay in the form, the message on the item itself
        sent = {
            "doc_type": doc_type,
            "business_date": business_date,
            "id_numbers": id_numbers,
            "person_name": person_name or "",
            "unit_name": unit_name or "",
            "serial": serial or "",
        }
        named = archive.catalog.get(record_id)
        return _render(
            request,
            archive,
            user,
            errors={record_id: exc.message},
            values={record_id: sent},
            status_code=exc.http_status,
            # a filed record opened by 档号 stays on screen with its error
            ref=record_id if named is not None and named.status != "review" else "",
        )
    message = f"{record.title} 已归档，档号 {record.archival_code}"
    return RedirectResponse(f"/review?done={quote(message)}", status_code=303)
