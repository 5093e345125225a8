"""Shared route dependencies."""

from __future__ import annotations

from typing import Annotated

from dangan.catalog.base import Record
from fastapi import Depends, Request

from dangan.access.store import Principal
from dangan.archive import Archive
from dangan.errors import NotFound


def get_archive(request: Request) -> Archive:
    return request.app.state.archive


ArchiveDep = Annotated[Archive, Depends(get_archive)]


def load_record(archive: Archive, record_id: str, principal: Principal | None = None) -> Record:
    """The record, or NotFound; with `principal`, Forbidden above their 密级."""
    record = archive.catalog.get(record_id)
    if record is None:
        raise NotFound(f"没有编号为 {record_id} 的档案记录。")
    if principal is not None:
        from dangan.api.auth import check_clearance

        check_clearance(record, principal)
    return record
