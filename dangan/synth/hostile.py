"""Hostile inputs, small on disk, for tests and bench/abuse_bench.py: files that
describe enormous images or pages, or very many pages, so that decoding or
rendering them (rather than reading their headers) would cost minutes and
gigabytes."""

from __future__ import annotations

import zlib
from pathlib import Path

_CHUNK = 1 << 22


def _zeros_deflated(size: int) -> bytes:
    """`size` zero bytes, deflated (what a blank 1-bit image compresses to)."""
    comp = zlib.compressobj(9)
    block = bytes(min(size, _CHUNK))
    out = []
    left = size
    while left > 0:
        n = min(left, len(block))
        out.append(comp.compress(block[:n]))
        left -= n
    out.append(comp.flush())
    return b"".join(out)


def image_bomb_pdf(path: Path, width: int = 30_000, height: int = 40_000) -> Path:
    """An A4 PDF page showing one blank 1-bit image of width × height pixels
    (30,000 × 40,000: 1.2 gigapixels in about 146 KB)."""
    import pikepdf

    pdf = pikepdf.new()
    data = _zeros_deflated((width + 7) // 8 * height)
    image = pikepdf.Stream(pdf, data)
    image.Type = pikepdf.Name.XObject
    image.Subtype = pikepdf.Name.Image
    image.Width, image.Height = width, height
    image.ColorSpace = pikepdf.Name.DeviceGray
    image.BitsPerComponent = 1
    image.Filter = pikepdf.Name.FlateDecode
    page = pdf.add_blank_page(page_size=(595, 842))
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    page.Contents = pdf.make_stream(b"q 595 0 0 842 0 0 cm /Im0 Do Q")
    pdf.save(path)
    return path


def huge_page_pdf(
    path: Path, side_pt: float = 14_400, user_unit: float | None = None, width_pt: float = 0
) -> Path:
    """One page of side_pt × side_pt points (14,400 pt: 5 × 5 m), or width_pt
    wide where given, with a line of text."""
    import pikepdf

    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(width_pt or side_pt, side_pt))
    if user_unit:
        page.obj.UserUnit = user_unit
    font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1)
    font.BaseFont = pikepdf.Name.Helvetica
    page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    page.Contents = pdf.make_stream(b"BT /F1 72 Tf 100 100 Td (huge page) Tj ET")
    pdf.save(path)
    return path


def many_pages_pdf(path: Path, pages: int = 30_000) -> Path:
    """`pages` A4 pages sharing one content stream (about 100 bytes a page)."""
    import pikepdf

    pdf = pikepdf.new()
    font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1)
    font.BaseFont = pikepdf.Name.Helvetica
    resources = pdf.make_indirect(pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)))
    contents = pdf.make_stream(b"BT /F1 12 Tf 72 720 Td (page of a very long file) Tj ET")
    for _ in range(pages):
        page = pdf.add_blank_page(page_size=(595, 842))
        page.Resources = resources
        page.Contents = contents
    pdf.save(path)
    return path


def tiff_bomb(path: Path, width: int = 12_000, height: int = 8_000) -> Path:
    """A two-page TIFF: an ordinary first page, then a blank 1-bit page of
    width × height pixels (Pillow checks only the first frame on open)."""
    from PIL import Image

    first = Image.new("L", (800, 1000), 255)
    big = Image.new("1", (width, height), 1)
    first.save(path, format="TIFF", save_all=True, append_images=[big], compression="tiff_lzw")
    return path


def png_bomb(path: Path, width: int = 10_000, height: int = 10_000) -> Path:
    """A blank 1-bit PNG of width × height pixels (100 megapixels in a few KB)."""
    from PIL import Image

    Image.new("1", (width, height), 1).save(path, format="PNG", optimize=False)
    return path
