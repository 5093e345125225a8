"""The business system's side (业务经办系统): attach scans to a case when it is
completed (办结即归), list a case's records, open them in a view that can be
embedded in the business system's screen."""

from __future__ import annotations

from datetime import UTC, datetime

from dangan.api import uploads
from dangan.api.auth import Ingester, Reader, log_access, masked, redactor, visible_levels
from dangan.api.deps import ArchiveDep, load_record
from dangan.api.routes.people import _export, export_order, list_context, timeline_by_year
from dangan.api.routes.records import ingest_uploads
from dangan.api.schemas.intake import CaseAttached, CaseTicket
from dangan.api.schemas.records import SearchOut
from dangan.api.templating import templates
from dangan.catalog.base import RecordFilter
from dangan.catalog.search import SearchResult, search_records
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field

from dangan.access import tickets
from dangan.access.store import Forbidden
from dangan.archive import Archive
from dangan.errors import DanganError, ExitCode, NotFound

api = APIRouter(tags=["cases"])
ui = APIRouter(include_in_schema=False)


class BadSerial(DanganError):
    exit_code = ExitCode.INVALID_INPUT
    http_status = 422
    code = "serial"


def normalise_serial(serial: str) -> str:
    value = serial.strip().upper()
    if not (4 <= len(value) <= 40) or not value.replace("-", "").isalnum():
        raise BadSerial(f"业务流水号“{serial}”格式不正确（4–40 位字母、数字或“-”）。")
    return value


def case_records(
    archive: Archive, serial: str, levels: tuple[str, ...], redact=None, **page
) -> SearchResult:
    """The case's records, newest first (`page`: search_records' sort,
    descending, limit and offset)."""
    return search_records(
        archive.catalog,
        archive.index,
        "",
        filters=RecordFilter(serial=normalise_serial(serial), levels=levels),
        redact=redact,
        **{"limit": 500, **page},
    )


@api.post(
    "/cases/{serial}/records",
    summary="办结即归：把扫描件归入一个业务流水号（可多个文件）",
    openapi_extra=uploads.OPENAPI,
    response_model=CaseAttached,
    response_model_exclude_unset=True,
)
async def attach(request: Request, serial: str, archive: ArchiveDep, user: Ingester) -> dict:
    case = normalise_serial(serial)
    results = await ingest_uploads(request, archive, case)
    return {"serial": case, "results": [masked(r.to_json(), user) for r in results]}


@api.get("/cases/{serial}/records", summary="一个业务流水号的全部档案", response_model=SearchOut)
def list_case(request: Request, serial: str, archive: ArchiveDep, user: Reader) -> dict:
    result = case_records(archive, serial, visible_levels(user), redactor(user))
    log_access(request, user, "case.view", serial.strip().upper(), total=result.total)
    return masked(result.to_json(), user)


@ui.get("/cases/{serial}", response_class=HTMLResponse)
def case_page(request: Request, serial: str, archive: ArchiveDep, user: Reader, embed: int = 0):
    """The case's records; `?embed=1` drops the navigation for an iframe in the
    business system (the person's own dangan session still applies)."""
    log_access(request, user, "case.view", serial.strip().upper(), via="ui")
    levels, redact = visible_levels(user), redactor(user)
    try:
        listed = list_context(
            request, lambda **page: case_records(archive, serial, levels, redact, **page)
        )
        error = ""
    except BadSerial as exc:
        listed, error = {"result": None, "timeline": []}, exc.message
    return templates.TemplateResponse(
        request,
        "people.html",
        {
            "kind": "case",
            "key": serial.strip().upper(),
            **listed,
            "error": error,
            "embed": bool(embed),
            "link_suffix": "?embed=1" if embed else "",  # a record opened stays embedded
        },
        status_code=422 if error else 200,
    )


@ui.get("/cases/{serial}/export.xlsx")
def case_export(request: Request, serial: str, archive: ArchiveDep, user: Reader):
    result = case_records(
        archive, serial, visible_levels(user), redactor(user), **export_order(request)
    )
    return _export(request, user, "case", normalise_serial(serial), result)


# --- the embedded view on another host: signed, case-scoped tickets --------


class TicketIn(BaseModel):
    minutes: int = Field(10, ge=1, le=tickets.MAX_MINUTES, description="有效分钟数")


@api.post(
    "/cases/{serial}/ticket",
    summary="业务系统嵌入查看：为一个业务流水号签发短时有效的查看链接（仅限 API 令牌）",
    response_model=CaseTicket,
)
def issue_ticket(
    request: Request, serial: str, archive: ArchiveDep, user: Reader, body: TicketIn | None = None
) -> dict:
    if user.kind != "token":
        raise Forbidden("嵌入查看链接只签发给业务经办系统的 API 令牌。")
    case = normalise_serial(serial)
    ticket = tickets.issue(
        int(user.name.removeprefix("token:")), case, (body or TicketIn()).minutes
    )
    text = tickets.encode(archive.audit.keys.ticket_key(), ticket)
    log_access(request, user, "case.ticket", case, minutes=(body or TicketIn()).minutes)
    return {
        "serial": case,
        "url": f"/embed/{text}",
        "expires_at": datetime.fromtimestamp(ticket.expires, UTC).isoformat(),
    }


def _embedded(request: Request, archive: Archive, text: str):
    """The ticket's case and the token that asked for it (still valid)."""
    ticket = tickets.decode(archive.audit.keys.ticket_key(), text)
    principal = request.app.state.accounts.token_principal_by_id(ticket.token_id)
    if principal is None:
        raise tickets.TicketInvalid("签发此链接的令牌已吊销。")
    request.state.principal = None  # no navigation, no desks: the frame is read-only
    return ticket, principal


def _case_record(request: Request, archive: Archive, text: str, record_id: str):
    ticket, principal = _embedded(request, archive, text)
    record = load_record(archive, record_id, principal)  # 密级 of the token's role
    tickets.require_scope(ticket, record.fields.get("cases"))
    return principal, record


@ui.get("/embed/{ticket}", response_class=HTMLResponse)
def embedded_case(request: Request, ticket: str, archive: ArchiveDep):
    found, principal = _embedded(request, archive, ticket)
    log_access(request, principal, "case.view", found.serial, via="embed")
    result = case_records(archive, found.serial, visible_levels(principal), redactor(principal))
    return templates.TemplateResponse(
        request,
        "people.html",
        {
            "kind": "case",
            "key": found.serial,
            "result": result,
            "timeline": timeline_by_year(result),
            "error": "",
            "embed": True,
            "link_base": f"/embed/{ticket}",
            "api_base": f"/embed/{ticket}",
        },
    )


@ui.get("/embed/{ticket}/records/{record_id}", response_class=HTMLResponse)
def embedded_record(
    request: Request, ticket: str, record_id: str, archive: ArchiveDep, page: int = 1
):
    from dangan.api.routes.ui import record_page

    principal, record = _case_record(request, archive, ticket, record_id)
    base = f"/embed/{ticket}"
    return record_page(request, archive, principal, record, page=page, embed=True,
                       link_base=base, api_base=base)  # fmt: skip


@ui.get("/embed/{ticket}/records/{record_id}/pages/{page_no}/{kind}")
def embedded_page(
    request: Request, ticket: str, record_id: str, page_no: int, kind: str, archive: ArchiveDep
):
    from dangan.api.routes.records import page_image, page_thumb

    if kind not in ("image", "thumb"):
        raise NotFound("没有该文件。")
    principal, _ = _case_record(request, archive, ticket, record_id)
    serve = page_image if kind == "image" else page_thumb
    return serve(request, record_id, page_no, archive, principal)
