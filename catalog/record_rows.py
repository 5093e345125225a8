"""How a Record maps to rows of the catalog's `records`, `files` and `pages`
tables (catalog/sql.py reads and writes them)."""

from __future__ import annotations

import json
from typing import Any

from dangan.catalog.base import FileRef, PageText, Record


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def record_values(record: Record) -> dict[str, object]:
    """Column -> value for the records table."""
    return {
        "id": record.id,
        "sha256": record.sha256,
        "filename": record.filename,
        "media_type": record.media_type,
        "size": record.size,
        "page_count": record.page_count,
        "title": record.title,
        "ocr_mode": record.ocr_mode,
        "created_at": record.created_at,
        "metadata": dumps(record.metadata),
        "status": record.status,
        "doc_type": record.doc_type,
        "category": record.category,
        "retention": record.retention,
        "formed_date": record.formed_date,
        "disposal_date": record.disposal_date,
        "confidence": record.confidence,
        "review_reasons": dumps(record.review_reasons),
        "schedule_version": record.schedule_version,
        "fields": dumps(record.fields),
        "archival_prefix": record.archival_prefix,
        "archival_code": record.archival_code,
        "security_level": record.security_level,
    }


# records columns read into Record fields of the same name: as stored, or JSON text
_PLAIN_COLUMNS = (
    "id", "sha256", "filename", "media_type", "size", "page_count", "title", "ocr_mode",
    "created_at", "status", "doc_type", "category", "retention", "formed_date",
    "disposal_date", "confidence", "schedule_version", "archival_prefix", "archival_code",
    "security_level",
)  # fmt: skip
_JSON_COLUMNS = ("metadata", "review_reasons", "fields")


def record_from_rows(row: Any, files: list, pages: list) -> Record:
    """A Record from its row in `records` and its rows in `files` and `pages`."""
    return Record(
        **{name: row[name] for name in _PLAIN_COLUMNS},
        **{name: json.loads(row[name]) for name in _JSON_COLUMNS},
        files=[
            FileRef(
                role=f["role"],
                key=f["key"],
                sha256=f["sha256"],
                size=f["size"],
                media_type=f["media_type"],
                page_no=f["page_no"],
            )
            for f in files
        ],
        pages=[PageText(page_no=p["page_no"], text=p["text"]) for p in pages],
    )
