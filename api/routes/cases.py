"""The business system's side (业务经办系统): attach scans to a case when it is
completed (办结即归), list a case's records, open them in a view that can be
embedded in the business system's screen."""

from __future__ import annotations

from dangan.api import uploads
from dangan.api.auth import Ingester, Reader, log_access, masked, redactor, visible_levels
from dangan.api.deps import ArchiveDep
from dangan.api.routes.people import timeline_by_year
from dangan.api.routes.records import ingest_uploads
from dangan.api.schemas.intake import CaseAttached
from dangan.api.schemas.records import SearchOut
from dangan.api.templating import templates
from dangan.catalog.base import RecordFilter
from dangan.catalog.search import SearchResult, search_records
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from dangan.archive import Archive
from dangan.errors import DanganError, ExitCode

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
    archive: Archive, serial: str, levels: tuple[str, ...], redact=None
) -> SearchResult:
    return search_records(
        archive.catalog,
        archive.index,
        "",
        filters=RecordFilter(serial=normalise_serial(serial), levels=levels),
        limit=500,
        redact=redact,
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
    try:
        result, error = case_records(archive, serial, visible_levels(user), redactor(user)), ""
    except BadSerial as exc:
        result, error = None, exc.message
    return templates.TemplateResponse(
        request,
        "people.html",
        {
            "kind": "case",
            "key": serial.strip().upper(),
            "result": result,
            "timeline": timeline_by_year(result) if result else [],
            "error": error,
            "embed": bool(embed),
        },
        status_code=422 if error else 200,
    )


@ui.get("/cases/{serial}/export.xlsx")
def case_export(request: Request, serial: str, archive: ArchiveDep, user: Reader):
    from dangan.api.routes.people import _export

    result = case_records(archive, serial, visible_levels(user), redactor(user))
    return _export(request, user, "case", normalise_serial(serial), result)
