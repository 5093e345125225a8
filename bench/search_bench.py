"""Search at scale, both backends side by side in one run: index rate, index size,
p50/p95/p99 of five kinds of query with 1, 8 and 32 concurrent searchers, with
and without an OCR worker busy on the same machine, the web search page against
the search API, and (Elasticsearch) a node killed mid-run.

    python -m bench.search_bench --records 20000,100000 --searchers 1,8,32
    python -m bench.search_bench --records 1000000,3000000,10000000 --backends elastic

Records are synthetic forms of every class (bench/scale_data.py), filed into a
real catalog in bulk and indexed through the catalog's outbox (Archive.sync_index,
the ingest path). Sizes grow one catalog: 100,000 after 20,000 adds 80,000. The
catalogs and the Elasticsearch data live under --work and are reused, so a run
that was killed, or a bigger size later, continues where the last one stopped.

Searchers are threads of this process, or with --processes N shared out among N
processes with an Archive each (as `dangan serve` with DANGAN_WEB_PROCESSES).
The indexing reports the CPU it took in this process and in the search servers
against its wall time on all cores (what limits the index rate).

Query kinds (bench/scale_load.py), all through the search service the API uses:
phrase (one or two Chinese words), ID (a 公民身份号码 as the query), person (the
person page: every record of one person, up to 500), filtered (class + year,
half with a word), 档号 (a typed 档号 resolved as the search page does).

Elasticsearch: two nodes on loopback (bench/es_cluster.py), 2 primaries and 1
replica. After the last size, 8 searchers run while node 2 is killed with
SIGKILL; errors and latency before, during (10 s) and after the failover are
reported, and the document count is checked against the catalog.

Prints one table and writes it as JSON to .dangan/bench/ (or --json).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from bench import scale_data, scale_load
from bench.es_cluster import REPLICAS, SHARDS, Cluster
from dangan.archive import Archive
from dangan.config import Settings

ROOT = Path(__file__).parent.parent
OUT = ROOT / ".dangan" / "bench"
DURING = 10.0  # seconds after the kill counted as "during the failover"


def _ints(text: str) -> list[int]:
    return sorted({int(v.replace("_", "")) for v in text.split(",") if v.strip()})


def index_size_mb(archive: Archive) -> dict:
    index = archive.index
    if hasattr(index, "client"):
        stats = index.client.indices.stats(index=index.name, metric="store")["_all"]
        mb = {
            k: round(stats[k]["store"]["size_in_bytes"] / 2**20, 1) for k in ("primaries", "total")
        }
        return {"size_mb": mb["primaries"], "size_mb_with_replicas": mb["total"]}
    files = index.path.parent.glob(index.path.name + "*")
    return {"size_mb": round(sum(p.stat().st_size for p in files) / 2**20, 1)}


def failover(archive: Archive, cluster: Cluster, s, seconds: float, seed: int) -> dict:
    """8 searchers (phrase and ID queries) while node 2 is killed."""
    expected = archive.catalog.count()
    fns = [scale_load.query(k, archive, s, seed) for k in ("phrase", "id")]
    events: list[tuple[float, float, str | None]] = []
    start = time.perf_counter()
    stop = start + seconds

    def searcher(k: int) -> None:
        i = k
        while time.perf_counter() < stop:
            events.append(scale_load.timed(fns[i % 2], i))
            i += 8

    threads = [threading.Thread(target=searcher, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    time.sleep(seconds / 3)
    killed = time.perf_counter()
    cluster.kill(2)
    for t in threads:
        t.join()

    def window(lo: float, hi: float) -> dict:
        inside = [(ms, e) for t, ms, e in events if lo <= t + ms / 1000 < hi]  # by end
        errors = [e for _, e in inside if e]
        return {
            **scale_load.percentiles([ms for ms, e in inside if not e]),
            "max_ms": round(max((ms for ms, _ in inside), default=0), 1),
            "queries": len(inside),
            "errors": len(errors),
            "error_kinds": sorted(set(errors)),
        }

    count = archive.index.count()
    health = archive.index.client.cluster.health()["status"]
    t = time.perf_counter()
    cluster.start_node(2)
    green = _wait_green(archive.index.client, 1800)
    return {
        "killed": "node 2 (data), kill -9, 8 searchers",
        "before": window(start, killed),
        "during": window(killed, killed + DURING),
        "after": window(killed + DURING, stop + 60),
        "count_expected": expected,
        "count_after_kill": count,
        "lost": expected - count,
        "health_after_kill": health,
        "green_again_s": round(time.perf_counter() - t, 1) if green else None,
    }


def _wait_green(client, most_s: float) -> bool:
    """Until the restarted node holds its copies again (at 10 M records the
    replicas are copied back for minutes); False if not within `most_s`."""
    deadline = time.monotonic() + most_s
    while time.monotonic() < deadline:
        health = client.options(request_timeout=90, ignore_status=408).cluster.health(
            wait_for_status="green", timeout="60s"
        )
        if not health["timed_out"]:
            return True
    return False


def reindex_kill(env: dict, after: float, rebuild: bool = False, server_pids=lambda: []) -> dict:
    """`dangan reindex` (`--rebuild`) from the catalog, killed (-9) after `after`
    seconds, then run again: it resumes from its checkpoint. Timings of both
    runs, and the CPU they took (the reindex processes and the search servers)."""
    import resource
    import subprocess

    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    cmd = [sys.executable, "-m", "dangan", "reindex", *(["--rebuild"] if rebuild else [])]
    full_env = {**os.environ, **env}
    pids = server_pids()
    cpu0, servers0 = children_cpu(), sum(map(scale_data.process_cpu_s, pids))
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        proc.wait(after)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    first = time.perf_counter() - t
    checkpoint = Path(env["DANGAN_HOME"]) / "reindex-checkpoint.json"
    done = json.loads(checkpoint.read_text())["done"] if checkpoint.exists() else None
    print(f"  reindex killed after {first:.0f} s, {done} done; resuming", file=sys.stderr)
    t = time.perf_counter()
    subprocess.run(cmd[:4], env=full_env, check=True, capture_output=True)
    second = time.perf_counter() - t
    return {
        "rebuild": rebuild,
        "killed_after_s": round(first, 1),
        "done_at_kill": done,
        "resume_s": round(second, 1),
        "checkpoint_left": checkpoint.exists(),
        "cpu": {
            "bench_s": round(children_cpu() - cpu0, 1),
            "servers_s": round(sum(map(scale_data.process_cpu_s, pids)) - servers0, 1),
            "wall_s": round(first + second, 1),
            "cores": os.cpu_count(),
        },
    }


def run_backend(backend: str, args, work: Path) -> tuple[list[dict], dict | None]:
    home = work / backend
    env = {"DANGAN_HOME": str(home)}
    if args.count_limit:
        env["DANGAN_SEARCH_COUNT_LIMIT"] = str(args.count_limit)
    cluster = None
    if backend == "elastic":
        cluster = Cluster(work / "es-data", heap=args.es_heap)
        cluster.start()
        env["DANGAN_SEARCH_URL"] = cluster.url
        env["DANGAN_SEARCH_SHARDS"], env["DANGAN_SEARCH_REPLICAS"] = str(SHARDS), str(REPLICAS)
    settings = Settings.from_env(env)
    # a bench that indexes by reindex leaves the outbox to it (it settles the outbox)
    archive = Archive.open(settings, catch_up=not args.reindex_build)
    runs, fo = [], None
    try:
        for size in args.records:
            print(f"== {backend}: {size} records", file=sys.stderr, flush=True)
            pids = (lambda: [cluster.pid(n) for n in cluster.nodes]) if cluster else (lambda: [])
            if args.reindex_build and not runs:
                # the first size is indexed by `dangan reindex --rebuild`, killed
                # and resumed: the rebuild path a 10 M archive takes
                build = scale_data.fill(archive, size, args.seed, index=False)
                r = reindex_kill(env, args.reindex_build, rebuild=True, server_pids=pids)
                indexed = archive.index.count()
                wall = r["cpu"]["wall_s"]
                build |= {"indexed": indexed, "index_per_s": round(indexed / wall) if wall else None,
                          "index_cpu": r["cpu"], "by_reindex": r}  # fmt: skip
            else:
                build = scale_data.fill(archive, size, args.seed, server_pids=pids)
            s = scale_load.samples(archive, size, args.seed)
            run = {"backend": backend, "records": size, "build": build, **index_size_mb(archive)}
            run["loadavg"] = {"idle": round(os.getloadavg()[0], 1)}
            procs = None
            if args.processes > 1:
                procs = scale_load.Processes(args.processes, env, size, args.seed)
            try:
                run["load"] = {
                    "idle": scale_load.matrix(archive, s, args.searchers, args.queries, 1, procs)
                }
                if args.ocr_load:
                    with scale_load.OcrWorker():
                        run["load"]["ocr"] = scale_load.matrix(
                            archive, s, args.searchers, args.queries, 2, procs
                        )
                        run["loadavg"]["ocr"] = round(os.getloadavg()[0], 1)
            finally:
                if procs is not None:
                    procs.close()
            if args.web_queries:
                run["web"] = scale_load.web_vs_api(settings, s, args.web_queries, args.seed)
            runs.append(run)
        if cluster is not None and args.failover:
            fo = failover(archive, cluster, s, args.failover, args.seed)
        if args.reindex_kill:
            runs[-1]["reindex"] = reindex_kill(env, args.reindex_kill)
            runs[-1]["reindex"]["count_after"] = archive.index.count()
    finally:
        archive.close()
        if cluster is not None and not args.keep_cluster:
            cluster.stop()
    return runs, fo


def growth(runs: list[dict]) -> list[dict]:
    """How each figure grows from one size to the next (ratio of the values)."""
    out = []
    for a, b in zip(runs, runs[1:], strict=False):
        if a["backend"] != b["backend"]:
            continue
        row = {
            "backend": b["backend"],
            "from": a["records"],
            "to": b["records"],
            "records_x": round(b["records"] / a["records"], 2),
            "size_x": _ratio(b["size_mb"], a["size_mb"]),
            "index_rate_x": _ratio(b["build"]["index_per_s"], a["build"]["index_per_s"]),
            "p95_x": {},
        }
        for load, by_count in b["load"].items():
            for count, kinds in by_count.items():
                before = a["load"].get(load, {}).get(count, {})
                row["p95_x"][f"{load}/{count}"] = {
                    k: _ratio(v["p95_ms"], before.get(k, {}).get("p95_ms"))
                    for k, v in kinds.items()
                }
        out.append(row)
    return out


def _ratio(new, old):
    return round(new / old, 2) if new and old else None


def _cell(r: dict) -> str:
    return f"{r['p50_ms']}/{r['p95_ms']}/{r['p99_ms']}"


def table(result: dict) -> str:
    kinds = [scale_load.LABELS[k] + " ms" for k in scale_load.KINDS]
    head = ["backend", "records", "OCR busy (load avg)", "searchers", *kinds, "errors", "index rec/s",
            "index MB", "web page / API p95 ms"]  # fmt: skip
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for run in result["runs"]:
        web = run.get("web")
        for load, by_count in run["load"].items():
            for count, cells in by_count.items():
                first = load == "idle" and count == next(iter(by_count))
                busy = f"{'yes' if load == 'ocr' else 'no'} ({run['loadavg'].get(load)})"
                row = [run["backend"], f"{run['records']:,}", busy,
                       count, *(_cell(cells[k]) for k in scale_load.KINDS),
                       sum(c["errors"] for c in cells.values()),
                       run["build"]["index_per_s"] if first else "",
                       run["size_mb"] if first else "",
                       f"{web['html']['p95_ms']} / {web['api']['p95_ms']}" if first and web else ""]  # fmt: skip
                lines.append("| " + " | ".join(map(str, row)) + " |")
    for g in result["growth"]:
        for key, kinds in g["p95_x"].items():
            load, count = key.split("/")
            row = [g["backend"], f"×{g['records_x']} ({g['from']:,}→{g['to']:,})",
                   "yes" if load == "ocr" else "no", count,
                   *(f"p95 ×{kinds.get(k)}" for k in scale_load.KINDS), "",
                   f"×{g['index_rate_x']}", f"×{g['size_x']}", ""]  # fmt: skip
            lines.append("| " + " | ".join(map(str, row)) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=_ints, default=[20_000, 100_000])
    parser.add_argument("--searchers", type=_ints, default=[1, 8, 32])
    parser.add_argument("--backends", default="embedded,elastic")
    parser.add_argument("--queries", type=int, default=200, help="per kind and searcher count")
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="searcher processes, as `dangan serve` with DANGAN_WEB_PROCESSES (each its own Archive)",
    )
    parser.add_argument("--web-queries", type=int, default=60, help="0: no web page timing")
    parser.add_argument("--no-ocr-load", dest="ocr_load", action="store_false")
    parser.add_argument("--failover", type=float, default=40.0, help="seconds; 0: no node kill")
    parser.add_argument(
        "--reindex-kill", type=float, default=0, help="seconds; kill -9 `dangan reindex`, resume"
    )
    parser.add_argument(
        "--reindex-build",
        type=float,
        default=0,
        help="seconds; index the first size by `dangan reindex --rebuild`, killed -9, resumed",
    )
    parser.add_argument(
        "--count-limit", type=int, help="DANGAN_SEARCH_COUNT_LIMIT (default: the setting's)"
    )
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--work", type=Path, default=OUT / "scale", help="catalogs, ES data")
    parser.add_argument("--fresh", action="store_true", help="start from empty catalogs")
    parser.add_argument("--es-heap", default="1g")
    parser.add_argument("--keep-cluster", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--ocr", action="store_true", help="also OCR pages/minute, 1 vs 2 workers")
    parser.add_argument("--database-url", help="with --ocr: a PostgreSQL server (procrastinate)")
    args = parser.parse_args(argv)
    if args.fresh and args.work.exists():
        shutil.rmtree(args.work)
    args.work.mkdir(parents=True, exist_ok=True)
    result: dict = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') // 2**30} GiB, "
        f"load {os.getloadavg()[0]:.1f} at start",
        "records": args.records,
        "searchers": args.searchers,
        "queries": args.queries,
        "processes": args.processes,
        "elastic_layout": f"2 nodes, {SHARDS} primaries, {REPLICAS} replica",
        "runs": [],
        "failover": None,
    }
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        backend = {"fts": "embedded"}.get(backend, backend)
        if backend not in ("embedded", "elastic"):
            parser.error(f"unknown backend {backend!r}")
        runs, fo = run_backend(backend, args, args.work)
        result["runs"] += runs
        result["failover"] = fo or result["failover"]
    result["growth"] = growth(result["runs"])
    result["table"] = table(result)
    print(f"{result['date']}, {result['machine']}; p50/p95/p99 ms; {args.queries} queries a cell,"
          f" searchers in {args.processes} process(es)")  # fmt: skip
    print(result["table"])
    for run in result["runs"]:
        cpu = run["build"].get("index_cpu")
        if cpu and run["build"]["indexed"]:
            used = (cpu["bench_s"] + cpu["servers_s"]) / (cpu["wall_s"] * cpu["cores"] or 1)
            print(f"indexing {run['backend']} {run['records']:,}: CPU {cpu['bench_s']} s in the"
                  f" bench, {cpu['servers_s']} s in the search servers, {cpu['wall_s']} s wall on"
                  f" {cpu['cores']} cores ({used:.0%} of the machine)")  # fmt: skip
        if run.get("reindex"):
            print(f"reindex {run['backend']} {run['records']}:", json.dumps(run["reindex"]))
    if result["failover"]:
        print("failover:", json.dumps(result["failover"], ensure_ascii=False))
    out = args.json or OUT / f"search-scale-{int(time.time())}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"written: {out}", file=sys.stderr)
    if args.ocr:
        from bench import worker_bench

        worker_bench.main(["--database-url", args.database_url] if args.database_url else [])
    return 0


if __name__ == "__main__":
    sys.exit(main())
