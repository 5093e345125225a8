"""Filed records for tests that need a catalog with content but no OCR: a
Record filed by the real filing rules (class, retention, disposal date, 档号)
and added to the archive's catalog."""

from __future__ import annotations

import hashlib
from datetime import date

from dangan.catalog.base import FileRef, PageText, Record
from dangan.retention.filing import apply_filing

from dangan.archive import Archive


def file_record(
    archive: Archive,
    rid: str,
    doc_type: str | None,
    fields: dict,
    *,
    pages: list[str] | None = None,
    title: str | None = None,
    confidence: float = 1.0,
    files: list[FileRef] | None = None,
    metadata: dict | None = None,
    today: date = date(2026, 1, 1),
    filename: str | None = None,
) -> Record:
    """File record `rid` of class `doc_type` with the extracted `fields`
    (business_date, id_numbers, unit_name, ...) and one text per page."""
    pages = pages or [f"题名{rid}"]
    record = Record(
        id=rid,
        sha256=hashlib.sha256(rid.encode()).hexdigest(),
        filename=filename or f"{rid}.png",
        media_type="image/png",
        size=1,
        page_count=len(pages),
        title=f"题名{rid}" if title is None else title,
        ocr_mode="ocr",
        created_at="2026-01-01T00:00:00+00:00",
        pages=[PageText(n, text) for n, text in enumerate(pages, 1)],
        files=files or [],
        metadata=metadata or {},
    )
    apply_filing(
        record,
        doc_type=doc_type,
        confidence=confidence,
        fields=fields,
        schedule=archive.schedule(),
        policy=archive.filing_policy(),
        today=today,
    )
    archive.catalog.add_record(record)
    return record
