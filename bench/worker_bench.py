"""OCR throughput of the intake queue with one and with two worker processes.

    python -m bench.worker_bench [--count 16] [--seed 7100] [--database-url postgresql://…]

Generates (and caches) `count` synthetic scans, then for each configuration
starts from an empty DANGAN_HOME, queues every scan with `dangan submit` and
times `dangan worker --until-empty` processes until the queue is empty.
Reports pages per minute. Each worker process gets DANGAN_OCR_JOBS = cores /
processes, so both configurations use every core. With --database-url (a
PostgreSQL server whose user may create databases) the same runs are repeated
with the procrastinate runner on a fresh PostgreSQL catalog each time
(scripts/services/postgres.sh start; its `env` prints a URL).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_CACHE = Path(".dangan/worker_bench")


def _env(home: Path, ocr_jobs: int) -> dict:
    # what is being compared
    keep = ("DANGAN_OCR_ENGINE", "DANGAN_OCR_MODEL", "DANGAN_OCR_RUNTIME", "DANGAN_OCR_PREPROCESS")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DANGAN_") or k in keep}
    env.update({"DANGAN_HOME": str(home), "DANGAN_OCR_JOBS": str(ocr_jobs)})
    return env


def _fresh_database(server_url: str) -> str:
    import uuid

    import psycopg

    name = f"worker_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server_url.rsplit('/', 1)[0]}/{name}"


def run(paths: list[Path], processes: int, cores: int, database_url: str | None = None) -> dict:
    home = Path(tempfile.mkdtemp(prefix="worker-bench-"))
    try:
        env = _env(home, max(1, cores // processes))
        if database_url:
            env["DANGAN_DATABASE_URL"] = _fresh_database(database_url)
            env["DANGAN_TASK_RUNNER"] = "procrastinate"
        subprocess.run(
            [sys.executable, "-m", "dangan", "submit", *map(str, paths)],
            env=env,
            check=True,
            capture_output=True,
        )
        # train the classifier once before timing (it is trained on first use)
        subprocess.run(
            [sys.executable, "-c", "from dangan.archive import Archive; from dangan.config "
             "import Settings; a = Archive.open(Settings.from_env()); a.classifier(); a.close()"],
            env=env,
            check=True,
        )  # fmt: skip
        started = time.monotonic()
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "dangan", "worker", "--until-empty"],
                env=env,
                stdout=subprocess.DEVNULL,
            )
            for _ in range(processes)
        ]
        for proc in procs:
            if proc.wait() != 0:
                raise RuntimeError("a worker failed")
        seconds = time.monotonic() - started
        from dangan.archive import Archive
        from dangan.config import Settings

        archive = Archive.open(Settings.from_env(env))
        try:
            ids = archive.catalog.list_ids()
            pages = sum(archive.catalog.get(i).page_count for i in ids)
        finally:
            archive.close()
        return {
            "runner": "procrastinate (PostgreSQL)" if database_url else "embedded (SQLite)",
            "processes": processes,
            "ocr_jobs_each": max(1, cores // processes),
            "records": len(ids),
            "pages": pages,
            "seconds": round(seconds, 1),
            "pages_per_minute": round(60 * pages / seconds, 1),
        }
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=16)
    parser.add_argument("--seed", type=int, default=7100)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--database-url", help="PostgreSQL server: also run procrastinate")
    args = parser.parse_args(argv)
    from dangan.synth import generate_corpus, load_corpus

    corpus = args.cache / f"corpus-{args.seed}-{args.count}"
    if (corpus / "manifest.json").is_file():
        docs = load_corpus(corpus)
    else:
        docs = generate_corpus(corpus, args.count, seed=args.seed)
    paths = [d.path for d in docs]
    cores = os.cpu_count() or 1
    urls = [None, args.database_url] if args.database_url else [None]
    results = [run(paths, n, cores, url) for url in urls for n in (1, 2)]
    print(f"{len(paths)} scans, {cores} cores")
    print(
        "| runner | worker processes | OCR jobs each | records | pages | seconds | pages/minute |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['runner']} | {r['processes']} | {r['ocr_jobs_each']} | {r['records']} |"
            f" {r['pages']} | {r['seconds']} | {r['pages_per_minute']} |"
        )
    out = args.cache / "results.json"
    out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
