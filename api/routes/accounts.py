"""Accounts: a person changes their own password (page and API); the system
administrator (系统管理员) creates, disables and enables accounts and issues API
tokens; the security administrator (安全管理员) assigns roles, resets passwords
and lifts login locks. Every change is written to the audit log, which only the
security auditor (安全审计员) reads (三员分立)."""

from __future__ import annotations

from typing import Annotated

from dangan.api.auth import Admin, SecurityAdmin, current_principal, log_event
from dangan.api.routes.session import set_session_cookie
from dangan.api.schemas.accounts import (
    PasswordChanged,
    PasswordReset,
    TokenIssued,
    TokenList,
    TokenRevoked,
    UserDisabled,
    UserList,
    UserRoles,
    UserUnlocked,
)
from dangan.api.templating import templates
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from dangan.access.passwords import generate_password
from dangan.access.roles import ADMINISTRATORS, ROLES, allowed
from dangan.access.store import AccessError, Forbidden, NotAuthenticated, Principal

api = APIRouter(tags=["账号"])
ui = APIRouter(include_in_schema=False)


def _person(request: Request) -> Principal:
    principal = current_principal(request)
    if principal is None:
        raise NotAuthenticated("请先登录。")
    if principal.kind != "user":
        raise Forbidden("API 令牌没有密码可改。")
    request.state.principal = principal
    return principal


def _change_own(request: Request, principal: Principal, old: str, new: str) -> str:
    """Change the password, end every session of the account and return a new
    session for this browser."""
    accounts = request.app.state.accounts
    accounts.change_password(principal.name, old, new)
    log_event(request, principal.name, "user.password_change", principal.name)
    return accounts.new_session(principal.name)


class PasswordChange(BaseModel):
    old_password: str
    new_password: str


@api.post("/account/password", summary="修改本人密码（原密码、新密码）")
def change_password(request: Request, response: Response, body: PasswordChange) -> PasswordChanged:
    principal = _person(request)
    token = _change_own(request, principal, body.old_password, body.new_password)
    set_session_cookie(request, response, token)  # the old sessions have ended
    return PasswordChanged(changed=True)


@ui.get("/account/password", response_class=HTMLResponse)
def password_form(request: Request, done: str = ""):
    principal = _person(request)
    return templates.TemplateResponse(
        request, "password.html", {"me": principal, "error": "", "done": done}
    )


@ui.post("/account/password")
def password_submit(
    request: Request,
    old_password: Annotated[str, Form()],
    new_password: Annotated[str, Form()],
    confirm_password: Annotated[str, Form()],
):
    principal = _person(request)
    try:
        if new_password != confirm_password:
            raise AccessError("两次输入的新密码不一致。")
        token = _change_own(request, principal, old_password, new_password)
    except AccessError as exc:
        return templates.TemplateResponse(
            request,
            "password.html",
            {"me": principal, "error": exc.message, "done": ""},
            status_code=422,
        )
    response = RedirectResponse("/account/password?done=1", status_code=303)
    set_session_cookie(request, response, token)
    return response


# --- account administration (API) ---


class UserIn(BaseModel):
    username: str
    display_name: str = ""
    roles: list[str]
    password: str


class RolesIn(BaseModel):
    roles: list[str]


class ResetIn(BaseModel):
    password: str | None = None  # None: a random one, returned once


class TokenIn(BaseModel):
    name: str
    role: str = "system"


@api.get("/users", summary="用户列表（系统管理员、安全管理员）", response_model=UserList)
def users(request: Request) -> dict:
    principal = _person(request)
    if not (allowed(principal.roles, "users.manage") or allowed(principal.roles, "roles.assign")):
        raise Forbidden("只有系统管理员和安全管理员可以查看用户列表。")
    return {"users": request.app.state.accounts.list_users()}


@api.post("/users", summary="新建用户（系统管理员；三员角色由安全管理员授予）")
def add_user(request: Request, body: UserIn, user: Admin) -> UserRoles:
    granted = [r for r in body.roles if r in ADMINISTRATORS]
    if granted:
        raise Forbidden(
            f"{'、'.join(ROLES[r] for r in granted)}角色须由安全管理员授予（三员分立）。"
            "请先以业务角色建号，再由安全管理员调整角色。"
        )
    request.app.state.accounts.add_user(
        body.username, body.display_name, set(body.roles), body.password, must_change=True
    )
    log_event(request, user.name, "user.add", body.username, roles=sorted(body.roles))
    return UserRoles(username=body.username, roles=sorted(body.roles))


def _not_self(user: Principal, username: str, what: str) -> None:
    if user.name == username:
        raise Forbidden(f"不能{what}自己的账号，请由另一位管理员办理。")


@api.post("/users/{username}/disable", summary="停用用户（系统管理员）")
def disable_user(request: Request, username: str, user: Admin) -> UserDisabled:
    _not_self(user, username, "停用")
    request.app.state.accounts.set_disabled(username, True)
    log_event(request, user.name, "user.disable", username)
    return UserDisabled(username=username, disabled=True)


@api.post("/users/{username}/enable", summary="启用用户（系统管理员）")
def enable_user(request: Request, username: str, user: Admin) -> UserDisabled:
    request.app.state.accounts.set_disabled(username, False)
    log_event(request, user.name, "user.enable", username)
    return UserDisabled(username=username, disabled=False)


@api.put("/users/{username}/roles", summary="调整角色（安全管理员）")
def set_roles(request: Request, username: str, body: RolesIn, user: SecurityAdmin) -> UserRoles:
    _not_self(user, username, "调整")
    before = request.app.state.accounts.set_roles(username, set(body.roles))
    log_event(request, user.name, "user.roles", username, before=before, after=sorted(body.roles))
    return UserRoles(username=username, roles=sorted(body.roles))


@api.post(
    "/users/{username}/password-reset",
    summary="重置密码（安全管理员；下次登录须修改）",
    response_model_exclude_unset=True,
)
def reset_password(
    request: Request, username: str, body: ResetIn, user: SecurityAdmin
) -> PasswordReset:
    _not_self(user, username, "重置")
    password = body.password or generate_password()
    request.app.state.accounts.reset_password(username, password)
    log_event(request, user.name, "user.password_reset", username)
    if body.password:  # the one the administrator chose is not sent back
        return PasswordReset(username=username)
    return PasswordReset(username=username, password=password)


@api.post("/users/{username}/unlock", summary="解除登录锁定（安全管理员）")
def unlock(request: Request, username: str, user: SecurityAdmin) -> UserUnlocked:
    request.app.state.accounts.unlock(username)
    log_event(request, user.name, "user.unlock", username)
    return UserUnlocked(username=username, unlocked=True)


@api.get("/tokens", summary="API 令牌列表（系统管理员）", response_model=TokenList)
def tokens(request: Request, user: Admin) -> dict:
    return {"tokens": request.app.state.accounts.list_tokens()}


@api.post("/tokens", summary="签发 API 令牌（系统管理员）")
def issue_token(request: Request, body: TokenIn, user: Admin) -> TokenIssued:
    token_id, token = request.app.state.accounts.issue_token(body.name, body.role, user.name)
    log_event(request, user.name, "token.issue", f"token:{token_id}", role=body.role)
    return TokenIssued(id=token_id, token=token, role=body.role)


@api.post("/tokens/{token_id}/revoke", summary="吊销 API 令牌（系统管理员）")
def revoke_token(request: Request, token_id: int, user: Admin) -> TokenRevoked:
    request.app.state.accounts.revoke_token(token_id)
    log_event(request, user.name, "token.revoke", f"token:{token_id}")
    return TokenRevoked(id=token_id, revoked=True)
