"""Intake statistics: what came in per day, what was rejected and why, the
review backlog, records and pages per class."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from dangan.catalog.stores.stats import IntakeStatsRows

if TYPE_CHECKING:
    from dangan.ingest.pipeline import IngestResult

    from dangan.archive import Archive


def record_outcome(archive: Archive, result: IngestResult) -> None:
    now = datetime.now()
    IntakeStatsRows(archive.catalog).record_outcome(
        now.astimezone(UTC).isoformat(timespec="seconds"),
        now.date().isoformat(),
        result.status,
        result.reason,
        result.pages,
        result.record_id,
        result.filing.get("doc_type"),
    )


def intake_stats(archive: Archive, days: int = 30, today: date | None = None) -> dict:
    """Per day for the last `days` days (newest first), per class, reject reasons
    and the review backlog."""
    today = today or date.today()
    since = (today - timedelta(days=days - 1)).isoformat()
    rows = IntakeStatsRows(archive.catalog)
    per_day = rows.per_day(since)
    day_rows = []
    for n in range(days):
        day = (today - timedelta(days=n)).isoformat()
        row = per_day.get(day, {})
        day_rows.append(
            {
                "day": day,
                "records": row.get("records") or 0,
                "pages": row.get("pages") or 0,
                "rejected": row.get("rejected") or 0,
                "duplicates": row.get("duplicates") or 0,
            }
        )
    reasons = rows.reject_reasons(since)
    schedule = archive.schedule()
    per_class = [
        {
            "doc_type": r["doc_type"],
            "material": schedule.by_code[r["doc_type"]].material
            if r["doc_type"] in schedule
            else "未分类",
            "records": r["records"],
            "pages": r["pages"],
            "in_review": r["in_review"],
        }
        for r in rows.per_class()
    ]
    backlog = rows.review_backlog()
    return {
        "days": day_rows,
        "reject_reasons": reasons,
        "review_backlog": backlog,
        "per_class": per_class,
        "totals": {
            "records": sum(d["records"] for d in day_rows),
            "pages": sum(d["pages"] for d in day_rows),
            "rejected": sum(d["rejected"] for d in day_rows),
        },
    }
