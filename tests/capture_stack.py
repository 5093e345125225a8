"""A scanned stack as a high-speed duplex scanner writes it, for the capture
tests and bench/capture_bench.py: cover sheets rendered at scanner resolution
with skew and noise, each followed by 1–4 pages of a synthetic business form
(dangan/synth), every sheet scanned on both sides (empty backs included)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from dangan.ingest.coversheet import CoverData, SheetText, sheets_pdf
from PIL import Image, ImageDraw

from dangan.synth.corpus import generate_document
from dangan.synth.degrade import degrade_page, empty_back
from dangan.synth.schedule import load_schedule

DPI = 200


@dataclass
class Part:
    """One case in the stack: its cover sheet (or none) and its form pages."""

    cover: CoverData | None
    pages: int = 1
    doc_type: str = "employee_enrol"
    cover_pdf: bytes | None = None  # printed through the API; else printed here
    damage: bool = False  # QR code scribbled over
    upside_down: bool = False
    id_number: str | None = None  # filled in from the generated form
    first_page: int = 0  # stack page numbers of the form pages (set by make_stack)
    page_numbers: list[int] = field(default_factory=list)


def cover_image(pdf: bytes, dpi: int = DPI) -> Image.Image:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        return doc[0].render(scale=dpi / 72).to_pil().convert("RGB")
    finally:
        doc.close()


def scribble(img: Image.Image) -> Image.Image:
    """Damage the QR code (top middle of the sheet) past what error correction
    recovers, leaving the Code128 marker at the bottom readable."""
    out = img.copy()
    draw = ImageDraw.Draw(out)
    w, h = out.size
    x0, y0, x1, y1 = int(w * 0.3), int(h * 0.16), int(w * 0.7), int(h * 0.5)
    rng = random.Random(5)
    for _ in range(60):
        draw.line(
            [
                (rng.randint(x0, x1), rng.randint(y0, y1)),
                (rng.randint(x0, x1), rng.randint(y0, y1)),
            ],
            fill=(20, 20, 20),
            width=int(DPI / 25),
        )
    draw.rectangle([int(w * 0.4), int(h * 0.25), int(w * 0.6), int(h * 0.4)], fill=(255, 255, 255))
    return out


def form_pages(out_dir: Path, name: str, doc_type: str, pages: int, rng: random.Random):
    rows = {r.code: r for r in load_schedule()}
    doc = generate_document(
        out_dir, name, rows[doc_type], "tiff", "light", rng, dpi=DPI, pages=pages,
        max_pages=pages, rotate_prob=0.0, sideways_prob=0.0,
    )  # fmt: skip
    frames = []
    with Image.open(doc.path) as tif:
        for n in range(getattr(tif, "n_frames", 1)):
            tif.seek(n)
            frames.append(tif.convert("RGB"))
    return frames, doc


def make_stack(out: Path, key: bytes, parts: list[Part], seed: int = 7, covers=None) -> Path:
    """Write the stack as an image PDF (duplex: every sheet front and back);
    fills each part's `page_numbers` with the stack pages of its form and its
    `id_number`. `covers(parts)`, when given, is called once the forms exist
    (so a cover can carry the form's ID number) and sets `cover_pdf`."""
    rng = random.Random(seed)
    work = out.parent / f"{out.stem}-forms"
    work.mkdir(parents=True, exist_ok=True)
    forms = []
    for n, part in enumerate(parts):
        frames, doc = form_pages(work, f"form{n}", part.doc_type, part.pages, rng)
        ids = doc.fields.get("id_numbers") or []
        part.id_number = ids[0] if ids else None
        forms.append(frames)
    if covers is not None:
        covers(parts)
    images: list[Image.Image] = []
    for part, frames in zip(parts, forms, strict=True):
        if part.cover is not None:
            pdf = part.cover_pdf or sheets_pdf(key, [(part.cover, SheetText("测试医保中心"))])
            sheet = cover_image(pdf)
            if part.damage:
                sheet = scribble(sheet)
            scanned, _ = degrade_page(sheet, "light", rng, rotate_prob=0.0, dpi=DPI)
            if part.upside_down:
                scanned = scanned.rotate(180)
            back, _ = empty_back(Image.new("RGB", sheet.size, "white"), rng)
            images += [scanned, back]
        part.page_numbers = []
        for k in range(0, len(frames), 2):
            front = frames[k]
            back = frames[k + 1] if k + 1 < len(frames) else empty_back(front, rng)[0]
            images += [front, back]
            part.page_numbers.append(len(images) - 1)
            if k + 1 < len(frames):
                part.page_numbers.append(len(images))
    small = [_grey_jpeg(img) for img in images]
    small[0].save(out, "PDF", save_all=True, append_images=small[1:], resolution=DPI)
    return out


def _grey_jpeg(img: Image.Image) -> Image.Image:
    return Image.fromarray(np.asarray(img.convert("L")))
