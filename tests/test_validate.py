"""Files are checked by content before any work is spent on them."""

from __future__ import annotations

import pytest
from dangan.ingest.validate import check_file
from PIL import Image

from dangan.errors import RejectedFile

LIMITS = {"max_bytes": 10 * 1024 * 1024, "max_pages": 5}


def _png(path, size=(800, 1000)):
    Image.new("RGB", size, "white").save(path, format="PNG")
    return path


def test_type_is_decided_by_content(tmp_path):
    checked = check_file(_png(tmp_path / "scan.png"), **LIMITS)
    assert checked.kind == "png" and checked.pages == 1


def test_image_without_extension_is_accepted_by_content(tmp_path):
    assert check_file(_png(tmp_path / "scan"), **LIMITS).kind == "png"


def test_png_named_pdf_is_refused_as_mislabelled(tmp_path):
    with pytest.raises(RejectedFile) as err:
        check_file(_png(tmp_path / "scan.pdf"), **LIMITS)
    assert err.value.reason == "mislabelled"
    assert "PNG" in err.value.message and ".pdf" in err.value.message


def test_empty_file(tmp_path):
    path = tmp_path / "empty.pdf"
    path.write_bytes(b"")
    with pytest.raises(RejectedFile) as err:
        check_file(path, **LIMITS)
    assert err.value.reason == "empty" and "空文件" in err.value.message


def test_oversized_file(tmp_path):
    path = _png(tmp_path / "big.png")
    with pytest.raises(RejectedFile) as err:
        check_file(path, max_bytes=100, max_pages=5)
    assert err.value.reason == "too_large"


def test_too_many_pages(tmp_path):
    path = tmp_path / "many.tif"
    frames = [Image.new("L", (400, 400), 255) for _ in range(7)]
    frames[0].save(path, save_all=True, append_images=frames[1:])
    with pytest.raises(RejectedFile) as err:
        check_file(path, **LIMITS)
    assert err.value.reason == "too_many_pages" and "7 页" in err.value.message


def test_truncated_image_is_corrupt(tmp_path):
    path = tmp_path / "cut.jpg"
    Image.new("RGB", (900, 900), "gray").save(path, format="JPEG", quality=95)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(RejectedFile) as err:
        check_file(path, **LIMITS)
    assert err.value.reason == "corrupt"


def test_tiny_image_is_refused(tmp_path):
    with pytest.raises(RejectedFile) as err:
        check_file(_png(tmp_path / "icon.png", (50, 50)), **LIMITS)
    assert err.value.reason == "too_small"


def test_office_document_is_unsupported(tmp_path):
    path = tmp_path / "notes.docx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 100)
    with pytest.raises(RejectedFile) as err:
        check_file(path, **LIMITS)
    assert err.value.reason == "unsupported" and "Office" in err.value.message


def test_encrypted_pdf(tmp_path):
    import pikepdf

    path = tmp_path / "locked.pdf"
    pdf = pikepdf.new()
    pdf.add_blank_page()
    pdf.save(path, encryption=pikepdf.Encryption(user="secret", owner="secret"))
    with pytest.raises(RejectedFile) as err:
        check_file(path, **LIMITS)
    assert err.value.reason == "encrypted" and "加密" in err.value.message


def test_garbage_after_pdf_header_is_corrupt(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 20)
    with pytest.raises(RejectedFile) as err:
        check_file(path, **LIMITS)
    assert err.value.reason == "corrupt"
