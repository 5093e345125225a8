"""Capture at the scanner: cover sheets (封面/隔页) for the business system
(API token, when it closes a case) and for the clerk desk. The sheets
themselves are made in ingest/coversheet.py."""

from __future__ import annotations

from dangan.api.auth import Ingester, log_access
from dangan.api.deps import ArchiveDep
from dangan.api.export import inline_file
from dangan.api.schemas import file_download
from dangan.api.templating import templates
from dangan.ingest.coversheet import CoverData, CoverInvalid, SheetText, checked, sheets_pdf
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from dangan.archive import Archive

api = APIRouter(tags=["cases"])
ui = APIRouter(include_in_schema=False)

MAX_SHEETS = 500


class CoverCase(BaseModel):
    serial: str = Field(description="业务流水号")
    id_number: str = Field("", description="参保人公民身份号码（可空）")
    unit_code: str = Field("", description="单位编号或统一社会信用代码（可空）")
    doc_type: str = Field(
        "",
        description="档案类别（保管期限表中的类别名称或代码，已知时），如 参保人员登记材料（职工增员）",
    )
    person_name: str = Field("", description="姓名，只印在封面上，不进二维码（可空）")


class CoverRequest(BaseModel):
    cases: list[CoverCase] = Field(default_factory=list, description="每笔业务一张封面")
    blank: int = Field(0, ge=0, le=100, description="另加几张空白（手写）封面")


def cover_pdf(archive: Archive, cases: list[CoverCase], blank: int = 0) -> tuple[bytes, list[str]]:
    """The sheets as one PDF and the serials on them; CoverInvalid names a bad field."""
    if not cases and not blank:
        raise CoverInvalid("请至少填写一笔业务，或选择空白封面的张数。")
    if len(cases) + blank > MAX_SHEETS:
        raise CoverInvalid(f"一次最多打印 {MAX_SHEETS} 张封面。")
    schedule = archive.schedule()
    agency = archive.settings.agency_name
    sheets = []
    names = {row.material: row.code for row in schedule.rows if row.material}
    for case in cases:
        doc_type = case.doc_type.strip()
        data = checked(
            # a class is named for people (参保人员登记材料（职工增员）) or by its code
            CoverData(case.serial, case.id_number, case.unit_code, names.get(doc_type, doc_type)),
            list(schedule.by_code),
        )
        row = schedule.by_code.get(data.doc_type)
        sheets.append((data, SheetText(agency, row.material if row else "", case.person_name)))
    sheets += [(CoverData(), SheetText(agency))] * blank
    pdf = sheets_pdf(archive.audit.keys.cover_key(), sheets)
    return pdf, [data.serial for data, _ in sheets if data.serial]


@api.post(
    "/cover-sheets",
    summary="打印封面（隔页）：业务办结时为一笔或多笔业务生成带二维码的封面 PDF",
    responses=file_download("封面 PDF（每笔业务一页）", "application/pdf"),
    response_class=Response,
)
def print_covers(request: Request, body: CoverRequest, archive: ArchiveDep, user: Ingester):
    pdf, serials = cover_pdf(archive, body.cases, body.blank)
    log_access(
        request, user, "cover.print", ",".join(serials)[:200], sheets=len(serials) + body.blank
    )
    return inline_file(pdf, "cover-sheets.pdf")


@ui.get("/cover-sheets", response_class=HTMLResponse)
def cover_form(request: Request, archive: ArchiveDep, user: Ingester):
    return templates.TemplateResponse(
        request, "cover_sheets.html", {"error": "", "lines": "", "classes": _classes(archive)}
    )


def _classes(archive) -> list[str]:
    return [row.material for row in archive.schedule().rows if row.material]


def parse_lines(text: str) -> list[CoverCase]:
    """One case a line: 业务流水号[,公民身份号码[,单位编号[,类别[,姓名]]]]."""
    out = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.replace("，", ",").split(",")]
        if not parts[0]:
            continue
        parts += [""] * (5 - len(parts))
        out.append(CoverCase(serial=parts[0], id_number=parts[1], unit_code=parts[2],
                             doc_type=parts[3], person_name=parts[4]))  # fmt: skip
    return out


@ui.post("/cover-sheets", response_class=HTMLResponse)
def cover_print(
    request: Request, archive: ArchiveDep, user: Ingester,
    lines: str = Form(""), blank: int = Form(0),
):  # fmt: skip
    try:
        pdf, serials = cover_pdf(archive, parse_lines(lines), max(0, min(blank, 100)))
    except CoverInvalid as exc:
        return templates.TemplateResponse(
            request,
            "cover_sheets.html",
            {"error": exc.message, "lines": lines, "classes": _classes(archive)},
            status_code=422,
        )
    log_access(request, user, "cover.print", ",".join(serials)[:200], via="ui")
    return inline_file(pdf, "cover-sheets.pdf")
