"""PDFs OCRmyPDF would fail on minutes later, in English, are refused when the
file is checked, in Chinese, with what to do (issue 18, defect 5). Each test
builds its own input with pikepdf."""

from __future__ import annotations

import re
import time
import zlib
from pathlib import Path

import pikepdf
import pytest
from dangan.ingest.validate import check_file
from pikepdf import Array, Dictionary, Name

from dangan.errors import RejectedFile

LIMITS = {"max_bytes": 10 * 1024 * 1024, "max_pages": 5}


def _page(pdf: pikepdf.Pdf, content: bytes, xobjects: dict | None = None) -> None:
    pdf.add_blank_page(page_size=(595, 842))
    page = pdf.pages[-1]
    page.obj.Contents = pdf.make_stream(content)
    if xobjects:
        page.obj.Resources = Dictionary(XObject=Dictionary(xobjects))


def _image(pdf: pikepdf.Pdf, width: int, height: int, **extra) -> pikepdf.Stream:
    data = zlib.compress(b"\xff" * (width * height))
    image = pikepdf.Stream(pdf, data)
    image.Type, image.Subtype = Name.XObject, Name.Image
    image.Width, image.Height, image.BitsPerComponent = width, height, 8
    image.ColorSpace, image.Filter = Name.DeviceGray, Name.FlateDecode
    for key, value in extra.items():
        image[f"/{key}"] = value
    return image


def _refused(path: Path) -> RejectedFile:
    started = time.monotonic()
    with pytest.raises(RejectedFile) as err:
        check_file(path, **LIMITS)
    assert time.monotonic() - started < 30  # at check time, not after OCR
    assert path.name in err.value.message
    assert_chinese(err.value.message.replace(path.name, ""))
    return err.value


def assert_chinese(message: str) -> None:
    """A message for a person: Chinese sentences; Latin letters only in the
    names of products and formats, never an English sentence."""
    assert len(re.findall(r"[\u4e00-\u9fff]", message)) >= 20
    assert not re.search(r"[A-Za-z]+ [a-z]+ [a-z]+ [a-z]+", message), message


@pytest.mark.parametrize("dynamic", [True, False])
def test_an_xfa_form_is_refused_at_check_time(tmp_path: Path, dynamic: bool):
    pdf = pikepdf.new()
    _page(pdf, b"BT ET")
    xfa = pdf.make_stream(b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'></xdp:xdp>")
    pdf.Root.AcroForm = Dictionary(Fields=Array(), XFA=xfa)
    if dynamic:
        pdf.Root.NeedsRendering = True
    path = tmp_path / "xfa-form.pdf"
    pdf.save(path)
    refused = _refused(path)
    assert refused.reason == "xfa_form"
    assert "XFA" in refused.message and "Adobe Reader" in refused.message
    assert "打印" in refused.message  # what to do: print it to a plain PDF


def test_a_jbig2_image_in_devicen_is_refused_at_check_time(tmp_path: Path):
    pdf = pikepdf.new()
    tint = pdf.make_stream(b"{1 exch sub 0 0 0 4 -1 roll}")
    tint.FunctionType, tint.Domain = 4, Array([0, 1])
    tint.Range = Array([0, 1, 0, 1, 0, 1, 0, 1])
    image = pikepdf.Stream(pdf, b"\x00" * 32)  # never decoded by the check
    image.Type, image.Subtype = Name.XObject, Name.Image
    image.Width, image.Height, image.BitsPerComponent = 2550, 3300, 1
    image.Filter = Name.JBIG2Decode
    image.ColorSpace = Array([Name.DeviceN, Array([Name.Black]), Name.DeviceCMYK, tint])
    _page(pdf, b"q 595 0 0 842 0 0 cm /Im0 Do Q", {"/Im0": image})
    path = tmp_path / "jbig2-devicen.pdf"
    pdf.save(path)
    refused = _refused(path)
    assert refused.reason == "untranscodable_image"
    assert "JBIG2" in refused.message and "重新扫描" in refused.message


def test_a_small_image_drawn_tiny_is_an_image_bomb_refused_at_check_time(tmp_path: Path):
    # 1000×1000 pixels drawn 7.2 points wide: 10 000 dpi, so the A4 page would be
    # rendered at about 82 700 × 117 000 pixels
    pdf = pikepdf.new()
    _page(pdf, b"q 7.2 0 0 7.2 100 100 cm /Im0 Do Q", {"/Im0": _image(pdf, 1000, 1000)})
    path = tmp_path / "tiny-bomb.pdf"
    pdf.save(path)
    refused = _refused(path)
    assert refused.reason == "oversized_render"
    assert "10000 dpi" in refused.message and "亿像素" in refused.message


def test_an_image_bomb_hidden_in_a_soft_mask_is_refused_at_check_time(tmp_path: Path):
    pdf = pikepdf.new()
    mask = _image(pdf, 1, 1)
    mask.Width, mask.Height = 100_000, 100_000  # declared: 10 billion pixels
    image = _image(pdf, 2480, 3508, SMask=mask)
    _page(pdf, b"q 595 0 0 842 0 0 cm /Im0 Do Q", {"/Im0": image})
    path = tmp_path / "mask-bomb.pdf"
    pdf.save(path)
    refused = _refused(path)
    assert refused.reason == "oversized_image" and "100000×100000" in refused.message


def test_an_ordinary_scan_page_passes(tmp_path: Path):
    pdf = pikepdf.new()
    _page(pdf, b"q 595 0 0 842 0 0 cm /Im0 Do Q", {"/Im0": _image(pdf, 2480, 3508)})
    path = tmp_path / "scan.pdf"
    pdf.save(path)
    assert check_file(path, **LIMITS).pages == 1


@pytest.mark.parametrize(
    "code, detail",
    [
        (2, ["This PDF contains dynamic XFA forms created by Adobe LiveCycle Designer and can "
             "only be read by Adobe Acrobat or Adobe Reader."]),
        (15, ["HifiPrintImageNotTranscodableError: "]),
        (15, ["A decompression bomb error was encountered while executing the pipeline. Use the "
              "argument --max-image-mpixels to raise the maximum image pixel limit."]),
        (15, ["KeyError: '/Width'"]),
        (7, ["Ghostscript rasterizing failed"]),
    ],
)  # fmt: skip
def test_a_failure_inside_ocrmypdf_is_told_in_chinese(code: int, detail: list[str]):
    from dangan.ocr.failures import ocr_failure_message

    message = ocr_failure_message(code, detail)
    assert f"退出码 {code}" in message
    assert_chinese(message)
    assert detail[0][:20] not in message  # the English goes to the log only
