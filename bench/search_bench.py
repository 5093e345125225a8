"""Search backends side by side: bulk indexing rate and query latency.

Records carry realistic page text: a pool of synthetic forms of every class
(dangan.synth, laid out as the scans would be) is cloned with fresh ID numbers,
names, serials and dates, so every record has its own exact keys. Each backend
indexes the same records in bulk (records/s, the Python-side text preparation
included), then answers three kinds of query, each timed over many samples:

- phrase: one or two Chinese words from the forms (e.g. 住院 费用);
- id:     a 公民身份号码 printed on one record (random IDs rarely repeat);
- filter: a word with a class filter and a date range.

    python -m bench.search_bench --records 100000 --backends fts,elastic
    python -m bench.search_bench --records 1000000 --backends elastic
    python -m bench.search_bench --records 100000 --ocr     # plus OCR pages/minute
    python -m bench.search_bench --ocr --database-url postgresql://…  # and on procrastinate

Elasticsearch comes from DANGAN_SEARCH_URL, or scripts/services/elasticsearch.sh
is started. Results are printed as a table and written to .dangan/bench/.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from dangan.catalog.base import RecordFilter
from dangan.catalog.index import IndexDoc

ROOT = Path(__file__).parent.parent
OUT = ROOT / ".dangan" / "bench"
WORDS = [
    "住院", "门诊", "医疗费用", "报销", "异地就医", "参保", "缴费", "稽核", "结算",
    "药品", "个人账户", "基本医疗保险", "退休", "生育", "慢性病", "定点医疗机构",
    "审核意见", "统筹基金", "申报", "登记",
]  # fmt: skip


def _templates(count: int, seed: int) -> list[tuple[object, list[str]]]:
    from dangan.synth.corpus import _layout
    from dangan.synth.fonts import pdf_font_set
    from dangan.synth.schedule import load_schedule

    classes = load_schedule()
    fonts = pdf_font_set()
    rng = random.Random(seed)
    out = []
    for i in range(count):
        form, layout = _layout(classes[i % len(classes)], rng, rng.choice((1, 1, 2)), 2, fonts)
        out.append((form, [page.text() for page in layout]))
    return out


def make_records(total: int, seed: int = 5):
    """Yield (IndexDoc, person ID) for `total` records cloned from templates."""
    import datetime as dt

    from dangan.synth.ids import make_id_number, make_person_name, random_date

    templates = _templates(min(2000, max(50, total // 50)), seed)
    rng = random.Random(seed + 1)
    start, end = dt.date(1995, 1, 1), dt.date(2026, 6, 30)
    for i in range(total):
        form, pages = templates[i % len(templates)]
        fields = form.fields
        person = make_id_number(rng)
        name = make_person_name(rng)
        serial = f"YB{i:09d}"
        texts = []
        for text in pages:
            for old in fields.get("id_numbers") or []:
                text = text.replace(old, person)
            if fields.get("person_name"):
                text = text.replace(fields["person_name"], name)
            if fields.get("serial"):
                text = text.replace(fields["serial"], serial)
            texts.append(text)
        keys = [("person", person), ("serial", serial)]
        if fields.get("credit_code"):
            keys.append(("unit", fields["credit_code"]))
        day = random_date(rng, start, end).isoformat()
        doc = IndexDoc(
            record_id=f"r{i:08d}",
            title=form.title,
            filename=f"scan-{i}.pdf",
            pages=list(enumerate(texts, start=1)),
            doc_type=form.doc_type,
            category=fields.get("category"),
            retention=fields.get("retention"),
            formed_date=day,
            keys=keys,
        )
        yield doc, person


def _batches(items, size: int):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def build(index, total: int, seed: int, sample_every: int) -> tuple[float, dict]:
    """Index `total` records in bulk; returns (records/s, query samples)."""
    samples: dict = {"ids": [], "types": []}
    started = time.perf_counter()
    done = 0
    kwargs = {"refresh": False} if hasattr(index, "refresh") else {}
    for batch in _batches(make_records(total, seed), 1000):
        index.upsert_many([doc for doc, _ in batch], **kwargs)
        for doc, person in batch[::sample_every]:
            samples["ids"].append(person)
            samples["types"].append((doc.doc_type, doc.formed_date))
        done += len(batch)
        if done % 50000 == 0:
            rate = done / (time.perf_counter() - started)
            print(f"  {done} records, {rate:.0f}/s", file=sys.stderr, flush=True)
    if hasattr(index, "refresh"):
        index.refresh()
    seconds = time.perf_counter() - started
    return total / seconds, samples


def _time(fn, n: int) -> dict:
    for _ in range(5):  # warm-up
        fn(0)
    took = []
    totals = []
    for i in range(n):
        t = time.perf_counter()
        totals.append(fn(i))
        took.append((time.perf_counter() - t) * 1000)
    took.sort()
    return {
        "p50_ms": round(statistics.median(took), 1),
        "p95_ms": round(took[int(0.95 * (len(took) - 1))], 1),
        "mean_hits": round(statistics.mean(totals), 1),
    }


def measure(index, samples: dict, n: int, seed: int) -> dict:
    rng = random.Random(seed)
    phrases = [" ".join(rng.sample(WORDS, rng.choice((1, 2)))) for _ in range(n + 5)]
    ids = [samples["ids"][rng.randrange(len(samples["ids"]))] for _ in range(n + 5)]
    typed = [samples["types"][rng.randrange(len(samples["types"]))] for _ in range(n + 5)]

    def phrase(i):
        return index.search(phrases[i], limit=20).total

    def by_id(i):
        return index.search(ids[i], limit=20).total

    def filtered(i):
        doc_type, day = typed[i]
        year = day[:4]
        flt = RecordFilter(doc_type=doc_type, date_from=f"{year}-01-01", date_to=f"{year}-12-31")
        return index.search(rng.choice(WORDS[:6]) if i % 2 else "", filters=flt, limit=20).total

    return {"phrase": _time(phrase, n), "id": _time(by_id, n), "filter": _time(filtered, n)}


def _elastic_url() -> str:
    url = os.environ.get("DANGAN_SEARCH_URL")
    if url:
        return url
    script = ROOT / "scripts" / "services" / "elasticsearch.sh"
    subprocess.run(["bash", str(script), "start"], check=True)
    env = subprocess.run(["bash", str(script), "env"], check=True, capture_output=True, text=True)
    return dict(line.split("=", 1) for line in env.stdout.split())["DANGAN_SEARCH_URL"]


def run_backend(name: str, total: int, queries: int, seed: int) -> dict:
    print(f"== {name}: indexing {total} records", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="dangan-bench-") as tmp:
        if name == "fts":
            from dangan.catalog.fts import FtsIndex

            index = FtsIndex(Path(tmp) / "index.sqlite3")
        else:
            from dangan.catalog.elastic import ElasticIndex

            index = ElasticIndex(_elastic_url(), f"bench-{total}")
            index.drop()
        try:
            rate, samples = build(index, total, seed, sample_every=max(1, total // 2000))
            if name == "elastic":
                index.client.indices.forcemerge(index=index.name, max_num_segments=1)
            latency = measure(index, samples, queries, seed)
            size = _size(index, Path(tmp))
        finally:
            if name == "elastic":
                index.client.indices.delete(index=index.name, ignore_unavailable=True)
            index.close()
    return {
        "backend": name,
        "records": total,
        "index_rate": round(rate),
        "size_mb": size,
        **latency,
    }


def _size(index, tmp: Path) -> float:
    if hasattr(index, "client"):
        stats = index.client.indices.stats(index=index.name, metric="store")
        return round(stats["_all"]["total"]["store"]["size_in_bytes"] / 2**20, 1)
    return round(sum(p.stat().st_size for p in tmp.iterdir()) / 2**20, 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--backends", default="fts,elastic")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--ocr", action="store_true", help="also OCR pages/minute, 1 vs 2 workers")
    parser.add_argument(
        "--database-url", help="with --ocr: a PostgreSQL server, to time procrastinate too"
    )
    args = parser.parse_args(argv)
    results = [
        run_backend(b.strip(), args.records, args.queries, args.seed)
        for b in args.backends.split(",")
    ]
    print(f"{args.records} records, {os.cpu_count()} cores, {args.queries} queries of each kind")
    print("| backend | records | index records/s | size MB | phrase p50/p95 ms |"
          " ID p50/p95 ms | filtered p50/p95 ms |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['backend']} | {r['records']} | {r['index_rate']} | {r['size_mb']} |"
            f" {r['phrase']['p50_ms']} / {r['phrase']['p95_ms']} |"
            f" {r['id']['p50_ms']} / {r['id']['p95_ms']} |"
            f" {r['filter']['p50_ms']} / {r['filter']['p95_ms']} |"
        )
    if args.ocr:
        from bench import worker_bench

        worker_bench.main(["--database-url", args.database_url] if args.database_url else [])
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"search-{args.records}-{int(time.time())}.json"
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"written: {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
