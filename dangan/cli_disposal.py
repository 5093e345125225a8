"""CLI for appraisal and destruction: `dangan retention …`.

Each command names the acting person with --actor (a dangan user); their roles
decide what they may do, exactly as in the web UI, so separation of duties
holds on the command line too."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from dangan.cli_common import open_archive, print_json


def _actor(archive, username: str):
    from dangan.access.store import AccessError, SqliteAccountStore

    for user in SqliteAccountStore(archive.catalog).list_users():
        if user["username"] == username and not user["disabled"]:
            from dangan.access.store import Principal

            return Principal(username, user["display_name"], frozenset(user["roles"].split(",")))
    raise AccessError(f"没有用户“{username}”（用 dangan users add 建立，并授予相应角色）。")


def _date(text: str | None) -> date:
    return date.fromisoformat(text) if text else date.today()


def cmd_due(args):
    from dangan.retention.procedure import due_summary

    with open_archive() as archive:
        data = due_summary(archive, _date(args.as_of))
    if args.json:
        print_json(data)
        return 0
    print(f"截至 {data['as_of']} 到期可鉴定的档案：{data['total']} 件")
    for g in data["groups"]:
        print(f"  {g['doc_type']:<24} {g['year']}  {g['count']:>4} 件  {g['material']}")
    print(
        f"已冻结（不得销毁）：{len(data['held'])} 件；已在鉴定批次中：{len(data['in_review'])} 件"
    )
    return 0


def cmd_hold_place(args):
    from dangan.retention.procedure import place_hold, resolve_records

    with open_archive() as archive:
        actor = _actor(archive, args.actor)
        ids = resolve_records(
            archive, record_ids=args.record, person=args.person, unit=args.unit, query=args.query
        )
        hold_id = place_hold(
            archive, actor, kind=args.kind, reason=args.reason, owner=args.owner, record_ids=ids
        )
    print(f"已冻结 {len(ids)} 件档案（冻结编号 {hold_id}）。")
    return 0


def cmd_hold_lift(args):
    from dangan.retention.procedure import lift_hold

    with open_archive() as archive:
        lift_hold(archive, _actor(archive, args.actor), args.hold_id, args.reason)
    print(f"冻结 {args.hold_id} 已解除。")
    return 0


def cmd_hold_list(args):
    from dangan.retention.procedure import list_holds

    with open_archive() as archive:
        holds = list_holds(archive, active_only=not args.all)
    if args.json:
        print_json({"holds": holds})
    else:
        for h in holds:
            state = f"已解除（{h['lifted_by']}）" if h["lifted_at"] else "有效"
            print(
                f"{h['id']:>4} {h['kind_label']} {h['records']} 件 {h['reason']} 负责人 {h['owner']} {state}"
            )
    return 0


def cmd_batch_create(args):
    from dangan.retention.procedure import create_batch

    with open_archive() as archive:
        batch_id = create_batch(
            archive,
            _actor(archive, args.actor),
            _date(args.as_of),
            doc_type=args.doc_type,
            year=args.year,
            title=args.title,
        )
    print(f"已建立鉴定批次 {batch_id}。")
    return 0


def cmd_batch_show(args):
    from dangan.retention.procedure import get_batch, list_batches

    with open_archive() as archive:
        data = (
            get_batch(archive, args.batch_id)
            if args.batch_id
            else {"batches": list_batches(archive)}
        )
    print_json(data)
    return 0


def cmd_appraise(args):
    from dangan.retention.procedure import appraise

    with open_archive() as archive:
        n = appraise(
            archive,
            _actor(archive, args.actor),
            args.batch_id,
            decision=args.decision,
            reason=args.reason,
            record_ids=args.record,
            extend_years=args.extend_years,
        )
    print(f"已记录 {n} 件的鉴定意见。")
    return 0


def cmd_approve(args):
    from dangan.retention.procedure import approve

    with open_archive() as archive:
        approve(archive, _actor(archive, args.actor), args.batch_id, args.note or "")
    print(f"批次 {args.batch_id} 已审批。")
    return 0


def _supervisor_passwords(usernames: list[str], from_stdin: bool) -> list[tuple[str, str]]:
    """Each supervisor types their own password: at a prompt, or one line each
    on standard input (in the order of --supervisor)."""
    import getpass

    from dangan.retention.procedure import RetentionError

    if from_stdin:
        lines = sys.stdin.read().splitlines()
        if len(lines) < len(usernames):
            raise RetentionError("标准输入中的口令少于监销人数：每名监销人一行口令。")
        return list(zip(usernames, lines, strict=False))
    if not sys.stdin.isatty():
        raise RetentionError(
            "请在终端上由监销人本人输入口令，或用 --passwords-stdin 每行提供一个口令。"
        )
    return [(u, getpass.getpass(f"监销人 {u} 请输入本人口令：")) for u in usernames]


def cmd_execute(args):
    from dangan.retention.destruction import execute

    with open_archive() as archive:
        actor = _actor(archive, args.actor)
        credentials = _supervisor_passwords(args.supervisor, args.passwords_stdin)
        result = execute(archive, actor, args.batch_id, credentials, args.method)
    if args.json:
        print_json(result)
    else:
        print(
            f"批次 {args.batch_id} 销毁完毕：{result['destroyed']} 件，因冻结跳过 {result['skipped']} 件。"
        )
    return 0


def cmd_document(args):
    from dangan.retention.procedure import get_batch

    with open_archive() as archive:
        batch = get_batch(archive, args.batch_id)
        if args.kind in batch["documents"]:
            with archive.blobs.open(batch["documents"][args.kind]) as fh:
                data = fh.read()
        else:
            from dangan.retention import destruction

            builders = {
                "register_pdf": destruction.register_pdf,
                "register_csv": destruction.register_csv,
            }
            if args.kind not in builders:
                from dangan.retention.procedure import RetentionError

                raise RetentionError("销毁证明在销毁完毕后才生成。")
            data = builders[args.kind](batch)
    Path(args.output).write_bytes(data)
    print(f"已生成 {args.output}")
    return 0


def cmd_export(args):
    from dangan.catalog.base import RecordFilter
    from dangan.preservation.transfer import export_with_checks as export_package

    with open_archive() as archive:
        ids = list(args.record or [])
        filters = RecordFilter(
            person=args.person,
            doc_type=args.doc_type,
            date_from=f"{args.year}-01-01" if args.year else None,
            date_to=f"{args.year}-12-31" if args.year else None,
        )
        if not filters.is_empty():
            found = archive.index.search("", filters=filters, limit=100000)
            ids += [h.record_id for h in found.hits]
        result = export_package(archive, list(dict.fromkeys(ids)), Path(args.out), args.actor)
    print(f"已导出移交包 {result['package']}：{result['records']} 件。")
    return 0


def cmd_export_verify(args):
    from dangan.retention.transfer import verify_package

    problems = verify_package(Path(args.package))
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        return 12
    print("移交包完整：所有文件与清单和元数据一致。")
    return 0


def cmd_import(args):
    from dangan.ingest.receive import import_package

    with open_archive() as archive:
        results = import_package(archive, Path(args.package), args.actor)
    if args.json:
        print_json({"results": results})
    else:
        print(
            f"已导入 {sum(r['status'] != 'rejected' for r in results)} 件，拒收 "
            f"{sum(r['status'] == 'rejected' for r in results)} 件。"
        )
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    from dangan.retention.destruction import METHODS
    from dangan.retention.procedure import HOLD_KINDS

    p = sub.add_parser("retention", help="保管期限到期鉴定、冻结、销毁")
    r = p.add_subparsers(dest="retention_command", required=True)

    q = r.add_parser("due", help="到期档案清单（按类别和年度）")
    q.add_argument("--as-of", help="截至日期 YYYY-MM-DD（默认今天）")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_due)

    q = r.add_parser("hold", help="冻结档案（稽核、诉讼、信访……），冻结的档案不得销毁")
    q.add_argument("--actor", required=True)
    q.add_argument("--kind", required=True, choices=list(HOLD_KINDS))
    q.add_argument("--reason", required=True)
    q.add_argument("--owner", required=True, help="冻结负责人")
    q.add_argument("--record", action="append", help="档案编号（可多次）")
    q.add_argument("--person", help="公民身份号码")
    q.add_argument("--unit", help="统一社会信用代码或单位编号")
    q.add_argument("--query", help="全文检索条件")
    q.set_defaults(func=cmd_hold_place)
    q = r.add_parser("unhold", help="解除冻结（鉴定小组）")
    q.add_argument("hold_id", type=int)
    q.add_argument("--actor", required=True)
    q.add_argument("--reason", required=True)
    q.set_defaults(func=cmd_hold_lift)
    q = r.add_parser("holds", help="列出冻结")
    q.add_argument("--all", action="store_true", help="含已解除的")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_hold_list)

    q = r.add_parser("batch", help="从到期清单建立鉴定批次")
    q.add_argument("--actor", required=True)
    q.add_argument("--as-of")
    q.add_argument("--doc-type")
    q.add_argument("--year")
    q.add_argument("--title")
    q.set_defaults(func=cmd_batch_create)
    q = r.add_parser("show", help="查看批次（不给编号则列出全部）")
    q.add_argument("batch_id", type=int, nargs="?")
    q.set_defaults(func=cmd_batch_show)
    q = r.add_parser("appraise", help="鉴定意见：销毁，或继续保存并延长年限")
    q.add_argument("batch_id", type=int)
    q.add_argument("--actor", required=True)
    q.add_argument("--decision", required=True, choices=["destroy", "keep"])
    q.add_argument("--reason", required=True)
    q.add_argument("--extend-years", type=int)
    q.add_argument("--record", action="append", help="只对这些记录（默认全部）")
    q.set_defaults(func=cmd_appraise)
    q = r.add_parser("approve", help="机构负责人审批（建立人和鉴定人不能审批）")
    q.add_argument("batch_id", type=int)
    q.add_argument("--actor", required=True)
    q.add_argument("--note")
    q.set_defaults(func=cmd_approve)
    q = r.add_parser("execute", help="在两名监销人监督下执行销毁（中断后可重新执行）")
    q.add_argument("batch_id", type=int)
    q.add_argument("--actor", required=True)
    q.add_argument(
        "--supervisor",
        action="append",
        required=True,
        help="监销人的用户名（两名，本系统登记的用户，不能是执行人）",
    )
    q.add_argument(
        "--passwords-stdin",
        action="store_true",
        help="从标准输入读取监销人口令（每行一个，顺序同 --supervisor）；默认在终端逐个询问",
    )
    q.add_argument("--method", default=METHODS[0])
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_execute)
    q = sub.add_parser("export", help="移交：把档案写成可独立校验的移交包")
    q.add_argument("out", help="新目录")
    q.add_argument("--record", action="append", help="档案编号（可多次）")
    q.add_argument("--doc-type")
    q.add_argument("--year")
    q.add_argument("--person", help="公民身份号码")
    q.add_argument("--actor", default="cli")
    q.set_defaults(func=cmd_export)
    q = sub.add_parser(
        "export-verify", help="校验移交包（也可用 sha256sum -c manifest-sha256.txt）"
    )
    q.add_argument("package")
    q.set_defaults(func=cmd_export_verify)
    q = sub.add_parser("import-package", help="导入移交包（先校验）")
    q.add_argument("package")
    q.add_argument("--actor", default="cli")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_import)

    q = r.add_parser("document", help="导出销毁清册（PDF/CSV）或销毁证明")
    q.add_argument("batch_id", type=int)
    q.add_argument("kind", choices=["register_pdf", "register_csv", "certificate_pdf"])
    q.add_argument("-o", "--output", required=True)
    q.set_defaults(func=cmd_document)
