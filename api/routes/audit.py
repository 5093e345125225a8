"""The audit log for auditors: who searched, viewed, downloaded, confirmed what."""

from __future__ import annotations

from urllib.parse import urlencode

from dangan.api.auth import Auditor, masked
from dangan.api.deps import ArchiveDep
from dangan.api.desks import day_bounds
from dangan.api.export import Column, export_response
from dangan.api.labels import bj_time, class_names, detail_text, person_name_in, person_names
from dangan.api.schemas.audit import AuditCheck, AuditEntries
from dangan.api.templating import templates
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from dangan.audit import ACTIONS, Verification

api = APIRouter(tags=["audit"])
ui = APIRouter(include_in_schema=False)


@api.get(
    "/audit",
    summary="审计日志（按时间倒序），可按操作人、操作、对象筛选",
    response_model=AuditEntries,
)
def entries(
    archive: ArchiveDep,
    user: Auditor,
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
    subject: str | None = Query(
        None, description="公民身份号码或姓名：按其密钥哈希查找（日志中不保存明文）"
    ),
    before: int | None = Query(None, description="只看序号小于此值的（翻页）"),
    limit: int = Query(100, ge=1, le=1000),
) -> dict:
    items = archive.audit.entries(
        actor=actor, action=action, target=target, subject=subject, before=before, limit=limit
    )
    return masked({"entries": items}, user)  # person-view targets, search terms


@api.get("/audit/verify", summary="校验审计日志的哈希链", response_model=AuditCheck)
def verify(archive: ArchiveDep, user: Auditor) -> Verification:
    return archive.audit.verify()


PAGE = 100
EXPORT_MAX = 10000
COLUMNS = (
    Column("seq", "序号", numeric=True),
    Column("at", "时间（北京时间）"),
    Column("actor", "操作人"),
    Column("action", "操作"),
    Column("target", "对象"),
    Column("detail", "详情"),
)


def _actor_for(request: Request, person: str) -> tuple[str | None, str]:
    """A person named by 姓名 or login -> (login, problem)."""
    person = person.strip()
    if not person:
        return None, ""
    users = request.app.state.accounts.list_users()
    if any(u["username"] == person for u in users):
        return person, ""
    named = [u["username"] for u in users if u["display_name"] == person]
    if len(named) > 1:
        return named[
            0
        ], f"有 {len(named)} 位同名人员（{'、'.join(named)}），只显示 {named[0]} 的记录。"
    # not a known account (a system, a CLI run): taken as written
    return (named[0] if named else person), ""


def _target_for(archive, record: str) -> str | None:
    """A record named by its 档号 or its id (the catalog's resolver: '.' for
    '·', full-width characters); anything else is taken as written."""
    record = record.strip()
    if not record:
        return None
    return archive.catalog.resolve_record_ref(record) or record


@ui.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    archive: ArchiveDep,
    user: Auditor,
    actor: str = "",
    action: str = "",
    subject: str = "",
    record: str = "",
    date_from: str = "",
    date_to: str = "",
    before: int | None = None,
    after: int | None = None,
    order: str = "",
    check: str = "",
    export: str = "",
):
    error = ""
    login, note = _actor_for(request, actor)
    try:
        since, until = day_bounds(date_from, date_to)
    except ValueError:
        since = until = None
        error = "日期格式不正确，应为 YYYY-MM-DD。"
    query = dict(
        actor=login,
        action=action or None,
        target=_target_for(archive, record),
        subject=subject or None,
        since=since,
        until=until,
        oldest_first=order == "asc",  # 时间 column: newest first unless asked
    )
    if export:
        items = archive.audit.entries(**query, limit=EXPORT_MAX)
        rows = [_row(archive, request, e) for e in masked(items, user)]
        return export_response(
            request,
            user,
            title="审计日志",
            columns=COLUMNS,
            rows=[{c.key: value for c, value in zip(COLUMNS, row, strict=True)} for row in rows],
            fmt=export,
            max_rows=EXPORT_MAX,
            what="audit",
        )
    items = archive.audit.entries(**query, before=before, after=after, limit=PAGE + 1)
    more = len(items) > PAGE
    items = items[:PAGE]
    params = {"actor": actor, "action": action, "subject": subject, "record": record,
              "date_from": date_from, "date_to": date_to}  # fmt: skip
    filters = urlencode({k: v for k, v in params.items() if v})
    oldest_first = order == "asc"
    qs = "&".join(x for x in (filters, "order=asc" if oldest_first else "") if x)
    return templates.TemplateResponse(
        request,
        "audit.html",
        {
            "rows": [_row(archive, request, e) for e in masked(items, user)],
            "items": items,
            "p": params,
            "qs": qs,
            "actions": sorted(ACTIONS.items(), key=lambda kv: kv[1]),
            "next_before": items[-1]["seq"] if more and items and not oldest_first else None,
            "next_after": items[-1]["seq"] if more and items and oldest_first else None,
            "paged": before is not None or after is not None,
            "oldest_first": oldest_first,
            "filters": filters,
            "note": note,
            "error": error,
            "check": archive.audit.verify() if check else None,
        },
    )


def _row(archive, request: Request, e: dict) -> list:
    """One entry as the auditor reads it: Beijing time, 姓名（login）,
    Chinese action, the record's 档号 and title, labelled details."""
    people = person_names(request)
    who = person_name_in(people, e["actor"], with_login=True)
    target = e.get("target") or ""
    if target and not target.startswith(("pid:", "h:")):
        found = archive.catalog.get(target)
        if found is not None:
            target = f"{found.archival_code or '（待复核）'} {found.title}"
    detail = detail_text(
        e.get("detail"), lambda login: person_name_in(people, login), class_names(request)
    )
    return [e["seq"], bj_time(e["at"]), who, e.get("label") or ACTIONS.get(e["action"], e["action"]),
            target, detail]  # fmt: skip
