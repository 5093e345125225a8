"""OCR throughput of the intake queue with one and with two worker processes.

    python -m bench.worker_bench [--count 16] [--seed 7100]

Generates (and caches) `count` synthetic scans, then for each configuration
starts from an empty DANGAN_HOME, queues every scan with `dangan submit` and
times `dangan worker --until-empty` processes until the queue is empty.
Reports pages per minute. Each worker process gets DANGAN_OCR_JOBS = cores /
processes, so both configurations use every core.
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
    keep = ("DANGAN_OCR_ENGINE", "DANGAN_OCR_PREPROCESS")  # what is being compared
    env = {k: v for k, v in os.environ.items() if not k.startswith("DANGAN_") or k in keep}
    env.update({"DANGAN_HOME": str(home), "DANGAN_OCR_JOBS": str(ocr_jobs)})
    return env


def run(paths: list[Path], processes: int, cores: int) -> dict:
    home = Path(tempfile.mkdtemp(prefix="worker-bench-"))
    try:
        env = _env(home, max(1, cores // processes))
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
    args = parser.parse_args(argv)
    from dangan.synth import generate_corpus, load_corpus

    corpus = args.cache / f"corpus-{args.seed}-{args.count}"
    if (corpus / "manifest.json").is_file():
        docs = load_corpus(corpus)
    else:
        docs = generate_corpus(corpus, args.count, seed=args.seed)
    paths = [d.path for d in docs]
    cores = os.cpu_count() or 1
    results = [run(paths, n, cores) for n in (1, 2)]
    print(f"{len(paths)} scans, {cores} cores")
    print("| worker processes | OCR jobs each | records | pages | seconds | pages/minute |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['processes']} | {r['ocr_jobs_each']} | {r['records']} | {r['pages']} |"
            f" {r['seconds']} | {r['pages_per_minute']} |"
        )
    out = args.cache / "results.json"
    out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
