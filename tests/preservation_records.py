"""Records with real stored objects for the 四性检测 tests, made without OCR:
an image-only PDF/A-2B archival copy (img2pdf, then pikepdf adds the PDF/A
claim and an sRGB output intent), page images rendered from it, and the
record filed through the filing rules and the check at filing, as intake does."""

from __future__ import annotations

import hashlib
import io
from datetime import date
from functools import lru_cache

from dangan.catalog.base import FileRef, PageText, Record
from dangan.retention.filing import apply_filing

from dangan.archive import Archive


def page_jpeg(text: str) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (400, 560), "white")
    ImageDraw.Draw(image).text((40, 40), text, fill="black")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def plain_pdf(texts: list[str]) -> bytes:
    import img2pdf

    return img2pdf.convert([page_jpeg(t) for t in texts])


@lru_cache(maxsize=8)
def pdfa(texts: tuple[str, ...]) -> bytes:
    import pikepdf
    from PIL import ImageCms

    pdf = pikepdf.open(io.BytesIO(plain_pdf(list(texts))))
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    stream = pdf.make_stream(icc)
    stream["/N"] = 3
    pdf.Root.OutputIntents = pikepdf.Array(
        [
            pikepdf.Dictionary(
                Type=pikepdf.Name.OutputIntent,
                S=pikepdf.Name.GTS_PDFA1,
                OutputConditionIdentifier="sRGB",
                DestOutputProfile=stream,
            )
        ]
    )
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["pdfaid:part"] = "2"
        meta["pdfaid:conformance"] = "B"
        meta["dc:title"] = "test"
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def render_pages(data: bytes) -> list[bytes]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(data)
    pages = []
    for index in range(len(doc)):
        image = doc[index].render(scale=0.5).to_pil().convert("RGB")
        out = io.BytesIO()
        image.save(out, "JPEG", quality=70)
        pages.append(out.getvalue())
    doc.close()
    return pages


def stored_record(
    archive: Archive,
    rid: str,
    doc_type: str = "employee_enrol",
    business_date: str = "2024-05-10",
    pages: int = 2,
    archival_copy: bytes | None = None,
    original_tail: bytes = b"",
) -> Record:
    """File record `rid` with its original, PDF/A and page images in the store."""
    texts = tuple(f"{rid} page {n}" for n in range(1, pages + 1))
    original = plain_pdf(list(texts)) + original_tail
    archive_pdf = archival_copy or pdfa(texts)
    sha = hashlib.sha256(original).hexdigest()
    prefix = f"records/{sha[:2]}/{sha}"
    files = []
    info = archive.blobs.put_bytes(f"{prefix}/original.pdf", original)
    files.append(FileRef("original", info.key, info.sha256, info.size, "application/pdf"))
    info = archive.blobs.put_bytes(f"{prefix}/archive.pdf", archive_pdf)
    files.append(FileRef("archive_pdf", info.key, info.sha256, info.size, "application/pdf"))
    for n, image in enumerate(render_pages(original), start=1):
        info = archive.blobs.put_bytes(f"{prefix}/pages/{n:04d}.jpg", image)
        files.append(FileRef("page_image", info.key, info.sha256, info.size, "image/jpeg", n))
    record = Record(
        id=rid,
        sha256=sha,
        filename=f"{rid}.pdf",
        media_type="application/pdf",
        size=len(original),
        page_count=len(texts),
        title=f"题名{rid}",
        ocr_mode="text_layer",
        created_at="2026-01-01T00:00:00+00:00",
        pages=[PageText(n, t) for n, t in enumerate(texts, 1)],
        files=files,
        metadata={"ocr_engine": "test"},
    )
    apply_filing(
        record,
        doc_type=doc_type,
        confidence=1.0,
        fields={"business_date": business_date, "id_numbers": ["11010519491231002X"]},
        schedule=archive.schedule(),
        policy=archive.filing_policy(),
        today=date(2026, 1, 1),
    )
    from dangan.preservation.service import check_at_filing

    check_at_filing(archive, record)
    archive.catalog.add_record(record)
    return record
