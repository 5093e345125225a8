"""Public JSON shape of a record, shared by `dangan show --json` and the API."""

from __future__ import annotations

from catalog.base import Record


def record_json(record: Record) -> dict:
    return {
        "record_id": record.id,
        "title": record.title,
        "filename": record.filename,
        "media_type": record.media_type,
        "size": record.size,
        "sha256": record.sha256,
        "page_count": record.page_count,
        "ocr_mode": record.ocr_mode,
        "created_at": record.created_at,
        "metadata": record.metadata,
        "files": [
            {
                "role": f.role,
                "page_no": f.page_no,
                "sha256": f.sha256,
                "size": f.size,
                "media_type": f.media_type,
            }
            for f in record.files
        ],
        "pages": [{"page_no": p.page_no, "text": p.text} for p in record.pages],
    }
