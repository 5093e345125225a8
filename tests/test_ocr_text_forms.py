"""What the recogniser writes against what was printed (issue 18, CER): the
forms punctuation takes in Chinese text, dots read from specks at a box's
edge, and short boxes turned upside down by the line classifier."""

from __future__ import annotations

import pytest

from dangan.text import chinese_punctuation, normalize_text


@pytest.mark.parametrize(
    ("read", "printed"),
    [
        ("经办机构(盖章)2023年06月", "经办机构（盖章）2023年06月"),
        ("个人账户收支明细(单位：元)", "个人账户收支明细（单位：元）"),
        ("申报金额(大写)贰仟零柒拾捌元", "申报金额（大写）贰仟零柒拾捌元"),
        ("经办机构(盖章）2022年", "经办机构（盖章）2022年"),  # half a pair
        ("法定代表人（签字)：", "法定代表人（签字）："),
        ("联系电话(0591)87654321", "联系电话（0591）87654321"),  # touches Chinese
        ("2017年01月-2018年12月", "2017年01月—2018年12月"),
        ("2019年01月－2020年12月", "2019年01月—2020年12月"),
        ("福医保稽[2017]68号", "福医保稽〔2017〕68号"),
        ("医保发(2020)5号", "医保发〔2020〕5号"),
    ],
)
def test_punctuation_in_chinese_text_takes_its_chinese_form(read, printed):
    assert normalize_text(read) == printed


@pytest.mark.parametrize(
    "latin",
    ["see (above) ok", "f(x)=1", "Tel: (0591) 1234", "2015-03-01", "A-B [1]", "1961.11"],
)
def test_latin_and_numbers_keep_their_punctuation(latin):
    assert chinese_punctuation(latin) == latin


@pytest.mark.parametrize(
    ("box", "kept"),
    [
        ("厦门市第一医院.", "厦门市第一医院"),  # a speck after the last character
        ("明显异常.", "明显异常"),
        ("·13", "13"),
        (".2015-03-01", "2015-03-01"),
        ("公民身份号码·", "公民身份号码"),
        ("1961.11", "1961.11"),  # decimal points stay
        ("15.", "15."),  # a list number may end in a dot
        ("Co. Ltd.", "Co. Ltd."),
        ("...", "..."),
        ("玛丽·居里", "玛丽·居里"),  # a dot inside a name stays
    ],
)
def test_dots_at_a_boxs_edge_are_specks(box, kept):
    from dangan.ocr.recognizers import box_text

    assert box_text(box) == kept


def test_the_held_out_fonts_are_never_drawn_by_default():
    from bench.splits import SPLITS
    from dangan.synth.fonts import DEFAULT_IMAGE_FONTS, image_font_sets

    heldout = set(SPLITS["heldout"].fonts)
    assert heldout and not heldout & set(DEFAULT_IMAGE_FONTS)
    assert not heldout & set(SPLITS["tuning"].fonts)
    assert not heldout & {f.name for f in image_font_sets()}


def _serial_column_page():
    from PIL import Image, ImageDraw

    from dangan.synth.fonts import image_font_sets, pil_font

    sets = image_font_sets(("wqy",))
    image = Image.new("RGB", (1400, 1000), "white")
    draw = ImageDraw.Draw(image)
    font = pil_font(sets[0].regular, 34)
    serials = [6, 9, 6, 16, 9, 66, 6, 19, 6, 9, 96, 6]
    for row, serial in enumerate(serials):
        y = 40 + row * 75
        draw.line((40, y, 1360, y), fill="black", width=2)
        draw.text((70, y + 18), str(serial), font=font, fill="black")
        draw.text(
            (200, y + 18), f"死亡  范琪金  女  35070219900101{row:02d}", font=font, fill="black"
        )
    return image, [str(s) for s in serials]


@pytest.mark.slow
def test_a_tables_serial_numbers_are_not_read_upside_down():
    """The 0/180 line classifier, run on each box, turned a lone "6" into "9"
    (WenQuanYi, 4 of 6); pages are turned upright as a whole instead."""
    import numpy as np
    from dangan.ocr.recognizers import Recognizer

    from dangan.ocr_models import DEFAULT_MODEL, DEFAULT_RUNTIME

    image, serials = _serial_column_page()
    bgr = np.ascontiguousarray(np.asarray(image)[:, :, ::-1])
    boxes = Recognizer(DEFAULT_MODEL, DEFAULT_RUNTIME).read(bgr)
    short = [text for quad, text in sorted(boxes, key=lambda b: b[0][0][1]) if len(text) <= 3]
    assert short == serials


@pytest.mark.slow
def test_a_page_upside_down_reads_though_none_of_its_lines_reads_upside_down():
    """Without the line classifier, no line of an upside-down page reads as
    anything; the page's way up comes from every box found, read or not."""
    from dangan.ocr.rapid import read_page
    from PIL import Image, ImageDraw, ImageFilter

    from dangan.synth.fonts import image_font_sets, pil_font

    lines = [
        "医保基金稽核通知书",
        "厦门市湖里区融信餐饮管理股份有限公司：",
        "根据《医疗保障基金使用监督管理条例》有关规定，我局决定",
        "对你单位2018年度医疗保障基金使用情况进行稽核。",
    ]
    image = Image.new("L", (1654, 2339), 240)
    draw = ImageDraw.Draw(image)
    font = pil_font(image_font_sets()[0].regular, 28)
    for row, line in enumerate(lines):
        draw.text((150, 200 + row * 60), line, font=font, fill=90)
    turned = image.filter(ImageFilter.GaussianBlur(0.8)).rotate(180)
    reading = read_page(turned, orient=True)
    assert reading.angle == 180
    assert [" ".join(b[4] for b in line) for line in reading.lines] == lines


def test_the_pdf_text_layer_has_the_chinese_forms_too():
    from dangan.ocr.rapid import page_element

    page = page_element([[(10, 10, 300, 40, "经办机构(盖章)")]], (600, 800), 200, 0)
    words = [w.text for line in page.children for w in line.children]
    assert words == ["经办机构（盖章）"]
