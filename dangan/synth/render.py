"""Draw laid-out pages: raster images with PIL, born-digital PDFs with reportlab."""

from __future__ import annotations

import io
import logging
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from dangan.synth.fonts import PT_PER_MM, FontFace, FontSet, pil_font
from dangan.synth.layout import PAGE_H, PAGE_W, PageLayout
from dangan.synth.seal import seal_mask, seal_rgba, stamp

logger = logging.getLogger(__name__)

INK = (24, 24, 24)
DEFAULT_DPI = 200


def page_size_px(dpi: int) -> tuple[int, int]:
    """A4 in pixels at `dpi`."""
    return round(PAGE_W / 25.4 * dpi), round(PAGE_H / 25.4 * dpi)


def render_page(page: PageLayout, fonts: FontSet, dpi: int = DEFAULT_DPI) -> Image.Image:
    """A clean RGB image of `page` at `dpi`: white paper, black text and rules, red seals."""
    scale = dpi / 25.4
    img = Image.new("RGB", page_size_px(dpi), "white")
    draw = ImageDraw.Draw(img)
    for rule in page.rules:
        width = max(1, round(rule.width * scale))
        draw.line(
            [(rule.x0 * scale, rule.y0 * scale), (rule.x1 * scale, rule.y1 * scale)],
            fill=INK,
            width=width,
        )
    for item in page.texts:
        face = fonts.bold if item.bold else fonts.regular
        font = pil_font(face, round(item.size * dpi / 72))
        stroke = 1 if item.bold and fonts.fake_bold else 0
        draw.text(
            (item.x * scale, item.y * scale),
            item.text,
            font=font,
            fill=INK,
            anchor="ls",
            stroke_width=stroke,
            stroke_fill=INK,
        )
    if not page.seals:
        return img
    pixels = np.array(img)
    for seal in page.seals:
        mask = seal_mask(seal.spec, round(seal.diameter * scale), fonts.bold, seal.seed, seal.angle)
        opacity = 0.78 + (seal.seed % 1000) / 1000 * 0.17
        stamp(pixels, mask, seal.cx * scale, seal.cy * scale, opacity)
    return Image.fromarray(pixels)


_PDF_FONT = "DanganSynthCJK"


@lru_cache(maxsize=4)
def _register_pdf_font(face: FontFace) -> str:
    """Register `face` with reportlab once; returns the font name to use."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    name = f"{_PDF_FONT}-{face.path.stem}-{face.index}"
    pdfmetrics.registerFont(TTFont(name, str(face.path), subfontIndex=face.index))
    return name


def write_text_pdf(
    pages: list[PageLayout], path: Path, fonts: FontSet, *, title: str = "", seal_dpi: int = 300
) -> None:
    """A born-digital PDF with a real text layer (embedded TrueType CJK font)."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    if not fonts.regular.truetype:
        raise ValueError(f"reportlab needs a TrueType font, got {fonts.regular.path}")
    regular = _register_pdf_font(fonts.regular)
    bold = _register_pdf_font(fonts.bold)
    pt = PT_PER_MM
    c = canvas.Canvas(
        str(path), pagesize=(PAGE_W * pt, PAGE_H * pt), invariant=1, pageCompression=1
    )
    c.setTitle(title)
    c.setCreator("dangan.synth")
    for page in pages:
        c.setStrokeColorRGB(*(v / 255 for v in INK))
        c.setFillColorRGB(*(v / 255 for v in INK))
        for rule in page.rules:
            c.setLineWidth(rule.width * pt)
            c.line(rule.x0 * pt, (PAGE_H - rule.y0) * pt, rule.x1 * pt, (PAGE_H - rule.y1) * pt)
        for item in page.texts:
            text = c.beginText(item.x * pt, (PAGE_H - item.y) * pt)
            text.setFont(bold if item.bold else regular, item.size)
            if item.bold and fonts.fake_bold:
                c.setLineWidth(item.size * 0.03)
                text.setTextRenderMode(2)
            text.textOut(item.text)
            c.drawText(text)
        for seal in page.seals:
            px = round(seal.diameter / 25.4 * seal_dpi)
            img = seal_rgba(seal.spec, px, fonts.bold, seal.seed, seal.angle)
            buf = io.BytesIO()
            img.save(buf, format="PNG")
            buf.seek(0)
            size_mm = img.width / seal_dpi * 25.4
            c.drawImage(
                ImageReader(buf),
                (seal.cx - size_mm / 2) * pt,
                (PAGE_H - seal.cy - size_mm / 2) * pt,
                size_mm * pt,
                size_mm * pt,
                mask="auto",
            )
        c.showPage()
    c.save()
    logger.debug("wrote text PDF %s (%d pages)", path, len(pages))
