"""Files that describe enormous images or pages, or very many pages, are
refused from their headers: in Chinese, before anything is decoded, rendered
or written."""

from __future__ import annotations

import pytest
from dangan.ingest.pipeline import ingest_file
from dangan.ingest.validate import check_file

from dangan.archive import Archive
from dangan.config import Settings
from dangan.errors import RejectedFile
from dangan.synth import hostile

LIMITS = {"max_bytes": 10 * 1024 * 1024, "max_pages": 500}


def _refused(path, reason: str, **limits) -> str:
    with pytest.raises(RejectedFile) as err:
        check_file(path, **{**LIMITS, **limits})
    assert err.value.reason == reason, err.value.message
    return err.value.message


def test_pdf_with_a_gigapixel_image_is_refused_unread(tmp_path):
    path = hostile.image_bomb_pdf(tmp_path / "bomb.pdf", 12_000, 10_000)
    assert path.stat().st_size < 100_000
    message = _refused(path, "oversized_image")
    assert "12000×10000 像素" in message and "第 1 页" in message and "上限" in message


def test_image_inside_a_form_xobject_is_found(tmp_path):
    import pikepdf

    path = hostile.image_bomb_pdf(tmp_path / "bomb.pdf", 12_000, 10_000)
    with pikepdf.open(path, allow_overwriting_input=True) as pdf:
        page = pdf.pages[0]
        image = page.Resources.XObject.Im0
        form = pdf.make_stream(b"q 595 0 0 842 0 0 cm /Im0 Do Q")
        form.Type, form.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
        form.BBox = [0, 0, 595, 842]
        form.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
        page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Fm0=form))
        page.Contents = pdf.make_stream(b"/Fm0 Do")
        pdf.save(path)
    assert "12000×10000" in _refused(path, "oversized_image")


@pytest.mark.parametrize("side, unit", [(14_400, None), (3_000, 10.0)])
def test_pdf_page_larger_than_a0_is_refused(tmp_path, side, unit):
    path = hostile.huge_page_pdf(tmp_path / "huge.pdf", side, unit)
    message = _refused(path, "oversized_page")
    assert "第 1 页的尺寸" in message and "A0" in message


def test_a0_page_is_accepted(tmp_path):
    path = hostile.huge_page_pdf(tmp_path / "a0.pdf", 1189 / 25.4 * 72, width_pt=841 / 25.4 * 72)
    assert check_file(path, **LIMITS).pages == 1


def test_page_count_is_checked_before_any_page_text_is_read(tmp_path, monkeypatch):
    import pypdfium2

    path = hostile.many_pages_pdf(tmp_path / "long.pdf", 3_000)
    opened = []
    original = pypdfium2.PdfDocument
    monkeypatch.setattr(
        pypdfium2, "PdfDocument", lambda *a, **k: opened.append(a) or original(*a, **k)
    )
    message = _refused(path, "too_many_pages")
    assert "3000 页" in message and opened == []


def test_tiff_with_a_huge_second_page_is_refused_before_decoding(tmp_path):
    path = hostile.tiff_bomb(tmp_path / "bomb.tif")
    message = _refused(path, "oversized_image")
    assert "第 2 页" in message and "12000×8000" in message


def test_png_bomb_is_refused_in_chinese(tmp_path):
    path = hostile.png_bomb(tmp_path / "bomb.png", 10_000, 10_000)
    assert "万像素" in _refused(path, "oversized_image")


def test_pipeline_refuses_the_bombs_and_writes_nothing(tmp_path):
    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})
    archive = Archive.open(settings)
    files = [
        hostile.image_bomb_pdf(tmp_path / "bomb.pdf", 12_000, 10_000),
        hostile.huge_page_pdf(tmp_path / "huge.pdf"),
    ]
    for path in files:
        result = ingest_file(archive, path)
        assert result.status == "rejected" and result.reason.startswith("oversized")
        assert "上限" in result.error
    assert archive.catalog.find_by_sha256(result.sha256 or "") is None
    assert not any(p.is_file() for p in settings.blob_root.rglob("*"))
    assert list(settings.work_root.iterdir()) == []
    archive.close()
