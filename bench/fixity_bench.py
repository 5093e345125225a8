"""四性检测 fixity sweep: throughput on local files and on MinIO, and what a
running sweep does to search latency.

N records are written straight into a fresh archive (catalog rows, four
objects each: an original scan, the PDF/A, two page images, every one with
distinct bytes; nothing OCR'd), indexed, and then:

1. search p50/p95 alone (phrase queries on the embedded index);
2. a sweep over every stored object (rate unlimited) in a thread while the
   same queries run: objects/s, MB/s, and search p50/p95 meanwhile.

    python -m bench.fixity_bench                       # 10,000 records, local + MinIO
    python -m bench.fixity_bench --records 1000 --backends local
    python -m bench.fixity_bench --records 1000 --rate 20   # at DANGAN_FIXITY_RATE's default

MinIO comes from scripts/services/minio.sh (started when not running)."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).parent.parent
OUT = ROOT / ".dangan" / "bench"
WORDS = ["医疗", "保险", "参保", "登记", "报销", "住院", "缴费", "稽核"]


def _templates() -> tuple[bytes, bytes]:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (900, 1270), "white")
    draw = ImageDraw.Draw(image)
    for y in range(60, 1200, 40):
        draw.line((60, y, 840, y), fill=(90, 90, 90))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=75)
    jpeg = out.getvalue()
    import img2pdf

    return jpeg, img2pdf.convert([jpeg, jpeg])


def populate(archive, n: int) -> int:
    """N records with four distinct objects each; returns bytes stored."""
    from dangan.catalog.base import FileRef, PageText, Record
    from dangan.retention.filing import apply_filing

    jpeg, pdf = _templates()
    schedule, policy = archive.schedule(), archive.filing_policy()
    total = 0
    for i in range(n):
        tag = f"\n%bench {i} {uuid.uuid4().hex}\n".encode()
        original, archival = jpeg + tag, pdf + tag
        sha = hashlib.sha256(original).hexdigest()
        prefix = f"records/{sha[:2]}/{sha}"
        files = []
        for role, key, data, media, page in (
            ("original", f"{prefix}/original.jpg", original, "image/jpeg", None),
            ("archive_pdf", f"{prefix}/archive.pdf", archival, "application/pdf", None),
            ("page_image", f"{prefix}/pages/0001.jpg", jpeg + tag + b"1", "image/jpeg", 1),
            ("page_image", f"{prefix}/pages/0002.jpg", jpeg + tag + b"2", "image/jpeg", 2),
        ):
            info = archive.blobs.put_bytes(key, data)
            files.append(FileRef(role, info.key, info.sha256, info.size, media, page))
            total += info.size
        texts = [f"基本医疗保险参保登记 {WORDS[i % len(WORDS)]} 第{i}号", "审核意见 同意"]
        record = Record(
            id=f"bench-{i:06d}", sha256=sha, filename=f"{i}.jpg", media_type="image/jpeg",
            size=len(original), page_count=2, title=f"参保登记表{i}", ocr_mode="ocr",
            created_at="2026-01-01T00:00:00+00:00",
            pages=[PageText(1, texts[0]), PageText(2, texts[1])], files=files,
        )  # fmt: skip
        apply_filing(
            record, doc_type="employee_enrol", confidence=1.0,
            fields={"business_date": f"20{10 + i % 15}-03-01"}, schedule=schedule,
            policy=policy, today=date(2026, 1, 1),
        )  # fmt: skip
        archive.catalog.add_record(record)
        if (i + 1) % 500 == 0:
            archive.sync_index(quiet=True)
            sys.stderr.write(f"\r  populated {i + 1}/{n}")
    archive.sync_index(quiet=True)
    sys.stderr.write("\n")
    return total


def _latencies(archive, seconds: float | None = None, count: int = 200) -> list[float]:
    times, i, started = [], 0, time.monotonic()
    while (seconds is None and i < count) or (
        seconds is not None and time.monotonic() - started < seconds
    ):
        t = time.perf_counter()
        archive.index.search(WORDS[i % len(WORDS)], limit=20)
        times.append((time.perf_counter() - t) * 1000)
        i += 1
        if seconds is not None:
            time.sleep(0.02)
    return times


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 2 else max(values)


def run_backend(name: str, records: int, rate: float = 0) -> dict:
    from dangan.preservation.sweep import sweep

    from dangan.archive import Archive
    from dangan.config import Settings

    env = {"DANGAN_HOME": tempfile.mkdtemp(prefix=f"fixity-{name}-")}
    if name == "minio":
        sys.path.insert(0, str(ROOT / "tests"))
        import services

        env.update(services.start("minio"))
        env["DANGAN_S3_BUCKET"] = f"bench-{uuid.uuid4().hex[:10]}"
    archive = Archive.open(Settings.from_env(env))
    try:
        t = time.monotonic()
        stored = populate(archive, records)
        populate_s = time.monotonic() - t
        alone = _latencies(archive)
        result: dict = {}

        def work():
            t0 = time.monotonic()
            run = sweep(archive_thread, "bench", rate=rate)
            result.update(run=run, seconds=time.monotonic() - t0)

        archive_thread = Archive.open(Settings.from_env(env))
        thread = threading.Thread(target=work)
        thread.start()
        during: list[float] = []
        while thread.is_alive():
            during += _latencies(archive, seconds=1.0)
        thread.join()
        archive_thread.close()
        run = result["run"]
        return {
            "backend": name,
            "records": records,
            "rate_limit": rate or "none",
            "objects": run["objects"],
            "MB": round(run["bytes"] / 1e6, 1),
            "populate_s": round(populate_s, 1),
            "sweep_s": round(result["seconds"], 1),
            "objects_per_s": round(run["objects"] / result["seconds"], 1),
            "MB_per_s": round(run["bytes"] / 1e6 / result["seconds"], 2),
            "verdict": run["summary"]["verdict"],
            "search_p50_ms": round(_p(alone, 50), 2),
            "search_p95_ms": round(_p(alone, 95), 2),
            "search_p50_ms_during_sweep": round(_p(during, 50), 2) if during else None,
            "search_p95_ms_during_sweep": round(_p(during, 95), 2) if during else None,
            "queries_during_sweep": len(during),
            "stored_MB": round(stored / 1e6, 1),
        }
    finally:
        archive.close()
        shutil.rmtree(env["DANGAN_HOME"], ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--backends", default="local,minio")
    parser.add_argument("--rate", type=float, default=0, help="sweep objects/s (0: no limit)")
    args = parser.parse_args(argv)
    rows = [run_backend(b, args.records, args.rate) for b in args.backends.split(",")]
    for row in rows:
        print(json.dumps(row, ensure_ascii=False))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"fixity-{int(time.time())}.json").write_text(json.dumps(rows, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
