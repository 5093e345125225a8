"""Logging in and out of the web UI. Every login, failed login, lockout and
logout is written to the audit log with the client address."""

from __future__ import annotations

from typing import Annotated

from dangan.api.auth import SESSION_COOKIE, client_ip, current_principal, get_accounts, log_event
from dangan.api.templating import templates
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dangan.access.roles import allowed
from dangan.access.store import LoginFailed

router = APIRouter(include_in_schema=False)


def _safe_next(target: str) -> str:
    # only local paths: never redirect a user to another site after login
    return target if target.startswith("/") and not target.startswith("//") else "/"


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    settings = request.app.state.settings
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_hours * 3600,
        httponly=True,
        samesite="strict",
        # the scheme as the client used it (a trusted proxy's X-Forwarded-Proto)
        secure=settings.secure_cookies == "always" or request.url.scheme == "https",
    )


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str = "/", error: str = ""):
    return templates.TemplateResponse(
        request, "login.html", {"next": _safe_next(next), "error": error, "user": None}
    )


@router.post("/login")
def login_submit(
    request: Request,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
    next: Annotated[str, Form()] = "/",
):
    accounts = get_accounts(request)
    name = username.strip()[:64]
    try:
        principal = accounts.login(name, password, client_ip(request))
    except LoginFailed as exc:
        log_event(request, name, "login.failed", name, reason=exc.reason)
        if exc.locked:
            log_event(request, name, "login.locked", name, minutes=accounts.policy.lock_minutes)
        return templates.TemplateResponse(
            request,
            "login.html",
            {"next": _safe_next(next), "error": exc.message, "user": None},
            status_code=429 if exc.reason == "locked" else 401,
        )
    log_event(request, principal.name, "login", principal.name)
    target = _safe_next(next)
    if principal.must_change_password or not allowed(principal.roles, "records.read"):
        target = "/account/password"  # the security administrator reads no records
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, accounts.new_session(principal.name))
    return response


@router.post("/logout")
def logout(request: Request):
    token = request.cookies.get(SESSION_COOKIE)
    principal = current_principal(request) if token else None
    if token and principal is not None:
        get_accounts(request).end_session(token)
        log_event(request, principal.name, "logout", principal.name)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict")
    return response
