"""HTTP hardening around every request: cross-site request forgery is refused,
and every response carries the security headers.

CSRF: a state-changing request (POST, PUT, PATCH, DELETE) that a browser sends
with the session cookie must come from dangan's own pages: `Sec-Fetch-Site`
must not say cross-site or same-site (a sibling intranet host), and `Origin`
(or, where a browser leaves it out, `Referer`) must be dangan's own origin as
the request reached it (scheme after a trusted proxy, see
DANGAN_TRUSTED_PROXIES). Requests with an API token (`Authorization: Bearer`)
carry no ambient credentials and are not checked.

Headers: a Content-Security-Policy without inline script, frame-ancestors from
DANGAN_FRAME_ANCESTORS ('none' when unset, with X-Frame-Options DENY),
nosniff, Referrer-Policy same-origin, and Cache-Control no-store on everything
but /static (pages and API answers hold personal data)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.datastructures import Headers

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SESSION_COOKIE = "dangan_session"
REFUSED = "请求不是从本系统的页面发出的，已拒绝（防范跨站请求伪造）。请回到本系统页面重新操作。"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:;"
    " object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
)
# /docs and /redoc (api/docs.py): scripts from this server only, as everywhere;
# Swagger UI and ReDoc set inline styles, and ReDoc runs a worker from a blob
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline';"
    " img-src 'self' data:; worker-src 'self' blob:;"
    " object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
)
DOCS = ("/docs", "/redoc")


def _origin(scheme: str, host: str) -> str:
    scheme, host = scheme.lower(), host.lower()
    default = {"http": ":80", "https": ":443"}.get(scheme)
    if default and host.endswith(default):
        host = host[: -len(default)]
    return f"{scheme}://{host}"


def _origin_of(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc:
        return None
    return _origin(parts.scheme, parts.netloc)


def forged(scope, headers: Headers) -> bool:
    """Whether this request must be refused as possibly forged by another site."""
    if scope["method"] not in UNSAFE:
        return False
    if headers.get("authorization", "").lower().startswith("bearer "):
        return False
    cookie = f"{SESSION_COOKIE}=" in headers.get("cookie", "")
    if headers.get("sec-fetch-site", "").lower() in ("cross-site", "same-site"):
        return True
    own = _origin(scope.get("scheme", "http"), headers.get("host", ""))
    origin = headers.get("origin")
    if origin is not None:
        return origin == "null" or _origin_of(origin) != own
    referer = headers.get("referer")
    if referer:
        return _origin_of(referer) != own
    # neither header: browsers send Origin with every POST, so only non-browser
    # clients arrive here; with a session cookie that is refused all the same
    return cookie


class SecurityMiddleware:
    def __init__(self, app, frame_ancestors: tuple[str, ...] = ()):
        self.app = app
        ancestors = " ".join(frame_ancestors) or "'none'"
        self.common = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
        ]
        if not frame_ancestors:
            self.common.append((b"x-frame-options", b"DENY"))
        self.csp = CSP.format(ancestors=ancestors).encode()
        self.docs_csp = DOCS_CSP.format(ancestors=ancestors).encode()

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = Headers(scope=scope)
        path = scope.get("path", "")
        if forged(scope, headers):
            return await self._refuse(path, send)
        extra = list(self.common)
        extra.append((b"content-security-policy", self.docs_csp if path in DOCS else self.csp))
        static = path.startswith("/static/")

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                names = {b"x-content-type-options", b"referrer-policy", b"x-frame-options",
                         b"content-security-policy"}  # fmt: skip
                if not static:
                    names.add(b"cache-control")
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in names]
                added = extra + ([] if static else [(b"cache-control", b"no-store")])
                message = {**message, "headers": kept + added}
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _refuse(self, path: str, send) -> None:
        if path.startswith("/api/"):
            body = json.dumps({"error": REFUSED, "code": "csrf"}, ensure_ascii=False).encode()
            kind = b"application/json"
        else:
            body = (
                "<!doctype html><meta charset=utf-8><title>已拒绝</title>"
                f"<link rel=stylesheet href=/static/app.css><p class=error-page>{REFUSED}"
                " <a href='/'>返回首页</a></p>"
            ).encode()
            kind = b"text/html; charset=utf-8"
        headers = [
            (b"content-type", kind),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
            *self.common,
            (b"content-security-policy", self.csp),
        ]
        await send({"type": "http.response.start", "status": 403, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def install(app, settings) -> None:
    """Add the security middleware (inside) and, with DANGAN_TRUSTED_PROXIES,
    uvicorn's proxy-headers middleware (outside, so scheme and client address
    are the real ones before anything else looks at them)."""
    app.add_middleware(SecurityMiddleware, frame_ancestors=settings.frame_ancestors)
    if settings.trusted_proxies:
        from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(settings.trusted_proxies))
