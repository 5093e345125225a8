"""四性检测 on the clerk desk: recent check runs, the alarm (the newest run of
a kind failed), and the reports as PDF and xlsx."""

from __future__ import annotations

from dangan.api.auth import Filer
from dangan.api.deps import ArchiveDep
from dangan.api.schemas import file_download
from dangan.api.schemas.preservation import CheckRuns
from dangan.api.templating import templates
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from dangan.errors import NotFound

api = APIRouter(tags=["preservation"])
ui = APIRouter(include_in_schema=False)
MEDIA = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@api.get(
    "/preservation/runs",
    summary="四性检测记录；alarms：每种检测最近一次不通过的",
    response_model=CheckRuns,
)
def runs(archive: ArchiveDep, user: Filer, limit: int = 20) -> dict:
    return _runs(archive, limit)


@ui.get("/preservation", response_class=HTMLResponse)
def page(request: Request, archive: ArchiveDep, user: Filer):
    from dangan.preservation.items import ITEMS
    from dangan.preservation.report import KIND_LABELS

    data = _runs(archive, 50)
    return templates.TemplateResponse(
        request, "preservation.html", {**data, "items": ITEMS, "kinds": KIND_LABELS}
    )


def _runs(archive, limit: int) -> dict:
    from dangan.preservation.store import PreservationStore

    found = PreservationStore(archive.catalog).runs(limit)
    latest: dict[str, dict] = {}
    for run in found:
        if run["state"] == "done":
            latest.setdefault(run["kind"], run)
    alarms = [
        {"run": r["id"], "kind": r["kind"], "scope": r["scope"],
         "failed_items": r["summary"]["failed_items"], "finished_at": r["finished_at"]}
        for r in latest.values()
        if r["summary"].get("verdict") == "fail"
    ]  # fmt: skip
    return {"runs": found, "alarms": alarms}


@api.get(
    "/preservation/runs/{run_id}/report.{fmt}",
    summary="检测报告（PDF 或 xlsx）",
    response_class=Response,
    responses=file_download("检测报告", *MEDIA.values()),
)
def run_report(run_id: int, fmt: str, archive: ArchiveDep, user: Filer) -> Response:
    from dangan.preservation.store import PreservationStore

    run = PreservationStore(archive.catalog).get_run(run_id)
    if run is None or fmt not in MEDIA or fmt not in run["report_keys"]:
        raise NotFound(f"没有编号为 {run_id} 的检测报告。")
    with archive.blobs.open(run["report_keys"][fmt]) as src:
        data = src.read()
    return Response(data, media_type=MEDIA[fmt])
