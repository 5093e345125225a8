"""Read the retention schedule: one row per archive class (code, titles, period)."""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

_REPO_ROOT = Path(__file__).resolve().parents[2]
_CANDIDATES = (
    Path("retention/data/retention_schedule.csv"),
    Path("../shared/reference/retention_schedule.csv"),
)
_REQUIRED = ("code", "category", "business_stage", "material", "typical_titles", "retention")


@dataclass(frozen=True)
class ScheduleClass:
    """One archive class of the retention schedule."""

    code: str
    category: str
    business_stage: str
    material: str
    titles: tuple[str, ...]
    retention: str
    basis: str


def default_schedule_path() -> Path:
    """The schedule in the repository, else the shared reference copy beside it."""
    for rel in _CANDIDATES:
        path = (_REPO_ROOT / rel).resolve()
        if path.is_file():
            return path
    tried = ", ".join(str(_REPO_ROOT / rel) for rel in _CANDIDATES)
    raise FileNotFoundError(f"retention schedule not found (tried {tried})")


def load_schedule(path: Path | None = None) -> list[ScheduleClass]:
    """Parse the schedule CSV; `path` defaults to `default_schedule_path()`."""
    path = Path(path) if path is not None else default_schedule_path()
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in _REQUIRED if c not in (reader.fieldnames or ())]
        if missing:
            raise ValueError(f"{path}: missing columns {missing}")
        classes: list[ScheduleClass] = []
        for row in reader:
            code = (row.get("code") or "").strip()
            if not code:
                continue
            titles = tuple(t.strip() for t in (row.get("typical_titles") or "").split("|"))
            titles = tuple(t for t in titles if t) or ((row.get("material") or code).strip(),)
            classes.append(
                ScheduleClass(
                    code=code,
                    category=(row.get("category") or "").strip(),
                    business_stage=(row.get("business_stage") or "").strip(),
                    material=(row.get("material") or "").strip(),
                    titles=titles,
                    retention=(row.get("retention") or "").strip(),
                    basis=(row.get("basis") or "").strip(),
                )
            )
    logger.debug("loaded %d classes from %s", len(classes), path)
    return classes
