"""Real-document benchmark: what happens to each file, on our corpus and on outside files.

    python -m bench.real_docs [--count 22] [--text-count 440] [--outside DIR ...]
                              [--no-corpus] [--cache DIR] [--json OUT]

Fetches nothing. Three parts, reported separately:

1. **text splits**: the classifier and filing on the printed text of
   `--text-count` forms per split of `bench.splits` (tuning, and heldout:
   wordings, labels, field order and missing fields the tuning split never
   has), Chinese characters with OCR-like noise. Seconds, no OCR.
2. **corpus splits**: `--count` scans per split rendered by the generator
   (heldout in another font, dpi and degradation mix), OCR'd as ingest does.
3. **outside**: every file under each `--outside` folder (files nobody here
   wrote). A sidecar `name.txt` beside `name.pdf` holds its true text (CER is
   reported then); a sidecar `name.class` holds its class code when it is a
   business record of a known class — every other outside file counts as a
   non-business document, which must never be filed automatically.

Each file goes the way ingest takes it: the intake check (`check_file`), OCR
by the configured engine (DANGAN_OCR_ENGINE, DANGAN_OCR_PREPROCESS; the page
texts cached by SHA-256 under the cache folder, per engine, model, runtime,
steps and version of the OCR code, so a rerun after a classifier change costs
no OCR), then classification, key fields and the filing rules.
Per file: outcome (filed / review / refused) with the Chinese reason, class,
confidence, vocabulary coverage, review flag, CER where truth exists. A summary
table per corpus is printed; everything is written as JSON (`--json`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.splits import SPLITS, file_text, scan_fonts, summarise, text_split

DEFAULT_CACHE = Path(".dangan/real_docs")
SIDECARS = (".txt", ".class", ".json")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _settings():
    from dangan.config import Settings

    return Settings.from_env({**os.environ, "DANGAN_HOME": "/nonexistent"})


def _ocr_code_version() -> str:
    """A short hash of the code that turns a file into page text (the OCR room
    and the text normalisation), so that cached texts never outlive it."""
    from importlib.util import find_spec

    import dangan.text

    folder = Path(next(iter(find_spec("dangan.ocr").submodule_search_locations)))
    digest = hashlib.sha256()
    for path in [*sorted(folder.glob("*.py")), Path(dangan.text.__file__)]:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


class Reader:
    """The intake check and OCR of ingest, with the page texts (or the
    refusal) cached per file content and OCR configuration."""

    def __init__(self, cache: Path):
        from dangan.ocr.tesseract import OcrmypdfEngine

        settings = _settings()
        self.settings = settings
        steps = "+".join(settings.ocr_preprocess) or "none"
        self.cache = cache / (
            f"ocr-{settings.ocr_engine}-{settings.ocr_model}-{settings.ocr_runtime}-{steps}"
            f"-{_ocr_code_version()}"
        )
        self.cache.mkdir(parents=True, exist_ok=True)
        self.engine = OcrmypdfEngine(
            languages=settings.ocr_languages,
            jobs=1,
            page_timeout=settings.ocr_timeout,
            preprocess=settings.ocr_preprocess,
            recognizer=settings.ocr_engine,
        )

    def read(self, path: Path) -> dict[str, Any]:
        sha = _sha256(path)
        target = self.cache / f"{sha}.json"
        if target.is_file():
            return json.loads(target.read_text(encoding="utf-8"))
        data = self._read(path) | {"sha256": sha}
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        tmp.replace(target)
        return data

    def _read(self, path: Path) -> dict[str, Any]:
        from dangan.ingest.validate import check_file
        from dangan.ocr.images import images_to_pdf

        from dangan.errors import DanganError

        started = time.monotonic()
        work = Path(tempfile.mkdtemp(prefix="real-docs-"))
        try:
            checked = check_file(
                path,
                max_bytes=self.settings.max_file_bytes,
                max_pages=self.settings.max_pages,
            )
            if checked.kind == "pdf":
                source = checked.path
            else:
                source = work / "scan.pdf"
                images_to_pdf(checked.path, source)
            out = self.engine.process(source, work, has_text=checked.has_text)
            return {
                "pages": out.pages,
                "mode": out.mode,
                "blank_pages": out.blank_pages,
                "seconds": round(time.monotonic() - started, 1),
            }
        except DanganError as exc:
            return {
                "refused": exc.message,
                "reason": exc.code,
                "seconds": round(time.monotonic() - started, 1),
            }
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def close(self) -> None:
        self.engine.close()


def run_file(reader: Reader, filer, path: Path, truth_text: list[str] | str | None, truth_class):
    from bench.ocr_bench import cer

    read = reader.read(path)
    row: dict[str, Any] = {"file": path.name, "truth": truth_class, "seconds": read["seconds"]}
    if "refused" in read:
        return row | {
            "outcome": "refused",
            "reasons": [read["refused"]],
            "class": None,
            "confidence": None,
            "review": False,
            "cer": None,
        }
    pages = read["pages"]
    row |= filer(pages)
    row["review"] = row["outcome"] == "review"
    row["pages"] = len(pages)
    row["chinese_chars"] = sum("\u3400" <= ch <= "\u9fff" for ch in "".join(pages))
    if isinstance(truth_text, list):  # per page
        rates = [cer(t, pages[i] if i < len(pages) else "") for i, t in enumerate(truth_text)]
        row["cer"] = round(statistics.fmean(rates), 4) if rates else None
    elif isinstance(truth_text, str):
        row["cer"] = round(cer(truth_text, "\n".join(pages)), 4)
    else:
        row["cer"] = None
    return row


def corpus_split(
    name: str, count: int, cache: Path, reader: Reader, filer, limit: int | None = None
) -> dict[str, Any]:
    """`count` rendered scans of split `name` (the first `limit` of them), OCR'd and filed."""
    from dangan.synth import generate_corpus, load_corpus

    split = SPLITS[name]
    folder = cache / f"corpus-{name}-{split.seed}-{count}-{'+'.join(scan_fonts(split))}"
    docs = None
    if (folder / "manifest.json").is_file():
        docs = load_corpus(folder)
        if len(docs) != count or not all(d.path.is_file() for d in docs):
            docs = None
    if docs is None:
        shutil.rmtree(folder, ignore_errors=True)
        docs = generate_corpus(
            folder,
            count,
            seed=split.seed,
            formats=("png", "jpeg", "tiff", "pdf_image"),
            dpi=split.dpi,
            rotate_prob=split.rotate_prob,
            sideways_prob=split.sideways_prob,
            holes_prob=split.holes_prob,
            variation=split.variation,
            fonts=scan_fonts(split),
        )
    rows = []
    docs = docs[:limit]
    for i, doc in enumerate(docs, start=1):
        row = run_file(reader, filer, doc.path, doc.pages, doc.doc_type)
        rows.append(row)
        _progress(f"{name} corpus", i, len(docs), row)
    return _section(f"corpus:{name}", rows)


def outside_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix.lower() not in SIDECARS
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def outside(folder: Path, reader: Reader, filer, limit: int | None) -> dict[str, Any]:
    rows = []
    files = outside_files(folder)[:limit]
    for i, path in enumerate(files, start=1):
        text = path.with_suffix(".txt")
        code = path.with_suffix(".class")
        truth_text = text.read_text(encoding="utf-8") if text.is_file() else None
        truth_class = code.read_text(encoding="utf-8").strip() if code.is_file() else None
        row = run_file(reader, filer, path, truth_text, truth_class)
        rows.append(row)
        _progress(folder.name, i, len(files), row)
    return _section(f"outside:{folder}", rows)


def _progress(what: str, i: int, n: int, row: dict[str, Any]) -> None:
    print(
        f"  {what} {i}/{n} {row['file']}: {row['outcome']} {row.get('class') or '-'}"
        f" {row.get('confidence')} ({row['seconds']} s)",
        flush=True,
    )


def _section(name: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    rates = [r["cer"] for r in rows if r.get("cer") is not None]
    figures = summarise(rows)
    figures["cer_median"] = statistics.median(rates) if rates else None
    figures["cer_mean"] = statistics.fmean(rates) if rates else None
    return {"corpus": name, **figures, "rows": rows}


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def table(sections: list[dict[str, Any]]) -> str:
    lines = [
        "| corpus | files | filed | review | refused | right class | filed, wrong class"
        " | non-business filed | review for class | CER median / mean |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in sections:
        has_truth = any(r.get("truth") for r in s["rows"])
        cer = (
            f"{_pct(s.get('cer_median'))} / {_pct(s.get('cer_mean'))}"
            if s.get("cer_median") is not None
            else "-"
        )
        lines.append(
            f"| {s['corpus']} | {s['files']} | {s['filed']} | {s['review']} | {s['refused']}"
            f" | {_pct(s['right_class']) if has_truth else '-'}"
            f" | {s['filed_wrong_class'] if has_truth else '-'}"
            f" | {s['non_business_filed']} | {_pct(s['class_review_share'])} | {cer} |"
        )
    return "\n".join(lines)


def per_file(section: dict[str, Any]) -> str:
    lines = [f"{section['corpus']}:"]
    for r in section["rows"]:
        cer = f" CER {r['cer']:.1%}" if r.get("cer") is not None else ""
        conf = f" {r['confidence']:.2f}" if r.get("confidence") is not None else ""
        why = f" — {'；'.join(r['reasons'])}" if r.get("reasons") else ""
        lines.append(f"  {r['file']}: {r['outcome']} {r.get('class') or '-'}{conf}{cer}{why}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=22, help="scans per corpus split")
    parser.add_argument("--text-count", type=int, default=440, help="forms per text split")
    parser.add_argument("--splits", default="tuning,heldout")
    parser.add_argument("--outside", type=Path, action="append", default=[])
    parser.add_argument(
        "--limit", type=int, default=None, help="files per outside folder and corpus split"
    )
    parser.add_argument("--no-corpus", action="store_true", help="outside files only")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--quiet", action="store_true", help="no per-file lines")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    from dangan.ingest.classify import Classifier, train
    from dangan.retention.filing import FilingPolicy
    from dangan.retention.schedule import default_schedule

    schedule = default_schedule()
    classifier = Classifier(schedule, train(schedule))
    policy = FilingPolicy(review_threshold=_settings().review_threshold)

    def filer(pages: list[str]) -> dict[str, Any]:
        return file_text(classifier, schedule, policy, pages)

    splits = [s for s in args.splits.split(",") if s]
    sections: list[dict[str, Any]] = []
    if not args.no_corpus:
        for name in splits:
            result = text_split(SPLITS[name], args.text_count, classifier, schedule, policy)
            sections.append({"corpus": f"text:{name}", **result})
    args.cache.mkdir(parents=True, exist_ok=True)
    needs_ocr = (not args.no_corpus and args.count > 0) or args.outside
    reader = Reader(args.cache) if needs_ocr else None
    try:
        if reader is not None and not args.no_corpus and args.count > 0:
            for name in splits:
                sections.append(
                    corpus_split(name, args.count, args.cache, reader, filer, args.limit)
                )
        for folder in args.outside:
            if reader is not None:
                sections.append(outside(folder, reader, filer, args.limit))
    finally:
        if reader is not None:
            reader.close()
    if not args.quiet:
        for s in sections:
            if not s["corpus"].startswith("text:"):
                print(per_file(s))
    print(table(sections))
    out = args.json or args.cache / "results.json"
    out.write_text(json.dumps(sections, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"details: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
