"""Application factory. The archive is opened at start-up (lifespan), never at import."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from dangan.api.background import Standby, take_background
from dangan.api.docs import install as install_docs
from dangan.api.errors import install as install_errors
from dangan.api.routes import (
    accounts,
    audit,
    capture,
    cases,
    compliance_desk,
    disposal,
    intake,
    people,
    preservation,
    records,
    review,
    search,
    session,
    tree,
    ui,
    volumes,
)
from dangan.api.security import install as install_security
from dangan.ingest.intake import IntakeQueue
from dangan.ingest.runners import runner_for
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from dangan.access.store import (
    AccountPolicy,
    SqliteAccountStore,
)
from dangan.archive import Archive
from dangan.catchup import index_catch_up
from dangan.config import Settings
from dangan.events import Webhooks, delivery_worker

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
        app.state.background = take_background(settings)  # None: another process runs it
        if app.state.background is None:
            app.state.intake_worker = app.state.webhooks = Standby()
            app.state.index_catch_up = Standby()
        else:
            app.state.intake_worker = runner_for(
                app.state.intake, app.state.archive.settings.intake_workers
            )
            app.state.webhooks = delivery_worker(
                Webhooks(app.state.archive.catalog, allow=app.state.archive.settings.webhook_allow)
            )
            app.state.index_catch_up = index_catch_up(app.state.archive)
        app.state.intake_worker.start()
        app.state.webhooks.start()
        app.state.index_catch_up.start()
        try:
            yield
        finally:
            app.state.index_catch_up.stop()
            app.state.webhooks.stop()
            app.state.intake_worker.stop()
            if app.state.background is not None:
                app.state.background.close()
            app.state.archive.close()

    app = FastAPI(
        title="dangan 医保业务档案",
        version="0.1.0",
        description="医保业务档案数字化与管理：上传扫描件、全文检索、查看档案。",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )

    install_errors(app)

    app.include_router(records.router, prefix="/api")
    app.include_router(search.router, prefix="/api")
    app.include_router(review.router, prefix="/api")
    app.include_router(people.api, prefix="/api")
    app.include_router(tree.api, prefix="/api")
    app.include_router(volumes.api, prefix="/api")
    app.include_router(intake.api, prefix="/api")
    app.include_router(cases.api, prefix="/api")
    app.include_router(capture.api, prefix="/api")
    app.include_router(audit.api, prefix="/api")
    app.include_router(disposal.api, prefix="/api")
    app.include_router(preservation.api, prefix="/api")
    app.include_router(accounts.api, prefix="/api")
    app.include_router(session.router)
    app.include_router(accounts.ui)
    app.include_router(search.ui)
    app.include_router(ui.router)
    app.include_router(review.ui)
    app.include_router(people.ui)
    app.include_router(tree.ui)
    app.include_router(preservation.ui)
    app.include_router(volumes.ui)
    app.include_router(intake.ui)
    app.include_router(cases.ui)
    app.include_router(capture.ui)
    app.include_router(audit.ui)
    app.include_router(disposal.ui)
    app.include_router(compliance_desk.ui)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    install_docs(app)
    install_security(app, settings)
    app.state.settings = settings
    return app
