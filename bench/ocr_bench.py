"""OCR accuracy and speed on the synthetic corpus, preprocessing on and off.

    python -m bench.ocr_bench [--count 50] [--seed 5150] [--configs raw,seal,raw-rapidocr,...]

Generates (and caches) scanned documents of every class, degradation level and
image format (born-digital PDFs are left out: they are not OCR'd), then OCRs
every page with each configuration:

- `raw`: the `tesseract` command on each page image, the baseline;
- `raw-rapidocr`: RapidOCR called directly on each page image, its baseline;
- `none`, `rotate`, …: the ingest engine (OCRmyPDF + Tesseract) with that
  DANGAN_OCR_PREPROCESS value (`+` joins steps, e.g. `rotate+seal+binarize`);
- `rapidocr+seal`, `rapidocr+none`, …: the same with RapidOCR recognising
  (DANGAN_OCR_ENGINE=rapidocr).

Reports per configuration: character error rate against the printed text
(whitespace removed; mean and median over pages), the share of 公民身份号码 on
the pages read exactly, and seconds per page (files run `--jobs` at a time, so
seconds per page = wall time x jobs / pages)."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

DEFAULT_CACHE = Path(".dangan/ocr_bench")
DEFAULT_CONFIGS = "raw,seal,raw-rapidocr,rapidocr+none,rapidocr+seal"
_SPACE = re.compile(r"\s+")


def cer(truth: str, text: str) -> float:
    """Levenshtein distance / length of the truth, whitespace removed."""
    a, b = _SPACE.sub("", truth), _SPACE.sub("", text)
    if not a:
        return 0.0 if not b else 1.0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, start=1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        prev = cur
    return prev[-1] / len(a)


def _pdf_for(path: Path, work: Path) -> Path:
    from ingest.validate import check_file
    from ocr.images import images_to_pdf

    checked = check_file(path, max_bytes=1 << 30, max_pages=500)
    if checked.kind == "pdf":
        return checked.path
    target = work / "scan.pdf"
    images_to_pdf(checked.path, target)
    return target


def ocr_raw(path: Path, languages: str) -> list[str]:
    """The baseline: `tesseract` on each page rendered at 300 dpi."""
    import pypdfium2 as pdfium

    from ocr.normalize import normalize_text

    work = Path(tempfile.mkdtemp(prefix="ocr-bench-raw-"))
    try:
        pdf = pdfium.PdfDocument(str(_pdf_for(path, work)))
        out = []
        for index in range(len(pdf)):
            image = work / f"p{index}.png"
            pdf[index].render(scale=300 / 72).to_pil().save(image)
            proc = subprocess.run(
                ["tesseract", str(image), "stdout", "-l", languages, "--dpi", "300"],
                capture_output=True,
                text=True,
                check=True,
            )
            out.append(normalize_text(proc.stdout))
        pdf.close()
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def ocr_raw_rapid(path: Path) -> list[str]:
    """The RapidOCR baseline: the model on each page rendered at 300 dpi, in one
    warm process (no OCRmyPDF, no conditioning; dangan's reading order)."""
    import pypdfium2 as pdfium

    from ocr.normalize import normalize_text
    from ocr.rapid import lines_text, recognise

    work = Path(tempfile.mkdtemp(prefix="ocr-bench-rapid-"))
    try:
        pdf = pdfium.PdfDocument(str(_pdf_for(path, work)))
        out = [
            normalize_text(lines_text(recognise(pdf[i].render(scale=300 / 72).to_pil())))
            for i in range(len(pdf))
        ]
        pdf.close()
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def ocr_engine(
    path: Path, steps: tuple[str, ...], languages: str, recognizer: str = "tesseract"
) -> list[str]:
    from ocr.tesseract import OcrmypdfEngine

    work = Path(tempfile.mkdtemp(prefix="ocr-bench-"))
    try:
        engine = OcrmypdfEngine(
            languages=languages, jobs=1, preprocess=steps, recognizer=recognizer
        )
        return engine.process(_pdf_for(path, work), work, has_text=False).pages
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(docs, config: str, jobs: int, languages: str) -> dict:
    from ingest.identifiers import find_id_numbers

    def run(doc):
        if config == "raw":
            return ocr_raw(doc.path, languages)
        if config == "raw-rapidocr":
            return ocr_raw_rapid(doc.path)
        parts = [p for p in config.split("+") if p != "none"]
        recognizer = "rapidocr" if "rapidocr" in parts else "tesseract"
        steps = tuple(p for p in parts if p not in ("rapidocr", "tesseract"))
        return ocr_engine(doc.path, steps, languages, recognizer)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        outputs = list(pool.map(run, docs))
    wall = time.monotonic() - started
    rates, ids_total, ids_found, pages = [], 0, 0, 0
    for doc, pages_text in zip(docs, outputs, strict=True):
        for index, truth in enumerate(doc.pages):
            text = pages_text[index] if index < len(pages_text) else ""
            rates.append(cer(truth, text))
            printed = {f.value for f in find_id_numbers(truth) if f.valid}
            read = {f.value for f in find_id_numbers(text) if f.valid}
            ids_total += len(printed)
            ids_found += len(printed & read)
            pages += 1
    return {
        "config": config,
        "pages": pages,
        "cer_mean": statistics.fmean(rates),
        "cer_median": statistics.median(rates),
        "id_numbers": ids_total,
        "id_exact": ids_found / ids_total if ids_total else None,
        "seconds_per_page": wall * jobs / pages,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--seed", type=int, default=5150)
    parser.add_argument("--configs", default=DEFAULT_CONFIGS)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--languages", default="chi_sim+eng")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args(argv)
    from dangan.synth import generate_corpus, load_corpus

    formats = ("png", "jpeg", "tiff", "pdf_image")
    corpus = args.cache / f"corpus-{args.seed}-{args.count}"
    if (corpus / "manifest.json").is_file():
        docs = load_corpus(corpus)
    else:
        docs = generate_corpus(corpus, args.count, seed=args.seed, formats=formats)
    results = [measure(docs, c, args.jobs, args.languages) for c in args.configs.split(",")]
    pages = results[0]["pages"]
    print(
        f"{len(docs)} documents, {pages} pages ({', '.join(formats)}), {args.jobs} files at a time"
    )
    print("| configuration | CER mean | CER median | ID exact-match | s/page | vs its raw engine |")
    print("|---|---|---|---|---|---|")
    by_config = {r["config"]: r for r in results}
    for r in results:
        # each pipeline against the raw engine it wraps
        base = by_config.get("raw-rapidocr" if "rapidocr" in r["config"] else "raw")
        ratio = f"{r['seconds_per_page'] / base['seconds_per_page']:.2f}x" if base else ""
        ids = f"{r['id_exact']:.1%}" if r["id_exact"] is not None else "-"
        print(
            f"| {r['config']} | {r['cer_mean']:.2%} | {r['cer_median']:.2%} | {ids}"
            f" ({r['id_numbers']}) | {r['seconds_per_page']:.2f} | {ratio} |"
        )
    out = args.cache / f"results-{args.seed}-{args.count}.json"
    out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
