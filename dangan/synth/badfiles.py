"""Files an intake pipeline must reject or flag: empty, corrupt, encrypted,
unsupported and mislabelled ones."""

from __future__ import annotations

import io
import logging
import random
import zipfile
from pathlib import Path

from PIL import Image, ImageDraw

logger = logging.getLogger(__name__)

ENCRYPTED_USER_PASSWORD = "dangan-user"
ENCRYPTED_OWNER_PASSWORD = "dangan-owner"

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    "</Types>"
)
_DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>参保单位登记表（电子稿）</w:t></w:r></w:p></w:body></w:document>"
)


def _small_pdf() -> bytes:
    """A one-page PDF made with reportlab's built-in font (no CJK needed)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    c.setFont("Helvetica", 14)
    c.drawString(72, 770, "Confidential medical insurance record")
    c.showPage()
    c.save()
    return buf.getvalue()


def _encrypted_pdf(path: Path) -> None:
    try:
        import pikepdf
    except ImportError:
        pikepdf = None  # type: ignore[assignment]
    if pikepdf is not None:
        with pikepdf.open(io.BytesIO(_small_pdf())) as pdf:
            pdf.save(
                path,
                encryption=pikepdf.Encryption(
                    user=ENCRYPTED_USER_PASSWORD, owner=ENCRYPTED_OWNER_PASSWORD, R=6
                ),
            )
        return
    from reportlab.lib import pdfencrypt
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    enc = pdfencrypt.StandardEncryption(
        ENCRYPTED_USER_PASSWORD, ENCRYPTED_OWNER_PASSWORD, strength=128
    )
    c = canvas.Canvas(str(path), pagesize=A4, encrypt=enc)
    c.setFont("Helvetica", 14)
    c.drawString(72, 770, "Confidential medical insurance record")
    c.showPage()
    c.save()


def _png_bytes() -> bytes:
    img = Image.new("RGB", (827, 1169), "white")
    draw = ImageDraw.Draw(img)
    draw.rectangle([60, 60, 767, 1109], outline=(0, 0, 0), width=2)
    for y in range(140, 1100, 40):
        draw.line([(80, y), (747, y)], fill=(120, 120, 120), width=1)
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def write_bad_files(out_dir: Path) -> dict[str, Path]:
    """Write the problem files into `out_dir`; returns them by kind.

    Keys: empty, corrupt, encrypted (user password `ENCRYPTED_USER_PASSWORD`),
    unsupported (a zip named .docx), unsupported_text (readme.txt),
    mislabelled_png_as_pdf (scan.pdf), mislabelled_text_as_jpg (photo.jpg).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {
        "empty": out_dir / "empty.pdf",
        "corrupt": out_dir / "corrupt.pdf",
        "encrypted": out_dir / "encrypted.pdf",
        "unsupported": out_dir / "notes.docx",
        "unsupported_text": out_dir / "readme.txt",
        "mislabelled_png_as_pdf": out_dir / "scan.pdf",
        "mislabelled_text_as_jpg": out_dir / "photo.jpg",
    }
    files["empty"].write_bytes(b"")

    garbage = random.Random(7).randbytes(1500)
    head = (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
        b"3 0 obj\n<< /Length 5000 >>\nstream\n"
    )
    files["corrupt"].write_bytes(head + garbage)  # no endstream, xref or trailer

    _encrypted_pdf(files["encrypted"])

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in (
            ("[Content_Types].xml", _CONTENT_TYPES),
            ("word/document.xml", _DOCUMENT),
        ):
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            zf.writestr(info, text)
    files["unsupported"].write_bytes(buf.getvalue())

    files["unsupported_text"].write_text(
        "扫描说明：本批次共 12 件，已按业务流水号排序。\nThis is a plain text note, not a scan.\n",
        encoding="utf-8",
    )
    files["mislabelled_png_as_pdf"].write_bytes(_png_bytes())
    files["mislabelled_text_as_jpg"].write_text(
        "这不是图片，而是一个文本文件。\nnot a JPEG\n", encoding="utf-8"
    )
    logger.debug("wrote %d problem files to %s", len(files), out_dir)
    return files
