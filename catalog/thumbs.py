"""Page thumbnails: a small JPEG made from a page image on first request and
kept in the blob store beside it (so a destroyed record's thumbnails go with
its page images: see `thumb_key` in retention/destruction.py)."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

from dangan.catalog.base import FileRef

if TYPE_CHECKING:
    from dangan.archive import Archive

log = logging.getLogger(__name__)

THUMB_WIDTH = 200


def thumb_key(page_image_key: str) -> str:
    return f"{page_image_key}.thumb{THUMB_WIDTH}.jpg"


def thumbnail(archive: Archive, ref: FileRef) -> bytes:
    """The page's thumbnail, made once (checked against the page's SHA-256)."""
    key = thumb_key(ref.key)
    if archive.blobs.exists(key):
        with archive.blobs.open(key) as fh:
            return fh.read()
    from PIL import Image

    with archive.blobs.open(ref.key, ref.sha256) as fh:
        image = Image.open(io.BytesIO(fh.read()))
        image.draft("RGB", (THUMB_WIDTH * 2, THUMB_WIDTH * 4))  # JPEG: decode at reduced size
        image = image.convert("RGB")
    height = max(1, round(image.height * THUMB_WIDTH / image.width))
    image = image.resize((THUMB_WIDTH, height), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=75, optimize=True)
    data = out.getvalue()
    try:
        archive.blobs.put_bytes(key, data)
    except OSError:  # a read-only store still serves thumbnails, made each time
        log.warning("could not keep the thumbnail %s", key, exc_info=True)
    return data
