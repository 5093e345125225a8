"""Who is calling, and may they? Route dependencies over the account store.

A person logs in through the web form and carries a session cookie; a business
system sends `Authorization: Bearer <API token>`. Every route that touches
records names the permission it needs (see dangan/access/roles.py); the check
runs on the server whatever the UI shows."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from typing import Annotated, Any

from dangan.catalog.base import SECURITY_LEVELS, Record
from fastapi import Depends, Request

from dangan.access.roles import allowed, mask_ids_in, readable_levels, role_names
from dangan.access.store import (
    AccountStore,
    Forbidden,
    NotAuthenticated,
    PasswordChangeRequired,
    Principal,
)

SESSION_COOKIE = "dangan_session"

ACTIONS = {
    "records.read": "查阅档案",
    "records.download": "下载档案原件或 PDF",
    "records.ingest": "上传扫描件",
    "review.confirm": "复核归档",
    "volumes.print": "整理装盒和打印目录",
    "retention.read": "查看鉴定销毁信息",
    "retention.manage": "办理保管期限、冻结和鉴定",
    "retention.approve": "审批销毁",
    "audit.read": "查阅审计日志",
    "users.manage": "管理用户账号和令牌",
    "roles.assign": "分配角色、重置密码",
    "security.set": "调整档案密级",
}


def get_accounts(request: Request) -> AccountStore:
    return request.app.state.accounts


def current_principal(request: Request) -> Principal | None:
    accounts = get_accounts(request)
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return accounts.token_principal(header[7:].strip())
    token = request.cookies.get(SESSION_COOKIE)
    return accounts.session_user(token) if token else None


def require(permission: str) -> Callable[[Request], Principal]:
    def dependency(request: Request) -> Principal:
        principal = current_principal(request)
        if principal is None:
            raise NotAuthenticated("请先登录（或在请求头中提供 API 令牌）。")
        if principal.must_change_password:
            raise PasswordChangeRequired("请先修改密码（管理员重置过或已到期），再继续使用。")
        if not allowed(principal.roles, permission):
            raise Forbidden(
                f"您的角色（{role_names(principal.roles)}）无权{ACTIONS[permission]}。"
                "如确需办理，请联系安全管理员调整角色。"
            )
        request.state.principal = principal
        return principal

    return dependency


Reader = Annotated[Principal, Depends(require("records.read"))]
Downloader = Annotated[Principal, Depends(require("records.download"))]
Ingester = Annotated[Principal, Depends(require("records.ingest"))]
Reviewer = Annotated[Principal, Depends(require("review.confirm"))]
Filer = Annotated[Principal, Depends(require("volumes.print"))]
Admin = Annotated[Principal, Depends(require("users.manage"))]
SecurityAdmin = Annotated[Principal, Depends(require("roles.assign"))]
SecuritySetter = Annotated[Principal, Depends(require("security.set"))]


def client_ip(request: Request) -> str:
    """The client's address: the peer, or what a trusted proxy says it is
    (DANGAN_TRUSTED_PROXIES; api/security.py)."""
    return request.client.host if request.client else ""


def log_event(request: Request, actor: str, action: str, target: str | None = None, **detail):
    """An account event (login, logout, user or token change) with the client address."""
    request.app.state.archive.audit.append(actor, action, target, ip=client_ip(request), **detail)


def log_access(
    request: Request, principal: Principal, action: str, target: str | None = None, **detail
) -> None:
    """Write who looked at or took what into the audit log (auditors read it)."""
    request.app.state.archive.audit.append(principal.name, action, target, **detail)


# Page images, hit boxes and OCR images are fetched many times while one page
# is read (zoom, reload, each search term): the same read by the same person is
# written once per window. A read not in the log within the window is always
# written, so every page anyone saw is in the log.
READ_LOG_WINDOW_S = 600


class ReadLog:
    """Remembers which reads were written to the audit log, and when."""

    def __init__(self, window_s: float = READ_LOG_WINDOW_S):
        self.window_s = window_s
        self._written: dict[tuple, float] = {}
        self._lock = threading.Lock()

    def claim(self, key: tuple) -> bool:
        """True when this read is to be written now (then it counts as written
        until `release` says the write failed)."""
        now = time.monotonic()
        with self._lock:
            if len(self._written) > 100_000:  # forget expired reads
                cutoff = now - self.window_s
                self._written = {k: t for k, t in self._written.items() if t > cutoff}
            last = self._written.get(key)
            if last is not None and now - last < self.window_s:
                return False
            self._written[key] = now
            return True

    def release(self, key: tuple) -> None:
        with self._lock:
            self._written.pop(key, None)


def log_read(request: Request, principal: Principal, action: str, target: str, **detail) -> None:
    """Audit a read of content, at most once per window for the same person,
    action, target and detail (see ReadLog)."""
    reads = getattr(request.app.state, "read_log", None)
    if reads is None:
        reads = request.app.state.read_log = ReadLog()
    key = (principal.kind, principal.name, action, target, tuple(sorted(detail.items())))
    if reads.claim(key):
        try:
            log_access(request, principal, action, target, **detail)
        except BaseException:
            reads.release(key)  # not in the log: the next read tries again
            raise


Auditor = Annotated[Principal, Depends(require("audit.read"))]


def visible_levels(principal: Principal) -> tuple[str, ...]:
    return readable_levels(principal.roles)


def check_clearance(record: Record, principal: Principal) -> Record:
    """Refuse a record whose 密级 is above what the principal may read."""
    if record.security_level not in visible_levels(principal):
        level = SECURITY_LEVELS.get(record.security_level, record.security_level)
        raise Forbidden(
            f"档案 {record.id} 的密级为“{level}”，您的角色（{role_names(principal.roles)}）无权查阅。"
            "如工作需要，请向档案室申请。"
        )
    return record


def sees_full_ids(principal: Principal) -> bool:
    return allowed(principal.roles, "ids.full")


def masked(value: Any, principal: Principal) -> Any:
    """`value` (JSON-like) with 公民身份号码 masked unless the caller may see them."""
    if sees_full_ids(principal):
        return value
    return _mask(value)


def redactor(principal: Principal) -> Callable[[str], str] | None:
    """The masking to apply to plain text before markup is added (snippets,
    highlighted page text, hit boxes); None when the caller sees full IDs."""
    return None if sees_full_ids(principal) else mask_ids_in


def masked_record(record: Record, principal: Principal) -> Record:
    """A copy of `record` for display, every text in it masked as `masked` does."""
    if sees_full_ids(principal):
        return record
    return dataclasses.replace(
        record,
        title=mask_ids_in(record.title),
        filename=mask_ids_in(record.filename),
        review_reasons=_mask(record.review_reasons),
        fields=_mask(record.fields),
        metadata=_mask(record.metadata),
        pages=[dataclasses.replace(p, text=mask_ids_in(p.text)) for p in record.pages],
    )


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask_ids_in(value)
    if isinstance(value, list):
        return [_mask(v) for v in value]
    if isinstance(value, dict):
        return {k: _mask(v) for k, v in value.items()}
    return value
