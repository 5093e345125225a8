"""OCR accuracy and speed on the synthetic corpus, preprocessing on and off.

    python -m bench.ocr_bench [--count 50] [--seed 5150] [--configs raw,seal,raw-rapidocr,...]
        [--engines v6,v4] [--runtimes openvino,onnxruntime] [--jobs 2] [--pages 36]
    python -m bench.ocr_bench --study denoise

Generates (and caches) scanned documents of every class, degradation level and
image format (born-digital PDFs are left out: they are not OCR'd), with some
pages fed in sideways, some empty backs and some sheets punched for binding
(`--sideways-prob`, `--blank-prob`, `--holes-prob`),
then OCRs every page with each configuration:

- `raw`: the `tesseract` command on each page image, the baseline;
- `raw-rapidocr`: RapidOCR called directly on each page image, its baseline
  (in one warm process; dangan's reading order and page orientation);
- `none`, `rotate`, …: the ingest engine (OCRmyPDF + Tesseract) with that
  DANGAN_OCR_PREPROCESS value (`+` joins steps, e.g. `rotate+seal+binarize`);
- `rapidocr+seal`, `rapidocr+none`, …: the same with RapidOCR recognising
  (DANGAN_OCR_ENGINE=rapidocr); `default` stands for the default steps.

Every RapidOCR configuration is run once for each of `--engines` (v6: PP-OCRv6
small, v4: PP-OCRv4 mobile; DANGAN_OCR_MODEL) and `--runtimes` (DANGAN_OCR_RUNTIME),
default: those settings' defaults. The variants run interleaved, `--jobs` files
at a time: each group of `--jobs` files is OCR'd by every variant in turn (the
order rotating from group to group), so that a machine whose load changes
during the run slows them alike. `--pages N` keeps the first documents that
hold N pages in all.

Reports per configuration: character error rate against the printed text
(whitespace removed; mean and median over pages; an empty back counts 0 when
nothing is read on it, 1 otherwise), the mean over the sideways pages alone,
the share of 公民身份号码 on the pages read exactly, blank pages reported (found
of those in the corpus, and text pages wrongly reported), seconds per page
(files run `--jobs` at a time, so seconds per page = wall time x jobs / pages),
pages per minute (`--jobs` files at a time, each in its own OCR process, as
`--jobs` worker processes with one OCR job each), and for RapidOCR the first
load: seconds a fresh process takes to import the recognizer, load the models
and read one made-up page (ocr/rapid.py warm_up). The machine's load average
is printed before and after.

`--study denoise` instead compares the denoising filters (ocr.preprocess.DENOISERS)
in one process on the medium and heavy pages: each page conditioned as by
`seal,border`, filtered, read by RapidOCR; CER and the filter's own time."""

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
from dataclasses import dataclass
from pathlib import Path

from dangan.ocr_models import DEFAULT_MODEL, DEFAULT_RUNTIME, MODELS, RUNTIMES
from dangan.ocr_steps import DEFAULT_STEPS, Steps, parse_steps

DEFAULT_CACHE = Path(".dangan/ocr_bench")
DEFAULT_CONFIGS = (
    "raw,seal,seal+border+blank,raw-rapidocr,rapidocr+none,rapidocr+seal,rapidocr+default"
)
DEFAULT_SIDEWAYS_PROB = 0.15
DEFAULT_BLANK_PROB = 0.15
DEFAULT_HOLES_PROB = 0.15
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
    from dangan.ingest.validate import check_file
    from dangan.ocr.images import images_to_pdf

    checked = check_file(path, max_bytes=1 << 30, max_pages=500)
    if checked.kind == "pdf":
        return checked.path
    target = work / "scan.pdf"
    images_to_pdf(checked.path, target)
    return target


def ocr_raw(path: Path, languages: str) -> list[str]:
    """The baseline: `tesseract` on each page rendered at 300 dpi."""
    import pypdfium2 as pdfium

    from dangan.text import normalize_text

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


def ocr_raw_rapid(
    path: Path, model: str = DEFAULT_MODEL, runtime: str = DEFAULT_RUNTIME
) -> list[str]:
    """The RapidOCR baseline: the model on each page rendered at 300 dpi, in one
    warm process (no OCRmyPDF, no conditioning; dangan's reading order)."""
    import pypdfium2 as pdfium
    from dangan.ocr.rapid import lines_text, recognise

    from dangan.text import normalize_text

    work = Path(tempfile.mkdtemp(prefix="ocr-bench-rapid-"))
    try:
        pdf = pdfium.PdfDocument(str(_pdf_for(path, work)))
        out = [
            normalize_text(
                lines_text(
                    recognise(pdf[i].render(scale=300 / 72).to_pil(), model=model, runtime=runtime)
                )
            )
            for i in range(len(pdf))
        ]
        pdf.close()
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def ocr_engine(path: Path, engine) -> tuple[list[str], list[int]]:
    """Page texts and the pages reported blank (numbered from 1)."""
    work = Path(tempfile.mkdtemp(prefix="ocr-bench-"))
    try:
        out = engine.process(_pdf_for(path, work), work, has_text=False)
        return out.pages, out.blank_pages
    finally:
        shutil.rmtree(work, ignore_errors=True)


def config_steps(config: str) -> tuple[str, Steps | None]:
    """(recognizer, preprocessing steps) of a configuration; steps None for raw runs."""
    if config in ("raw", "raw-rapidocr"):
        return ("rapidocr" if config == "raw-rapidocr" else "tesseract"), None
    parts = [p for p in config.split("+") if p != "none"]
    recognizer = "rapidocr" if "rapidocr" in parts else "tesseract"
    steps: list[str] = []
    for part in parts:
        if part == "default":
            steps += DEFAULT_STEPS
        elif part not in ("rapidocr", "tesseract"):
            steps.append(part)
    return recognizer, parse_steps(steps, f"配置 {config}")


@dataclass(frozen=True)
class Variant:
    """One configuration, with RapidOCR's model and runtime where it uses RapidOCR."""

    config: str
    model: str = DEFAULT_MODEL
    runtime: str = DEFAULT_RUNTIME

    @property
    def rapid(self) -> bool:
        return config_steps(self.config)[0] == "rapidocr"

    @property
    def name(self) -> str:
        if not self.rapid:
            return self.config
        return f"{self.config} [{self.model.removeprefix('ppocr-')}/{self.runtime}]"


def variants(configs: list[str], engines: list[str], runtimes: list[str]) -> list[Variant]:
    """Each configuration; those with RapidOCR once per engine and runtime."""
    out = []
    for config in configs:
        if config_steps(config)[0] != "rapidocr":
            out.append(Variant(config))
            continue
        out += [Variant(config, m, r) for m in engines for r in runtimes]
    return out


class _Runner:
    """OCRs one document as a variant does; one engine for the run, as ingest
    has one per worker process: its OCR processes start on the first files
    (counted in the time) and stay warm."""

    def __init__(self, variant: Variant, languages: str):
        from dangan.ocr.tesseract import OcrmypdfEngine

        self.variant, self.languages = variant, languages
        self.recognizer, self.steps = config_steps(variant.config)
        self.engine = OcrmypdfEngine(
            languages=languages,
            jobs=1,
            preprocess=self.steps or (),
            recognizer=self.recognizer,
            model=variant.model,
            runtime=variant.runtime,
        )
        self.wall = 0.0

    def __call__(self, doc) -> tuple[list[str], list[int] | None]:
        if self.steps is None and self.recognizer == "rapidocr":
            return ocr_raw_rapid(doc.path, self.variant.model, self.variant.runtime), None
        if self.steps is None:
            return ocr_raw(doc.path, self.languages), None
        return ocr_engine(doc.path, self.engine)


def measure_all(docs, chosen: list[Variant], jobs: int, languages: str) -> list[dict]:
    """Every variant over every document, interleaved: each group of `jobs`
    documents is OCR'd by every variant in turn, the order rotating."""
    runners = [_Runner(v, languages) for v in chosen]
    outputs: list[list] = [[] for _ in chosen]
    try:
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for index, start in enumerate(range(0, len(docs), jobs)):
                group = docs[start : start + jobs]
                order = list(range(len(runners)))
                shift = index % len(order)
                for k in order[shift:] + order[:shift]:
                    started = time.monotonic()
                    outputs[k] += list(pool.map(runners[k], group))
                    runners[k].wall += time.monotonic() - started
    finally:
        for runner in runners:
            runner.engine.close()
    return [
        _stats(docs, out, r.variant, r.steps, r.wall, jobs)
        for r, out in zip(runners, outputs, strict=True)
    ]


def measure(docs, config: str, jobs: int, languages: str) -> dict:
    """One configuration over every document (RapidOCR: the default model and runtime)."""
    return measure_all(docs, [Variant(config)], jobs, languages)[0]


def _stats(docs, outputs, variant: Variant, steps, wall: float, jobs: int) -> dict:
    from dangan.identifiers import find_id_numbers

    rates, sideways, ids_total, ids_found, pages, punched = [], [], 0, 0, 0, 0
    blanks_truth, blanks_found, blanks_wrong, reported = 0, 0, 0, False
    detail = []
    for doc, (pages_text, blank) in zip(docs, outputs, strict=True):
        reported = reported or blank is not None
        for index, truth in enumerate(doc.pages):
            text = pages_text[index] if index < len(pages_text) else ""
            rate = cer(truth, text)
            rates.append(rate)
            detail.append({"file": doc.path.name, "page": index + 1, "cer": rate, "text": text})
            if doc.degradation["pages"][index].get("sideways"):
                sideways.append(rate)
            punched += bool(doc.degradation["pages"][index].get("holes"))
            said_blank = blank is not None and index + 1 in blank
            blanks_truth += not truth
            blanks_found += said_blank and not truth
            blanks_wrong += said_blank and bool(truth)
            printed = {f.value for f in find_id_numbers(truth) if f.valid}
            read = {f.value for f in find_id_numbers(text) if f.valid}
            ids_total += len(printed)
            ids_found += len(printed & read)
            pages += 1
    return {
        "config": variant.name,
        "model": variant.model if variant.rapid else None,
        "runtime": variant.runtime if variant.rapid else None,
        "steps": list(steps) if steps is not None else None,
        "pages": pages,
        "cer_mean": statistics.fmean(rates),
        "cer_median": statistics.median(rates),
        "cer_sideways": statistics.fmean(sideways) if sideways else None,
        "sideways_pages": len(sideways),
        "punched_pages": punched,
        "id_numbers": ids_total,
        "id_exact": ids_found / ids_total if ids_total else None,
        "blank_pages": blanks_truth,
        "blank_found": blanks_found if reported else None,
        "blank_wrong": blanks_wrong if reported else None,
        "seconds_per_page": wall * jobs / pages,
        "pages_per_minute": 60 * pages / wall if wall else None,
        "page_detail": detail,  # what was read on each page, for error studies
    }


def first_load(model: str, runtime: str) -> float:
    """Seconds a fresh process takes to import the recognizer, load the models
    and read one made-up page (what an OCR process pays once at start)."""
    code = (
        "import sys, time; t = time.perf_counter();"
        "from dangan.ocr.rapid import warm_up; warm_up(1, sys.argv[1], sys.argv[2]);"
        "print(time.perf_counter() - t)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, model, runtime], capture_output=True, text=True, check=True
    )
    return float(proc.stdout.strip().splitlines()[-1])


def _load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def _row(r: dict, base: dict | None) -> str:
    ratio = f"{r['seconds_per_page'] / base['seconds_per_page']:.2f}x" if base else ""
    load = f"{r['first_load']:.1f}" if r.get("first_load") is not None else "-"
    ids = f"{r['id_exact']:.1%}" if r["id_exact"] is not None else "-"
    side = f"{r['cer_sideways']:.2%}" if r["cer_sideways"] is not None else "-"
    blank = "-"
    if r["blank_found"] is not None:
        blank = f"{r['blank_found']}/{r['blank_pages']}, {r['blank_wrong']} wrong"
    return (
        f"| {r['config']} | {r['cer_mean']:.2%} | {r['cer_median']:.2%} | {side} | {ids}"
        f" ({r['id_numbers']}) | {blank} | {r['seconds_per_page']:.2f}"
        f" | {r['pages_per_minute']:.1f} | {load} | {ratio} |"
    )


def denoise_study(docs, levels: tuple[str, ...] = ("medium", "heavy")) -> list[dict]:
    import numpy as np
    import pypdfium2 as pdfium
    from dangan.ocr.ocr_input import prepare
    from dangan.ocr.preprocess import DENOISERS
    from dangan.ocr.rapid import lines_text, recognise
    from PIL import Image

    from dangan.text import normalize_text

    names = ("none", *DENOISERS)
    rates: dict[str, list[float]] = {name: [] for name in names}
    spent: dict[str, float] = dict.fromkeys(names, 0.0)
    for doc in docs:
        if doc.degradation["level"] not in levels:
            continue
        dpi = doc.degradation["dpi"]
        work = Path(tempfile.mkdtemp(prefix="ocr-bench-study-"))
        try:
            pdf = pdfium.PdfDocument(str(_pdf_for(doc.path, work)))
            for index, truth in enumerate(doc.pages):
                if not truth:
                    continue
                image = pdf[index].render(scale=dpi / 72).to_pil()
                image.info["dpi"] = (dpi, dpi)
                grey = np.asarray(prepare(image, {"seal", "border"}).image)
                for name in names:
                    started = time.perf_counter()
                    out = grey if name == "none" else DENOISERS[name](grey, dpi)
                    spent[name] += time.perf_counter() - started
                    text = normalize_text(lines_text(recognise(Image.fromarray(out))))
                    rates[name].append(cer(truth, text))
            pdf.close()
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return [
        {
            "denoiser": name,
            "pages": len(rates[name]),
            "cer_mean": statistics.fmean(rates[name]),
            "cer_median": statistics.median(rates[name]),
            "ms_per_page": 1000 * spent[name] / max(1, len(rates[name])),
        }
        for name in names
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=50)
    parser.add_argument("--seed", type=int, default=5150)
    parser.add_argument("--configs", default=DEFAULT_CONFIGS)
    parser.add_argument(
        "--engines",
        default=DEFAULT_MODEL.removeprefix("ppocr-"),
        help="RapidOCR models, comma-separated: v6, v4",
    )
    parser.add_argument(
        "--runtimes", default=DEFAULT_RUNTIME, help="comma-separated: openvino, onnxruntime"
    )
    parser.add_argument("--pages", type=int, help="only the first documents holding N pages")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--languages", default="chi_sim+eng")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--sideways-prob", type=float, default=DEFAULT_SIDEWAYS_PROB)
    parser.add_argument("--blank-prob", type=float, default=DEFAULT_BLANK_PROB)
    parser.add_argument("--holes-prob", type=float, default=DEFAULT_HOLES_PROB)
    parser.add_argument("--study", choices=("denoise",), help="compare denoising filters instead")
    args = parser.parse_args(argv)
    engines = [f"ppocr-{e.strip().removeprefix('ppocr-')}" for e in args.engines.split(",")]
    runtimes = [r.strip() for r in args.runtimes.split(",")]
    if not set(engines) <= set(MODELS) or not set(runtimes) <= set(RUNTIMES):
        parser.error(f"--engines: v6, v4; --runtimes: {', '.join(RUNTIMES)}")
    from dangan.synth import generate_corpus, load_corpus

    formats = ("png", "jpeg", "tiff", "pdf_image")
    name = f"corpus-{args.seed}-{args.count}"
    if args.sideways_prob or args.blank_prob:
        name += f"-s{args.sideways_prob:g}-b{args.blank_prob:g}"
    if args.holes_prob:
        name += f"-h{args.holes_prob:g}"
    corpus = args.cache / name
    if (corpus / "manifest.json").is_file():
        docs = load_corpus(corpus)
    else:
        docs = generate_corpus(
            corpus,
            args.count,
            seed=args.seed,
            formats=formats,
            sideways_prob=args.sideways_prob,
            blank_prob=args.blank_prob,
            holes_prob=args.holes_prob,
        )
    if args.study == "denoise":
        study = denoise_study(docs)
        print(f"{study[0]['pages']} medium and heavy pages, conditioned with seal,border; RapidOCR")
        print("| denoiser | CER mean | CER median | filter ms/page |")
        print("|---|---|---|---|")
        for r in study:
            print(
                f"| {r['denoiser']} | {r['cer_mean']:.2%} | {r['cer_median']:.2%}"
                f" | {r['ms_per_page']:.0f} |"
            )
        return 0
    if args.pages:
        kept, total = [], 0
        for doc in docs:
            if total >= args.pages:
                break
            kept.append(doc)
            total += len(doc.pages)
        docs = kept
    chosen = variants(args.configs.split(","), engines, runtimes)
    loads = {}
    for model, runtime in dict.fromkeys((v.model, v.runtime) for v in chosen if v.rapid):
        loads[model, runtime] = first_load(model, runtime)
    before = _load()
    results = measure_all(docs, chosen, args.jobs, args.languages)
    for r in results:
        r["first_load"] = loads.get((r["model"], r["runtime"]))
    first = results[0]
    print(
        f"{len(docs)} documents, {first['pages']} pages ({', '.join(formats)}; "
        f"{first['sideways_pages']} sideways, {first['blank_pages']} empty backs, "
        f"{first['punched_pages']} punched for binding), "
        f"{args.jobs} files at a time, variants interleaved; {before} at the start, "
        f"{_load()} at the end"
    )
    print(
        "| configuration | CER mean | CER median | CER sideways | ID exact-match | blank pages"
        " | s/page | pages/min | first load s | vs its raw engine |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    by_config = {r["config"]: r for r in results}
    for r in results:
        # each pipeline against the raw engine it wraps (same model and runtime)
        raw = Variant("raw-rapidocr", r["model"], r["runtime"]).name if r["model"] else "raw"
        print(_row(r, by_config.get(raw)))
    out = args.cache / f"results-{name.removeprefix('corpus-')}.json"
    out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
