"""Shared route dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from catalog.base import Record
from dangan.archive import Archive
from dangan.errors import NotFound


def get_archive(request: Request) -> Archive:
    return request.app.state.archive


ArchiveDep = Annotated[Archive, Depends(get_archive)]


def load_record(archive: Archive, record_id: str) -> Record:
    record = archive.catalog.get(record_id)
    if record is None:
        raise NotFound(f"没有编号为 {record_id} 的档案记录。")
    return record
