"""The `dangan` command. Thin: parse arguments, call services, print."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from dangan import cli_access, cli_check, cli_disposal, cli_filing, cli_intake, cli_samples
from dangan.cli_common import open_archive as _open
from dangan.cli_common import print_json as _print_json
from dangan.errors import DanganError, ExitCode, NotFound


def cmd_ingest(args: argparse.Namespace) -> int:
    from dangan.ingest.pipeline import ingest_paths

    archive = _open()
    rejected = 0
    try:
        for result in ingest_paths(archive, [Path(p) for p in args.paths]):
            rejected += result.status == "rejected"
            if args.json:
                _print_json(result.to_json())
            else:
                label = {"archived": "已归档", "duplicate": "重复", "rejected": "已拒收"}[
                    result.status
                ]
                detail = result.record_id or ""
                if result.status == "archived":
                    detail += f"（{result.pages} 页）{result.title or ''}"
                    code = result.filing.get("archival_code")
                    detail += f" 档号 {code}" if code else " 待复核"
                if result.error:
                    detail += f" {result.error}"
                print(f"[{label}] {result.file} {detail}".rstrip())
    finally:
        archive.close()
    return ExitCode.REJECTED if rejected else ExitCode.OK


def cmd_search(args: argparse.Namespace) -> int:
    from dangan.catalog.base import RecordFilter
    from dangan.catalog.search import search_records

    filters = RecordFilter(
        person=args.person,
        unit=args.unit,
        doc_type=args.doc_type,
        category=args.category,
        retention=args.retention,
        date_from=args.date_from,
        date_to=args.date_to,
    )
    archive = _open()
    try:
        result = search_records(
            archive.catalog,
            archive.index,
            args.query,
            filters=None if filters.is_empty() else filters,
            limit=args.limit,
            offset=args.offset,
        )
    finally:
        archive.close()
    if args.json:
        _print_json(result.to_json())
    else:
        print(f"共 {'' if result.total_exact else '超过 '}{result.total} 条记录")
        for hit in result.hits:
            pages = "、".join(str(p) for p in hit.pages) or "标题"
            print(f"{hit.record_id}  {hit.title}  第 {pages} 页  {hit.snippet}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from dangan.catalog.record_json import record_json

    archive = _open()
    try:
        record = archive.catalog.get(args.record_id)
        if record is None:
            raise NotFound(f"没有编号为 {args.record_id} 的档案记录。")
        data = record_json(record)
    finally:
        archive.close()
    if args.json:
        _print_json(data)
    else:
        print(f"{data['record_id']}  {data['title']}  {data['page_count']} 页  {data['filename']}")
        print(
            f"档号 {data['archival_code'] or '（待复核）'}  类别 {data['doc_type']}  "
            f"{data['category']}  保管期限 {data['retention_note'] or data['retention']}  到期 {data['disposal_date'] or '—'}"
        )
        for reason in data["review_reasons"]:
            print(f"  待复核：{reason}")
        for page in data["pages"]:
            print(f"--- 第 {page['page_no']} 页 ---")
            print(page["text"])
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from dangan.api.app import create_app
    from dangan.archive import Archive
    from dangan.config import Settings

    settings = Settings.from_env()
    host = args.host or settings.host
    port = args.port or settings.port
    Archive.open(settings).close()  # a wrong backend setting fails here, with its name
    print(f"dangan 已启动：http://{host}:{port}/  （按 Ctrl+C 停止）", flush=True)
    # X-Forwarded-* are honoured by the app itself, from DANGAN_TRUSTED_PROXIES only
    options = {"host": host, "port": port, "log_level": "warning", "proxy_headers": False}
    if settings.web_processes > 1:
        # each process makes its app from the same environment (api/background.py)
        uvicorn.run(
            "dangan.api.app:create_app", factory=True, workers=settings.web_processes, **options
        )
    else:
        uvicorn.run(create_app(settings), **options)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Bring the catalog database to the newest schema (every command does it
    on opening; this one does only that, e.g. before workers are rolled out)."""
    from dangan.archive import database_errors
    from dangan.catalog.db import open_database
    from dangan.catalog.migrate import current_revision, upgrade
    from dangan.catalog.migrations import HEAD
    from dangan.config import Settings

    settings = Settings.from_env()
    settings.ensure_dirs()
    db = open_database(settings.database_url, settings.catalog_path)
    try:
        with database_errors():
            before = current_revision(db)
            if before == HEAD:
                print(f"目录数据库结构已是最新（版本 {HEAD}）。")
                return 0
            if args.check:
                print(f"目录数据库结构需要升级：当前版本 {before or '无'}，最新版本 {HEAD}。")
                return ExitCode.FAILED
            upgrade(db)
        print(f"目录数据库结构已升级：版本 {before or '无'} → {HEAD}。")
        return 0
    finally:
        db.close()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dangan", description="医保业务档案数字化与管理")
    parser.add_argument("-v", "--verbose", action="store_true", help="输出详细日志")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="导入扫描件（文件或文件夹）")
    p.add_argument("paths", nargs="+")
    p.add_argument("--json", action="store_true", help="每个文件输出一行 JSON")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("search", help="全文检索，可按人员、单位、类别、期限、日期筛选")
    p.add_argument("query", nargs="?", default="")
    p.add_argument("--json", action="store_true")
    p.add_argument("--person", help="公民身份号码（精确）")
    p.add_argument("--unit", help="统一社会信用代码或单位编号（精确）")
    p.add_argument("--doc-type", help="类别代码")
    p.add_argument("--category", help="门类，如 管理类")
    p.add_argument("--retention", help="保管期限，如 永久、30年")
    p.add_argument("--from", dest="date_from", help="业务日期起 YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", help="业务日期止 YYYY-MM-DD")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--offset", type=int, default=0)
    p.set_defaults(func=cmd_search)

    p = sub.add_parser("show", help="显示一条档案记录")
    p.add_argument("record_id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)

    p = sub.add_parser("serve", help="启动网页界面和 HTTP API")
    p.add_argument("--host")
    p.add_argument("--port", type=int)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("migrate", help="把目录数据库升级到最新结构（各命令启动时也会自动升级）")
    p.add_argument("--check", action="store_true", help="只检查，不升级；需要升级时退出码为 1")
    p.set_defaults(func=cmd_migrate)

    cli_filing.add_parsers(sub)
    cli_access.add_parsers(sub)
    cli_intake.add_parsers(sub)
    cli_disposal.add_parsers(sub)
    cli_check.add_parsers(sub)

    cli_samples.add_parsers(sub, ingest=cmd_ingest, serve=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args)
    except DanganError as exc:
        sys.stderr.write(f"错误：{exc.message}\n")
        return int(exc.exit_code)
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
