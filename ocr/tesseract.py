"""OCRmyPDF + Tesseract engine.

OCRmyPDF runs in a child process: it is not thread-safe in-process, a child
can be timed out and killed cleanly, and a crash there cannot take the
ingest process with it."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from dangan.errors import OcrFailed
from ocr.base import OcrOutput
from ocr.normalize import normalize_text

log = logging.getLogger(__name__)

_SKIPPED = re.compile(r"^\s*\[OCR skipped on page")


def extract_text_layer(pdf: Path) -> list[str]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        out = []
        for index in range(len(doc)):
            page = doc[index]
            textpage = page.get_textpage()
            out.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return out
    finally:
        doc.close()


RECOGNIZERS = ("tesseract", "rapidocr")
RAPID_THREADS_ENV = "DANGAN_OCR_RAPID_THREADS"  # ONNX threads per OCRmyPDF worker
STEPS_ENV = "DANGAN_OCR_INPUT_STEPS"  # tells the OCRmyPDF child (ocr/ocr_input.py) what to do
SAVE_ENV = "DANGAN_OCR_INPUT_SAVE"  # where the child keeps a copy of what OCR read

# Preprocessing steps (DANGAN_OCR_PREPROCESS): what each does and where.
PREPROCESS_STEPS = {
    "orient": "RapidOCR: read pages turned 90°, 180° or 270° upright (box shapes and "
    "the line classifier); boxes mapped back to the page as scanned",
    "rotate": "Tesseract: turn pages printed upside down or sideways upright (OSD)",
    "deskew": "straighten skewed pages (kept in the archival copy: allowed by DA/T 31)",
    "seal": "read through red seals: grey from the red channel (OCR input only)",
    "border": "dark scanner borders along the edges made white (OCR input only)",
    "blank": "blank pages (separator sheets, empty backs) reported and not OCR'd",
    "denoise": "light Gaussian blur against grain (OCR input only)",
    "binarize": "Otsu binarisation after a median filter (OCR input only)",
}
DEFAULT_PREPROCESS = ("orient", "seal", "border", "blank", "denoise")  # by the OCR benchmark


class OcrmypdfEngine:
    """OCRmyPDF with Tesseract or RapidOCR (`recognizer`) as the OCR engine."""

    def __init__(
        self,
        languages: str = "chi_sim+eng",
        jobs: int = 1,
        page_timeout: int = 180,
        preprocess: tuple[str, ...] = (),
        recognizer: str = "tesseract",
    ):
        if recognizer not in RECOGNIZERS:
            raise ValueError(f"unknown recognizer {recognizer!r}")
        self.name = recognizer
        self.languages = languages
        self.jobs = jobs
        self.page_timeout = page_timeout
        self.preprocess = tuple(preprocess)

    def command(self, source: Path, output: Path, sidecar: Path) -> list[str]:
        steps = set(self.preprocess)
        extra = []
        # OSD and skew come from Tesseract; RapidOCR reads turned pages itself (`orient`)
        # and orders skewed lines, so for it these would only cost a second rendering
        if "rotate" in steps and self.name == "tesseract":
            extra += ["--rotate-pages", "--rotate-pages-threshold", "2"]
        if "deskew" in steps and self.name == "tesseract":
            extra += ["--deskew"]
        extra += ["--plugin", "ocr.ocr_input"]  # conditions and keeps the OCR input
        if self.name == "rapidocr":
            extra += ["--plugin", "ocr.rapid"]
        return [
            sys.executable,
            "-m",
            "ocrmypdf",
            "--language",
            self.languages,
            # Best-effort PDF/A-2b written and validated by OCRmyPDF itself (Debian 12's
            # Ghostscript 10.0 is refused by OCRmyPDF for pages that carry text). A file
            # that cannot be confirmed as PDF/A stays a plain PDF; pdfa_level() tells.
            "--output-type",
            "auto",
            "--pdfa-backend",
            "internal",
            "--skip-text",
            "--sidecar",
            str(sidecar),
            "--jobs",
            str(self.jobs),
            "--optimize",
            "0",
            "--tesseract-timeout",
            str(self.page_timeout),
            "--quiet",
            *extra,
            str(source),
            str(output),
        ]

    def process(
        self,
        source_pdf: Path,
        work_dir: Path,
        *,
        has_text: bool,
        on_page: Callable[[int], None] | None = None,
    ) -> OcrOutput:
        output = work_dir / "archive.pdf"
        sidecar = work_dir / "sidecar.txt"
        seen = work_dir / "ocr-input"
        seen.mkdir(exist_ok=True)
        pages_hint = max(1, _page_count(source_pdf))
        timeout = 60 + self.page_timeout * pages_hint
        proc = _run_watching(
            self.command(source_pdf, output, sidecar),
            {
                **os.environ,
                STEPS_ENV: ",".join(self.preprocess),
                SAVE_ENV: str(seen),
                # this engine's cores (jobs) shared by the pages OCR'd at once: a one-page
                # file gets them all, and worker processes started with fewer jobs each
                # do not oversubscribe the machine
                RAPID_THREADS_ENV: str(max(1, self.jobs // max(1, min(self.jobs, pages_hint)))),
            },
            timeout,
            lambda: sum(1 for _ in seen.glob("[0-9]*.jpg")),
            on_page,
        )
        if proc.returncode != 0 or not output.exists():
            detail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            log.error("ocrmypdf exit %s: %s", proc.returncode, proc.stderr)
            raise OcrFailed(
                f"文字识别失败（OCRmyPDF 退出码 {proc.returncode}）：{' '.join(detail)[:300]}"
            )
        layer = None
        if has_text:
            raw = extract_text_layer(output)
            mode = "text_layer"
        else:
            raw = sidecar.read_text(encoding="utf-8").split("\f") if sidecar.exists() else []
            mode = "ocr"
            if len(raw) > pages_hint:
                raw = raw[:pages_hint]
            raw += [""] * (pages_hint - len(raw))
            for index, text in enumerate(raw):
                if _SKIPPED.match(text):
                    layer = layer or extract_text_layer(output)
                    raw[index] = layer[index]
        blank = sorted(int(p.stem) for p in seen.glob("[0-9]*.blank"))
        for page_no in blank:
            if page_no <= len(raw):
                raw[page_no - 1] = ""  # the engine was shown an empty page
        return OcrOutput(
            pdf=output,
            pages=[normalize_text(t) for t in raw],
            mode=mode,
            pdfa=pdfa_level(output),
            ocr_images={int(p.stem): p for p in seen.glob("[0-9]*.jpg")},
            blank_pages=blank,
        )


def _run_watching(command, env, timeout: float, count, on_page) -> subprocess.CompletedProcess:
    """Run OCRmyPDF, telling `on_page` each time `count()` (pages started) grows."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=err, text=True)
        deadline = time.monotonic() + timeout
        seen = 0
        try:
            while True:
                try:
                    proc.wait(timeout=1)
                    break
                except subprocess.TimeoutExpired:
                    if time.monotonic() > deadline:
                        raise OcrFailed(
                            f"文字识别超时（超过 {int(timeout)} 秒）。请检查扫描件是否异常，或稍后重试。"
                        ) from None
                if on_page and (now := count()) > seen:
                    seen = now
                    on_page(seen)
        finally:
            if proc.poll() is None:  # timed out, or this thread was interrupted
                proc.kill()
                proc.wait()
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(command, proc.returncode, out.read(), err.read())


def pdfa_level(pdf: Path) -> str | None:
    """'2B' etc. when the file declares PDF/A conformance, else None."""
    import pikepdf

    with pikepdf.open(pdf) as doc:
        return doc.open_metadata().pdfa_status or None


def _page_count(pdf: Path) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    try:
        return len(doc)
    finally:
        doc.close()
