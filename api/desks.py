"""Beijing-day bounds for the desks' date filters (times themselves:
api/labels.py `bj_time`; audit details: `detail_text`; table exports:
api/export.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from dangan.api.labels import BEIJING


def day_bounds(day_from: str, day_to: str) -> tuple[str | None, str | None]:
    """Beijing calendar days (YYYY-MM-DD, inclusive) as UTC ISO bounds; a
    malformed day raises ValueError."""

    since = until = None
    if day_from:
        start = datetime.combine(date.fromisoformat(day_from), datetime.min.time(), BEIJING)
        since = start.astimezone(UTC).isoformat(timespec="milliseconds")
    if day_to:
        end = datetime.combine(date.fromisoformat(day_to), datetime.min.time(), BEIJING)
        until = (end + timedelta(days=1)).astimezone(UTC).isoformat(timespec="milliseconds")
    return since, until
