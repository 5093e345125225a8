"""One request must not take the service down (issue 19): measured on a running
`dangan serve` with one separate `dangan worker`.

    python -m bench.abuse_bench [--records 1000] [--load-seconds 60] [--json]

1. Long queries: a 2,000-character query (refused at once), and the longest
   and widest queries still allowed (200 characters, 16 terms), in ms.
2. Hostile files through `dangan ingest`: a 146 KB PDF holding a 30,000 ×
   40,000 image and a 1.3 KB PDF with one 14,400 × 14,400 pt page; wall time
   and peak RSS of the ingesting process (wait4 rusage: the process and every
   descendant it waited for). The same files through the API and the worker:
   time until the job is refused.
3. Load: 20 searchers and 5 uploaders for 60 s against the server, one worker.
   Uploads are unique one-page text PDFs with some hostile ones mixed in
   (bomb, empty, garbage). Then the queue is drained and every accepted upload
   is accounted for: filed, in review, refused (hostile ones only), or lost.
   Reports p50/p95 search latency and the worker's peak RSS (VmHWM).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

WORDS = ["医疗保险", "报销", "参保", "缴费基数", "养老", "失业", "工伤", "生育", "稽核", "待遇"]
CHARS = "医疗保险参保人员缴费基数核定单位职工养老失业工伤生育报销审批稽核通知待遇支付"


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DANGAN_")}
    env.update({"DANGAN_HOME": str(home), "DANGAN_INTAKE_WORKERS": "0", "DANGAN_OCR_JOBS": "1"})
    return env


def seed(home: Path, count: int) -> tuple[str, str]:
    """`count` filed records of three pages of text (no OCR); returns (a
    caseworker token, a clerk token)."""
    from dangan.catalog.base import PageText, Record
    from dangan.retention.filing import apply_filing

    from dangan.access.store import SqliteAccountStore
    from dangan.archive import Archive
    from dangan.config import Settings

    rng = random.Random(19)
    archive = Archive.open(Settings.from_env(_env(home)))
    try:
        for n in range(count):
            pages = ["".join(rng.choice(CHARS) for _ in range(600)) for _ in range(3)]
            record = Record(
                id=f"bench-{n:05d}",
                sha256=hashlib.sha256(f"bench-{n}".encode()).hexdigest(),
                filename=f"bench-{n}.png",
                media_type="image/png",
                size=1,
                page_count=3,
                title=f"医疗费用报销审批表{n}",
                ocr_mode="ocr",
                created_at="2026-01-01T00:00:00+00:00",
                pages=[PageText(i, t) for i, t in enumerate(pages, 1)],
            )
            fields = {"business_date": f"20{10 + n % 15}-05-01"}
            apply_filing(
                record,
                doc_type="reimbursement",
                confidence=1.0,
                fields=fields,
                schedule=archive.schedule(),
                policy=archive.filing_policy(),
                today=date(2026, 1, 1),
            )
            archive.catalog.add_record(record)
        archive.sync_index(quiet=True)
        accounts = SqliteAccountStore(archive.catalog)
        reader = accounts.issue_token("bench-search", "caseworker", "bench")[1]
        clerk = accounts.issue_token("bench-upload", "clerk", "bench")[1]
        archive.classifier()  # trained once now, not during the load
    finally:
        archive.close()
    return reader, clerk


def text_pdf(path: Path, n: int) -> Path:
    """A unique one-page PDF with a text layer (no OCR needed)."""
    import pikepdf

    pdf = pikepdf.new()
    font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
    )
    page = pdf.add_blank_page(page_size=(595, 842))
    page.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font))
    lines = [f"Reimbursement application no. {n:06d}", "Amount 1234.56 yuan, 2024-05-01"]
    ops = b" ".join(f"({line}) Tj 0 -24 Td".encode() for line in lines)
    page.Contents = pdf.make_stream(b"BT /F1 14 Tf 72 760 Td " + ops + b" ET")
    pdf.save(path)
    return path


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def queries(client, reader: str) -> dict:
    auth = {"authorization": f"Bearer {reader}"}
    rng = random.Random(7)
    cases = {
        "2000_chars": "".join(rng.choice(CHARS) for _ in range(2000)),
        "200_chars_one_term": "".join(rng.choice(CHARS) for _ in range(200)),
        "16_terms": " ".join("".join(rng.choice(CHARS) for _ in range(2)) for _ in range(16)),
        "17_terms": " ".join(["医"] * 17),
    }
    out = {}
    for name, q in cases.items():
        started = time.perf_counter()
        response = client.get("/api/search", params={"q": q}, headers=auth)
        out[name] = {
            "ms": _ms(time.perf_counter() - started),
            "status": response.status_code,
            "message": response.json().get("error") if response.status_code != 200 else None,
        }
    return out


def _wait4(args: list[str], env: dict) -> tuple[float, float, str]:
    started = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    out = proc.stdout.read().decode()
    _, _, usage = os.wait4(proc.pid, 0)
    proc.returncode = 0
    return time.perf_counter() - started, usage.ru_maxrss / 1024, out


def hostile_cli(home: Path, files: dict[str, Path]) -> dict:
    out = {}
    for name, path in files.items():
        seconds, rss_mb, text = _wait4(
            [sys.executable, "-m", "dangan", "ingest", "--json", str(path)], _env(home)
        )
        result = json.loads(text.splitlines()[0]) if text.strip() else {}
        out[name] = {
            "file_kb": round(path.stat().st_size / 1024, 1),
            "seconds": round(seconds, 2),
            "peak_rss_mb": round(rss_mb),
            "status": result.get("status"),
            "reason": result.get("reason"),
            "message": result.get("error"),
        }
    return out


def _upload(client, clerk: str, name: str, data: bytes) -> dict:
    response = client.post(
        "/api/intake",
        files=[("files", (name, data, "application/octet-stream"))],
        headers={"authorization": f"Bearer {clerk}"},
        timeout=120,
    )
    response.raise_for_status()
    return response.json()


def _job_outcome(client, clerk: str, batch: str, timeout: float) -> list[dict]:
    auth = {"authorization": f"Bearer {clerk}"}
    deadline = time.monotonic() + timeout
    while True:
        data = client.get(f"/api/intake/{batch}", headers=auth).json()
        if data["done"] == data["total"] or time.monotonic() > deadline:
            return data["jobs"]
        time.sleep(0.5)


def hostile_api(client, clerk: str, files: dict[str, Path]) -> dict:
    out = {}
    for name, path in files.items():
        started = time.perf_counter()
        batch = _upload(client, clerk, path.name, path.read_bytes())["batch"]
        (job,) = _job_outcome(client, clerk, batch, 300)
        out[name] = {
            "seconds_to_refusal": round(time.perf_counter() - started, 2),
            "status": job.get("status"),
            "error": job.get("error"),
        }
    return out


def load(client, reader, clerk, tmp: Path, hostile: dict[str, Path], seconds: float) -> dict:
    stop = time.monotonic() + seconds
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    accepted: list[tuple[str, str, str]] = []  # (batch, kind, name)
    upload_errors: list[str] = []
    lock = threading.Lock()
    counter = iter(range(10**6))

    def searcher(i: int) -> None:
        rng = random.Random(i)
        auth = {"authorization": f"Bearer {reader}"}
        while time.monotonic() < stop:
            q = " ".join(rng.sample(WORDS, rng.randint(1, 3)))
            started = time.perf_counter()
            response = client.get("/api/search", params={"q": q}, headers=auth, timeout=60)
            with lock:
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    def uploader(i: int) -> None:
        rng = random.Random(100 + i)
        while time.monotonic() < stop:
            roll = rng.random()
            if roll < 0.7:
                n = next(counter)
                kind, path = "text_pdf", text_pdf(tmp / f"load-{n}.pdf", n)
                data = path.read_bytes()
            elif roll < 0.8:
                kind, data = "empty", b""
            elif roll < 0.9:
                kind, data = "garbage", os.urandom(2048)
            else:
                kind = rng.choice(sorted(hostile))
                data = hostile[kind].read_bytes()
            name = f"{kind}-{i}-{rng.randrange(10**6)}.pdf"
            try:
                batch = _upload(client, clerk, name, data)["batch"]
                with lock:
                    accepted.append((batch, kind, name))
            except Exception as exc:  # counted: an upload the server did not take
                with lock:
                    upload_errors.append(f"{type(exc).__name__}: {exc}")
            time.sleep(rng.uniform(8, 14))

    threads = [threading.Thread(target=searcher, args=(i,)) for i in range(20)]
    threads += [threading.Thread(target=uploader, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    return {
        "searches": len(latencies),
        "search_status": statuses,
        "search_p50_ms": _ms(statistics.median(latencies)) if latencies else None,
        "search_p95_ms": _ms(latencies[int(len(latencies) * 0.95) - 1]) if latencies else None,
        "search_max_ms": _ms(latencies[-1]) if latencies else None,
        "accepted": accepted,
        "upload_errors": upload_errors,
    }


def account(client, clerk: str, accepted: list[tuple[str, str, str]], timeout: float) -> dict:
    """Wait for every accepted upload and sort it: filed, review, refused, lost."""
    auth = {"authorization": f"Bearer {clerk}"}
    counts = {"filed": 0, "review": 0, "refused_hostile": 0, "lost": 0}
    lost = []
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    for batch, kind, name in accepted:
        (job,) = _job_outcome(client, clerk, batch, max(1, deadline - time.monotonic()))
        if job["state"] != "done":
            counts["lost"] += 1
            lost.append(f"{name}: not done ({job['stage']})")
        elif job["status"] in ("archived", "duplicate") and job.get("record_id"):
            record = client.get(f"/api/records/{job['record_id']}", headers=auth)
            if record.status_code != 200:
                counts["lost"] += 1
                lost.append(f"{name}: record {job['record_id']} missing")
            elif record.json().get("status") == "review" or job.get("needs_review"):
                counts["review"] += 1
            else:
                counts["filed"] += 1
        elif job["status"] == "rejected" and kind != "text_pdf":
            counts["refused_hostile"] += 1
        else:
            counts["lost"] += 1
            lost.append(f"{name}: {job['status']} {job.get('error')}")
    return {**counts, "drain_seconds": round(time.monotonic() - started, 1), "lost_detail": lost}


def _vmhwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024)
    except OSError:
        return None
    return None


def main(argv: list[str] | None = None) -> int:
    import httpx

    from dangan.synth import hostile

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--load-seconds", type=float, default=60)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="abuse-bench-") as tmp_name:
        tmp = Path(tmp_name)
        home = tmp / "home"
        reader, clerk = seed(home, args.records)
        files = {
            "image_bomb_30000x40000": hostile.image_bomb_pdf(tmp / "bomb.pdf"),
            "page_14400pt": hostile.huge_page_pdf(tmp / "huge.pdf"),
        }
        report: dict = {"records": args.records}
        report["hostile_cli"] = hostile_cli(home, files)
        port = _port()
        env = _env(home)
        server = subprocess.Popen(
            [sys.executable, "-m", "dangan", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        worker = subprocess.Popen(
            [sys.executable, "-m", "dangan", "worker", "--threads", "1"],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        try:
            client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
            for _ in range(600):
                try:
                    client.get("/login")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            report["queries"] = queries(client, reader)
            report["hostile_api"] = hostile_api(client, clerk, files)
            report["worker_peak_rss_mb_after_hostile"] = _vmhwm_mb(worker.pid)
            result = load(client, reader, clerk, tmp, files, args.load_seconds)
            accepted = result.pop("accepted")
            result["uploads_accepted"] = len(accepted)
            result["outcome"] = account(client, clerk, accepted, 600)
            report["load"] = result
            report["worker_peak_rss_mb"] = _vmhwm_mb(worker.pid)
        finally:
            for proc in (worker, server):
                proc.terminate()
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
    print(json.dumps(report, ensure_ascii=False, indent=None if args.json else 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
