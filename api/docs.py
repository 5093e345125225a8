"""The API documentation (Swagger UI at /docs, ReDoc at /redoc) served from
this server: the scripts and styles come from the fastapi-offline package
(MIT; Swagger UI and ReDoc builds) under /static-docs, the starter from
/static/docs.js, so the pages work without Internet access and under a
Content-Security-Policy without inline script."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_URL = "/static-docs"

SWAGGER = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - API 文档</title>
<link rel="stylesheet" href="{static}/swagger-ui.css">
<link rel="icon" href="{static}/favicon.png">
</head><body>
<div id="swagger-ui" data-openapi="{openapi}"></div>
<script src="{static}/swagger-ui-bundle.js"></script>
<script src="/static/docs.js"></script>
</body></html>"""

REDOC = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - API 文档（ReDoc）</title>
<link rel="icon" href="{static}/favicon.png">
</head><body>
<redoc spec-url="{openapi}"></redoc>
<script src="{static}/redoc.standalone.js"></script>
</body></html>"""


def static_dir() -> Path:
    import fastapi_offline

    return Path(fastapi_offline.__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Serve /docs and /redoc from local files (the app is created with
    docs_url=None and redoc_url=None)."""
    app.mount(STATIC_URL, StaticFiles(directory=static_dir()), name="static-docs")
    fill = {"title": app.title, "static": STATIC_URL, "openapi": app.openapi_url}

    @app.get("/docs", include_in_schema=False)
    def swagger() -> HTMLResponse:
        return HTMLResponse(SWAGGER.format(**fill))

    @app.get("/redoc", include_in_schema=False)
    def redoc() -> HTMLResponse:
        return HTMLResponse(REDOC.format(**fill))
