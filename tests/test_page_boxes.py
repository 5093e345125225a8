"""Hit rectangles on the page image, from the text layer OCRmyPDF wrote into
the archival PDF/A (catalog/page_boxes.py)."""

from __future__ import annotations

import io

import pytest
from dangan.catalog.page_boxes import HitBox, PageOutOfRange, find_hits, hit_pattern

from dangan.config import Settings


@pytest.fixture(scope="module")
def scanned(tmp_path_factory, corpus):
    """One scanned page (PNG) through the real pipeline: the record and its PDF/A."""
    from dangan.ingest.pipeline import ingest_file

    from dangan.archive import Archive

    doc = next(d for d in corpus if d.format == "png")
    home = tmp_path_factory.mktemp("boxes-home")
    archive = Archive.open(Settings.from_env({"DANGAN_HOME": str(home), "DANGAN_OCR_JOBS": "2"}))
    try:
        result = ingest_file(archive, doc.path, name=doc.path.name)
        assert result.status == "archived", result.error
        record = archive.catalog.get(result.record_id)
        ref = record.file("archive_pdf")
        with archive.blobs.open(ref.key, ref.sha256) as handle:
            pdf = handle.read()
    finally:
        archive.close()
    return {"doc": doc, "record": record, "pdf": pdf}


def _page_image(pdf: bytes, page_no: int = 1):
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        return document[page_no - 1].render(scale=100 / 72).to_pil().convert("L")
    finally:
        document.close()


def _ink(image, box: HitBox) -> float:
    """Share of dark pixels inside the box on the rendered page."""
    width, height = image.size
    crop = image.crop(
        (
            int(box.x * width),
            int(box.y * height),
            int((box.x + box.w) * width),
            int((box.y + box.h) * height),
        )
    )
    histogram = crop.histogram()
    return sum(histogram[:128]) / max(1, sum(histogram))


def _share_inside(image, box: HitBox) -> float:
    """Share of the dark pixels in the box's columns, from half a box height above
    it to half below, that lie within the box's rows; rows more than half dark
    (table rules) are left out."""
    import numpy as np

    width, height = image.size
    x0, x1 = int(box.x * width), int((box.x + box.w) * width)
    top, bottom = int(box.y * height), int((box.y + box.h) * height)
    pad = max(1, (bottom - top) // 2)
    window = np.asarray(image)[max(0, top - pad) : bottom + pad, x0:x1] < 128
    rows = window.sum(axis=1)
    rows[rows > 0.5 * (x1 - x0)] = 0
    inside = rows[top - max(0, top - pad) : bottom - max(0, top - pad)].sum()
    return float(inside) / max(1, int(rows.sum()))


def _inside_page(box: HitBox) -> bool:
    return 0 <= box.x < box.x + box.w <= 1 and 0 <= box.y < box.y + box.h <= 1


def test_id_number_box_lies_on_its_printed_digits(scanned):
    id_number = scanned["record"].fields["id_numbers"][0]
    boxes = find_hits(scanned["pdf"], 1, id_number)
    assert [b.text for b in boxes] == [id_number]
    (box,) = boxes
    assert _inside_page(box)
    assert box.w > 3 * box.h  # eighteen characters on one line
    image = _page_image(scanned["pdf"])
    # the digits are inside the box: of the ink around it (half a box height above
    # and below, table rules left out), nearly all lies within the box's rows
    assert _ink(image, box) > 0.05
    assert _share_inside(image, box) > 0.9


def test_title_is_found_near_the_top_in_traditional_or_full_width_form(scanned):
    import opencc

    title = scanned["record"].title
    boxes = find_hits(scanned["pdf"], 1, title)
    assert boxes and "".join(b.text for b in boxes) == title
    assert all(_inside_page(b) for b in boxes) and boxes[0].y < 0.2
    traditional = opencc.OpenCC("s2t").convert(title)
    assert traditional != title
    assert find_hits(scanned["pdf"], 1, traditional) == boxes

    id_number = scanned["record"].fields["id_numbers"][0]
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in id_number)
    assert find_hits(scanned["pdf"], 1, full_width) == find_hits(scanned["pdf"], 1, id_number)


def test_several_terms_each_get_their_boxes_and_absent_words_none(scanned):
    title = scanned["record"].title
    id_number = scanned["record"].fields["id_numbers"][0]
    both = find_hits(scanned["pdf"], 1, f"{title[-4:]} {id_number}")
    assert {b.text for b in both} >= {title[-4:], id_number}
    assert find_hits(scanned["pdf"], 1, "不存在的词语甲乙丙") == []
    assert find_hits(scanned["pdf"], 1, "  ") == []
    with pytest.raises(PageOutOfRange):
        find_hits(scanned["pdf"], 2, title)


def test_boxes_follow_the_page_rotation(scanned):
    import pypdfium2 as pdfium

    id_number = scanned["record"].fields["id_numbers"][0]
    (upright,) = find_hits(scanned["pdf"], 1, id_number)
    document = pdfium.PdfDocument(scanned["pdf"])
    document[0].set_rotation(90)  # shown turned a quarter clockwise
    out = io.BytesIO()
    document.save(out)
    document.close()
    (turned,) = find_hits(out.getvalue(), 1, id_number)
    assert turned.x == pytest.approx(1 - upright.y - upright.h, abs=1e-3)
    assert turned.y == pytest.approx(upright.x, abs=1e-3)
    assert (turned.w, turned.h) == pytest.approx((upright.h, upright.w), abs=1e-3)


def test_latin_and_digit_terms_match_whole_runs_as_search_does():
    pattern = hit_pattern("3505")
    assert pattern.search("单位编号 3505 泉州")
    assert not pattern.search("91350503MAN6FBDJ4Q")
    prefix = hit_pattern("3505*")
    assert prefix.search("350503200006227381").group(0) == "350503200006227381"
    assert not prefix.search("91350503MAN6FBDJ4Q")
    words = hit_pattern("单位名称")
    assert words.search("单位 名称") and words.search("单位\r\n名称")
    assert hit_pattern("*  ") is None
