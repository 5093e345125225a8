"""Every record of one insured person or one employer, newest first: the
person page (人员档案) and the unit page (单位档案), in the UI and the API."""

from __future__ import annotations

from itertools import groupby

from dangan.api.auth import Reader, log_access, masked, redactor, sees_full_ids, visible_levels
from dangan.api.deps import ArchiveDep
from dangan.api.export import RECORD_COLUMNS, export_response, record_rows
from dangan.api.schemas.records import SearchOut
from dangan.api.tables import Paging
from dangan.api.templating import templates
from dangan.catalog.base import RecordFilter
from dangan.catalog.search import SearchResult, search_records
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from dangan.access.roles import mask_ids_in
from dangan.archive import Archive
from dangan.errors import DanganError, ExitCode
from dangan.identifiers import is_valid_id_number

api = APIRouter(tags=["people"])
ui = APIRouter(include_in_schema=False)

MAX_RECORDS = 500
TABLE_PAGE_SIZE = 50


class BadIdentifier(DanganError):
    exit_code = ExitCode.INVALID_INPUT
    http_status = 422
    code = "identifier"


def person_records(
    archive: Archive, id_number: str, levels: tuple[str, ...], redact=None, **page
) -> SearchResult:
    """Records naming this 公民身份号码 (exact), newest business date first
    (`page`: search_records' sort, descending, limit and offset)."""
    value = id_number.strip().upper()
    if not is_valid_id_number(value):
        raise BadIdentifier(f"“{id_number}”不是有效的 18 位公民身份号码（校验位不符），请核对。")
    return search_records(
        archive.catalog,
        archive.index,
        "",
        filters=RecordFilter(person=value, levels=levels),
        redact=redact,
        **{"limit": MAX_RECORDS, **page},
    )


def unit_records(
    archive: Archive, code: str, levels: tuple[str, ...], redact=None, **page
) -> SearchResult:
    """Records of this employer by 统一社会信用代码 or 单位编号 (exact)."""
    value = code.strip().upper()
    if not value.isalnum() or len(value) > 20:
        raise BadIdentifier(f"“{code}”不是有效的统一社会信用代码或单位编号。")
    return search_records(
        archive.catalog,
        archive.index,
        "",
        filters=RecordFilter(unit=value, levels=levels),
        redact=redact,
        **{"limit": MAX_RECORDS, **page},
    )


def timeline_by_year(result: SearchResult) -> list[tuple[str, list]]:
    """Hits grouped by the year of their business date, newest year first."""

    def year(hit) -> str:
        return (hit.business_date or "")[:4] or "日期不详"

    return [(y, list(hits)) for y, hits in groupby(result.hits, key=year)]


@api.get(
    "/persons/{id_number}/records",
    summary="某参保人的全部档案（按公民身份号码）",
    response_model=SearchOut,
)
def api_person(request: Request, id_number: str, archive: ArchiveDep, user: Reader) -> dict:
    result = person_records(archive, id_number, visible_levels(user), redactor(user))
    log_access(request, user, "person.view", id_number.upper(), total=result.total)
    return masked(result.to_json(), user)


@api.get(
    "/units/{code}/records",
    summary="某单位的全部档案（统一社会信用代码或单位编号）",
    response_model=SearchOut,
)
def api_unit(request: Request, code: str, archive: ArchiveDep, user: Reader) -> dict:
    result = unit_records(archive, code, visible_levels(user), redactor(user))
    log_access(request, user, "unit.view", code.upper(), total=result.total)
    return masked(result.to_json(), user)


def page_of(request: Request, size: int | None = None) -> tuple[Paging, dict]:
    """The table's paging from the URL, and the keyword arguments that make
    `records` (person_records, unit_records, case_records) return that page,
    sorted over every record by the column in the URL."""
    paging = Paging.of(request, size or TABLE_PAGE_SIZE)
    page = {"limit": paging.size, "offset": paging.offset}
    if paging.sort:
        page.update(sort=paging.sort, descending=paging.descending)
    return paging, page


def list_context(request: Request, records) -> dict:
    """What people.html needs of a list: every record (≤ MAX_RECORDS, for the
    years and the embedded view) and one server-sorted page for the table."""
    result = records()
    paging, page = page_of(request)
    shown = records(**page) if result.total > paging.size or paging.sort else result
    paging.total, paging.total_exact = result.total, result.total_exact
    return {
        "result": result,
        "timeline": timeline_by_year(result),
        "table": shown,
        "paging": paging,
    }


def _page(request: Request, kind: str, key: str, records=None, error: str = ""):
    return templates.TemplateResponse(
        request,
        "people.html",
        {
            "kind": kind,
            "key": key if sees_full_ids(request.state.principal) else mask_ids_in(key),
            "error": error,
            **(list_context(request, records) if records else {"result": None, "timeline": []}),
        },
        status_code=422 if error else 200,
    )


@ui.get("/persons/{id_number}", response_class=HTMLResponse)
def person_page(request: Request, id_number: str, archive: ArchiveDep, user: Reader):
    log_access(request, user, "person.view", id_number.upper(), via="ui")
    levels, redact = visible_levels(user), redactor(user)
    try:
        return _page(
            request,
            "person",
            id_number,
            lambda **page: person_records(archive, id_number, levels, redact, **page),
        )
    except BadIdentifier as exc:
        return _page(request, "person", id_number, None, exc.message)


@ui.get("/units/{code}", response_class=HTMLResponse)
def unit_page(request: Request, code: str, archive: ArchiveDep, user: Reader):
    log_access(request, user, "unit.view", code.upper(), via="ui")
    levels, redact = visible_levels(user), redactor(user)
    try:
        return _page(
            request,
            "unit",
            code,
            lambda **page: unit_records(archive, code, levels, redact, **page),
        )
    except BadIdentifier as exc:
        return _page(request, "unit", code, None, exc.message)


def export_order(request: Request) -> dict:
    """The table's sort from the URL, for an export in the order shown."""
    paging = Paging.of(request, MAX_RECORDS)
    return {"sort": paging.sort, "descending": paging.descending} if paging.sort else {}


def _export(request: Request, user, kind: str, key: str, result: SearchResult):
    heading = {"person": "参保人档案", "unit": "单位档案", "case": "业务档案"}[kind]
    shown = key if sees_full_ids(user) else mask_ids_in(key)
    return export_response(
        request,
        user,
        title=heading,
        subtitle=f"{heading}：{shown}",
        columns=RECORD_COLUMNS,
        rows=record_rows(request, result.hits),
        target=key,
        list=kind,
    )


@ui.get("/persons/{id_number}/export.xlsx")
def person_export(request: Request, id_number: str, archive: ArchiveDep, user: Reader):
    result = person_records(
        archive, id_number, visible_levels(user), redactor(user), **export_order(request)
    )
    return _export(request, user, "person", id_number.strip().upper(), result)


@ui.get("/units/{code}/export.xlsx")
def unit_export(request: Request, code: str, archive: ArchiveDep, user: Reader):
    result = unit_records(
        archive, code, visible_levels(user), redactor(user), **export_order(request)
    )
    return _export(request, user, "unit", code.strip().upper(), result)
