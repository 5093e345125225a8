"""Locate CJK fonts on disk and measure text with them.

Nothing is loaded at import time; lookups are cached on first use.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont

from dangan.errors import ConfigError

logger = logging.getLogger(__name__)

PT_PER_MM = 72.0 / 25.4
_MEASURE_PX = 200  # em size used for measuring; widths scale linearly


class FontNotFound(ConfigError):
    """No usable CJK font is installed."""


@dataclass(frozen=True)
class FontFace:
    """One face of a font file (`index` selects the face of a .ttc collection)."""

    path: Path
    index: int = 0
    truetype: bool = False  # glyf outlines: reportlab can embed it


@dataclass(frozen=True)
class FontSet:
    """The faces used for one document: body text and bold (titles, headers)."""

    name: str
    regular: FontFace
    bold: FontFace
    fake_bold: bool = False  # no real bold face: embolden with a stroke


_NOTO = Path("/usr/share/fonts/opentype/noto")
_WQY = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
_ARPHIC = Path("/usr/share/fonts/truetype/arphic")  # fonts-arphic-ukai, fonts-arphic-uming
_NOTO_SC = 2  # face index of the Simplified Chinese face in the Noto CJK collections

# name -> (regular, bold or None); the first existing candidate wins.
_CANDIDATES: dict[str, tuple[FontFace, FontFace | None]] = {
    "serif": (
        FontFace(_NOTO / "NotoSerifCJK-Regular.ttc", _NOTO_SC),
        FontFace(_NOTO / "NotoSerifCJK-Bold.ttc", _NOTO_SC),
    ),
    "sans": (
        FontFace(_NOTO / "NotoSansCJK-Regular.ttc", _NOTO_SC),
        FontFace(_NOTO / "NotoSansCJK-Bold.ttc", _NOTO_SC),
    ),
    "wqy": (FontFace(_WQY, 0, truetype=True), None),
    # 楷体 and 明体 (AR PL UKai CN / UMing CN): never drawn by default, so that no
    # setting is ever chosen on them; only a split that names them uses them
    # (bench/splits.py, the held-out split).
    "kai": (FontFace(_ARPHIC / "ukai.ttc", 0, truetype=True), None),
    "ming": (FontFace(_ARPHIC / "uming.ttc", 0, truetype=True), None),
}
DEFAULT_IMAGE_FONTS = ("serif", "sans", "wqy")  # the generator's fonts for scans


@lru_cache(maxsize=1)
def available_font_sets() -> dict[str, FontSet]:
    """Installed font sets by name ("serif", "sans", "wqy", "kai", "ming")."""
    found: dict[str, FontSet] = {}
    for name, (regular, bold) in _CANDIDATES.items():
        if not regular.path.is_file():
            continue
        if bold is not None and bold.path.is_file():
            found[name] = FontSet(name, regular, bold)
        else:
            found[name] = FontSet(name, regular, regular, fake_bold=True)
    logger.debug("CJK font sets found: %s", sorted(found))
    return found


def _missing_message() -> str:
    paths = "、".join(str(face.path) for face, _ in _CANDIDATES.values())
    return (
        "未找到中文字体，无法生成样例扫描件。"
        f"请安装 fonts-noto-cjk 或 fonts-wqy-zenhei（查找路径：{paths}）。"
    )


def image_font_sets(names: Sequence[str] | None = None) -> list[FontSet]:
    """Font sets usable for raster pages, of `names` (default: the generator's
    own, DEFAULT_IMAGE_FONTS) that are installed; raises FontNotFound if none."""
    sets = available_font_sets()
    ordered = [sets[n] for n in (names or DEFAULT_IMAGE_FONTS) if n in sets]
    if not ordered:
        raise FontNotFound(_missing_message())
    return ordered


def pdf_font_set() -> FontSet:
    """A TrueType font set reportlab can embed (wqy-zenhei; Noto CJK is CFF-based)."""
    sets = available_font_sets()
    if "wqy" in sets:
        return sets["wqy"]
    raise FontNotFound(_missing_message())


@lru_cache(maxsize=64)
def pil_font(face: FontFace, size_px: int) -> ImageFont.FreeTypeFont:
    """A PIL font for `face` at `size_px` (em size in pixels)."""
    return ImageFont.truetype(str(face.path), max(size_px, 1), index=face.index)


class Measurer:
    """Text widths in millimetres for a font set; shared by every renderer."""

    def __init__(self, fonts: FontSet) -> None:
        self.fonts = fonts
        self._cache: dict[tuple[str, bool], float] = {}

    def width(self, text: str, size_pt: float, bold: bool = False) -> float:
        """Advance width of `text` at `size_pt`, in mm."""
        key = (text, bold)
        em = self._cache.get(key)
        if em is None:
            face = self.fonts.bold if bold else self.fonts.regular
            em = pil_font(face, _MEASURE_PX).getlength(text) / _MEASURE_PX
            self._cache[key] = em
        return em * size_pt / PT_PER_MM
