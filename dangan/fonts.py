"""CJK fonts on this machine, for production code (the OCR warm-up page).

The faces of the packages scripts/setup.sh and the Dockerfile install
(fonts-noto-cjk, fonts-wqy-zenhei), in order of preference. Nothing is looked
up at import time."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from PIL import ImageFont

_NOTO = Path("/usr/share/fonts/opentype/noto")
_NOTO_SC = 2  # face index of Simplified Chinese in the Noto CJK collections

# (font file, face index in the collection)
CJK_FACES: tuple[tuple[Path, int], ...] = (
    (_NOTO / "NotoSerifCJK-Regular.ttc", _NOTO_SC),
    (_NOTO / "NotoSansCJK-Regular.ttc", _NOTO_SC),
    (Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"), 0),
)


@cache
def cjk_font(size_px: int) -> ImageFont.FreeTypeFont | None:
    """A regular CJK face at `size_px` (em size in pixels); None when no
    candidate is installed (or readable)."""
    for path, index in CJK_FACES:
        if path.is_file():
            try:
                return ImageFont.truetype(str(path), size_px, index=index)
            except OSError:
                continue
    return None
