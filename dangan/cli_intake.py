"""CLI commands for the intake queue: submit files, run workers, watch a batch."""

from __future__ import annotations

import argparse
import secrets
import shutil
import signal
import threading
import time
from pathlib import Path

from dangan import workdirs
from dangan.cli_common import open_archive, print_json


def cmd_submit(args: argparse.Namespace) -> int:
    """Queue files (copies) for the workers; prints the batch."""
    from dangan.ingest.intake import IntakeQueue
    from dangan.ingest.pipeline import expand_paths

    with open_archive() as archive:
        queue = IntakeQueue(archive)
        batch = args.batch or secrets.token_hex(6)
        jobs = []
        for path in expand_paths([Path(p) for p in args.paths]):
            tmp = workdirs.make_file(archive.settings.work_root, "submit")
            shutil.copyfile(path, tmp)
            jobs.append({"id": queue.submit(batch, path.name, tmp, "cli"), "file": str(path)})
    if args.json:
        print_json({"batch": batch, "jobs": jobs})
    else:
        print(f"已排队 {len(jobs)} 个文件，批次 {batch}。")
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Process queued jobs until stopped (or, with --until-empty, until none is left)."""
    from dangan.ingest.intake import IntakeQueue
    from dangan.ingest.runners import runner_for

    archive = open_archive()
    queue = IntakeQueue(archive)
    worker = runner_for(queue, args.threads)
    if args.threads > 0:
        archive.engine.start(args.threads)  # OCR processes load their models meanwhile
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    worker.start()
    print(f"识别工作进程已启动（{worker.name}，{args.threads} 个线程）。", flush=True)
    try:
        while not stopping.wait(1):
            if args.until_empty and queue.pending() == 0:
                break
    finally:
        worker.stop()
        archive.close()
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    from dangan.ingest.intake import IntakeQueue

    with open_archive() as archive:
        jobs = IntakeQueue(archive).batch(args.batch)
        while args.wait and any(j["state"] != "done" for j in jobs):
            time.sleep(1)
            jobs = IntakeQueue(archive).batch(args.batch)
    if args.json:
        print_json({"batch": args.batch, "jobs": jobs})
    else:
        for j in jobs:
            outcome = j["status"] or j["stage_label"]
            print(f"{j['filename']:<40} {outcome:<10} {j['record_id'] or ''} {j['error'] or ''}")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("submit", help="把文件放入识别队列（由 serve 或 worker 处理）")
    p.add_argument("paths", nargs="+")
    p.add_argument("--batch", help="批次编号（默认自动生成）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_submit)
    p = sub.add_parser("worker", help="运行识别工作进程（可在多台机器、多个进程上同时运行）")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--until-empty", action="store_true", help="队列处理完即退出")
    p.set_defaults(func=cmd_worker)
    p = sub.add_parser("batch", help="查看一个批次的处理进度")
    p.add_argument("batch")
    p.add_argument("--wait", action="store_true", help="等待全部完成")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_batch)
