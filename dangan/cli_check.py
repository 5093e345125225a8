"""`dangan check`: 四性检测 of one record, of the whole archive, and the
scheduled fixity sweep; the runs and their reports."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dangan.cli_common import open_archive, print_json
from dangan.errors import ExitCode, NotFound


def _print_run(run: dict, results, as_json: bool) -> int:
    from dangan.preservation.items import OUTCOME_LABELS, PROPERTIES
    from dangan.preservation.report import KIND_LABELS, VERDICT, condensed

    summary = run["summary"]
    if as_json:
        print_json(
            {
                "run": run["id"],
                "kind": run["kind"],
                "verdict": summary["verdict"],
                "failed_items": summary["failed_items"],
                "warning_items": summary["warning_items"],
                "not_run_items": summary["not_run_items"],
                "objects": run["objects"],
                "bytes": run["bytes"],
                "reports": run["report_keys"],
                "results": [vars(r) for r in results if r.outcome != "pass"],
            }
        )
    else:
        print(
            f"四性检测 {run['id']}（{KIND_LABELS.get(run['kind'], run['kind'])}，{run['scope']}）"
        )
        for prop in PROPERTIES:
            per = summary["properties"][prop]
            counts = "，".join(f"{OUTCOME_LABELS[o]} {n}" for o, n in per.items() if n)
            print(f"  {prop}：{counts or '（无）'}")

        shown = condensed([r for r in results if r.outcome != "pass"])
        for r in shown[:200]:
            print("  " + r.line())
        if len(shown) > 200:
            print(f"  ……另有 {len(shown) - 200} 条，见报告。")
        if run["objects"]:
            print(f"  检查对象 {run['objects']} 个，{run['bytes'] / 1e6:.1f} MB")
        print(f"结论：{VERDICT[summary['verdict']]}。报告：{run['report_keys'].get('pdf', '')}")
    return ExitCode.FAILED if summary["verdict"] == "fail" else ExitCode.OK


def _progress(done: int, total: int) -> None:
    if done % 100 == 0 or done == total:
        sys.stderr.write(f"\r已检查 {done}/{total}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def cmd_check(args: argparse.Namespace) -> int:
    from dangan.preservation.service import check_all, check_one
    from dangan.preservation.store import PreservationStore
    from dangan.preservation.sweep import sweep

    with open_archive() as archive:
        store = PreservationStore(archive.catalog)
        if args.what == "record":
            run, results = check_one(archive, args.record_id, args.actor)
        elif args.what == "all":
            run, results = check_all(archive, args.actor, None if args.json else _progress)
        elif args.what == "sweep" and args.every:
            return _sweep_forever(archive, args)
        elif args.what == "sweep":
            run = sweep(
                archive,
                args.actor,
                rate=args.rate,
                stop_after=args.stop_after,
                progress=None if args.json else _progress,
            )
            if run["state"] != "done":
                message = (
                    f"巡检 {run['id']} 已暂停于第 {run['objects']} 个对象，再次运行即从此处继续。"
                )
                print_json({"run": run["id"], "state": "running"}) if args.json else print(message)
                return ExitCode.OK
            results = store.results(run["id"])
        else:
            return _runs(archive, store, args)
        return _print_run(run, results, args.json)


def _sweep_forever(archive, args) -> int:
    """`--every HOURS`: a sweep, then the next one that many hours after its
    start, until stopped; a stopped sweep resumes on the next start."""
    import signal
    import threading
    import time

    from dangan.preservation.sweep import sweep

    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    while not stopping.is_set():
        started = time.monotonic()
        run = sweep(archive, args.actor, rate=args.rate, should_stop=stopping.is_set)
        verdict = {"pass": "通过", "fail": "不通过"}.get(run["summary"].get("verdict"), "已暂停")
        print(f"巡检 {run['id']}：{run['objects']} 个对象，{verdict}。", flush=True)
        stopping.wait(max(0.0, args.every * 3600 - (time.monotonic() - started)))
    return ExitCode.OK


def _runs(archive, store, args) -> int:
    if args.what == "runs":
        runs = store.runs(args.limit)
        if args.json:
            print_json(runs)
        for run in [] if args.json else runs:
            s = run["summary"]
            verdict = {"pass": "通过", "fail": "不通过"}.get(s.get("verdict"), "进行中")
            failed = "、".join(s.get("failed_items") or [])
            print(
                f"{run['id']:>5}  {run['kind']:<8} {run['scope']:<24} {run['started_at']}"
                f"  {verdict} {failed}"
            )
        return ExitCode.OK
    run = store.get_run(args.run_id)
    if run is None or not run["report_keys"]:
        raise NotFound(f"没有编号为 {args.run_id} 的检测报告。")
    with archive.blobs.open(run["report_keys"][args.format]) as src:
        Path(args.output).write_bytes(src.read())
    print(f"已写出 {args.output}")
    return ExitCode.OK


def add_parsers(sub) -> None:
    p = sub.add_parser("check", help="四性检测：单份、全库、定期巡检，检测记录和报告")
    p.add_argument("--actor", default="cli", help="执行检测的人（写入报告）")
    p.add_argument("--json", action="store_true")
    what = p.add_subparsers(dest="what", required=True)
    r = what.add_parser("record", help="检测一条档案记录")
    r.add_argument("record_id")
    what.add_parser("all", help="检测全部记录和全库项目（档号连续性、孤立对象、审计日志）")
    s = what.add_parser("sweep", help="定期巡检：逐个读取存储对象（含各版本）校验摘要，可中断续查")
    s.add_argument(
        "--rate", type=float, default=None, help="每秒最多读取的对象数（默认 DANGAN_FIXITY_RATE）"
    )
    s.add_argument("--stop-after", type=int, default=None, help=argparse.SUPPRESS)
    s.add_argument(
        "--every", type=float, default=None, metavar="HOURS", help="常驻：每隔若干小时巡检一次"
    )
    n = what.add_parser("runs", help="最近的检测记录")
    n.add_argument("--limit", type=int, default=20)
    o = what.add_parser("report", help="取出一次检测的报告（PDF 或 xlsx）")
    o.add_argument("run_id", type=int)
    o.add_argument("--format", choices=("pdf", "xlsx"), default="pdf")
    o.add_argument("-o", "--output", required=True)
    p.set_defaults(func=cmd_check)
