"""The retention schedule as data.

The default ships with the project (retention/data/retention_schedule.csv, from
the agency rules in 3号令); an agency loads its own rows over it. A row may
lengthen a period but never shorten it below the default."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path

from dangan.errors import DanganError, ExitCode

COLUMNS = ("code", "category", "business_stage", "material", "typical_titles", "retention", "basis")
PERMANENT = "永久"


class ScheduleError(DanganError):
    exit_code = ExitCode.SCHEDULE
    http_status = 422
    code = "schedule"


@dataclass(frozen=True)
class ScheduleRow:
    code: str
    category: str
    business_stage: str
    material: str
    typical_titles: tuple[str, ...]
    retention: str  # "永久" or "<N>年"
    basis: str = ""

    @property
    def titles(self) -> tuple[str, ...]:
        """The titles a record of this class carries: the typical titles, else
        the material's name (else the code)."""
        return self.typical_titles or (self.material or self.code,)

    @property
    def years(self) -> int | None:
        return retention_years(self.retention)

    @property
    def retention_code(self) -> str:
        """DA/T 22 code: Y for permanent, D<N> for N years."""
        years = self.years
        return "Y" if years is None else f"D{years}"


@dataclass(frozen=True)
class Schedule:
    rows: tuple[ScheduleRow, ...]
    version: int = 0
    source: str = "default"
    by_code: dict[str, ScheduleRow] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_code", {r.code: r for r in self.rows})

    def __getitem__(self, code: str) -> ScheduleRow:
        return self.by_code[code]

    def __contains__(self, code: object) -> bool:
        return code in self.by_code

    @property
    def codes(self) -> list[str]:
        return [r.code for r in self.rows]


def retention_years(retention: str) -> int | None:
    """None for permanent; raises ScheduleError for anything unreadable."""
    value = retention.strip()
    if value == PERMANENT:
        return None
    if value.endswith("年") and value[:-1].isdigit() and int(value[:-1]) > 0:
        return int(value[:-1])
    raise ScheduleError(f"保管期限“{retention}”无法识别。应为“永久”或“N年”（如“30年”）。")


def disposal_date(formed: date, retention: str) -> date | None:
    """The clock starts on 1 January of the year after the record was formed
    (3号令); the record falls due when the period has run. Permanent: never."""
    years = retention_years(retention)
    if years is None:
        return None
    return date(formed.year + 1 + years, 1, 1)


def parse_csv(text: str, source: str = "") -> list[ScheduleRow]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in COLUMNS[:6] if c not in (reader.fieldnames or [])]
    if missing:
        raise ScheduleError(f"保管期限表 {source} 缺少列：{'、'.join(missing)}。")
    rows = []
    seen = set()
    for line_no, raw in enumerate(reader, start=2):
        code = (raw.get("code") or "").strip()
        if not code:
            raise ScheduleError(f"保管期限表 {source} 第 {line_no} 行缺少类目代码（code）。")
        if code in seen:
            raise ScheduleError(f"保管期限表 {source} 第 {line_no} 行：类目代码 {code} 重复。")
        seen.add(code)
        retention = (raw.get("retention") or "").strip()
        try:
            retention_years(retention)
        except ScheduleError as exc:
            raise ScheduleError(
                f"保管期限表 {source} 第 {line_no} 行（{code}）：{exc.message}"
            ) from exc
        rows.append(
            ScheduleRow(
                code=code,
                category=(raw.get("category") or "").strip(),
                business_stage=(raw.get("business_stage") or "").strip(),
                material=(raw.get("material") or "").strip(),
                typical_titles=tuple(
                    t.strip() for t in (raw.get("typical_titles") or "").split("|") if t.strip()
                ),
                retention=retention,
                basis=(raw.get("basis") or "").strip(),
            )
        )
    return rows


def default_schedule() -> Schedule:
    text = (
        resources.files("dangan.retention")
        .joinpath("data/retention_schedule.csv")
        .read_text("utf-8")
    )
    return Schedule(rows=tuple(parse_csv(text, "（默认）")), version=0, source="default")


def merge_overrides(base: Schedule, overrides: list[ScheduleRow], source: str) -> Schedule:
    """Apply an agency's rows over `base`. Refuses the whole file if any row would
    shorten a period below the default or drop fields a new class needs."""
    default = default_schedule()
    problems = []
    for row in overrides:
        floor = default.by_code.get(row.code)
        if floor is None:
            if not row.typical_titles or not row.category:
                problems.append(f"新增类目 {row.code} 必须填写 category 和 typical_titles")
            continue
        if _shorter(row.retention, floor.retention):
            problems.append(
                f"{row.code}（{floor.material}）的保管期限 {row.retention} 短于默认的 {floor.retention}"
            )
    if problems:
        raise ScheduleError(
            f"未导入保管期限表 {source}：" + "；".join(problems) + "。保管期限只能延长，不能缩短。"
        )
    merged = dict(base.by_code)
    for row in overrides:
        merged[row.code] = row
    return Schedule(rows=tuple(merged.values()), version=base.version + 1, source=source)


def _shorter(candidate: str, floor: str) -> bool:
    cand, base = retention_years(candidate), retention_years(floor)
    if base is None:
        return cand is not None
    return cand is not None and cand < base


def to_csv(rows: tuple[ScheduleRow, ...] | list[ScheduleRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for r in rows:
        writer.writerow(
            [
                r.code,
                r.category,
                r.business_stage,
                r.material,
                "|".join(r.typical_titles),
                r.retention,
                r.basis,
            ]
        )
    return out.getvalue()


def load_file(path: Path) -> list[ScheduleRow]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScheduleError(
            f"无法读取保管期限表 {path}：请确认文件存在且为 UTF-8 编码的 CSV。"
        ) from exc
    return parse_csv(text, str(path))
