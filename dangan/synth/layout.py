"""Place a `Form`'s blocks on A4 pages, in millimetres.

The result is a list of `PageLayout`s holding positioned text, rules and seals.
Both the raster renderer and the born-digital PDF writer draw from it, and the
ground-truth text of a page is read back from it in reading order.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

from dangan.synth.fonts import PT_PER_MM, Measurer
from dangan.synth.model import (
    Footer,
    Form,
    KVGrid,
    Meta,
    Opinion,
    PageBreak,
    Paragraphs,
    SealSpec,
    Signature,
    Subtitle,
    Table,
    Title,
)

PAGE_W = 210.0
PAGE_H = 297.0
MARGIN_X = 20.0
MARGIN_TOP = 18.0
BOTTOM = PAGE_H - 20.0
BODY_W = PAGE_W - 2 * MARGIN_X
BODY_PT = 10.5
MIN_PT = 7.5
THIN = 0.2
THICK = 0.35


@dataclass(frozen=True)
class TextItem:
    """Text drawn with its left edge at `x` and its baseline at `y` (mm)."""

    x: float
    y: float
    text: str
    size: float  # points
    bold: bool
    row: int  # reading-order line this text belongs to


@dataclass(frozen=True)
class RuleItem:
    """A straight line from (x0, y0) to (x1, y1), `width` mm thick."""

    x0: float
    y0: float
    x1: float
    y1: float
    width: float = THIN


@dataclass(frozen=True)
class SealItem:
    """A round seal centred at (cx, cy), `diameter` mm, turned by `angle` degrees."""

    cx: float
    cy: float
    diameter: float
    angle: float
    spec: SealSpec
    seed: int


@dataclass
class PageLayout:
    """Everything printed on one A4 page."""

    texts: list[TextItem] = field(default_factory=list)
    rules: list[RuleItem] = field(default_factory=list)
    seals: list[SealItem] = field(default_factory=list)
    width_mm: float = PAGE_W
    height_mm: float = PAGE_H

    def lines(self) -> list[str]:
        """Printed lines in reading order; parts of one line joined by a space."""
        rows: dict[int, list[TextItem]] = {}
        for item in self.texts:
            rows.setdefault(item.row, []).append(item)
        return [
            " ".join(t.text for t in sorted(items, key=lambda t: t.x))
            for _, items in sorted(rows.items())
        ]

    def text(self) -> str:
        return "\n".join(self.lines())


def _mm(size_pt: float) -> float:
    return size_pt / PT_PER_MM


_TOKEN = re.compile(r"[A-Za-z0-9.%\-/]+|.", re.S)
_NO_LINE_START = set("，。、；：？！）》”’%")


def wrap(
    text: str, width: float, measure: Measurer, size: float, first_indent: float = 0.0
) -> list[str]:
    """Greedy wrap for Chinese text: break between characters, keep ASCII runs whole."""
    lines: list[str] = []
    current = ""
    limit = width - first_indent
    for token in _TOKEN.findall(text):
        candidate = current + token
        if current and measure.width(candidate, size) > limit and token not in _NO_LINE_START:
            lines.append(current)
            current = token
            limit = width
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


class _Flow:
    """Cursor state while blocks are poured onto pages."""

    def __init__(self, form: Form, measure: Measurer, rng: random.Random) -> None:
        self.form = form
        self.measure = measure
        self.rng = rng
        self.pages: list[PageLayout] = []
        self.row = 0
        self.y = MARGIN_TOP
        self.sig_top: float | None = None
        self.new_page()

    # -- primitives -------------------------------------------------------------

    @property
    def page(self) -> PageLayout:
        return self.pages[-1]

    def new_page(self) -> None:
        self.pages.append(PageLayout())
        self.y = MARGIN_TOP
        self.sig_top = None

    def next_row(self) -> int:
        self.row += 1
        return self.row

    def ensure(self, height: float, heading: str = "") -> bool:
        """Start a new page unless `height` mm still fits; True when it broke."""
        if self.y + height <= BOTTOM or self.y <= MARGIN_TOP + 0.01:
            return False
        self.new_page()
        if heading:
            self.centred(heading, 12.0, bold=True)
            self.y += 3
        return True

    def fit(self, text: str, size: float, max_w: float, bold: bool = False) -> float:
        """The largest size <= `size` at which `text` fits in `max_w` mm."""
        width = self.measure.width(text, size, bold)
        if width <= max_w or width <= 0:
            return size
        return max(MIN_PT, size * max_w / width * 0.98)

    def put(
        self, x: float, baseline: float, text: str, size: float, row: int, bold: bool = False
    ) -> None:
        if text:
            self.page.texts.append(TextItem(x, baseline, text, size, bold, row))

    def put_in_cell(
        self,
        text: str,
        x: float,
        w: float,
        top: float,
        h: float,
        row: int,
        *,
        align: str = "c",
        size: float = BODY_PT,
        bold: bool = False,
        pad: float = 1.5,
    ) -> None:
        size = self.fit(text, size, w - 2 * pad, bold)
        tw = self.measure.width(text, size, bold)
        if align == "l":
            tx = x + pad
        elif align == "r":
            tx = x + w - pad - tw
        else:
            tx = x + (w - tw) / 2
        baseline = top + h / 2 + 0.36 * _mm(size)
        self.put(tx, baseline, text, size, row, bold)

    def hline(self, x0: float, x1: float, y: float, width: float = THIN) -> None:
        self.page.rules.append(RuleItem(x0, y, x1, y, width))

    def vline(self, x: float, y0: float, y1: float, width: float = THIN) -> None:
        self.page.rules.append(RuleItem(x, y0, x, y1, width))

    def centred(self, text: str, size: float, bold: bool = False) -> float:
        size = self.fit(text, size, BODY_W, bold)
        tw = self.measure.width(text, size, bold)
        baseline = self.y + 0.88 * _mm(size)
        self.put(MARGIN_X + (BODY_W - tw) / 2, baseline, text, size, self.next_row(), bold)
        self.y += _mm(size) * 1.25
        return baseline

    def place_seal(self, spec: SealSpec, anchor_x: float, baseline: float) -> None:
        diameter = self.rng.uniform(38.0, 42.0)
        r = diameter / 2
        cx = anchor_x + self.rng.uniform(-6.0, 8.0)
        cy = baseline - 2.0 + self.rng.uniform(-4.0, 4.0)
        cx = min(max(cx, r + 3), PAGE_W - r - 3)
        cy = min(max(cy, r + 3), PAGE_H - r - 3)
        angle = self.rng.uniform(-12.0, 12.0)
        self.page.seals.append(SealItem(cx, cy, diameter, angle, spec, self.rng.getrandbits(32)))

    # -- blocks -----------------------------------------------------------------

    def title(self, block: Title) -> None:
        self.y += 2
        self.centred(block.text, block.size, bold=True)
        self.y += 3

    def subtitle(self, block: Subtitle) -> None:
        self.centred(block.text, 12.0)
        self.y += 2

    def meta(self, block: Meta) -> None:
        self.ensure(8)
        row = self.next_row()
        baseline = self.y + 5
        if block.left:
            size = self.fit(block.left, BODY_PT, BODY_W * 0.6)
            self.put(MARGIN_X, baseline, block.left, size, row)
        if block.right:
            size = self.fit(block.right, BODY_PT, BODY_W * 0.45)
            tw = self.measure.width(block.right, size)
            self.put(MARGIN_X + BODY_W - tw, baseline, block.right, size, row)
        self.y += 8

    def kv_grid(self, block: KVGrid) -> None:
        h = 9.0
        labels = [label for row in block.rows for label, _ in row]
        lw = max((self.measure.width(lab, BODY_PT) for lab in labels), default=20.0) + 4
        lw = min(max(lw, BODY_W * 0.14), BODY_W * 0.24)
        x0, x1 = MARGIN_X, MARGIN_X + BODY_W
        self.ensure(h)
        self.hline(x0, x1, self.y, THICK)
        for pairs in block.rows:
            if self.ensure(h):
                self.hline(x0, x1, self.y, THICK)
            row = self.next_row()
            top = self.y
            vw = (BODY_W - lw * len(pairs)) / len(pairs)
            x = x0
            edges = [x0]
            for label, value in pairs:
                self.put_in_cell(label, x, lw, top, h, row)
                edges.append(x + lw)
                self.put_in_cell(value, x + lw, vw, top, h, row, align="l", pad=2.0)
                x += lw + vw
                edges.append(x)
            for i, ex in enumerate(edges):
                self.vline(ex, top, top + h, THICK if i in (0, len(edges) - 1) else THIN)
            self.y += h
            self.hline(x0, x1, self.y, THIN)
        self.hline(x0, x1, self.y, THICK)
        self.y += 4

    def _table_header(self, block: Table, xs: list[float]) -> None:
        h = 9.0
        row = self.next_row()
        top = self.y
        self.hline(xs[0], xs[-1], top, THICK)
        for i, col in enumerate(block.columns):
            self.put_in_cell(col, xs[i], xs[i + 1] - xs[i], top, h, row, bold=True)
        self._row_rules(xs, top, h)
        self.y += h

    def _row_rules(self, xs: list[float], top: float, h: float) -> None:
        for i, x in enumerate(xs):
            self.vline(x, top, top + h, THICK if i in (0, len(xs) - 1) else THIN)
        self.hline(xs[0], xs[-1], top + h, THIN)

    def _table_row(
        self, cells: list[str], block: Table, xs: list[float], bold: bool = False
    ) -> None:
        h = 7.5
        row = self.next_row()
        top = self.y
        for i, cell in enumerate(cells):
            align = block.align[i] if i < len(block.align) else "c"
            self.put_in_cell(cell, xs[i], xs[i + 1] - xs[i], top, h, row, align=align, bold=bold)
        self._row_rules(xs, top, h)
        self.y += h

    def table(self, block: Table) -> None:
        total_w = sum(block.weights)
        xs = [MARGIN_X]
        for w in block.weights:
            xs.append(xs[-1] + BODY_W * w / total_w)
        heading = f"{self.form.title}（续）"
        if block.caption:
            self.ensure(8 + 9 + 7.5)
            row = self.next_row()
            self.put(MARGIN_X, self.y + 5.5, block.caption, 11.0, row, bold=True)
            self.y += 8
        self.ensure(9 + 7.5, heading)
        self._table_header(block, xs)
        limits = list(block.page_rows)
        on_page = 0
        for index, cells in enumerate(block.rows):
            forced = bool(limits) and on_page >= limits[0] and index < len(block.rows)
            if forced or self.y + 7.5 > BOTTOM:
                if forced:
                    limits.pop(0)
                self.hline(xs[0], xs[-1], self.y, THICK)
                self.new_page()
                self.centred(heading, 12.0, bold=True)
                self.y += 3
                self._table_header(block, xs)
                on_page = 0
            self._table_row(cells, block, xs)
            on_page += 1
        if block.total:
            self.ensure(7.5, heading)
            self._table_row(block.total, block, xs, bold=True)
        self.hline(xs[0], xs[-1], self.y, THICK)
        self.y += 5

    def paragraphs(self, block: Paragraphs) -> None:
        size = block.size
        line_h = _mm(size) * 1.8
        indent = 2 * _mm(size) if block.indent else 0.0
        for text in block.texts:
            for i, line in enumerate(wrap(text, BODY_W, self.measure, size, indent)):
                self.ensure(line_h)
                x = MARGIN_X + (indent if i == 0 else 0.0)
                self.put(x, self.y + 0.88 * _mm(size) + 1.0, line, size, self.next_row())
                self.y += line_h
        self.y += 2

    def signature(self, block: Signature) -> None:
        line_h = 8.0
        if block.beside and self.sig_top is not None:
            self.y = self.sig_top
        else:
            self.ensure(line_h * len(block.lines) + 4)
            self.sig_top = self.y
        self.y += 3
        x = MARGIN_X + BODY_W * block.x
        for i, line in enumerate(block.lines):
            baseline = self.y + 5.5
            self.put(x, baseline, line, BODY_PT, self.next_row())
            if block.seal is not None and i == block.seal_line:
                self.place_seal(block.seal, x + self.measure.width(line, BODY_PT) * 0.7, baseline)
            self.y += line_h
        self.y += 2

    def opinion(self, block: Opinion) -> None:
        h = 32.0
        self.ensure(h + 2)
        top = self.y
        x0, x1 = MARGIN_X, MARGIN_X + BODY_W
        for y in (top, top + h):
            self.hline(x0, x1, y, THICK)
        for x in (x0, x1):
            self.vline(x, top, top + h, THICK)
        self.put(x0 + 3, top + 7, block.heading, BODY_PT, self.next_row(), bold=True)
        size = self.fit(block.text, BODY_PT, BODY_W - 14)
        self.put(x0 + 10, top + 15, block.text, size, self.next_row())
        sx = x0 + BODY_W * 0.55
        self.put(sx, top + 22.5, block.signer, BODY_PT, self.next_row())
        self.put(sx + 8, top + 29, block.date, BODY_PT, self.next_row())
        if block.seal is not None:
            self.place_seal(
                block.seal, sx + self.measure.width(block.signer, BODY_PT) * 0.5, top + 24
            )
        self.y = top + h + 4

    def footer(self, block: Footer) -> None:
        self.ensure(10)
        row = self.next_row()
        step = BODY_W / max(len(block.parts), 1)
        for i, part in enumerate(block.parts):
            size = self.fit(part, BODY_PT, step - 2)
            self.put(MARGIN_X + i * step, self.y + 6, part, size, row)
        self.y += 10

    def page_break(self, block: PageBreak) -> None:
        self.new_page()
        if block.heading:
            self.y += 2
            self.centred(block.heading, 14.0, bold=True)
            self.y += 4

    def finish(self) -> list[PageLayout]:
        total = len(self.pages)
        if total > 1:
            for number, page in enumerate(self.pages, start=1):
                text = f"第 {number} 页 共 {total} 页"
                tw = self.measure.width(text, 9.0)
                page.texts.append(
                    TextItem((PAGE_W - tw) / 2, PAGE_H - 11, text, 9.0, False, self.row + 1)
                )
        return self.pages


def layout_form(form: Form, measure: Measurer, rng: random.Random) -> list[PageLayout]:
    """Pour `form` onto as many A4 pages as it needs."""
    flow = _Flow(form, measure, rng)
    handlers = {
        Title: flow.title,
        Subtitle: flow.subtitle,
        Meta: flow.meta,
        KVGrid: flow.kv_grid,
        Table: flow.table,
        Paragraphs: flow.paragraphs,
        Signature: flow.signature,
        Opinion: flow.opinion,
        Footer: flow.footer,
        PageBreak: flow.page_break,
    }
    for block in form.blocks:
        handlers[type(block)](block)  # type: ignore[operator]
    return flow.finish()
