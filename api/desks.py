"""Small display helpers shared by the desks' routes (Beijing time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8), "北京时间")


def beijing(iso: str | None) -> str:
    """An ISO time as Beijing time, `YYYY-MM-DD HH:mm` (a date stays a date)."""
    if not iso:
        return ""
    if len(iso) == 10:
        return iso
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
