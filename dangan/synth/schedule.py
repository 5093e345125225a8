"""The classes the generator makes forms of: the retention schedule, read by
`dangan.retention.schedule` (the archive's own parser and its packaged default copy)."""

from __future__ import annotations

from pathlib import Path

from dangan.retention.schedule import ScheduleRow, default_schedule, load_file


def load_schedule(path: Path | None = None) -> list[ScheduleRow]:
    """The schedule's rows: the packaged default, or the CSV at `path`."""
    if path is None:
        return list(default_schedule().rows)
    return load_file(Path(path))
