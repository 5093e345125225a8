"""The audit log for auditors: who searched, viewed, downloaded, confirmed what."""

from __future__ import annotations

from dangan.api.auth import Auditor, masked
from dangan.api.deps import ArchiveDep
from dangan.api.schemas.audit import AuditCheck, AuditEntries
from dangan.api.templating import templates
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from dangan.audit import Verification

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


@ui.get("/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    archive: ArchiveDep,
    user: Auditor,
    actor: str = "",
    action: str = "",
    subject: str = "",
):
    items = archive.audit.entries(
        actor=actor or None, action=action or None, subject=subject or None, limit=200
    )
    return templates.TemplateResponse(
        request,
        "audit.html",
        {
            "items": masked(items, user),
            "actor": actor,
            "action": action,
            "subject": subject,
            "check": archive.audit.verify(),
        },
    )
