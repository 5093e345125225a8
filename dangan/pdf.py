"""Printable forms as PDF (A4, embedded CJK font): tables such as the 卷内目录
and labels. reportlab is imported on first use, never at import time."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from dangan.errors import DanganError, ExitCode


class PdfFontMissing(DanganError):
    exit_code = ExitCode.CONFIG
    http_status = 500
    code = "font"


# The TrueType CJK face reportlab can embed (Noto CJK is CFF-based, which it
# cannot): fonts-wqy-zenhei, which scripts/setup.sh and the Dockerfile install.
PDF_CJK_FACE = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """Register a TrueType CJK font with reportlab once; its name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if not PDF_CJK_FACE.is_file():
        raise PdfFontMissing(
            f"未找到可嵌入 PDF 的中文字体（{PDF_CJK_FACE}），无法打印。请安装 fonts-wqy-zenhei。"
        )
    name = "DanganCJK"
    pdfmetrics.registerFont(TTFont(name, str(PDF_CJK_FACE), subfontIndex=0))
    return name


@dataclass(frozen=True)
class TableSheet:
    """One printed table: a title, lines under it, the table, lines under it."""

    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    widths: Sequence[float]  # relative column widths
    header_lines: Sequence[str] = ()
    footer_lines: Sequence[str] = ()


def tables_pdf(
    sheets: Sequence[TableSheet], *, doc_title: str = "", landscape: bool = False
) -> bytes:
    """A4 portrait PDF with each sheet starting on a new page; long tables
    continue on the next page with the header row repeated."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.pagesizes import landscape as turned
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table

    font = cjk_font()
    title_style = ParagraphStyle("t", fontName=font, fontSize=16, leading=22, alignment=1)
    line_style = ParagraphStyle("l", fontName=font, fontSize=10, leading=14)
    cell_style = ParagraphStyle("c", fontName=font, fontSize=8.5, leading=11, wordWrap="CJK")
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=turned(A4) if landscape else A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=doc_title,
        author="dangan",
    )
    story: list = []
    for n, sheet in enumerate(sheets):
        if n:
            story.append(PageBreak())
        story.append(Paragraph(_esc(sheet.title), title_style))
        story.append(Spacer(1, 4 * mm))
        story += [Paragraph(_esc(line), line_style) for line in sheet.header_lines]
        total = sum(sheet.widths)
        widths = [doc.width * w / total for w in sheet.widths]
        data = [[Paragraph(_esc(c), cell_style) for c in sheet.columns]]
        data += [[Paragraph(_esc(str(v)), cell_style) for v in row] for row in sheet.rows]
        table = Table(data, colWidths=widths, repeatRows=1)
        table.setStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
        story += [Spacer(1, 2 * mm), table, Spacer(1, 3 * mm)]
        story += [Paragraph(_esc(line), line_style) for line in sheet.footer_lines]
    doc.build(story)
    return out.getvalue()


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class SpineLabel:
    """One 盒脊 strip: (label, value) lines, and the 盒号 printed large."""

    lines: Sequence[tuple[str, str]]
    box_no: str


def spine_labels_pdf(
    labels: Sequence[SpineLabel], *, width_mm: float = 40, height_mm: float = 250
) -> bytes:
    """盒脊标签 as strips the size of a box spine (`width_mm` is the box's
    thickness: 20, 30, 40 or 50 mm), side by side on A4 with dashed cut lines."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    font = cjk_font()
    out = io.BytesIO()
    page_w, page_h = A4
    w, h = width_mm * mm, min(height_mm * mm, page_h - 20 * mm)
    per_row = max(1, int((page_w - 20 * mm) // w))
    pdf = canvas.Canvas(out, pagesize=A4)
    pdf.setTitle("档案盒脊标签")
    pdf.setAuthor("dangan")
    for n, label in enumerate(labels):
        if n and n % per_row == 0:
            pdf.showPage()
        x = 10 * mm + (n % per_row) * w
        y = (page_h - h) / 2
        pdf.setDash(3, 2)
        pdf.rect(x, y, w, h)
        pdf.setDash()
        longest = max([len(v) for _, v in label.lines] + [len(k) for k, _ in label.lines] + [4])
        size = max(5.5, min(11.0, (w - 4 * mm) / longest))
        top = y + h - 12 * mm
        for key, value in label.lines:
            pdf.setFont(font, size * 0.8)
            pdf.drawCentredString(x + w / 2, top, key)
            pdf.setFont(font, size)
            pdf.drawCentredString(x + w / 2, top - size * 1.3, value)
            top -= size * 3.2
        big = min(28.0, (w - 4 * mm) / max(2, len(label.box_no)) * 1.6)
        pdf.setFont(font, size * 0.8)
        pdf.drawCentredString(x + w / 2, y + 14 * mm + big, "盒号")
        pdf.setFont(font, big)
        pdf.drawCentredString(x + w / 2, y + 10 * mm, label.box_no)
    if not labels:
        pdf.setFont(font, 12)
        pdf.drawString(20 * mm, page_h - 30 * mm, "没有可装盒的已归档档案。")
    pdf.showPage()
    pdf.save()
    return out.getvalue()
