"""Application factory. The archive is opened at start-up (lifespan), never at import."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from api.routes import people, records, review, search, session, ui, volumes
from dangan.access.store import SqliteAccountStore
from dangan.archive import Archive
from dangan.config import Settings
from dangan.errors import DanganError

HERE = Path(__file__).parent


def create_app(settings: Settings | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.archive = Archive.open(settings or Settings.from_env())
        app.state.accounts = SqliteAccountStore(app.state.archive.catalog)
        try:
            yield
        finally:
            app.state.archive.close()

    app = FastAPI(
        title="dangan 医保业务档案",
        version="0.1.0",
        description="医保业务档案数字化与管理：上传扫描件、全文检索、查看档案。",
        lifespan=lifespan,
    )

    @app.exception_handler(DanganError)
    async def dangan_error(_request: Request, exc: DanganError) -> JSONResponse:
        return JSONResponse({"error": exc.message, "code": exc.code}, status_code=exc.http_status)

    app.include_router(records.router, prefix="/api")
    app.include_router(search.router, prefix="/api")
    app.include_router(review.router, prefix="/api")
    app.include_router(people.api, prefix="/api")
    app.include_router(volumes.api, prefix="/api")
    app.include_router(session.router)
    app.include_router(ui.router)
    app.include_router(people.ui)
    app.include_router(volumes.ui)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    return app
