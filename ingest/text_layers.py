"""Is a page's existing text layer usable?

A PDF made with a font that has no Unicode mapping (no /ToUnicode, a Type 3
or subset font with private glyph names) shows readable glyphs, but its text
layer extracts as control or private-use codes: '\\x19\\x12' for a heading.
Kept, it would be the record's text and index entry: garbage, and OCRmyPDF
skips such a page because it "has text". These pages are OCR'd from their
image instead (ocr/tesseract.py `force_pages`)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

MIN_CHARS = 10  # fewer usable characters than this: the page is not taken as text
# share of the characters that map to nothing above which a page's text layer
# is unusable (a few symbols from a dingbat font do not make a page garbage)
MAX_UNMAPPED_SHARE = 0.2
_UNMAPPED_CATEGORIES = frozenset({"Cc", "Co", "Cn", "Cs"})  # control, private use, unassigned
_REPLACEMENT = frozenset({"\ufffd", "\ufffe", "\uffff"})


def unmapped(char: str) -> bool:
    """A character that stands for no real character (what a font without a
    Unicode mapping extracts as)."""
    return char in _REPLACEMENT or unicodedata.category(char) in _UNMAPPED_CATEGORIES


def count(text: str) -> tuple[int, int]:
    """(usable, unmapped) characters of `text`, whitespace not counted."""
    usable = bad = 0
    for char in text:
        if char.isspace():
            continue
        if unmapped(char):
            bad += 1
        else:
            usable += 1
    return usable, bad


def is_unmapped(text: str) -> bool:
    """The text layer of a page maps (mostly) to no characters."""
    usable, bad = count(text)
    return bad > 0 and (usable < MIN_CHARS or bad > MAX_UNMAPPED_SHARE * (usable + bad))


@dataclass
class TextLayers:
    """Pages (numbered from 1) by the state of their text layer."""

    usable: list[int] = field(default_factory=list)  # enough real text to keep
    unmapped: list[int] = field(default_factory=list)  # garbage: to be OCR'd

    def add(self, page_no: int, text: str) -> None:
        if is_unmapped(text):
            self.unmapped.append(page_no)
        elif count(text)[0] >= MIN_CHARS:
            self.usable.append(page_no)
