"""Application factory. The archive is opened at start-up (lifespan), never at import."""

from __future__ import annotations

import html
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from api.routes import (
    accounts,
    audit,
    cases,
    disposal,
    intake,
    people,
    preservation,
    records,
    review,
    search,
    session,
    ui,
    volumes,
)
from api.security import install as install_security
from dangan.access.store import (
    AccountPolicy,
    NotAuthenticated,
    PasswordChangeRequired,
    SqliteAccountStore,
)
from dangan.archive import Archive
from dangan.catchup import index_catch_up
from dangan.config import Settings
from dangan.errors import DanganError
from dangan.events import Webhooks, delivery_worker
from ingest.intake import IntakeQueue
from ingest.runners import runner_for

HERE = Path(__file__).parent


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.archive = Archive.open(settings)
        app.state.accounts = SqliteAccountStore(
            app.state.archive.catalog, AccountPolicy.from_settings(settings)
        )
        app.state.intake = IntakeQueue(app.state.archive)
        app.state.intake_worker = runner_for(
            app.state.intake, app.state.archive.settings.intake_workers
        )
        app.state.intake_worker.start()
        app.state.webhooks = delivery_worker(
            Webhooks(app.state.archive.catalog, allow=app.state.archive.settings.webhook_allow)
        )
        app.state.webhooks.start()
        app.state.index_catch_up = index_catch_up(app.state.archive)
        app.state.index_catch_up.start()
        try:
            yield
        finally:
            app.state.index_catch_up.stop()
            app.state.webhooks.stop()
            app.state.intake_worker.stop()
            app.state.archive.close()

    app = FastAPI(
        title="dangan 医保业务档案",
        version="0.1.0",
        description="医保业务档案数字化与管理：上传扫描件、全文检索、查看档案。",
        lifespan=lifespan,
    )

    @app.exception_handler(DanganError)
    async def dangan_error(request: Request, exc: DanganError) -> Response:
        if not request.url.path.startswith("/api/"):
            if isinstance(exc, NotAuthenticated):
                target = quote(
                    request.url.path + (f"?{request.url.query}" if request.url.query else "")
                )
                return RedirectResponse(f"/login?next={target}", status_code=303)
            if isinstance(exc, PasswordChangeRequired):
                return RedirectResponse("/account/password", status_code=303)
            return HTMLResponse(
                f"<!doctype html><meta charset=utf-8><title>无法办理</title>"
                f"<link rel=stylesheet href=/static/app.css>"
                f"<p class=error-page>{html.escape(exc.message)}"
                f" <a href='/'>返回首页</a></p>",
                status_code=exc.http_status,
            )
        return JSONResponse({"error": exc.message, "code": exc.code}, status_code=exc.http_status)

    app.include_router(records.router, prefix="/api")
    app.include_router(search.router, prefix="/api")
    app.include_router(review.router, prefix="/api")
    app.include_router(people.api, prefix="/api")
    app.include_router(volumes.api, prefix="/api")
    app.include_router(intake.api, prefix="/api")
    app.include_router(cases.api, prefix="/api")
    app.include_router(audit.api, prefix="/api")
    app.include_router(disposal.api, prefix="/api")
    app.include_router(preservation.api, prefix="/api")
    app.include_router(accounts.api, prefix="/api")
    app.include_router(session.router)
    app.include_router(accounts.ui)
    app.include_router(ui.router)
    app.include_router(people.ui)
    app.include_router(preservation.ui)
    app.include_router(volumes.ui)
    app.include_router(intake.ui)
    app.include_router(cases.ui)
    app.include_router(audit.ui)
    app.include_router(disposal.ui)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    install_security(app, settings)
    app.state.settings = settings
    return app
