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
