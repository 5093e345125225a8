"""Volumes on the shelf: list, in-volume catalogue (卷内目录) and box labels as PDF."""

from __future__ import annotations

from urllib.parse import quote

from dangan.api.auth import Filer, log_access, redactor, visible_levels
from dangan.api.deps import ArchiveDep
from dangan.api.schemas import file_download
from dangan.api.schemas.volumes import VolumeList
from dangan.api.templating import templates
from dangan.retention.volumes import box_labels_pdf, catalogue_pdf, get_volume, list_volumes
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

api = APIRouter(tags=["volumes"])
ui = APIRouter(include_in_schema=False)


def _pdf(data: bytes, name: str) -> Response:
    return Response(
        data,
        media_type="application/pdf",
        headers={"Content-Disposition": f"inline; filename*=UTF-8''{quote(name)}"},
    )


@api.get(
    "/volumes",
    summary="按档号前缀（年度·保管期限·类别）组卷的已归档记录",
    response_model=VolumeList,
)
def volumes(
    archive: ArchiveDep, user: Filer, year: str | None = Query(None, description="年度")
) -> dict:
    found = list_volumes(archive, year, visible_levels(user))
    return {"total": len(found), "volumes": [v.to_json() for v in found]}


@api.get(
    "/volumes/catalogue.pdf",
    summary="卷内目录（PDF）",
    response_class=Response,
    responses=file_download("卷内目录", "application/pdf"),
)
async def volume_catalogue(
    request: Request,
    archive: ArchiveDep,
    user: Filer,
    prefix: str = Query(..., description="档号前缀"),
):
    volume = get_volume(archive, prefix, visible_levels(user), redactor(user))
    log_access(request, user, "volumes.catalogue", prefix, records=len(volume.items))
    return _pdf(await run_in_threadpool(catalogue_pdf, volume), f"卷内目录-{prefix}.pdf")


@api.get(
    "/volumes/labels.pdf",
    summary="档案盒脊标签（PDF）",
    response_class=Response,
    responses=file_download("档案盒脊标签", "application/pdf"),
)
async def volume_labels(
    request: Request, archive: ArchiveDep, user: Filer, year: str | None = Query(None)
):
    found = list_volumes(archive, year, visible_levels(user))
    log_access(request, user, "volumes.labels", year, volumes=len(found))
    return _pdf(await run_in_threadpool(box_labels_pdf, found), f"盒脊标签-{year or '全部'}.pdf")


@ui.get("/volumes", response_class=HTMLResponse)
def volumes_page(request: Request, archive: ArchiveDep, user: Filer, year: str = ""):
    found = list_volumes(archive, year or None, visible_levels(user))
    years = sorted(
        {v.year for v in list_volumes(archive, levels=visible_levels(user))}, reverse=True
    )
    return templates.TemplateResponse(
        request, "volumes.html", {"volumes": found, "year": year, "years": years}
    )
