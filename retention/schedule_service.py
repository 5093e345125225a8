"""Loading an agency's schedule into the archive: validated, versioned."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from dangan.retention.schedule import Schedule, load_file, merge_overrides, to_csv

if TYPE_CHECKING:
    from dangan.archive import Archive


def load_agency_schedule(archive: Archive, path: Path, province: str | None = None) -> Schedule:
    """Apply the rows in `path` over the schedule in force and store the result
    as a new version. Nothing is stored if any row is refused."""
    rows = load_file(path)
    source = f"{province or '本机构'}:{path.name}"
    merged = merge_overrides(archive.schedule(), rows, source)
    version = archive.catalog.add_schedule_version(source, to_csv(merged.rows))
    archive.forget_cached()
    schedule = archive.schedule()
    assert schedule.version == version
    return schedule
