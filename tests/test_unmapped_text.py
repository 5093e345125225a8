"""A text layer that maps to no characters (a font without a Unicode mapping:
'\\x19\\x12' where the page shows a heading) is not kept as the record's text:
those pages are OCR'd from their image (issue 18, defect 7). The inputs are
made here: a page image with real writing, and over it text in a Type 3 font
whose glyph names map to nothing."""

from __future__ import annotations

import zlib
from pathlib import Path

import pikepdf
import pytest
from dangan.ingest import text_layers
from dangan.ingest.validate import check_file
from pikepdf import Array, Dictionary, Name
from PIL import Image, ImageDraw, ImageFont

from dangan.config import Settings

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
WORDS = "医疗保险档案"


def _scan(text: str) -> Image.Image:
    image = Image.new("L", (1240, 1754), 255)  # A4 at 150 dpi
    draw = ImageDraw.Draw(image)
    draw.text((150, 200), text, font=ImageFont.truetype(str(FONT), 90), fill=0)
    return image


def _type3(pdf: pikepdf.Pdf) -> pikepdf.Dictionary:
    """A Type 3 font with private glyph names (/g258 ...) for codes 18 and 25,
    as printers' drivers write them: no /ToUnicode, so the text extracts as
    the control characters '\\x12' and '\\x19'."""
    empty = pdf.make_stream(b"500 0 0 0 500 700 d1 0 0 500 700 re f")
    return pdf.make_indirect(
        Dictionary(
            Type=Name.Font, Subtype=Name.Type3, FontBBox=Array([0, 0, 500, 700]),
            FontMatrix=Array([0.001, 0, 0, 0.001, 0, 0]), FirstChar=18, LastChar=25,
            Widths=Array([500] * 8),
            Encoding=Dictionary(Type=Name.Encoding, Differences=Array([18, Name("/g258"), 25, Name("/g437")])),
            CharProcs=Dictionary(g258=empty, g437=empty),
            Resources=Dictionary(),
        )
    )  # fmt: skip


def _page(pdf: pikepdf.Pdf, scan: Image.Image | None, garbage: bool, text: bytes = b"") -> None:
    pdf.add_blank_page(page_size=(595.3, 841.9))
    page = pdf.pages[-1]
    content = b""
    resources = Dictionary()
    if scan is not None:
        image = pikepdf.Stream(pdf, zlib.compress(scan.tobytes()))
        image.Type, image.Subtype, image.Filter = Name.XObject, Name.Image, Name.FlateDecode
        image.Width, image.Height = scan.size
        image.BitsPerComponent, image.ColorSpace = 8, Name.DeviceGray
        resources.XObject = Dictionary(Im0=image)
        content += b"q 595.3 0 0 841.9 0 0 cm /Im0 Do Q\n"
    if garbage:
        resources.Font = Dictionary(T3=_type3(pdf))
        codes = (b"\x12\x19" * 12).replace(b"\\", b"\\\\")
        content += b"BT /T3 24 Tf 72 760 Td (" + codes + b") Tj ET\n"
    if text:
        content += text
    page.obj.Resources = resources
    page.obj.Contents = pdf.make_stream(content)


def test_control_and_private_use_characters_are_an_unmapped_text_layer():
    assert text_layers.is_unmapped("\x19\x12")
    assert text_layers.is_unmapped("\ue001\ue002\ue003 \ue004" * 5)
    assert not text_layers.is_unmapped("参保人员信息变更登记表 第1页")
    assert not text_layers.is_unmapped("参保人员信息变更登记表，申请人签字：" * 3 + "\ue001")
    assert not text_layers.is_unmapped("")
    # a /ToUnicode map in the wrong byte order: "MulticolorBlack" as CJK-looking codes
    assert text_layers.is_unmapped("䴀甀氀琀椀挀漀氀漀爀䈀氀愀挀欀")
    assert not text_layers.is_unmapped("一次性缴纳一万元，一年内有效")  # 一 is U+4E00


def test_a_page_whose_text_maps_to_nothing_is_to_be_ocrd(tmp_path: Path):
    pdf = pikepdf.new()
    _page(pdf, _scan(WORDS), garbage=True)
    path = tmp_path / "unmapped.pdf"
    pdf.save(path)
    checked = check_file(path, max_bytes=1 << 24, max_pages=5)
    assert checked.unmapped_pages == (1,) and checked.force_ocr_pages == (1,)
    assert not checked.has_text


@pytest.mark.slow  # real OCR
@pytest.mark.skipif(not FONT.is_file(), reason="fonts-wqy-zenhei is not installed")
def test_an_unmapped_text_layer_is_ocrd_instead_of_kept_as_garbage(tmp_path: Path):
    from dangan.ingest.pipeline import ingest_file

    from dangan.archive import Archive

    pdf = pikepdf.new()
    _page(pdf, _scan(WORDS), garbage=True)  # page 1: garbage over the writing
    _page(pdf, _scan("参保登记"), garbage=False)  # page 2: a plain scan
    path = tmp_path / "unmapped-two-pages.pdf"
    pdf.save(path)
    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h"), "DANGAN_OCR_JOBS": "1"})
    archive = Archive.open(settings)
    try:
        result = ingest_file(archive, path)
        assert result.status == "archived", result.error
        record = archive.catalog.get(result.record_id)
    finally:
        archive.close()
    first, second = (p.text for p in record.pages)
    assert not any(text_layers.unmapped(c) for c in first + second)
    assert "医疗" in first and "档案" in first  # read from the image
    assert "参保" in second
    # the record names the model and runtime that read it
    assert (record.metadata["ocr_model"], record.metadata["ocr_runtime"]) == (
        settings.ocr_model,
        settings.ocr_runtime,
    )


def test_a_run_of_pages_not_ocrd_is_one_sidecar_entry_for_each_of_them():
    from dangan.ocr.tesseract import split_sidecar

    # OCRmyPDF writes one entry for pages 1-2 it left alone: page 3 is still page 3
    text = "[OCR skipped on page(s) 1-2]\fpage three\f[OCR skipped on page(s) 4]"
    assert split_sidecar(text, 4) == [None, None, "page three", None]
    assert split_sidecar("one\ftwo", 3) == ["one", "two", ""]


DEJAVU = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@pytest.mark.skipif(not DEJAVU.is_file(), reason="fonts-dejavu is not installed")
@pytest.mark.parametrize("mapped", [False, True])
def test_a_symbolic_subset_font_without_an_encoding_is_an_unmapped_text_layer(
    tmp_path: Path, mapped: bool
):
    # as OCRmyPDF's truetype_font_nomapping.pdf: the page extracts as '"7+%-…',
    # printable characters that are not what the page shows
    pdf = pikepdf.new()
    font_file = pikepdf.Stream(pdf, DEJAVU.read_bytes())
    descriptor = Dictionary(
        Type=Name.FontDescriptor, FontName=Name("/LBYKWV+Sym"), Flags=4 if not mapped else 32,
        FontBBox=Array([0, -200, 1000, 900]), ItalicAngle=0, Ascent=900, Descent=-200,
        CapHeight=700, StemV=80, FontFile2=font_file,
    )  # fmt: skip
    font = Dictionary(
        Type=Name.Font, Subtype=Name.TrueType, BaseFont=Name("/LBYKWV+Sym"), FirstChar=32,
        LastChar=126, Widths=Array([600] * 95), FontDescriptor=descriptor,
    )  # fmt: skip
    if mapped:
        font.Encoding = Name.WinAnsiEncoding
    _page(pdf, None, garbage=False, text=b'BT /F1 18 Tf 72 700 Td (\\"7+%-\\"7+%-\\"7+%-) Tj ET')
    pdf.pages[0].obj.Resources.Font = Dictionary(F1=pdf.make_indirect(font))
    path = tmp_path / "symbolic.pdf"
    pdf.save(path)
    checked = check_file(path, max_bytes=1 << 24, max_pages=5)
    if mapped:  # a font with an encoding: its text is kept
        assert checked.unmapped_pages == () and checked.has_text
    else:
        assert checked.unmapped_pages == (1,) and checked.force_ocr_pages == (1,)
