"""RapidOCR inside OCRmyPDF: reading order on skewed and upside-down scans."""

from __future__ import annotations

import math

from PIL import Image

from ocr.rapid import group_lines, lines_text, recognise


def _quad(cx, cy, w, h, angle):
    c, s = math.cos(angle), math.sin(angle)
    corners = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]
    return [[cx + x * c - y * s, cy + x * s + y * c] for x, y in corners]


def test_cells_of_a_skewed_table_row_stay_on_one_line():
    angle = math.radians(3)  # the right end of a row sits 100 px lower than the left
    items = []
    for row in range(3):
        for col, width in enumerate((600, 400, 700)):
            x = 200 + col * 800
            y = 300 + row * 60 + x * math.tan(angle)
            items.append((_quad(x, y, width, 40, angle), f"r{row}c{col}"))
    lines = group_lines(items[::-1])  # input order must not matter
    assert [[b[4] for b in line] for line in lines] == [
        [f"r{r}c{c}" for c in range(3)] for r in range(3)
    ]


def test_an_upside_down_page_reads_in_order(corpus):
    import pypdfium2 as pdfium

    doc = next(d for d in corpus if d.format == "pdf_text")
    page = pdfium.PdfDocument(str(doc.path))[0].render(scale=200 / 72).to_pil()
    upright = lines_text(recognise(page))
    turned = recognise(page.transpose(Image.Transpose.ROTATE_180))
    assert lines_text(turned).splitlines()[:3] == upright.splitlines()[:3]
    # the boxes are where the text is on the turned page: the title is now at the bottom
    title_box = turned[0][0]
    assert title_box[1] > page.height / 2
