"""`dangan demo` and `dangan samples`: the two commands that use the synthetic-form
generator (dangan.synth). They live apart so the rest of the command line, like
all production code, never imports it."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import partial
from pathlib import Path

from dangan.cli_common import open_archive

Command = Callable[[argparse.Namespace], int]


def cmd_demo(args: argparse.Namespace, *, ingest: Command, serve: Command) -> int:
    from dangan.config import Settings
    from dangan.synth import generate_corpus

    settings = Settings.from_env()
    samples = settings.home / "samples"
    print(f"正在生成 {args.count} 份示例扫描件：{samples}", flush=True)
    docs = generate_corpus(samples, args.count, seed=args.seed)
    ns = argparse.Namespace(paths=[str(d.path) for d in docs], json=False)
    ingest(ns)
    _demo_user(settings)
    if args.no_serve:
        return 0
    return serve(argparse.Namespace(host=None, port=None))


def _demo_user(settings) -> None:
    """A demo account holding every business desk's role but the agency head's,
    and the security auditor's (not the two administrators': 三员分立), its
    password generated once and kept (owner-only) in the data directory."""
    from dangan.access.passwords import generate_password
    from dangan.access.store import SqliteAccountStore

    secret = settings.home / "demo-password.txt"
    archive = open_archive()
    try:
        accounts = SqliteAccountStore(archive.catalog)
        if not any(u["username"] == "demo" for u in accounts.list_users()):
            password = generate_password()
            roles = {"clerk", "caseworker", "compliance", "auditor"}
            accounts.add_user("demo", "演示用户", roles, password)
            secret.write_text(password + "\n", encoding="utf-8")
            secret.chmod(0o600)
    finally:
        archive.close()
    if secret.is_file():
        password = secret.read_text(encoding="utf-8").strip()
        print(f"演示账号：demo  密码：{password}（保存在 {secret}）", flush=True)


def cmd_samples(args: argparse.Namespace) -> int:
    from dangan.synth import generate_corpus, write_bad_files

    docs = generate_corpus(Path(args.out), args.count, seed=args.seed)
    for doc in docs:
        print(f"{doc.path}  {doc.format}  {doc.doc_type}  {doc.title}")
    if args.bad:
        for path in write_bad_files(Path(args.out) / "bad").values():
            print(f"{path}  bad")
    return 0


def add_parsers(sub, *, ingest: Command, serve: Command) -> None:
    """`demo` ingests and serves with the main CLI's own commands, handed in."""
    p = sub.add_parser("demo", help="生成示例扫描件、导入并启动网页界面")
    p.add_argument("--count", type=int, default=12)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-serve", action="store_true", help="导入后不启动网页界面")
    p.set_defaults(func=partial(cmd_demo, ingest=ingest, serve=serve))

    p = sub.add_parser("samples", help="生成合成扫描件（含标注）")
    p.add_argument("out")
    p.add_argument("--count", type=int, default=20)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--bad", action="store_true", help="同时生成各类问题文件")
    p.set_defaults(func=cmd_samples)
