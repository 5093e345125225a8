"""Is a page's existing text layer usable?

A PDF made with a font that has no Unicode mapping (no /ToUnicode, a Type 3
or subset font with private glyph names) shows readable glyphs, but its text
layer extracts as control or private-use codes: '\\x19\\x12' for a heading
(or, with a mapping written in the wrong byte order, as CJK-looking
characters: '䴀甀氀琀椀' for "Multi").
Kept, it would be the record's text and index entry: garbage, and OCRmyPDF
skips such a page because it "has text". These pages are OCR'd from their
image instead (ocr/tesseract.py `force_pages`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MIN_CHARS = 10  # fewer usable characters than this: the page is not taken as text
# share of the characters that map to nothing above which a page's text layer
# is unusable (a few symbols from a dingbat font do not make a page garbage)
MAX_UNMAPPED_SHARE = 0.2
# what a glyph without a Unicode mapping extracts as: control codes (not
# whitespace), private-use codes, surrogates and replacement characters
_UNMAPPED = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x9f\ue000-\uf8ff\ud800-\udfff\ufffd\ufffe\uffff\U000f0000-\U0010ffff]"
)
# Latin letters with their two bytes swapped ('M' U+004D read as U+4D00 '䴀'):
# a /ToUnicode map written in the wrong byte order turns a Latin text layer
# into CJK-looking characters
_SWAPPED = re.compile("[" + "".join(chr(c << 8) for c in range(0x21, 0x7F)) + "]")
_SPACE = re.compile(r"\s")


def unmapped(char: str) -> bool:
    """A character that stands for no real character (what a font without a
    Unicode mapping extracts as)."""
    return bool(_UNMAPPED.match(char))


def count(text: str) -> tuple[int, int]:
    """(usable, unmapped) characters of `text`, whitespace not counted. Where
    most characters are byte-swapped Latin, those count as unmapped too."""
    bad = len(_UNMAPPED.findall(text))
    usable = len(text) - len(_SPACE.findall(text)) - bad
    swapped = len(_SWAPPED.findall(text))
    if swapped >= 3 and swapped > usable / 2:
        return usable - swapped, bad + swapped
    return usable, bad


def is_unmapped(text: str) -> bool:
    """The text layer of a page maps (mostly) to no characters."""
    return _unusable(*count(text))


def _unusable(usable: int, bad: int) -> bool:
    return bad > 0 and (usable < MIN_CHARS or bad > MAX_UNMAPPED_SHARE * (usable + bad))


@dataclass
class TextLayers:
    """Pages (numbered from 1) by the state of their text layer."""

    usable: list[int] = field(default_factory=list)  # enough real text to keep
    unmapped: list[int] = field(default_factory=list)  # garbage: to be OCR'd

    def add(self, page_no: int, text: str, fonts_unmapped: bool = False) -> None:
        """`fonts_unmapped`: every font on the page is one without a Unicode
        mapping (`font_unmapped`), so whatever text it extracts as is noise."""
        usable, bad = count(text)
        if _unusable(usable, bad) or (fonts_unmapped and usable > 0):
            self.unmapped.append(page_no)
        elif usable >= MIN_CHARS:
            self.usable.append(page_no)


_SUBSET = re.compile(r"^/[A-Z]{6}\+")  # ABCDEF+Name: a subset, its codes chosen by the writer
_PRIVATE_GLYPH = re.compile(r"^/(?:g|G|glyph|cid|index|c)\d+$")  # /g258: no character
SYMBOLIC = 4  # FontDescriptor /Flags bit 3


def font_unmapped(font) -> bool:
    """A font (pikepdf dictionary) whose codes cannot be mapped to characters:
    no /ToUnicode, and a Type 3 font with private glyph names, a symbolic
    subset TrueType or Type 1 font without an /Encoding (its codes are glyph
    slots the writer chose), or a Type 0 font of an embedded TrueType font
    with Identity encoding (codes are glyph numbers)."""
    if font.get("/ToUnicode") is not None:
        return False
    subtype = str(font.get("/Subtype"))
    if subtype == "/Type3":
        encoding = font.get("/Encoding")
        differences = encoding.get("/Differences") if hasattr(encoding, "get") else None
        names = [str(v) for v in differences or () if not isinstance(v, int)]
        return bool(names) and all(_PRIVATE_GLYPH.match(name) for name in names)
    if subtype in ("/TrueType", "/Type1"):
        descriptor = font.get("/FontDescriptor")
        flags = int(descriptor.get("/Flags", 0)) if descriptor is not None else 0
        return (
            font.get("/Encoding") is None
            and bool(flags & SYMBOLIC)
            and bool(_SUBSET.match(str(font.get("/BaseFont", ""))))
        )
    if subtype == "/Type0":
        descendants = font.get("/DescendantFonts")
        cid = descendants[0] if descendants is not None and len(descendants) else None
        info = cid.get("/CIDSystemInfo") if cid is not None else None
        ordering = str(info.get("/Ordering", "")) if info is not None else ""
        return (
            str(font.get("/Encoding")) in ("/Identity-H", "/Identity-V")
            and cid is not None
            and str(cid.get("/Subtype")) == "/CIDFontType2"
            and ordering in ("", "Identity")
        )
    return False


def page_fonts(resources, seen: set | None = None):
    """Font dictionaries reachable from a page's resources, forms followed."""
    seen = set() if seen is None else seen
    if resources is None:
        return
    fonts = resources.get("/Font")
    for key in fonts.keys() if fonts is not None else ():
        font = fonts.get(key)
        if font is not None and hasattr(font, "get"):
            yield font
    xobjects = resources.get("/XObject")
    for key in xobjects.keys() if xobjects is not None else ():
        obj = xobjects.get(key)
        if obj is None or obj.get("/Subtype") != "/Form":
            continue
        if obj.is_indirect:
            if obj.objgen in seen:
                continue
            seen.add(obj.objgen)
        yield from page_fonts(obj.get("/Resources"), seen)


def fonts_all_unmapped(resources) -> bool:
    """The page has fonts, and none of them maps its codes to characters."""
    fonts = list(page_fonts(resources))
    return bool(fonts) and all(font_unmapped(font) for font in fonts)
