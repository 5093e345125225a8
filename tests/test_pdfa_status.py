"""An archival copy that is not PDF/A says why, on the record, on its page and
in the 四性检测 report (issue 18, defect 6); CMYK scans are made PDF/A. The
inputs are made here."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pytest
from conftest import login
from dangan.api.app import create_app
from dangan.ocr.images import images_to_pdf
from fastapi.testclient import TestClient
from pikepdf import Array, Dictionary, Name
from PIL import Image, ImageDraw

from dangan.archive import Archive
from dangan.config import Settings


def _gradient_page(path: Path) -> None:
    """A vector page (a printed form's shaded header band, no scan in it): a
    shading pikepdf's PDF/A validator cannot confirm."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595.3, 841.9))
    shading = Dictionary(
        ShadingType=2, ColorSpace=Name.DeviceRGB, Coords=Array([0, 0, 595, 0]),
        Function=Dictionary(FunctionType=2, Domain=Array([0, 1]), C0=Array([1, 1, 1]),
                            C1=Array([0.2, 0.3, 0.8]), N=1),
    )  # fmt: skip
    page = pdf.pages[0]
    page.obj.Resources = Dictionary(Shading=Dictionary(Sh0=shading))
    page.obj.Contents = pdf.make_stream(b"q 0 700 595 100 re W n /Sh0 sh Q")
    pdf.save(path)


@pytest.mark.slow  # runs OCRmyPDF
def test_a_copy_that_cannot_be_pdfa_records_why_and_shows_and_counts_it(tmp_path: Path):
    from dangan.ingest.pipeline import ingest_file
    from dangan.preservation.service import check_one

    source = tmp_path / "gradient.pdf"
    _gradient_page(source)
    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h"), "DANGAN_OCR_JOBS": "1"})
    with Archive.open(settings) as archive:
        result = ingest_file(archive, source)
        assert result.status == "archived", result.error
        record = archive.catalog.get(result.record_id)
        assert record.metadata["pdfa"] is None
        assert record.metadata["pdfa_status"] == "not_pdfa"
        reason = record.metadata["pdfa_reason"]
        assert "渐变填充" in reason  # what in the file, not "no PDF/A claim"
        run, results = check_one(archive, record.id, "tester")
        (ky3,) = [r for r in results if r.item == "KY-03"]
        assert ky3.outcome == "warning" and reason in ky3.evidence
        assert run["summary"]["not_pdfa"]["records"] == 1
        assert any("渐变填充" in why for why in run["summary"]["not_pdfa"]["reasons"])
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(archive.blobs.open(run["report_keys"]["xlsx"]).read()))
        lines = [row[0].value or "" for row in book["汇总"].iter_rows()]
        assert any(line.startswith("存档版本不是 PDF/A 的记录：1 件") for line in lines)
    with TestClient(create_app(settings)) as client:
        login(client, "caseworker")
        page = client.get(f"/records/{record.id}").text
        assert "普通 PDF（不是 PDF/A 长期保存格式" in page and "渐变填充" in page
        assert "下载存档 PDF" in page


def test_a_cmyk_scan_is_wrapped_as_an_archival_copy_that_can_be_pdfa(tmp_path: Path):
    scan = Image.new("CMYK", (800, 1000), (0, 0, 0, 0))
    ImageDraw.Draw(scan).rectangle((100, 100, 700, 200), fill=(0, 255, 255, 0))  # red band
    source = tmp_path / "scan.jpg"
    scan.save(source, format="JPEG", quality=90, dpi=(200, 200))
    target = tmp_path / "scan.pdf"
    images_to_pdf(source, target)
    with pikepdf.open(target) as pdf:
        (image,) = pdf.pages[0].get_images().values()
        assert image.ColorSpace != Name.DeviceCMYK
        assert float(pdf.pages[0].mediabox[2]) == 800 * 72 / 200  # the scan's size kept
        pikepdf.pdfa.prepare(pdf, "2b")
        assert pikepdf.pdfa.check(pdf, "2b").verdict == "pass"
    with Image.open(io.BytesIO(_first_image(target))) as rgb:
        red = rgb.convert("RGB").getpixel((400, 150))
        assert red[0] > 200 and red[1] < 80 and red[2] < 80  # still red


def _first_image(pdf_path: Path) -> bytes:
    with pikepdf.open(pdf_path) as pdf:
        (image,) = pdf.pages[0].get_images().values()
        return image.read_raw_bytes()


def test_the_record_page_tells_the_archival_format_and_re_read_pages(tmp_path: Path):
    from records import file_record

    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})
    fields = {"business_date": "2024-05-01", "id_numbers": []}
    with Archive.open(settings) as archive:
        file_record(
            archive, "a1", "reimbursement", fields,
            metadata={"pdfa": "2B", "seals": [{"page": 1, "text": "某市医疗保障局业务专用章"}]},
        )  # fmt: skip
        file_record(
            archive, "p1", "reimbursement", fields, pages=["医疗费用报销", "附件"],
            metadata={"pdfa": None, "pdfa_status": "not_pdfa",
                      "pdfa_reason": "使用 Type 3 字体（常见于打印机驱动和排版软件生成的文件）",
                      "unmapped_text_pages": [2]},
        )  # fmt: skip
    with TestClient(create_app(settings)) as client:
        login(client, "caseworker")
        pdfa = client.get("/records/a1").text
        assert "PDF/A-2B" in pdfa and "下载 PDF/A" in pdfa and "普通 PDF" not in pdfa
        # the text read round a seal (盖章单位), said to be unchecked
        assert "盖章单位" in pdfa and "某市医疗保障局业务专用章（第 1 页）" in pdfa
        assert "未经核对" in pdfa and "盖章单位" not in client.get("/records/p1").text
        plain = client.get("/records/p1?page=1").text
        assert "普通 PDF（不是 PDF/A 长期保存格式。原因：使用 Type 3 字体" in plain
        assert "原有的文字层无法转换为文字" not in plain
        assert "原有的文字层无法转换为文字" in client.get("/records/p1?page=2").text
