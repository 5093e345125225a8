"""Volumes on the shelf: list, in-volume catalogue (卷内目录) and box labels as PDF."""

from __future__ import annotations

from dangan.api.auth import Filer, log_access, redactor, visible_levels
from dangan.api.deps import ArchiveDep
from dangan.api.export import inline_file
from dangan.api.schemas import file_download
from dangan.api.schemas.volumes import VolumeList
from dangan.api.templating import templates
from dangan.catalog.base import SECURITY_LEVELS
from dangan.retention.volumes import (
    DEFAULT_BOX_SIZE,
    box_labels_pdf,
    catalogue_pdf,
    get_volume,
    item_title,
    list_volumes,
    number_boxes,
)
from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

api = APIRouter(tags=["volumes"])
ui = APIRouter(include_in_schema=False)


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
    box_size: int = Query(DEFAULT_BOX_SIZE, ge=1, le=500, description="每盒件数"),
):
    volume = get_volume(archive, prefix, visible_levels(user), redactor(user))
    log_access(request, user, "volumes.catalogue", prefix, records=len(volume.items))
    data = await run_in_threadpool(catalogue_pdf, volume, box_size)
    return inline_file(data, f"卷内目录-{prefix}.pdf")


@api.get(
    "/volumes/labels.pdf",
    summary="档案盒脊标签（PDF）",
    response_class=Response,
    responses=file_download("档案盒脊标签", "application/pdf"),
)
async def volume_labels(
    request: Request,
    archive: ArchiveDep,
    user: Filer,
    year: str | None = Query(None),
    box_size: int = Query(DEFAULT_BOX_SIZE, ge=1, le=500, description="每盒件数"),
    spine_mm: int = Query(40, ge=15, le=80, description="盒脊宽度（毫米），即档案盒厚度"),
):
    found = list_volumes(archive, year, visible_levels(user))
    log_access(request, user, "volumes.labels", year, volumes=len(found))
    data = await run_in_threadpool(box_labels_pdf, found, box_size, spine_mm)
    return inline_file(data, f"盒脊标签-{year or '全部'}.pdf")


@ui.get("/volumes", response_class=HTMLResponse)
def volumes_page(
    request: Request,
    archive: ArchiveDep,
    user: Filer,
    year: str = "",
    box_size: str = "",
    spine_mm: str = "40",
):
    error = ""
    size = DEFAULT_BOX_SIZE
    if box_size.strip():
        if box_size.strip().isdigit() and 1 <= int(box_size) <= 500:
            size = int(box_size)
        else:
            error = f"每盒件数“{box_size}”应为 1–500 的整数；已按 {DEFAULT_BOX_SIZE} 件计。"
    spine = spine_mm if spine_mm in SPINES else "40"
    found = list_volumes(archive, year or None, visible_levels(user))
    redact = redactor(user)  # ID numbers in titles, for roles that see them masked
    if redact is not None:
        for volume in found:
            for item in volume.items:
                item.title, item.responsible = redact(item.title), redact(item.responsible)
    years = sorted(
        {v.year for v in list_volumes(archive, levels=visible_levels(user))}, reverse=True
    )
    boxes: dict[str, list] = {}
    for box in number_boxes(found, size):
        boxes.setdefault(box.volume.prefix, []).append(box)
    return templates.TemplateResponse(
        request,
        "volumes.html",
        {
            "volumes": found,
            "boxes": boxes,
            "year": year,
            "years": years,
            "box_size": size,
            "spine_mm": spine,
            "spines": SPINES,
            "error": error,
            "levels": SECURITY_LEVELS,
            "title_of": item_title,
        },
    )


SPINES = ("20", "30", "40", "50")
