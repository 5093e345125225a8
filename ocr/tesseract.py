"""OCRmyPDF + Tesseract engine.

OCRmyPDF runs in long-lived child processes (ocr/pool.py, ocr/child.py): a
child can be timed out and killed cleanly, a crash there cannot take the ingest
process with it, and it keeps OCRmyPDF and the models loaded from one file to
the next."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Collection, Iterable
from pathlib import Path

from dangan.ocr import results
from dangan.ocr.base import OcrOutput
from dangan.ocr.failures import ocr_failure_message
from dangan.ocr.pdfa_reasons import why_not_pdfa
from dangan.ocr.pool import ChildGone, ChildPool

from dangan.errors import DiskFull, OcrFailed, is_disk_full
from dangan.ocr_models import DEFAULT_MODEL, DEFAULT_RUNTIME, MODELS, RUNTIMES
from dangan.ocr_steps import Step, parse_steps
from dangan.text import normalize_text

log = logging.getLogger(__name__)

# OCRmyPDF's sidecar holds one entry per page, separated by form feeds, but one
# entry for a run of pages it did not OCR: "[OCR skipped on page(s) 2-4]"
_SKIPPED = re.compile(r"^\s*\[OCR skipped on page\(s\) (\d+)(?:-(\d+))?\]\s*$")


def split_sidecar(text: str, pages: int) -> list[str | None]:
    """One entry per page of OCRmyPDF's sidecar text; None for a page it did
    not OCR (its text is the page's own text layer)."""
    out: list[str | None] = []
    for entry in text.split("\f") if text else []:
        skipped = _SKIPPED.match(entry)
        if skipped:
            first = int(skipped.group(1))
            last = int(skipped.group(2) or first)
            out.extend([None] * max(1, last - first + 1))
        else:
            out.append(entry)
    out = out[:pages]
    return out + [""] * (pages - len(out))


# pypdfium2 and pikepdf (about 40 and 170 ms) are imported where they are used:
# dangan/archive.py imports this module, so every command and the API would pay
# for them at start-up.


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


class OcrmypdfEngine:
    """OCRmyPDF with Tesseract or RapidOCR (`recognizer`) as the OCR engine;
    for RapidOCR, `model` and `runtime` (ocr/recognizers.py)."""

    # CPU seconds allowed per file on top of `page_timeout` per page (ocr/pool.py)
    start_seconds = 60

    def __init__(
        self,
        languages: str = "chi_sim+eng",
        jobs: int = 1,
        page_timeout: int = 180,
        preprocess: Iterable[str] = (),
        recognizer: str = "tesseract",
        work_root: Path | None = None,
        model: str = DEFAULT_MODEL,
        runtime: str = DEFAULT_RUNTIME,
    ):
        if recognizer not in RECOGNIZERS:
            raise ValueError(f"unknown recognizer {recognizer!r}")
        if model not in MODELS or runtime not in RUNTIMES:
            raise ValueError(f"unknown model {model!r} or runtime {runtime!r}")
        self.name = recognizer
        self.model, self.runtime = model, runtime
        self.languages = languages
        self.jobs = jobs
        self.page_timeout = page_timeout
        self.preprocess = parse_steps(preprocess, "OCR 预处理步骤")
        self.work_root = work_root  # the OCR processes' temporary folders go under it
        self._children: ChildPool | None = None  # OCR processes, started on first use
        self._pool_lock = threading.Lock()

    def plugins(self) -> list[str]:
        # ocr_input conditions and keeps the OCR input; rapid is the RapidOCR engine
        return ["dangan.ocr.ocr_input"] + (["dangan.ocr.rapid"] if self.name == "rapidocr" else [])

    def options(
        self,
        sidecar: Path,
        results_dir: Path | None = None,
        pages: int = 1,
        force_pages: Collection[int] = (),
    ) -> dict:
        """Keyword arguments to ocrmypdf.ocr for one file of `pages` pages, with
        the plugins' own options (ocr/ocr_input.py, ocr/rapid.py): the steps, and
        where the plugins leave each page's results (ocr/results.py). With
        `force_pages` (numbered from 1) only those pages are OCR'd, from their
        image whatever text they carry, and the others are kept as they are."""
        steps = self.preprocess
        tesseract = self.name == "tesseract"
        return {
            "language": self.languages.split("+"),
            # Best-effort PDF/A-2b written and validated by OCRmyPDF itself (Debian 12's
            # Ghostscript 10.0 is refused by OCRmyPDF for pages that carry text). A file
            # that cannot be confirmed as PDF/A stays a plain PDF; pdfa_level() tells.
            "output_type": "auto",
            "pdfa_backend": "internal",
            **(
                {"force_ocr": True, "pages": ",".join(str(n) for n in sorted(force_pages))}
                if force_pages
                else {"skip_text": True}
            ),
            "sidecar": str(sidecar),
            "jobs": self.jobs,
            "optimize": 0,
            "tesseract_timeout": self.page_timeout,
            "progress_bar": False,
            # OSD and skew come from Tesseract; RapidOCR reads turned pages itself
            # (`orient`) and orders skewed lines, so for it these would only cost a
            # second rendering
            **(
                {"rotate_pages": True, "rotate_pages_threshold": 2}
                if Step.ROTATE in steps and tesseract
                else {}
            ),
            **({"deskew": True} if Step.DESKEW in steps and tesseract else {}),
            "plugins": self.plugins(),
            "dangan_steps": [str(step) for step in steps],
            **({"dangan_results": str(results_dir)} if results_dir is not None else {}),
            # this engine's cores (jobs) shared by the pages OCR'd at once: a one-page
            # file gets them all, and worker processes started with fewer jobs each
            # do not oversubscribe the machine
            **(
                {
                    "rapidocr_threads": max(1, self.jobs // max(1, min(self.jobs, pages))),
                    "rapidocr_model": self.model,
                    "rapidocr_runtime": self.runtime,
                }
                if not tesseract
                else {}
            ),
        }

    def _pool(self) -> ChildPool:
        with self._pool_lock:
            if self._children is None:
                args = ["--recognizer", self.name, "--threads", str(self.jobs)]
                if self.name == "rapidocr":
                    args += ["--model", self.model, "--runtime", self.runtime]
                if self.work_root is not None:
                    args += ["--work-root", str(self.work_root)]
                self._children = ChildPool(args)
            return self._children

    def start(self, processes: int = 1) -> None:
        """Start OCR processes now (they load the models while the caller goes on)."""
        self._pool().start(processes)

    def close(self) -> None:
        with self._pool_lock:
            children, self._children = self._children, None
        if children is not None:
            children.close()

    def process(
        self,
        source_pdf: Path,
        work_dir: Path,
        *,
        has_text: bool,
        on_page: Callable[[int], None] | None = None,
        force_pages: Collection[int] = (),
    ) -> OcrOutput:
        """See OcrEngine.process. `force_pages` (numbered from 1): the pages to
        OCR from their image although they carry text (a text layer that maps
        to no characters, ingest/text_layers.py); then only those are OCR'd."""
        output = work_dir / "archive.pdf"
        sidecar = work_dir / "sidecar.txt"
        seen = results.fresh_folder(work_dir / "ocr-input")  # the plugins' results
        pages_hint = max(1, _page_count(source_pdf))
        timeout = self.start_seconds + self.page_timeout * pages_hint
        request = {
            "input": str(source_pdf),
            "output": str(output),
            "options": self.options(sidecar, seen, pages_hint, force_pages),
        }
        started = 0

        def tick() -> None:
            nonlocal started
            if on_page and (now := results.read(seen).started) > started:
                started = now
                on_page(started)

        try:
            with self._pool().child() as child:
                reply = child.request(request, timeout, tick)
        except ChildGone as exc:
            raise OcrFailed(
                f"文字识别进程意外退出（退出码 {exc.returncode}），可能是内存不足或扫描件异常。"
                "请检查扫描件后重试。"
            ) from None
        if not reply["ok"] or not output.exists():
            log.error("ocrmypdf exit %s: %s", reply["code"], reply.get("detail"))
            detail = " ".join(reply.get("detail") or [])
            if is_disk_full(OSError(detail)):
                raise DiskFull()
            # OCRmyPDF's English stays in the log (above); the person reads Chinese
            raise OcrFailed(ocr_failure_message(reply["code"], reply.get("detail")))
        found = results.read(seen)
        if found.turns:
            show_upright(output, found.turns)
        layer = None
        if has_text:
            raw = extract_text_layer(output)
            mode = "text_layer"
        else:
            found_text = sidecar.read_text(encoding="utf-8") if sidecar.exists() else ""
            mode = "ocr"
            raw = split_sidecar(found_text, pages_hint)
            for index, text in enumerate(raw):
                if text is None:  # not OCR'd: the page's own text layer
                    layer = layer or extract_text_layer(output)
                    raw[index] = layer[index] if index < len(layer) else ""
        for page_no in found.blank:
            if page_no <= len(raw):
                raw[page_no - 1] = ""  # the engine was shown an empty page
        pdfa = pdfa_level(output)
        return OcrOutput(
            pdf=output,
            pages=[normalize_text(t) for t in raw],
            mode=mode,
            pdfa=pdfa,
            # not silently a plain PDF: why, for the record and the 四性 reports
            pdfa_reason=None if pdfa else why_not_pdfa(output),
            ocr_images=found.images,
            blank_pages=found.blank,
            seals=found.seals,
        )


def show_upright(pdf: Path, turns: dict[int, int]) -> None:
    """Turn pages read sideways or upside down (`orient`) upright in the archival
    PDF: each page's /Rotate, which turns the page as shown with its text layer.
    The scanned image itself is left exactly as it is."""
    import pikepdf

    turned = pdf.with_suffix(".turned.pdf")
    with pikepdf.open(pdf) as doc:
        for page_no, clockwise in turns.items():
            if 1 <= page_no <= len(doc.pages):
                doc.pages[page_no - 1].rotate(clockwise, relative=True)
        doc.save(turned)
    turned.replace(pdf)


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
