"""Query load for the scale benchmark: five kinds of search, each timed through
the search service the API uses (index + catalog rows + snippets), with N
searcher threads at once; the web search page against the search API; a
background OCR worker."""

from __future__ import annotations

import random
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from dangan.catalog.base import RecordFilter
from dangan.catalog.search import search_records

from dangan.archive import Archive

KINDS = ("phrase", "id", "person", "filtered", "code")
LABELS = {
    "phrase": "phrase",
    "id": "ID",
    "person": "person",
    "filtered": "filtered",
    "code": "档号",
}
WORDS = [
    "住院", "门诊", "医疗费用", "报销", "异地就医", "参保", "缴费", "稽核", "结算",
    "药品", "个人账户", "基本医疗保险", "退休", "生育", "慢性病", "定点医疗机构",
    "审核意见", "统筹基金", "申报", "登记",
]  # fmt: skip
PERSON_LIST = 500  # the person page lists up to this many records (api/routes/people.py)


@dataclass
class Samples:
    """Keys taken from records of the catalog, so every lookup names something."""

    persons: list[str] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    types: list[tuple[str, str]] = field(default_factory=list)  # (doc_type, year)


def samples(archive: Archive, total: int, seed: int, count: int = 400) -> Samples:
    rng = random.Random(seed)
    out = Samples()
    for i in sorted(rng.randrange(total) for _ in range(count)):
        record = archive.catalog.get(f"b{i:09d}")
        if record is None:
            continue
        if record.fields.get("id_numbers"):
            out.persons.append(record.fields["id_numbers"][0])
        if record.archival_code:
            out.codes.append(record.archival_code)
        out.types.append((record.doc_type, (record.formed_date or "2020")[:4]))
    return out


def query(kind: str, archive: Archive, s: Samples, seed: int):
    """A function i -> hits for query kind `kind` (i picks the sample)."""
    rng = random.Random(seed)
    phrases = [" ".join(rng.sample(WORDS, rng.choice((1, 2)))) for _ in range(997)]
    cat, idx = archive.catalog, archive.index

    def phrase(i: int) -> int:
        return search_records(cat, idx, phrases[i % len(phrases)], limit=20).total

    def by_id(i: int) -> int:
        return search_records(cat, idx, s.persons[i % len(s.persons)], limit=20).total

    def person(i: int) -> int:  # the person page: every record of one person
        flt = RecordFilter(person=s.persons[i % len(s.persons)])
        return search_records(cat, idx, "", filters=flt, limit=PERSON_LIST).total

    def filtered(i: int) -> int:  # class + year, with a word on every other query
        doc_type, year = s.types[i % len(s.types)]
        flt = RecordFilter(doc_type=doc_type, date_from=f"{year}-01-01", date_to=f"{year}-12-31")
        words = phrases[i % len(phrases)].split()[0] if i % 2 else ""
        return search_records(cat, idx, words, filters=flt, limit=20).total

    def code(i: int) -> int:  # what the search page does with a typed 档号
        return int(cat.resolve_record_ref(s.codes[i % len(s.codes)]) is not None)

    return {"phrase": phrase, "id": by_id, "person": person, "filtered": filtered, "code": code}[
        kind
    ]


def percentiles(took: list[float]) -> dict:
    if not took:
        return {"p50_ms": None, "p95_ms": None, "p99_ms": None}
    took = sorted(took)

    def pick(q: float) -> float:
        return round(took[min(len(took) - 1, int(q * len(took)))], 1)

    return {"p50_ms": round(statistics.median(took), 1), "p95_ms": pick(0.95), "p99_ms": pick(0.99)}


def timed(fn, i: int) -> tuple[float, float, str | None]:
    """(start, milliseconds, error class or None) of one call."""
    t = time.perf_counter()
    try:
        fn(i)
        error = None
    except Exception as exc:  # counted and reported, the load goes on
        error = type(exc).__name__
    return t, (time.perf_counter() - t) * 1000, error


def calls(fn, searchers: int, n: int, first: int = 0) -> tuple[list, float]:
    """Calls first..first+n-1 of fn from `searchers` threads at once: each
    call's (start, ms, error) and the wall time."""
    for i in range(3):  # warm-up (connections, caches)
        fn(i)
    with ThreadPoolExecutor(searchers) as pool:
        t = time.perf_counter()
        results = list(pool.map(lambda i: timed(fn, i), range(first, first + n)))
        wall = time.perf_counter() - t
    return results, wall


def summary(results: list, wall: float) -> dict:
    errors = [e for _, _, e in results if e]
    ok = [ms for _, ms, e in results if not e]
    return {
        **percentiles(ok),
        "errors": len(errors),
        "error_kinds": sorted(set(errors)),
        "qps": round(len(results) / wall, 1),
    }


def run(fn, searchers: int, n: int) -> dict:
    """`n` calls of fn from `searchers` threads at once."""
    return summary(*calls(fn, searchers, n))


# --- searchers in several processes, as `dangan serve` with DANGAN_WEB_PROCESSES

_proc: dict = {}


def _open_in_process(env: dict, total: int, seed: int) -> None:
    from dangan.config import Settings

    archive = Archive.open(Settings.from_env(env))
    _proc.update(archive=archive, samples=samples(archive, total, seed))


def _cell_in_process(kind: str, threads: int, n: int, first: int, seed: int):
    fn = query(kind, _proc["archive"], _proc["samples"], seed)
    return calls(fn, threads, n, first)


class Processes:
    """`count` processes, each with its own Archive on the same home: a
    cell's searchers are shared out among them (a server process each)."""

    def __init__(self, count: int, env: dict, total: int, seed: int):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.count = count
        self.pool = ProcessPoolExecutor(
            count,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_open_in_process,
            initargs=(env, total, seed),
        )

    def run(self, kind: str, searchers: int, n: int, seed: int) -> dict:
        procs = min(self.count, searchers)
        threads = [searchers // procs + (k < searchers % procs) for k in range(procs)]
        shares = [n * t // searchers for t in threads]
        starts = [sum(shares[:k]) for k in range(procs)]
        futures = [
            self.pool.submit(_cell_in_process, kind, t, share, first, seed)
            for t, share, first in zip(threads, shares, starts, strict=True)
        ]
        done = [f.result() for f in futures]
        return summary([r for results, _ in done for r in results], max(w for _, w in done))

    def close(self) -> None:
        self.pool.shutdown()


def matrix(
    archive: Archive,
    s: Samples,
    searchers: list[int],
    n: int,
    seed: int,
    processes: Processes | None = None,
) -> dict:
    out: dict = {}
    for count in searchers:
        out[str(count)] = {}
        for kind in KINDS:
            todo = n if kind != "person" else n // 2
            if processes is not None and processes.count > 1:
                out[str(count)][kind] = processes.run(kind, count, todo, seed)
            else:
                out[str(count)][kind] = run(query(kind, archive, s, seed), count, todo)
        print(f"    {count} searchers: " + ", ".join(
            f"{k} p95 {v['p95_ms']}" for k, v in out[str(count)].items()
        ), file=sys.stderr, flush=True)  # fmt: skip
    return out


class OcrWorker:
    """`python -m bench.ocr_busy` in its own process while the block runs."""

    def __enter__(self) -> OcrWorker:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bench.ocr_busy"],
            cwd=Path(__file__).parent.parent,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stderr.readline()  # the first page is done: OCR is warm
        if not line:
            raise RuntimeError("the OCR worker did not start")
        return self

    def __exit__(self, *exc) -> None:
        self.proc.kill()
        self.proc.wait()


def web_vs_api(settings, s: Samples, n: int, seed: int) -> dict:
    """p95 of the web search page (HTML) and of the search API for the same
    phrase and ID queries, one at a time, through the whole application."""
    from dangan.api.app import create_app
    from fastapi.testclient import TestClient

    rng = random.Random(seed)
    queries = [
        " ".join(rng.sample(WORDS, rng.choice((1, 2)))) if i % 2 else s.persons[i % len(s.persons)]
        for i in range(n)
    ]
    with TestClient(create_app(settings)) as client:
        client.headers["origin"] = str(client.base_url).rstrip("/")
        accounts = client.app.state.accounts
        if not any(u["username"] == "bench" for u in accounts.list_users()):
            accounts.add_user("bench", "基准测试", {"caseworker"}, "Qz-7xw-loadtest-91")
        login = client.post(
            "/login",
            data={"username": "bench", "password": "Qz-7xw-loadtest-91"},
            follow_redirects=False,
        )
        assert login.status_code == 303, login.text

        def page(i: int) -> int:
            r = client.get("/", params={"q": queries[i % n]})
            r.raise_for_status()
            return len(r.text)

        def api(i: int) -> int:
            r = client.get("/api/search", params={"q": queries[i % n]})
            r.raise_for_status()
            return r.json()["total"]

        html, js = run(page, 1, n), run(api, 1, n)
    return {"html": html, "api": js}
