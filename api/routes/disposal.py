"""The compliance desk (鉴定小组): due list, holds, appraisal batches, approval,
supervised destruction, register and certificate. Thin: the rules are in
retention/procedure.py and retention/destruction.py."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import quote

from dangan.api.auth import log_access, masked, require, visible_levels
from dangan.api.deps import ArchiveDep
from dangan.api.export import inline_file
from dangan.api.schemas import file_download
from dangan.api.schemas.retention import (
    Appraised,
    BatchList,
    BatchOut,
    DueSummary,
    Executed,
    HoldLifted,
    HoldList,
    HoldPlaced,
)
from dangan.api.templating import templates
from dangan.retention import destruction, procedure
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from dangan.access.store import Principal
from dangan.errors import DanganError, ExitCode, NotFound

api = APIRouter(prefix="/retention", tags=["retention"])
ui = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, Depends(require("retention.read"))]
Officer = Annotated[Principal, Depends(require("retention.manage"))]
Head = Annotated[Principal, Depends(require("retention.approve"))]


class HoldIn(BaseModel):
    kind: str = Field(description="audit 稽核 | litigation 诉讼 | petition 信访 | other")
    reason: str
    owner: str
    record_ids: list[str] | None = None
    person: str | None = None
    unit: str | None = None
    query: str | None = None


class LiftIn(BaseModel):
    reason: str


class BatchIn(BaseModel):
    as_of: date | None = None
    doc_type: str | None = None
    year: str | None = None
    title: str | None = None


class AppraisalIn(BaseModel):
    decision: str = Field(description="destroy | keep")
    reason: str
    record_ids: list[str] | None = None
    extend_years: int | None = None


class ApprovalIn(BaseModel):
    note: str = ""


class SupervisorIn(BaseModel):
    username: str = Field(description="监销人的用户名（本系统登记的用户）")
    password: str = Field(description="监销人本人的口令，执行时当场核验")


class ExecutionIn(BaseModel):
    supervisors: list[SupervisorIn] = Field(description="两名监销人，不能是执行人本人")
    method: str = destruction.METHODS[0]


@api.get(
    "/due",
    summary="到期档案（按类别、年度），冻结和在鉴定中的另列",
    response_model=DueSummary,
)
def due(archive: ArchiveDep, user: Viewer, as_of: date | None = None) -> dict:
    return masked(procedure.due_summary(archive, as_of or date.today(), visible_levels(user)), user)


@api.get("/holds", summary="冻结清单", response_model=HoldList)
def holds(archive: ArchiveDep, user: Viewer, all: bool = False) -> dict:
    return masked({"holds": procedure.list_holds(archive, active_only=not all)}, user)


@api.post("/holds", summary="冻结档案（按编号、参保人、单位或检索条件）")
def place_hold(body: HoldIn, archive: ArchiveDep, user: Officer) -> HoldPlaced:
    ids = procedure.resolve_records(
        archive, record_ids=body.record_ids, person=body.person, unit=body.unit, query=body.query
    )
    hold_id = procedure.place_hold(
        archive, user, kind=body.kind, reason=body.reason, owner=body.owner, record_ids=ids
    )
    return HoldPlaced(hold=hold_id, records=ids)


@api.post("/holds/{hold_id}/lift", summary="解除冻结（鉴定小组）")
def lift(hold_id: int, body: LiftIn, archive: ArchiveDep, user: Officer) -> HoldLifted:
    procedure.lift_hold(archive, user, hold_id, body.reason)
    return HoldLifted(hold=hold_id, lifted=True)


@api.get("/batches", summary="鉴定批次", response_model=BatchList)
def batches(archive: ArchiveDep, user: Viewer) -> dict:
    return masked({"batches": procedure.list_batches(archive)}, user)


@api.post("/batches", summary="从到期清单建立鉴定批次", response_model=BatchOut)
def create(body: BatchIn, archive: ArchiveDep, user: Officer) -> dict:
    batch_id = procedure.create_batch(
        archive,
        user,
        body.as_of or date.today(),
        doc_type=body.doc_type,
        year=body.year,
        title=body.title,
    )
    return procedure.get_batch(archive, batch_id)


@api.get("/batches/{batch_id}", summary="批次详情", response_model=BatchOut)
def batch(batch_id: int, archive: ArchiveDep, user: Viewer) -> dict:
    return masked(procedure.get_batch(archive, batch_id, visible_levels(user)), user)


@api.post("/batches/{batch_id}/appraisals", summary="鉴定意见（逐件或整批）")
def appraise(batch_id: int, body: AppraisalIn, archive: ArchiveDep, user: Officer) -> Appraised:
    n = procedure.appraise(
        archive,
        user,
        batch_id,
        decision=body.decision,
        reason=body.reason,
        record_ids=body.record_ids,
        extend_years=body.extend_years,
    )
    return Appraised(batch=batch_id, appraised=n)


@api.post("/batches/{batch_id}/approve", summary="机构负责人审批", response_model=BatchOut)
def approve(batch_id: int, body: ApprovalIn, archive: ArchiveDep, user: Head) -> dict:
    procedure.approve(archive, user, batch_id, body.note)
    return procedure.get_batch(archive, batch_id)


@api.post(
    "/batches/{batch_id}/execute",
    summary="监销：两名监销人在场执行销毁",
    response_model=Executed,
)
def execute(
    batch_id: int, body: ExecutionIn, request: Request, archive: ArchiveDep, user: Officer
) -> dict:
    credentials = [(s.username, s.password) for s in body.supervisors]
    return destruction.execute(
        archive, user, batch_id, credentials, body.method, request.app.state.accounts
    )


_DOCS = {
    "register.pdf": ("register_pdf", "application/pdf", "销毁清册"),
    "register.csv": ("register_csv", "text/csv; charset=utf-8", "销毁清册"),
    "certificate.pdf": ("certificate_pdf", "application/pdf", "销毁证明"),
}


@api.get(
    "/batches/{batch_id}/{name}",
    summary="销毁清册（PDF/CSV）或销毁证明（PDF）",
    response_class=Response,
    responses=file_download(
        "register.pdf、register.csv 或 certificate.pdf", *sorted({m for _, m, _ in _DOCS.values()})
    ),
)
def document(
    request: Request, batch_id: int, name: str, archive: ArchiveDep, user: Viewer
) -> Response:
    """The kept register or certificate; for a reader not cleared for every item
    (受控 records), one made for them without those items."""
    if name not in _DOCS:
        raise NotFound(f"没有文件 {name}。")
    kind, media, label = _DOCS[name]
    full = procedure.get_batch(archive, batch_id, visible_levels(user))
    b = masked(full, user)  # titles and reasons, for roles that see ID numbers masked
    if kind in b["documents"] and not b["hidden_items"] and b == full:
        with archive.blobs.open(b["documents"][kind]) as fh:
            data = fh.read()
    elif kind == "register_pdf":
        data = destruction.register_pdf(b, destruction.labels_for(archive))
    elif kind == "register_csv":
        data = destruction.register_csv(b, destruction.labels_for(archive))
    elif kind == "certificate_pdf" and b["status"] == "executed":
        data = destruction.certificate_pdf(b, destruction.labels_for(archive))
    else:
        raise NotFound("销毁证明在销毁完毕后生成。")
    log_access(
        request, user, "register.download", f"batch:{batch_id}", file=name, hidden=b["hidden_items"]
    )
    return inline_file(data, f"{label}-批次{batch_id}.{name.rsplit('.', 1)[1]}", media)


# --- the desk --------------------------------------------------------------


class BadInput(DanganError):
    exit_code = ExitCode.INVALID_INPUT
    http_status = 422
    code = "invalid_input"


def parse_day(text: str) -> date:
    """A date typed or picked on the desk (YYYY-MM-DD); today when empty."""
    if not text.strip():
        return date.today()
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(f"日期“{text}”无效，请按 年-月-日 填写，如 2026-01-31。") from None


def parse_years(text: str) -> int | None:
    """延长年数: whole years in Arabic digits, 1–100; None when empty."""
    value = text.strip()
    if not value:
        return None
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= 100:
        raise BadInput(f"延长年数“{text}”无效，请填写 1–100 之间的阿拉伯数字，如 10。")
    return int(value)


def batch_url(batch_id: int, *, done: str = "", error: str = "") -> RedirectResponse:
    query = f"?done={quote(done)}" if done else (f"?error={quote(error)}" if error else "")
    return RedirectResponse(f"/compliance/batches/{batch_id}{query}", status_code=303)


@ui.get("/compliance", response_class=HTMLResponse)
def desk(
    request: Request,
    archive: ArchiveDep,
    user: Viewer,
    as_of: str = "",
    error: str = "",
    done: str = "",
):
    try:
        day = parse_day(as_of)
    except BadInput as exc:
        day, error = date.today(), exc.message
    return templates.TemplateResponse(
        request,
        "compliance.html",
        {
            "due": masked(procedure.due_summary(archive, day, visible_levels(user)), user),
            "holds": masked(procedure.list_holds(archive), user),
            "batches": [
                masked(procedure.get_batch(archive, b["id"], visible_levels(user)), user)
                for b in procedure.list_batches(archive)
            ],
            "error": error,
            "done": done,
            "methods": destruction.METHODS,
            "hold_kinds": procedure.HOLD_KINDS,
            "status_labels": procedure.STATUS_LABELS,
        },
    )


@ui.post("/compliance/holds")
def desk_hold(
    archive: ArchiveDep,
    user: Officer,
    kind: Annotated[str, Form()],
    reason: Annotated[str, Form()],
    owner: Annotated[str, Form()],
    person: Annotated[str, Form()] = "",
    unit: Annotated[str, Form()] = "",
    record_ids: Annotated[str, Form()] = "",
):
    try:
        if not (person.strip() or unit.strip() or record_ids.strip()):
            raise procedure.RetentionError("请填写要冻结的公民身份号码、单位代码或档号。")
        ids = procedure.resolve_records(
            archive,
            record_ids=record_ids.split() or None,
            person=person.strip().upper() or None,
            unit=unit.strip().upper() or None,
        )
        hold_id = procedure.place_hold(
            archive, user, kind=kind, reason=reason, owner=owner, record_ids=ids
        )
    except DanganError as exc:
        return _back(error=exc.message)
    return _back(f"已冻结 {len(ids)} 件档案（冻结 {hold_id}）。")


@ui.post("/compliance/holds/{hold_id}/lift")
def desk_lift(hold_id: int, archive: ArchiveDep, user: Officer, reason: Annotated[str, Form()]):
    try:
        procedure.lift_hold(archive, user, hold_id, reason)
    except DanganError as exc:
        return _back(error=exc.message)
    return _back(f"已解除冻结 {hold_id}。")


def _back(message: str = "", error: str = "") -> RedirectResponse:
    query = f"done={quote(message)}" if message else f"error={quote(error)}"
    return RedirectResponse(f"/compliance?{query}", status_code=303)


@ui.post("/compliance/batches")
def desk_create(archive: ArchiveDep, user: Officer, as_of: Annotated[str, Form()] = ""):
    try:
        batch_id = procedure.create_batch(archive, user, parse_day(as_of))
    except DanganError as exc:
        return _back(error=exc.message)
    return _back(f"已建立鉴定批次 {batch_id}。")


@ui.post("/compliance/batches/{batch_id}/appraise")
def desk_appraise(
    batch_id: int,
    archive: ArchiveDep,
    user: Officer,
    decision: Annotated[str, Form()],
    reason: Annotated[str, Form()],
    extend_years: Annotated[str, Form()] = "",
    record_ids: Annotated[list[str] | None, Form()] = None,
    back: Annotated[str, Form()] = "",
):
    """`record_ids`: the records ticked in the batch's list (none: the whole
    batch); an id or a 档号 each."""
    try:
        if extend_years.strip() and not extend_years.strip().isdigit():
            raise procedure.RetentionError(
                f"延长年数“{extend_years}”应为阿拉伯数字的整数年，如 10。"
            )
        wanted = [part for value in record_ids or [] for part in value.split()]
        codes = {
            i["archival_code"]: i["record_id"]
            for i in procedure.get_batch(archive, batch_id)["items"]
        }
        n = procedure.appraise(
            archive,
            user,
            batch_id,
            decision=decision,
            reason=reason,
            record_ids=procedure.resolve_records(
                archive, record_ids=[codes.get(w, w) for w in wanted]
            )
            or None,
            extend_years=parse_years(extend_years),
        )
    except DanganError as exc:
        return batch_url(batch_id, error=exc.message) if back else _back(error=exc.message)
    message = f"已记录批次 {batch_id} 中 {n} 件的鉴定意见。"
    return batch_url(batch_id, done=message) if back else _back(message)


@ui.post("/compliance/batches/{batch_id}/approve")
def desk_approve(batch_id: int, archive: ArchiveDep, user: Head, note: Annotated[str, Form()] = ""):
    try:
        procedure.approve(archive, user, batch_id, note)
    except DanganError as exc:
        return _back(error=exc.message)
    return _back(f"批次 {batch_id} 已审批。")


@ui.post("/compliance/batches/{batch_id}/execute")
def desk_execute(
    batch_id: int,
    request: Request,
    archive: ArchiveDep,
    user: Officer,
    supervisor1: Annotated[str, Form()],
    password1: Annotated[str, Form()],
    supervisor2: Annotated[str, Form()],
    password2: Annotated[str, Form()],
    method: Annotated[str, Form()],
):
    credentials = [(supervisor1, password1), (supervisor2, password2)]
    try:
        result = destruction.execute(
            archive, user, batch_id, credentials, method, request.app.state.accounts
        )
    except DanganError as exc:
        return _back(error=exc.message)
    return _back(f"批次 {batch_id} 销毁完毕：{result['destroyed']} 件。")
