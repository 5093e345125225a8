"""Cleaning the OCR input on real-world pages (issue 18): seals faded only where
a seal is, coloured print kept, no blur on clean pages or in declared pixels
that are not there. Fast: the steps are tried on small made-up arrays; the
few tests that read text are marked slow."""

from __future__ import annotations

import numpy as np
import pytest
from dangan.ocr.ocr_input import prepare
from dangan.ocr.preprocess import denoise, is_bilevel, pixel_dpi
from dangan.ocr.seals import find_seals, redness
from PIL import Image, ImageDraw

from dangan.synth.fonts import image_font_sets, pil_font
from dangan.synth.model import SealSpec
from dangan.synth.seal import seal_mask, stamp

DPI = 200
RED = (210, 35, 40)


def _font(size: int):
    return pil_font(image_font_sets()[0].regular, size)


def _canvas(size=(900, 500)) -> Image.Image:
    image = Image.new("RGB", size, "white")
    image.info["dpi"] = (DPI, DPI)
    return image


def _with_dpi(image: Image.Image, dpi: float) -> Image.Image:
    image.info["dpi"] = (dpi, dpi)
    return image


def _seal_over_text() -> tuple[Image.Image, tuple[int, int]]:
    """Black text with a 40 mm red seal stamped over its middle, and the seal's centre."""
    image = _canvas()
    draw = ImageDraw.Draw(image)
    for row in range(4):
        draw.text((40, 80 + row * 90), "参保单位盖章确认无误", font=_font(56), fill=(20, 20, 20))
    page = np.array(image)
    diameter = round(40 / 25.4 * DPI)
    mask = seal_mask(
        SealSpec("福州市医疗保险管理中心", "业务专用章"), diameter, image_font_sets()[0].regular, 7
    )
    centre = (420, 250)
    stamp(page, mask, *centre)
    return _with_dpi(Image.fromarray(page), DPI), centre


def test_a_seal_is_found_where_it_is_and_nowhere_else():
    image, (cx, cy) = _seal_over_text()
    found = find_seals(np.asarray(image), DPI)
    assert len(found) == 1
    seal = found[0]
    assert abs(seal.cx - cx) < 15 and abs(seal.cy - cy) < 15
    assert abs(seal.diameter - 40 / 25.4 * DPI) < 0.12 * 40 / 25.4 * DPI


def _coloured_print() -> Image.Image:
    """A red printed heading and a white-on-red banner, as on adverts and
    certificates: no seal anywhere."""
    image = _canvas()
    draw = ImageDraw.Draw(image)
    draw.text((40, 40), "解除抵押登记", font=_font(64), fill=RED)
    draw.rectangle((30, 200, 870, 330), fill=RED)
    draw.text((60, 225), "医保惠民服务", font=_font(72), fill="white")
    draw.ellipse((700, 30, 760, 90), fill=RED)  # a red dot, far smaller than a seal
    return image


def test_red_and_white_on_red_print_survives_the_seal_step():
    image = _coloured_print()
    assert find_seals(np.asarray(image), DPI) == []
    grey = np.asarray(prepare(image, {"seal"}).image)
    # red strokes of the heading stay dark on white paper
    heading = grey[40:120, 40:450]
    assert heading.min() < 110 and np.median(heading) > 230
    # the banner stays dark with its white letters on it: both are there to read
    banner = grey[205:325, 40:860]
    assert np.median(banner) < 120 and (banner > 230).mean() > 0.05


def test_a_seal_over_text_is_faded_and_the_text_under_it_stays():
    image, _ = _seal_over_text()
    before = np.asarray(image.convert("L"))
    grey = np.asarray(prepare(image, {"seal"}).image)
    seal_ink = redness(np.asarray(image)) > 60
    assert (before[seal_ink] < 190).mean() > 0.5  # the seal is a blot to OCR as it came
    assert (grey[seal_ink] > 190).mean() > 0.9  # and nearly paper once faded
    # the black text under the seal stays as dark as it was
    under = before < 80
    assert (grey[under] < 100).mean() > 0.95


@pytest.mark.slow
def test_text_under_a_seal_is_read_and_red_print_is_not_lost():
    from dangan.ocr.rapid import lines_text, recognise

    from dangan.text import normalize_text

    image, _ = _seal_over_text()
    text = normalize_text(lines_text(recognise(prepare(image, {"seal"}).image)))
    assert text.count("参保单位盖章确认无误") >= 3, text
    text = normalize_text(lines_text(recognise(prepare(_coloured_print(), {"seal"}).image)))
    assert "解除抵押登记" in text and "医保惠民服务" in text, text


def _grainy_lines(size=(1600, 1100), seed=1) -> Image.Image:
    """Thin dark rules on paper with scanner grain."""
    arr = np.full((size[1], size[0]), 235, np.float32)
    arr[300:303, 100:1500] = 30  # a 3 px stroke
    arr += np.random.default_rng(seed).normal(0, 6, arr.shape)
    return Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8))


def test_a_2400_dpi_declaration_on_ordinary_pixels_is_not_believed():
    image = _with_dpi(_grainy_lines(), 2400)  # 17 x 12 mm if the declaration were true
    grey = np.asarray(image)
    assert pixel_dpi(grey, 2400) <= 600
    assert pixel_dpi(grey, 300) == 300  # a real scanning resolution is kept
    out = np.asarray(prepare(image, {"denoise"}).image)
    # blurred in the pixels the image has: the 3 px stroke stays a dark stroke
    assert out[300:303, 200:1400].mean() < 140  # sigma 9.6 px leaves it near paper grey


def test_a_bilevel_page_is_not_blurred_and_a_grey_one_is():
    bilevel = np.full((400, 600), 255, np.uint8)
    bilevel[100:103, 50:550] = 0
    assert is_bilevel(bilevel)
    assert np.array_equal(denoise(bilevel, 300), bilevel)
    grainy = np.asarray(_grainy_lines((600, 400)))
    assert not is_bilevel(grainy)
    assert not np.array_equal(denoise(grainy, 200), grainy)


LATIN = (
    "The Linn Sequencer is a state-of-the-art composition tool",
    "for the professional musician and extremely simple to learn.",
)


@pytest.mark.slow
def test_spaced_latin_lines_keep_their_spaces_and_are_found(tmp_path):
    """A 1-bit 300-dpi page in a Latin typeface whose word gaps a blur closes
    (as OCRmyPDF's linn.pdf): OCR'd by the engine with the default steps, its
    words stay words in the text and in the full-text index."""
    from dangan.catalog.fts import FtsIndex
    from dangan.catalog.index import IndexDoc
    from dangan.ocr.images import images_to_pdf
    from dangan.ocr.tesseract import OcrmypdfEngine
    from PIL import ImageFont

    from dangan.ocr_steps import DEFAULT_STEPS

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", 26)
    page = Image.new("L", (1300, 260), 255)
    draw = ImageDraw.Draw(page)
    for row, line in enumerate(LATIN):
        draw.text((30, 40 + row * 80), line, font=font, fill=0)
    page = page.point(lambda v: 255 if v > 128 else 0).convert("1")
    page.save(tmp_path / "latin.png", dpi=(300, 300))
    images_to_pdf(tmp_path / "latin.png", tmp_path / "latin.pdf")
    engine = OcrmypdfEngine(jobs=1, preprocess=DEFAULT_STEPS, recognizer="rapidocr")
    try:
        out = engine.process(tmp_path / "latin.pdf", tmp_path, has_text=False)
    finally:
        engine.close()
    assert "The Linn Sequencer is a state-of-the-art" in out.pages[0], out.pages[0]
    index = FtsIndex(tmp_path / "index.sqlite3")
    index.upsert(IndexDoc("r1", "Linn", "latin.pdf", [(1, out.pages[0])]))
    for query in ("Sequencer", "professional musician", "composition"):
        assert [h.record_id for h in index.search(query).hits] == ["r1"], query


def test_a_2400_dpi_page_keeps_a_readable_page_image(tmp_path):
    import img2pdf
    from dangan.ingest.pipeline import _render_pages

    scan = tmp_path / "tiny.png"
    _grainy_lines((1600, 1100)).save(scan, dpi=(2400, 2400))  # a 17 x 12 mm "page"
    pdf = tmp_path / "tiny.pdf"
    pdf.write_bytes(img2pdf.convert(str(scan)))
    (path,) = _render_pages(pdf, tmp_path / "pages")
    with Image.open(path) as image:
        assert max(image.size) >= 1200, image.size  # not 74 x 51 px
        assert abs(image.width / image.height - 1600 / 1100) < 0.02


def _box(left, top, right, text):
    quad = [[left, top], [right, top], [right, top + 40], [left, top + 40]]
    return (quad, text)


def test_a_two_column_page_is_read_column_by_column():
    from dangan.ocr.rapid import group_lines

    items = [_box(100, 50, 1500, "医疗保障基金使用监督管理条例 学习资料")]
    for row in range(6):
        y = 150 + row * 60
        items.append(_box(100, y, 760, f"左栏第{row}行的正文内容较长一些"))
        items.append(_box(840, y, 1500, f"右栏第{row}行的正文内容较长一些"))
    items.append(_box(100, 560, 1500, "本页完"))
    lines = [[b[4] for b in line] for line in group_lines(items[::-1])]
    assert lines == (
        [["医疗保障基金使用监督管理条例 学习资料"]]
        + [[f"左栏第{r}行的正文内容较长一些"] for r in range(6)]
        + [[f"右栏第{r}行的正文内容较长一些"] for r in range(6)]
        + [["本页完"]]
    )


def test_the_rows_of_a_form_are_still_read_across():
    from dangan.ocr.rapid import group_lines

    labels = ("姓名", "公民身份号码", "单位名称", "联系电话", "地址", "参保日期")
    values = (
        "王芳",
        "35010219800101123X",
        "福州市鼓楼区某有限公司",
        "13800000000",
        "福州市",
        "2024年5月",
    )
    items = []
    for row, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 100 + row * 60
        items.append(_box(100, y, 100 + 40 * len(label), label))
        items.append(_box(800, y, 800 + 25 * len(value), value))
    lines = [[b[4] for b in line] for line in group_lines(items)]
    assert lines == [[label, value] for label, value in zip(labels, values, strict=True)]


LIMITS = {"max_bytes": 50 << 20, "max_pages": 50}


def _text_image(size=(517, 147)) -> Image.Image:
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).text((20, 40), "参保登记", font=_font(56), fill="black")
    return image


def test_a_webp_phone_photo_is_accepted_and_wrapped(tmp_path):
    from dangan.ingest.validate import check_file
    from dangan.ocr.images import images_to_pdf

    path = tmp_path / "photo.webp"
    _text_image((900, 600)).save(path, format="WEBP", quality=80)
    checked = check_file(path, **LIMITS)
    assert (checked.kind, checked.media_type, checked.pages) == ("webp", "image/webp", 1)
    images_to_pdf(path, tmp_path / "photo.pdf")
    import pypdfium2 as pdfium

    page = pdfium.PdfDocument(str(tmp_path / "photo.pdf"))[0]
    assert page.render(scale=1).to_pil().size[0] > 0


def test_heic_is_named_and_read_when_a_decoder_is_installed(tmp_path):
    from dangan.ingest.validate import check_file, sniff
    from dangan.ocr.images import heif_opener

    from dangan.errors import RejectedFile

    head = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 64
    assert sniff(head) == "heic"
    path = tmp_path / "IMG_0001.HEIC"
    path.write_bytes(head)  # the header of a phone photo, no picture in it
    with pytest.raises(RejectedFile) as err:
        check_file(path, **LIMITS)
    if heif_opener():
        assert err.value.reason == "corrupt"  # read as HEIC, found broken
    else:
        assert "HEIC" in err.value.message and "无法识别" not in err.value.message
    avif = tmp_path / "x.avif"
    avif.write_bytes(b"\x00\x00\x00\x18ftypavif" + b"\x00" * 64)
    with pytest.raises(RejectedFile) as err:
        check_file(avif, **LIMITS)
    assert "AVIF" in err.value.message


def test_a_small_crop_with_legible_text_is_accepted(tmp_path):
    from dangan.ingest.validate import check_file

    from dangan.errors import RejectedFile

    path = tmp_path / "crop.png"
    _text_image().save(path)  # 517 x 147 px, no DPI: a cut-out line of a form
    assert check_file(path, **LIMITS).pages == 1
    icon = tmp_path / "icon.png"
    _text_image((60, 20)).save(icon)
    with pytest.raises(RejectedFile) as err:
        check_file(icon, **LIMITS)
    assert err.value.reason == "too_small" and "200 dpi" in err.value.message


@pytest.mark.slow
def test_the_text_round_a_seal_is_read():
    from dangan.ocr.rapid import read_seals

    from bench.ocr_bench import cer

    image, _ = _seal_over_text()
    prepared = prepare(image, {"seal"})
    assert len(prepared.seals) == 1
    (text,) = read_seals([Image.fromarray(s) for s in prepared.seals])
    assert cer("福州市医疗保险管理中心", text) <= 0.2, text


def test_seal_texts_travel_in_the_results_manifest(tmp_path):
    from dangan.ocr import results

    results.append(tmp_path, 1, image="0001.jpg", blank=False, seal_images=["0001-seal1.png"])
    results.append(tmp_path, 2, image="0002.jpg", blank=False)
    results.append(tmp_path, 1, seals=["福州市医疗保障局"])
    assert results.seal_images(tmp_path, 1) == [tmp_path / "0001-seal1.png"]
    assert results.seal_images(tmp_path, 2) == []
    assert results.read(tmp_path).seals == {1: ["福州市医疗保障局"]}


@pytest.mark.slow
def test_the_engine_reports_the_seal_text_with_the_page(tmp_path):
    from dangan.ocr.images import images_to_pdf
    from dangan.ocr.tesseract import OcrmypdfEngine

    from bench.ocr_bench import cer
    from dangan.ocr_steps import DEFAULT_STEPS

    image, _ = _seal_over_text()
    image.save(tmp_path / "sealed.png", dpi=(DPI, DPI))
    images_to_pdf(tmp_path / "sealed.png", tmp_path / "sealed.pdf")
    engine = OcrmypdfEngine(jobs=1, preprocess=DEFAULT_STEPS, recognizer="rapidocr")
    try:
        out = engine.process(tmp_path / "sealed.pdf", tmp_path, has_text=False)
    finally:
        engine.close()
    assert out.pages[0].count("参保单位盖章确认无误") >= 3, out.pages[0]
    (text,) = out.seals[1]
    assert cer("福州市医疗保险管理中心", text) <= 0.2, text


def _scanned(image: Image.Image, quality: int = 92) -> Image.Image:
    """The page as a colour scanner and its JPEG leave it: paper a little grey,
    ink a little duller, chroma halved."""
    import io

    page = np.asarray(image).astype(np.float32)
    page = 18 + page * 0.9  # paper about 247, the seal's red channel about 200
    buffer = io.BytesIO()
    Image.fromarray(np.clip(page, 0, 255).astype(np.uint8)).save(
        buffer, format="JPEG", quality=quality
    )
    return _with_dpi(Image.open(io.BytesIO(buffer.getvalue())).convert("RGB"), DPI)


def test_a_scanned_seal_fades_to_the_paper_itself():
    """On a scan the seal's red ink is only nearly as bright as the paper in
    the red channel (about 200 against 247), enough for a recogniser to read
    业务专用章 into the page text: faded, it is the paper's own grey."""
    image, _ = _seal_over_text()
    scan = _scanned(image)
    grey = np.asarray(prepare(scan, {"seal"}).image).astype(int)
    paper = int(np.median(np.asarray(scan.convert("L"))))
    seal_ink = (redness(np.asarray(image)) > 60) & (np.asarray(image.convert("L")) > 90)
    assert np.median(grey[seal_ink]) >= paper - 6, (np.median(grey[seal_ink]), paper)
    # black text under the seal stays dark
    under = np.asarray(image.convert("L")) < 60
    assert (grey[under] < 110).mean() > 0.9


@pytest.mark.slow
def test_a_scanned_seals_own_text_is_not_read_into_the_page():
    from dangan.ocr.rapid import lines_text, recognise

    from dangan.text import normalize_text

    image, _ = _seal_over_text()
    text = normalize_text(lines_text(recognise(prepare(_scanned(image), {"seal"}).image)))
    assert text.count("参保单位盖章确认无误") >= 3, text
    for seal_text in ("业务", "专用章", "医疗保险"):
        assert seal_text not in text, text
