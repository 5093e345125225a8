"""Where search terms sit on a page image: hit rectangles from the PDF/A text layer.

OCRmyPDF writes the recognised text as an invisible layer of the archival PDF,
each character (or word, stretched over its box) at its place on the scan.
pdfium gives every character of that layer a box; this module folds the layer's
text the way search does (full-width to half-width, traditional to simplified),
finds the query with the snippets' pattern (catalog/highlight.py: every term a
phrase of its tokens, spaces and line breaks between characters tolerated, a
Latin or digit token only as a whole run, `3501*` as a prefix), and maps each
match back to its characters' boxes.

Boxes come back as fractions (0..1) of the rendered page's width and height,
top-left origin, so they fit the page image at any size or zoom; page rotation
and crop box are applied exactly as when the page images were rendered."""

from __future__ import annotations

import ctypes
import dataclasses
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from dangan.catalog.cjk import fold
from dangan.catalog.highlight import term_pattern as hit_pattern

# Device grid used to express page positions as fractions: large enough that
# pdfium's integer device coordinates lose nothing visible.
_GRID = 1_000_000


@dataclass(frozen=True)
class CharBox:
    """One character of the text layer and its box, as fractions of the page."""

    char: str
    left: float
    top: float
    right: float
    bottom: float


@dataclass(frozen=True)
class HitBox:
    """One highlight rectangle: a match (or the part of it on one line)."""

    x: float
    y: float
    w: float
    h: float
    text: str

    def to_json(self) -> dict:
        return {k: round(v, 5) if isinstance(v, float) else v for k, v in asdict(self).items()}


class PageOutOfRange(ValueError):
    """The PDF has no page with that number."""


def page_chars(pdf: bytes | Path, page_no: int) -> list[CharBox]:
    """Every character of page `page_no` (1-based) with its loose box (the full
    line height, so highlights of adjacent characters join up)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        if not 1 <= page_no <= len(doc):
            raise PageOutOfRange(f"page {page_no} of {len(doc)}")
        page = doc[page_no - 1]
        textpage = page.get_textpage()
        try:
            return [_char_box(page, textpage, i) for i in range(textpage.count_chars())]
        finally:
            textpage.close()
            page.close()
    finally:
        doc.close()


def _char_box(page, textpage, index: int) -> CharBox:
    import pypdfium2.raw as pdfium_c

    char = chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, index) or 0xFFFD)
    left, bottom, right, top = textpage.get_charbox(index, loose=True)
    xs, ys = [], []
    for x, y in ((left, bottom), (right, top), (left, top), (right, bottom)):
        dx, dy = _to_device(page, x, y)
        xs.append(dx)
        ys.append(dy)
    return CharBox(char, min(xs), min(ys), max(xs), max(ys))


def _to_device(page, x: float, y: float) -> tuple[float, float]:
    import pypdfium2.raw as pdfium_c

    dx, dy = ctypes.c_int(), ctypes.c_int()
    pdfium_c.FPDF_PageToDevice(
        page.raw, 0, 0, _GRID, _GRID, 0, x, y, ctypes.byref(dx), ctypes.byref(dy)
    )
    return _clamp(dx.value / _GRID), _clamp(dy.value / _GRID)


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, value))


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    return fold(char)


def folded_text(chars: list[CharBox]) -> tuple[str, list[int]]:
    """The layer's text in search's folded form, and for each of its characters
    the index of the layer character it came from."""
    parts: list[str] = []
    origin: list[int] = []
    for index, box in enumerate(chars):
        folded = _fold_char(box.char)
        parts.append(folded)
        origin.extend([index] * len(folded))
    return "".join(parts), origin


Hide = Callable[[str], list[int]]


def find_hits(
    pdf: bytes | Path, page_no: int, query: str, hide: Hide | None = None
) -> list[HitBox]:
    """Rectangles covering every match of `query` on page `page_no`, one per
    line a match spans, in reading order of the text layer. `hide` names the
    positions of the page's text shown as `*` in the boxes' text (the masked
    part of ID numbers, found on the whole page, not in one box's piece)."""
    pattern = hit_pattern(query)
    if pattern is None:
        return []
    return hits_in_chars(page_chars(pdf, page_no), pattern, hide)


def hits_in_chars(
    chars: list[CharBox], pattern: re.Pattern[str], hide: Hide | None = None
) -> list[HitBox]:
    text, origin = folded_text(chars)
    hidden = {origin[i] for i in hide(text)} if hide else set()
    boxes: list[HitBox] = []
    for match in pattern.finditer(text):
        if match.end() == match.start():
            continue
        indexes = sorted(set(origin[match.start() : match.end()]))
        matched = [
            dataclasses.replace(chars[i], char="*") if i in hidden else chars[i]
            for i in indexes
            if not chars[i].char.isspace()
        ]
        boxes.extend(_line_boxes(matched))
    return boxes


def _line_boxes(chars: list[CharBox]) -> list[HitBox]:
    """Join consecutive characters into one rectangle per line: a character
    continues the rectangle when it sits beside the one before it (overlapping
    across the line's direction, so turned pages work too)."""
    runs: list[list[CharBox]] = []
    for box in chars:
        if box.right <= box.left or box.bottom <= box.top:
            continue  # generated line breaks and empty glyphs have no area
        if runs and _beside(runs[-1][-1], box):
            runs[-1].append(box)
        else:
            runs.append([box])
    out = []
    for run in runs:
        left = min(b.left for b in run)
        top = min(b.top for b in run)
        right = max(b.right for b in run)
        bottom = max(b.bottom for b in run)
        text = "".join(b.char for b in run)
        out.append(HitBox(left, top, right - left, bottom - top, text))
    return out


def _beside(a: CharBox, b: CharBox) -> bool:
    across_rows = min(a.bottom, b.bottom) - max(a.top, b.top)
    if across_rows > 0.5 * min(a.bottom - a.top, b.bottom - b.top):
        return True
    across_columns = min(a.right, b.right) - max(a.left, b.left)
    return across_columns > 0.5 * min(a.right - a.left, b.right - b.left)
