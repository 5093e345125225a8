"""Public JSON shape of a record, shared by `dangan show --json` and the API."""

from __future__ import annotations

from dangan.catalog.base import Record

FIELD_NAMES = (
    "id_numbers",
    "invalid_id_numbers",
    "person_name",
    "credit_code",
    "unit_name",
    "unit_code",
    "serial",
    "business_date",
    "amounts",
)


# what a record waiting for review shows for its 保管期限 (issue 18): the
# class the machine guessed is not decided, so neither is its retention
RETENTION_PENDING = "待复核后确定"


def filing_json(record: Record) -> dict:
    """Classification, filing and key fields, flat, as `ingest --json` and
    `show --json` print them. A record waiting for review has no retention
    and no disposal date yet (`retention_note` says so)."""
    pending = record.status == "review"
    out = {
        "doc_type": record.doc_type,
        "category": record.category,
        "retention": None if pending else record.retention,
        "disposal_date": None if pending else record.disposal_date,
        "retention_note": RETENTION_PENDING if pending else None,
        "archival_code": record.archival_code,
        "confidence": record.confidence,
        "needs_review": record.status == "review",
        "review_reasons": record.review_reasons,
        "schedule_version": record.schedule_version,
    }
    for name in FIELD_NAMES:
        out[name] = record.fields.get(name)
    out["business_date"] = record.fields.get("business_date")
    out["formed_date"] = record.formed_date
    return out


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
        "security_level": record.security_level,
        **filing_json(record),
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
