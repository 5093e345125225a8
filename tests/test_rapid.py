"""RapidOCR inside OCRmyPDF: reading order on skewed and upside-down scans."""

from __future__ import annotations

import math

from dangan.ocr.rapid import group_lines, lines_text, recognise
from PIL import Image


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


def test_boxes_on_a_turned_page_map_back_onto_the_scan():
    import numpy as np
    from dangan.ocr.rapid import box_back

    scan = np.zeros((300, 200), np.uint8)  # height 300, width 200
    scan[40:70, 120:180] = 1  # a mark at left 120, top 40, right 180, bottom 70
    for ccw in (0, 90, 180, 270):
        upright = np.rot90(scan, k=ccw // 90)
        ys, xs = np.nonzero(upright)
        box = (xs.min(), ys.min(), xs.max() + 1, ys.max() + 1, "t")
        assert box_back(box, ccw, 200, 300) == (120, 40, 180, 70, "t"), ccw


def test_a_sideways_page_is_read_upright_with_boxes_on_the_scan(corpus):
    from dangan.ocr.rapid import read_page

    from bench.ocr_bench import cer

    doc = next(d for d in corpus if d.format == "png")
    page = Image.open(doc.path).convert("RGB")
    upright = cer(doc.pages[0], lines_text(recognise(page)))
    for transpose, title_side in (
        (Image.Transpose.ROTATE_270, "right"),  # turned clockwise: its top is on the right
        (Image.Transpose.ROTATE_90, "left"),
    ):
        turned = page.transpose(transpose)
        reading = read_page(turned)
        assert cer(doc.pages[0], lines_text(reading.lines)) <= upright + 0.01
        assert reading.angle == (270 if title_side == "right" else 90)
        left, top, right, bottom, text = reading.lines[0][0]
        assert bottom - top > right - left  # the title runs down the scan
        centre = (left + right) / 2
        assert (centre > turned.width / 2) == (title_side == "right"), (text, centre)
        # with the step off the page is read as it lies: lines come out of order
        as_is = cer(doc.pages[0], lines_text(read_page(turned, orient=False).lines))
        assert as_is > upright + 0.1


def test_the_archival_copy_shows_a_sideways_page_upright(corpus, tmp_path):
    """The scan stays as it is; the page is shown upright (its /Rotate), and the
    hit boxes of the text layer land on the title, which is now at the top."""
    import pikepdf
    import pypdfium2 as pdfium
    from dangan.catalog.page_boxes import find_hits
    from dangan.ocr.images import images_to_pdf
    from dangan.ocr.tesseract import OcrmypdfEngine

    from dangan.ocr_steps import DEFAULT_STEPS

    doc = next(d for d in corpus if d.format == "png")
    scan = Image.open(doc.path).convert("RGB").transpose(Image.Transpose.ROTATE_270)
    scan.save(tmp_path / "sideways.png", dpi=(300, 300))
    images_to_pdf(tmp_path / "sideways.png", tmp_path / "sideways.pdf")
    engine = OcrmypdfEngine(jobs=2, preprocess=DEFAULT_STEPS, recognizer="rapidocr")
    try:
        out = engine.process(tmp_path / "sideways.pdf", tmp_path, has_text=False)
    finally:
        engine.close()
    with pikepdf.open(out.pdf) as pdf:
        assert pdf.pages[0].obj.get("/Rotate") == 270  # a quarter turn counter-clockwise
        assert pdf.open_metadata().pdfa_status == out.pdfa == "2B"
    shown = pdfium.PdfDocument(str(out.pdf))[0].render(scale=50 / 72).to_pil()
    assert shown.height > shown.width  # portrait again
    title = doc.pages[0].split("\n")[0].replace(" ", "")[:4]
    boxes = find_hits(out.pdf, 1, title)
    assert boxes and boxes[0].y < 0.25 and boxes[0].w > boxes[0].h, (title, boxes)
