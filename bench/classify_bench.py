"""Classification and key-field benchmark on held-out synthetic scans.

    python -m bench.classify_bench [--count 220] [--seed 9001] [--cache DIR]

Renders `count` scans with `dangan.synth.generate_corpus` (a seed the
classifier's committed seed set never used), OCRs each one with the project's
engine exactly as ingest does (images wrapped into a PDF first), caches the
OCR text per file under `cache/ocr/<sha256>.json`, then classifies and
extracts key fields and prints the figures (also written to `cache/results-<seed>-<count>.json`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

logger = logging.getLogger("bench.classify_bench")

DEFAULT_CACHE = Path(".dangan/classify_bench")
DEFAULT_THRESHOLD = 0.8


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def build_corpus(cache: Path, count: int, seed: int) -> list[Any]:
    """The held-out corpus, generated once and read back on later runs."""
    from dangan.synth import generate_corpus, load_corpus

    corpus_dir = cache / f"corpus-{seed}-{count}"
    if (corpus_dir / "manifest.json").is_file():
        docs = load_corpus(corpus_dir)
        if len(docs) == count and all(d.path.is_file() for d in docs):
            return docs
    shutil.rmtree(corpus_dir, ignore_errors=True)
    started = time.monotonic()
    docs = generate_corpus(corpus_dir, count, seed=seed)
    print(f"generated {count} scans in {time.monotonic() - started:.0f} s -> {corpus_dir}")
    return docs


def _settings():
    from dangan.config import Settings

    return Settings.from_env({**os.environ, "DANGAN_HOME": "/nonexistent"})


def ocr_steps() -> tuple[str, ...]:
    """The preprocessing ingest uses (DANGAN_OCR_PREPROCESS, default included)."""
    return _settings().ocr_preprocess


def ocr_recognizer() -> str:
    """The recognizer ingest uses (DANGAN_OCR_ENGINE, default included)."""
    return _settings().ocr_engine


def ocr_document(path: Path, ocr_cache: Path, engine) -> dict[str, Any]:
    """OCR one scan the way ingest does; cached by the file's SHA-256 (one cache
    folder per preprocessing setting)."""
    from dangan.ingest.validate import check_file
    from dangan.ocr.images import images_to_pdf

    sha = _sha256(path)
    target = ocr_cache / f"{sha}.json"
    if target.is_file():
        return json.loads(target.read_text(encoding="utf-8"))
    checked = check_file(path, max_bytes=1 << 30, max_pages=500)
    work = Path(tempfile.mkdtemp(prefix="classify-bench-"))
    try:
        if checked.kind == "pdf":
            source = checked.path
        else:
            source = work / "scan.pdf"
            images_to_pdf(checked.path, source)
        started = time.monotonic()
        out = engine.process(
            source, work, has_text=checked.has_text, force_pages=checked.force_ocr_pages
        )
        data = {
            "sha256": sha,
            "pages": out.pages,
            "mode": out.mode,
            "seconds": round(time.monotonic() - started, 2),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    tmp.replace(target)
    return data


def ocr_corpus(docs: list[Any], cache: Path, jobs: int) -> dict[str, dict[str, Any]]:
    """OCR text per document path, `jobs` files at a time."""
    settings = _settings()
    recognizer = ocr_recognizer()
    if recognizer == "rapidocr":  # one cache per model and runtime too
        recognizer += f"-{settings.ocr_model}-{settings.ocr_runtime}"
    ocr_cache = cache / f"ocr-{recognizer}-{'+'.join(ocr_steps()) or 'none'}"
    ocr_cache.mkdir(parents=True, exist_ok=True)
    from dangan.ocr.tesseract import OcrmypdfEngine

    results: dict[str, dict[str, Any]] = {}
    started = time.monotonic()
    # one engine, as in ingest: its OCR processes stay warm from file to file
    engine = OcrmypdfEngine(
        jobs=1,
        preprocess=ocr_steps(),
        recognizer=ocr_recognizer(),
        model=settings.ocr_model,
        runtime=settings.ocr_runtime,
    )
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(ocr_document, d.path, ocr_cache, engine): d for d in docs}
        for done, future in enumerate(as_completed(futures), start=1):
            doc = futures[future]
            results[str(doc.path)] = future.result()
            if done % 10 == 0 or done == len(docs):
                print(
                    f"  OCR {done}/{len(docs)} ({time.monotonic() - started:.0f} s)",
                    flush=True,
                )
    engine.close()
    return results


def evaluate(docs: list[Any], ocr: dict[str, dict[str, Any]], threshold: float) -> dict[str, Any]:
    """Classify and extract fields from each document's OCR text, against its truth."""
    from dangan.ingest.classify import Classifier, train
    from dangan.ingest.fields import extract_fields
    from dangan.retention.schedule import default_schedule

    schedule = default_schedule()
    started = time.monotonic()
    classifier = Classifier(schedule, train(schedule))
    train_s = time.monotonic() - started
    rows = []
    per_class: dict[str, Counter] = defaultdict(Counter)
    id_total = id_found = id_false = 0
    started = time.monotonic()
    for doc in docs:
        pages = ocr[str(doc.path)]["pages"]
        result = classifier.classify(pages)
        fields = extract_fields(pages)
        truth_ids = set(doc.fields["id_numbers"])
        got_ids = set(fields.id_numbers)
        id_total += len(truth_ids)
        id_found += len(truth_ids & got_ids)
        id_false += len(got_ids - truth_ids)
        review = (
            not result.known
            or result.confidence < threshold
            or bool(fields.invalid_id_numbers)
            or fields.business_date is None
        )
        predicted = schedule.by_code.get(result.code) if result.code else None
        row = {
            "file": doc.path.name,
            "format": doc.format,
            "level": doc.degradation.get("level"),
            "truth": doc.doc_type,
            "title": doc.title,
            "title_variant": doc.fields.get("title_variant"),
            "predicted": result.code,
            "confidence": round(result.confidence, 4),
            "read_title": result.title,
            "class_ok": result.code == doc.doc_type,
            "retention_ok": predicted is not None
            and predicted.retention == doc.fields["retention"],
            "date_ok": fields.business_date == doc.fields["business_date"],
            "date": fields.business_date,
            "truth_date": doc.fields["business_date"],
            "ids_missed": sorted(truth_ids - got_ids),
            "ids_false": sorted(got_ids - truth_ids),
            "invalid_ids": fields.invalid_id_numbers,
            "review": review,
        }
        rows.append(row)
        per_class[doc.doc_type]["n"] += 1
        per_class[doc.doc_type]["ok"] += row["class_ok"]
    classify_s = time.monotonic() - started
    n = len(rows)
    confident = [r for r in rows if r["confidence"] >= threshold]
    return {
        "records": n,
        "classes": len(per_class),
        "title_variants": sum(1 for r in rows if r["title_variant"]),
        "class_accuracy": sum(r["class_ok"] for r in rows) / n,
        "retention_accuracy": sum(r["retention_ok"] for r in rows) / n,
        "id_numbers": id_total,
        "id_exact_match": id_found / id_total if id_total else None,
        "id_false_valid": id_false,
        "business_date_accuracy": sum(r["date_ok"] for r in rows) / n,
        "review_share": sum(r["review"] for r in rows) / n,
        "review_share_low_confidence": (n - len(confident)) / n,
        "wrong_class_at_high_confidence": sum(not r["class_ok"] for r in confident),
        "high_confidence_records": len(confident),
        "threshold": threshold,
        "train_seconds": round(train_s, 2),
        "classify_ms_per_record": round(1000 * classify_s / n, 1),
        "per_class": {c: dict(v) for c, v in sorted(per_class.items())},
        "rows": rows,
    }


def report(results: dict[str, Any]) -> str:
    pct = "{:.1%}".format
    wrong = results["wrong_class_at_high_confidence"]
    confident = results["high_confidence_records"]
    lines = [
        f"records: {results['records']} across {results['classes']} classes "
        f"({results['title_variants']} with title variants)",
        f"class accuracy:              {pct(results['class_accuracy'])}   (goal >= 97%)",
        f"retention accuracy:          {pct(results['retention_accuracy'])}",
        f"ID exact-match:              {pct(results['id_exact_match'] or 0)}   "
        f"({results['id_numbers']} ID numbers; {results['id_false_valid']} wrong IDs "
        f"accepted as valid; goal >= 98%)",
        f"business-date accuracy:      {pct(results['business_date_accuracy'])}",
        f"sent to review:              {pct(results['review_share'])}   "
        f"(low confidence alone: {pct(results['review_share_low_confidence'])})",
        f"wrong class at confidence >= {results['threshold']}: {wrong} of {confident} "
        f"(goal: at most 1 in 200)",
        f"classifier training {results['train_seconds']} s, "
        f"{results['classify_ms_per_record']} ms per record",
    ]
    misses = [r for r in results["rows"] if not r["class_ok"]]
    for r in misses[:20]:
        lines.append(
            f"  wrong: {r['file']} truth={r['truth']} got={r['predicted']} "
            f"conf={r['confidence']} title={r['read_title']!r}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=220)
    parser.add_argument("--seed", type=int, default=9001)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    args.cache.mkdir(parents=True, exist_ok=True)
    docs = build_corpus(args.cache, args.count, args.seed)
    ocr = ocr_corpus(docs, args.cache, args.jobs)
    results = evaluate(docs, ocr, args.threshold)
    out = args.cache / f"results-{args.seed}-{args.count}.json"
    out.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print(report(results))
    print(f"details: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
