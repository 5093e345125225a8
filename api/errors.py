"""Errors a person reads in Chinese, inside the normal layout (with the
navigation their roles allow), and a Chinese `error` in every JSON error.

404, 403, 405, 422 (request validation) and 500 are covered; an API answer
keeps FastAPI's `detail` beside `error` and `code`."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from dangan.access.store import NotAuthenticated, PasswordChangeRequired
from dangan.errors import DanganError

log = logging.getLogger(__name__)

TITLES = {
    400: "请求有误",
    401: "请先登录",
    403: "无权办理",
    404: "页面不存在",
    405: "不能这样办理",
    409: "与现有记录冲突",
    413: "文件太大",
    422: "填写的内容有误",
    429: "请求太频繁",
    500: "系统出错",
}
MESSAGES = {
    404: "没有这个页面或档案。请检查地址，或从导航重新进入。",
    405: "这个地址不接受这种请求。请从页面上的按钮办理。",
    500: "系统处理时出错，已记录。请稍后再试；如反复出现，请联系系统管理员。",
}
FIELDS = {
    "as_of": "截至日期",
    "from": "业务日期起",
    "to": "业务日期止",
    "limit": "每页条数",
    "offset": "起始位置",
    "page": "页码",
    "extend_years": "延长年数",
    "batch_id": "批次编号",
    "hold_id": "冻结编号",
    "year": "年度",
    "q": "检索词",
    "files": "文件",
    "body": "请求内容",
}


def validation_message(errors) -> str:
    """FastAPI's validation errors as one Chinese sentence."""
    parts = []
    for e in errors:
        loc = [str(x) for x in e.get("loc", ()) if x not in ("query", "path", "body", "form")]
        field = FIELDS.get(loc[-1], loc[-1]) if loc else "请求"
        kind = e.get("type", "")
        given = e.get("input")
        if kind == "missing":
            parts.append(f"缺少“{field}”")
        elif kind.startswith("date") or kind.startswith("datetime"):
            parts.append(f"“{field}”不是有效日期（{given}），请按 年-月-日 填写，如 2026-01-31")
        elif kind.startswith("int") or kind.startswith("float"):
            parts.append(f"“{field}”须为阿拉伯数字（{given}）")
        elif kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            parts.append(f"“{field}”超出允许范围（{given}）")
        else:
            parts.append(f"“{field}”填写有误（{given}）")
    return "；".join(parts) + "。" if parts else "请求内容有误。"


def _api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_page(request: Request, status: int, message: str) -> Response:
    from dangan.api.templating import templates

    if not hasattr(request.state, "principal"):
        try:  # the navigation of the person's own desks, also on a 404
            from dangan.api.auth import current_principal

            request.state.principal = current_principal(request)
        except Exception:  # noqa: BLE001 - a page about an error must still render
            request.state.principal = None
    return templates.TemplateResponse(
        request,
        "error.html",
        {"status": status, "heading": TITLES.get(status, "无法办理"), "message": message},
        status_code=status,
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(DanganError)
    async def dangan_error(request: Request, exc: DanganError) -> Response:
        if not _api(request):
            if isinstance(exc, NotAuthenticated):
                target = quote(
                    request.url.path + (f"?{request.url.query}" if request.url.query else "")
                )
                return RedirectResponse(f"/login?next={target}", status_code=303)
            if isinstance(exc, PasswordChangeRequired):
                return RedirectResponse("/account/password", status_code=303)
            return error_page(request, exc.http_status, exc.message)
        return JSONResponse({"error": exc.message, "code": exc.code}, status_code=exc.http_status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code
        message = MESSAGES.get(status) or TITLES.get(status, "无法办理") + "。"
        if _api(request):
            return JSONResponse(
                {"error": message, "code": f"http_{status}", "detail": exc.detail},
                status_code=status,
                headers=getattr(exc, "headers", None),
            )
        return error_page(request, status, message)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        message = validation_message(exc.errors())
        if _api(request):
            return JSONResponse(
                {"error": message, "code": "validation", "detail": jsonable_encoder(exc.errors())},
                status_code=422,
            )
        return error_page(request, 422, message)

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if _api(request):
            return JSONResponse({"error": MESSAGES[500], "code": "internal"}, status_code=500)
        return error_page(request, 500, MESSAGES[500])
