"""Arrangement for the shelf (整理/装盒): filed records grouped by their 档号
prefix — 全宗号-门类代码·年度-保管期限代码-机构(问题)代码 — so a volume holds one
year, one retention period and one class group, its 件 in 件号 order with no
gaps. Printed as the in-volume catalogue (卷内目录) and box labels (盒脊)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dangan.catalog.base import SECURITY_LEVELS

from dangan.errors import NotFound
from dangan.pdf import SpineLabel, TableSheet, spine_labels_pdf, tables_pdf

if TYPE_CHECKING:
    from dangan.archive import Archive

DEFAULT_BOX_SIZE = 50  # 件 per box (assumed; agencies box by thickness)


@dataclass
class VolumeItem:
    record_id: str
    archival_code: str
    number: int  # 件号
    title: str
    responsible: str  # 责任者: the unit or person the record was formed for
    date: str
    pages: int
    doc_type: str
    serial: str = ""  # 文号: the business serial (业务流水号) the form carries
    level: str = "internal"  # 密级


@dataclass
class Volume:
    prefix: str  # the 档号 without 件号
    year: str
    retention: str
    category: str
    items: list[VolumeItem] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return sum(i.pages for i in self.items)

    def boxes(self, size: int = DEFAULT_BOX_SIZE) -> list[list[VolumeItem]]:
        return [self.items[i : i + size] for i in range(0, len(self.items), size)]

    def to_json(self) -> dict:
        return {
            "prefix": self.prefix,
            "year": self.year,
            "retention": self.retention,
            "category": self.category,
            "count": len(self.items),
            "pages": self.pages,
            "first": self.items[0].archival_code if self.items else None,
            "last": self.items[-1].archival_code if self.items else None,
            "doc_types": sorted({i.doc_type for i in self.items}),
        }


def list_volumes(
    archive: Archive, year: str | None = None, levels: tuple[str, ...] | None = None
) -> list[Volume]:
    """Volumes of filed records; with `levels`, only records of these 密级 (the
    reader's clearance) are listed, and volumes without any are left out."""
    volumes: dict[str, Volume] = {}
    for row in archive.catalog.filed_in("%"):
        if levels is not None and row["security_level"] not in levels:
            continue
        prefix = row["archival_prefix"]
        vol_year = prefix.split("·", 1)[1].split("-", 1)[0] if "·" in prefix else ""
        if year and vol_year != year:
            continue
        volume = volumes.get(prefix)
        if volume is None:
            volume = volumes[prefix] = Volume(
                prefix, vol_year, row["retention"] or "", row["category"] or ""
            )
        fields = row["fields"] or {}
        volume.items.append(
            VolumeItem(
                record_id=row["id"],
                archival_code=row["archival_code"],
                number=int(row["archival_code"].rsplit("-", 1)[1]),
                title=row["title"],
                responsible=fields.get("unit_name") or fields.get("person_name") or "",
                date=row["formed_date"] or "",
                pages=row["page_count"],
                doc_type=row["doc_type"] or "",
                serial=fields.get("serial") or "",
                level=row["security_level"] or "internal",
            )
        )
    for volume in volumes.values():
        volume.items.sort(key=lambda i: i.number)
    return sorted(volumes.values(), key=lambda v: (v.year, v.prefix))


def get_volume(
    archive: Archive,
    prefix: str,
    levels: tuple[str, ...] | None = None,
    redact: Callable[[str], str] | None = None,
) -> Volume:
    """One volume; `redact` masks its items' titles and 责任者 (ID numbers)."""
    for volume in list_volumes(archive, levels=levels):
        if volume.prefix == prefix:
            if redact is not None:
                for item in volume.items:
                    item.title, item.responsible = redact(item.title), redact(item.responsible)
            return volume
    raise NotFound(f"没有档号前缀为 {prefix} 的已归档记录。")


def item_title(item: VolumeItem) -> str:
    """The 题名 as the catalogue prints it: it names the person or employer the
    record is about (责任者 + 事由/文种), as DA/T 22 asks of a 文件级 title."""
    who = item.responsible
    return item.title if not who or who in item.title else f"{who}{item.title}"


@dataclass
class Box:
    volume: Volume
    number: int  # 盒号, running within a year and retention period
    items: list[VolumeItem]


def number_boxes(volumes: list[Volume], size: int = DEFAULT_BOX_SIZE) -> list[Box]:
    """Boxes of `size` 件 each; 盒号 run on within each 年度·保管期限."""
    counters: dict[tuple[str, str], int] = {}
    boxes = []
    for volume in volumes:
        for items in volume.boxes(size):
            key = (volume.year, volume.retention)
            counters[key] = counters.get(key, 0) + 1
            boxes.append(Box(volume, counters[key], items))
    return boxes


def catalogue_pdf(volume: Volume, box_size: int = DEFAULT_BOX_SIZE) -> bytes:
    """卷内目录: one sheet per box, items in 件号 order."""
    sheets = []
    boxes = volume.boxes(box_size) or [[]]
    for n, box in enumerate(boxes, start=1):
        sheets.append(
            TableSheet(
                title="卷内目录",
                header_lines=[
                    f"档号前缀：{volume.prefix}　年度：{volume.year}　"
                    f"保管期限：{volume.retention}　门类：{volume.category}",
                    f"第 {n} 盒，共 {len(boxes)} 盒",
                ],
                columns=["序号", "档号", "文号", "责任者", "题名", "日期", "页数", "密级", "备注"],
                widths=[5, 27, 12, 16, 28, 11, 5, 6, 5],
                rows=[
                    [
                        str(i),
                        it.archival_code,
                        it.serial,
                        it.responsible,
                        item_title(it),
                        it.date,
                        str(it.pages),
                        SECURITY_LEVELS.get(it.level, it.level),
                        "",
                    ]
                    for i, it in enumerate(box, start=1)
                ],
                footer_lines=[f"本盒共 {len(box)} 件，{sum(it.pages for it in box)} 页。"],
            )
        )
    return tables_pdf(sheets, doc_title=f"卷内目录 {volume.prefix}", landscape=True)


def box_labels_pdf(
    volumes: list[Volume], box_size: int = DEFAULT_BOX_SIZE, spine_mm: float = 40
) -> bytes:
    """盒脊 labels, one strip per box the width of the box's spine."""
    labels = [
        SpineLabel(
            lines=[
                ("全宗号", box.volume.prefix.split("-", 1)[0]),
                ("档号", box.volume.prefix),
                ("年度", box.volume.year),
                ("保管期限", box.volume.retention),
                ("门类", box.volume.category),
                ("起止件号", f"{box.items[0].number:04d}—{box.items[-1].number:04d}"),
                ("件数", str(len(box.items))),
            ],
            box_no=str(box.number),
        )
        for box in number_boxes(volumes, box_size)
    ]
    return spine_labels_pdf(labels, width_mm=spine_mm)
