"""What a synthetic form says, as an ordered list of blocks.

`content.py` fills these in; `layout.py` places them on A4 pages. Keeping the
two apart lets the raster and the born-digital PDF share one layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SealSpec:
    """A round red seal: `text` around the top edge, a star, `bottom` under it."""

    text: str
    bottom: str = ""


@dataclass
class Title:
    text: str
    size: float = 18.0


@dataclass
class Subtitle:
    """A centred line under the title (文号, 统计期, 填报日期)."""

    text: str


@dataclass
class Meta:
    """One line above the body with a left and a right part."""

    left: str = ""
    right: str = ""


@dataclass
class KVGrid:
    """A bordered grid of label/value cells; each row holds one or two pairs."""

    rows: list[list[tuple[str, str]]]


@dataclass
class Table:
    """A bordered table; `page_rows` forces how many rows go on each page."""

    columns: list[str]
    rows: list[list[str]]
    weights: list[float]
    align: str = ""  # one of "l", "c", "r" per column; default centred
    total: list[str] | None = None
    caption: str | None = None
    page_rows: list[int] = field(default_factory=list)


@dataclass
class Paragraphs:
    """Running text, wrapped to the body width."""

    texts: list[str]
    indent: bool = True
    size: float = 11.0


@dataclass
class Signature:
    """Signature lines starting at `x` (fraction of the body width); `seal` lands on
    line `seal_line`. With `beside`, the block sits level with the previous one."""

    lines: list[str]
    seal: SealSpec | None = None
    seal_line: int = 0
    x: float = 0.52
    beside: bool = False


@dataclass
class Opinion:
    """A bordered box: heading, opinion text, signer line and date, optional seal."""

    heading: str
    text: str
    signer: str
    date: str
    seal: SealSpec | None = None


@dataclass
class Footer:
    """The 经办人 / 审核人 / 日期 line spread across the width."""

    parts: list[str]


@dataclass
class PageBreak:
    """Start a new page, optionally with a heading (e.g. 填表说明)."""

    heading: str = ""


Block = (
    Title | Subtitle | Meta | KVGrid | Table | Paragraphs | Signature | Opinion | Footer | PageBreak
)


@dataclass
class Form:
    """A complete synthetic form and its ground truth fields."""

    doc_type: str
    title: str
    blocks: list[Block]
    fields: dict[str, Any]
