"""OCR engine seam."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class OcrOutput:
    pdf: Path  # searchable PDF/A
    pages: list[str]  # normalised text, one entry per page
    mode: str  # "ocr": text recognised from images; "text_layer": born-digital text kept
    pdfa: str | None = None  # PDF/A conformance of `pdf` ("2B"), None if a plain PDF
    pdfa_reason: str | None = None  # why `pdf` is a plain PDF, in Chinese (ocr/pdfa_reasons.py)
    # page number -> the image OCR read (conditioned, half resolution); pages that
    # carried text and were not OCR'd have none
    ocr_images: dict[int, Path] = field(default_factory=dict)
    # pages found blank (separator sheets, empty backs) and not OCR'd, numbered from 1
    blank_pages: list[int] = field(default_factory=list)
    # page number -> the text read round each red seal on it (盖章单位), RapidOCR only
    seals: dict[int, list[str]] = field(default_factory=dict)


class OcrEngine(Protocol):
    """Called by the ingest pipeline with a PDF (scans already wrapped into one)."""

    name: str

    def process(
        self,
        source_pdf: Path,
        work_dir: Path,
        *,
        has_text: bool,
        on_page: Callable[[int], None] | None = None,
        force_pages: Collection[int] = (),
    ) -> OcrOutput:
        """Write a searchable PDF/A into work_dir and return it with per-page text.
        Pages that already carry text are not OCR'd again; with `force_pages`
        (numbered from 1; pages whose text layer maps to no characters, and
        those without text) only those pages are OCR'd, from their image. `on_page(k)` is told,
        as OCR goes, how many pages it has started on. Raises OcrFailed."""

    def start(self, processes: int = 1) -> None:
        """Get ready for `processes` files at once (load models) before the first."""

    def close(self) -> None:
        """Release what the engine holds (its OCR processes)."""
