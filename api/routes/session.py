"""Logging in and out of the web UI."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from api.auth import SESSION_COOKIE, current_principal, get_accounts
from api.templating import templates
from dangan.access.store import SESSION_HOURS

router = APIRouter(include_in_schema=False)


def _safe_next(target: str) -> str:
    # only local paths: never redirect a user to another site after login
    return target if target.startswith("/") and not target.startswith("//") else "/"


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
    principal = accounts.authenticate(username.strip(), password)
    if principal is None:
        return templates.TemplateResponse(
            request,
            "login.html",
            {"next": _safe_next(next), "error": "用户名或密码不正确。", "user": None},
            status_code=401,
        )
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        accounts.new_session(principal.name),
        max_age=SESSION_HOURS * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def logout(request: Request):
    token = request.cookies.get(SESSION_COOKIE)
    if token and current_principal(request) is not None:
        get_accounts(request).end_session(token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
