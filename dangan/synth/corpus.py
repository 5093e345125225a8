"""Write a corpus of synthetic scans with ground truth beside each file.

For every document: `<name>.<ext>` and `<name>.truth.json`; for the corpus:
`manifest.json`. Output is a pure function of the arguments (and the installed
fonts/libraries): the same seed gives the same bytes.
"""

from __future__ import annotations

import io
import json
import logging
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from dangan.retention.schedule import ScheduleRow
from dangan.synth.content import build_form
from dangan.synth.degrade import (
    DEFAULT_HOLES_PROB,
    DEFAULT_ROTATE_PROB,
    DEFAULT_SIDEWAYS_PROB,
    LEVELS,
    degrade_page,
    empty_back,
    punch_holes,
)
from dangan.synth.fonts import FontNotFound, FontSet, Measurer, image_font_sets, pdf_font_set
from dangan.synth.layout import PageLayout, layout_form
from dangan.synth.model import Form
from dangan.synth.render import DEFAULT_DPI, render_page, write_text_pdf
from dangan.synth.schedule import load_schedule
from dangan.synth.variation import NONE, Variation, vary_form

logger = logging.getLogger(__name__)

FORMATS = ("png", "jpeg", "tiff", "pdf_image", "pdf_text")
EXTENSIONS = {"png": "png", "jpeg": "jpg", "tiff": "tif", "pdf_image": "pdf", "pdf_text": "pdf"}
SINGLE_PAGE_FORMATS = frozenset({"png", "jpeg"})
MANIFEST = "manifest.json"
TRUTH_SUFFIX = ".truth.json"
_JPEG_DEFAULT_QUALITY = 92
DEFAULT_BLANK_PROB = 0.0  # off by default: existing seeds keep their bytes


@dataclass
class SampleDoc:
    """One generated file and its ground truth."""

    path: Path  # the file written
    format: str  # "png" | "jpeg" | "tiff" | "pdf_image" | "pdf_text"
    doc_type: str  # class code from the retention schedule
    title: str  # the title as printed (may be a provincial variant)
    pages: list[str]  # printed text per page, reading order, lines joined by "\n"
    fields: dict[str, Any]  # id_numbers, person_name, credit_code, unit_name, unit_code, ...
    degradation: dict[str, Any] = field(default_factory=dict)  # level, font, pages: [...]

    def to_json(self, base: Path | None = None) -> dict[str, Any]:
        """A JSON-ready dict; `path` is made relative to `base` when given."""
        data = asdict(self)
        path = Path(self.path)
        data["path"] = str(path.relative_to(base) if base is not None else path)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], base: Path | None = None) -> SampleDoc:
        """Inverse of `to_json`; a relative `path` is resolved against `base`."""
        values = dict(data)
        path = Path(values.pop("path"))
        values["path"] = base / path if base is not None and not path.is_absolute() else path
        return cls(**values)


def _check(values: Sequence[str], allowed: Sequence[str], what: str) -> list[str]:
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValueError(f"unknown {what}: {unknown}; allowed: {list(allowed)}")
    if not values:
        raise ValueError(f"no {what} given")
    return list(values)


def _layout(
    cls: ScheduleRow,
    rng: random.Random,
    pages: int,
    max_pages: int,
    fonts: FontSet,
    variation: Variation = NONE,
) -> tuple[Form, list[PageLayout]]:
    """Build and lay out a form, retrying until it fits in `max_pages`."""
    measure = Measurer(fonts)
    form, layout = None, []
    for attempt in range(4):
        target = pages if attempt < 2 else 1
        form = vary_form(build_form(cls, rng, target), rng, variation)
        layout = layout_form(form, measure, rng)
        if len(layout) <= max_pages:
            break
    assert form is not None
    if len(layout) > max_pages:
        logger.warning("%s: %d pages exceed max_pages=%d", cls.code, len(layout), max_pages)
    return form, layout


def _jpeg_bytes(img: Image.Image, quality: int, dpi: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality, dpi=(dpi, dpi))
    return buf.getvalue()


def _write_images(
    images: list[Image.Image], infos: list[dict[str, Any]], fmt: str, path: Path, dpi: int
) -> None:
    if fmt == "png":
        images[0].save(path, format="PNG", dpi=(dpi, dpi), compress_level=3)
    elif fmt == "tiff":
        images[0].save(
            path,
            format="TIFF",
            save_all=True,
            append_images=images[1:],
            compression="tiff_lzw",
            dpi=(dpi, dpi),
        )
    elif fmt == "jpeg":
        path.write_bytes(_jpeg_bytes(images[0], infos[0]["jpeg_quality"], dpi))
    elif fmt == "pdf_image":
        import img2pdf

        blobs = [
            _jpeg_bytes(img, info["jpeg_quality"], dpi)
            for img, info in zip(images, infos, strict=True)
        ]
        layout = img2pdf.get_fixed_dpi_layout_fun((dpi, dpi))
        path.write_bytes(
            img2pdf.convert(
                blobs,
                layout_fun=layout,
                nodate=True,
                creator="dangan.synth",
                engine=img2pdf.Engine.internal,  # the pikepdf engine writes a random /ID
            )
        )
    else:
        raise ValueError(f"not an image format: {fmt}")


def _scanned_pages(
    layout: list[PageLayout],
    fonts: FontSet,
    level: str,
    rng: random.Random,
    *,
    dpi: int,
    lossy: bool,
    rotate_prob: float,
    sideways_prob: float,
    blank_prob: float,
    holes_prob: float = DEFAULT_HOLES_PROB,
) -> tuple[list[Image.Image], list[dict[str, Any]], list[str]]:
    """Rendered and degraded pages with their records and printed text; a page
    may be followed by its empty back (text "") when `blank_prob` > 0, and a
    sheet punched for binding (front and back) when `holes_prob` > 0."""
    images: list[Image.Image] = []
    infos: list[dict[str, Any]] = []
    texts: list[str] = []
    for page in layout:
        clean = render_page(page, fonts, dpi)
        sheets: list[tuple[Image.Image, str, float | None]] = [(clean, page.text(), None)]
        if blank_prob > 0 and rng.random() < blank_prob:
            back, strength = empty_back(clean, rng)
            sheets.append((back, "", strength))
        shade = rng.randint(0, 60) if holes_prob > 0 and rng.random() < holes_prob else None
        for sheet, text, show_through in sheets:
            front = show_through is None
            if shade is not None:  # punched on the left: on the back the holes are on the right
                sheet = punch_holes(sheet, "left" if front else "right", shade, dpi)
            img, info = degrade_page(
                sheet,
                level,
                rng,
                rotate_prob=rotate_prob if front else 0.0,
                sideways_prob=sideways_prob if front else 0.0,
                dpi=dpi,
                apply_jpeg=not lossy,
            )
            if not front:
                info |= {"blank": True, "show_through": show_through}
            if shade is not None:
                info["holes"] = {"count": 2, "shade": shade}
            if lossy and info["jpeg_quality"] is None:
                info["jpeg_quality"] = _JPEG_DEFAULT_QUALITY
            images.append(img)
            infos.append(info)
            texts.append(text)
    return images, infos, texts


def generate_document(
    out_dir: Path,
    name: str,
    cls: ScheduleRow,
    fmt: str,
    level: str,
    rng: random.Random,
    *,
    dpi: int = DEFAULT_DPI,
    pages: int = 1,
    max_pages: int = 2,
    rotate_prob: float = DEFAULT_ROTATE_PROB,
    sideways_prob: float = DEFAULT_SIDEWAYS_PROB,
    blank_prob: float = DEFAULT_BLANK_PROB,
    holes_prob: float = DEFAULT_HOLES_PROB,
    variation: Variation = NONE,
    fonts: Sequence[str] | None = None,
) -> SampleDoc:
    """Write one document of class `cls` as `fmt` into `out_dir`, with its truth file.

    `variation` departs from the templates (dangan.synth.variation: other title
    wordings, field labels and order, missing fields); `fonts` limits the font
    sets scanned pages are drawn in (names as in `image_font_sets`).

    With `blank_prob` > 0, a page of a multi-page scanned format may be followed by
    its empty back (printed text "", `blank: true` in its degradation record)."""
    if fmt in SINGLE_PAGE_FORMATS:
        pages, max_pages = 1, 1
    if fmt == "pdf_text":
        font_set = pdf_font_set()
    else:
        try:
            choices = image_font_sets(fonts)
        except FontNotFound as exc:
            raise ValueError(f"none of the fonts {list(fonts or ())} is installed") from exc
        font_set = rng.choice(choices)
    form, layout = _layout(cls, rng, pages, max_pages, font_set, variation)
    path = out_dir / f"{name}.{EXTENSIONS[fmt]}"
    texts = [page.text() for page in layout]
    if fmt == "pdf_text":
        write_text_pdf(layout, path, font_set, title=form.title)
        infos = [{"level": "clean", "born_digital": True} for _ in layout]
        level = "clean"
    else:
        images, infos, texts = _scanned_pages(
            layout,
            font_set,
            level,
            rng,
            dpi=dpi,
            lossy=fmt in ("jpeg", "pdf_image"),
            rotate_prob=rotate_prob,
            sideways_prob=sideways_prob,
            blank_prob=blank_prob if fmt not in SINGLE_PAGE_FORMATS else 0.0,
            holes_prob=holes_prob,
        )
        _write_images(images, infos, fmt, path, dpi)
    doc = SampleDoc(
        path=path,
        format=fmt,
        doc_type=form.doc_type,
        title=form.title,
        pages=texts,
        fields=form.fields,
        degradation={
            "level": level,
            "font": font_set.name,
            "dpi": dpi if fmt != "pdf_text" else None,
            "pages": infos,
        },
    )
    truth = out_dir / f"{name}{TRUTH_SUFFIX}"
    truth.write_text(
        json.dumps(doc.to_json(out_dir), ensure_ascii=False, indent=1), encoding="utf-8"
    )
    logger.debug("wrote %s (%s, %d pages)", path.name, cls.code, len(layout))
    return doc


def generate_corpus(
    out_dir: Path,
    count: int,
    *,
    seed: int = 0,
    formats: Sequence[str] | None = None,
    doc_types: Sequence[str] | None = None,
    levels: Sequence[str] = LEVELS,
    dpi: int = DEFAULT_DPI,
    max_pages: int = 2,
    schedule_csv: Path | None = None,
    rotate_prob: float = DEFAULT_ROTATE_PROB,
    sideways_prob: float = DEFAULT_SIDEWAYS_PROB,
    blank_prob: float = DEFAULT_BLANK_PROB,
    holes_prob: float = DEFAULT_HOLES_PROB,
    variation: Variation = NONE,
    fonts: Sequence[str] | None = None,
) -> list[SampleDoc]:
    """Generate `count` documents into `out_dir` and write `manifest.json`.

    Formats, classes and levels are cycled, so the first `len(formats)`
    documents cover every format; multi-page formats get `max_pages` pages in
    the first round and fewer later. Deterministic for a given `seed`.
    """
    if count < 0:
        raise ValueError("count must be >= 0")
    if max_pages < 1:
        raise ValueError("max_pages must be >= 1")
    schedule = {c.code: c for c in load_schedule(schedule_csv)}
    fmts = _check(list(formats) if formats is not None else list(FORMATS), FORMATS, "formats")
    codes = _check(
        list(doc_types) if doc_types is not None else list(schedule), list(schedule), "doc_types"
    )
    lvls = _check(list(levels), LEVELS, "levels")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)

    docs: list[SampleDoc] = []
    nf = len(fmts)
    for i in range(count):
        fmt = fmts[i % nf]
        code = codes[(i + i // nf) % len(codes)]
        level = lvls[i % len(lvls)]
        pages = max_pages - (i // nf) % max_pages
        rng = random.Random(f"dangan.synth:{seed}:{i}")
        doc = generate_document(
            out_dir,
            f"{i:04d}_{code}",
            schedule[code],
            fmt,
            level,
            rng,
            dpi=dpi,
            pages=pages,
            max_pages=max_pages,
            rotate_prob=rotate_prob,
            sideways_prob=sideways_prob,
            blank_prob=blank_prob,
            holes_prob=holes_prob,
            variation=variation,
            fonts=fonts,
        )
        docs.append(doc)
    manifest = {
        "generator": "dangan.synth",
        "seed": seed,
        "dpi": dpi,
        "count": len(docs),
        "documents": [doc.to_json(out_dir) for doc in docs],
    }
    (out_dir / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    logger.info("generated %d documents in %s", len(docs), out_dir)
    return docs


def load_corpus(out_dir: Path) -> list[SampleDoc]:
    """Read back the documents listed in `out_dir/manifest.json`."""
    out_dir = Path(out_dir)
    manifest = json.loads((out_dir / MANIFEST).read_text(encoding="utf-8"))
    return [SampleDoc.from_json(d, out_dir) for d in manifest["documents"]]


__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "SampleDoc",
    "generate_corpus",
    "generate_document",
    "load_corpus",
]
