"""CLI commands for filing: review queue, retention schedule, reindex."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dangan.cli_common import open_archive, print_json


def cmd_review_list(args: argparse.Namespace) -> int:
    from dangan.catalog.record_json import filing_json
    from dangan.ingest.review import review_queue

    with open_archive() as archive:
        items = [
            {"record_id": r.id, "title": r.title, "filename": r.filename, **filing_json(r)}
            for r in review_queue(archive)
        ]
    if args.json:
        print_json({"total": len(items), "items": items})
        return 0
    print(f"待复核 {len(items)} 条")
    for item in items:
        print(
            f"{item['record_id']}  {item['title']}  类别={item['doc_type'] or '未定'}"
            f"  置信度={item['confidence']}"
        )
        for reason in item["review_reasons"]:
            print(f"    - {reason}")
    return 0


def cmd_review_confirm(args: argparse.Namespace) -> int:
    from dangan.catalog.record_json import filing_json
    from dangan.ingest.review import confirm

    with open_archive() as archive:
        record = confirm(
            archive,
            args.record_id,
            doc_type=args.doc_type,
            business_date=args.business_date,
            id_numbers=args.id_number,
            person_name=args.person_name,
        )
        data = {"record_id": record.id, "title": record.title, **filing_json(record)}
    if args.json:
        print_json(data)
    else:
        print(f"已确认并归档：{data['record_id']}  档号 {data['archival_code']}")
    return 0


def cmd_schedule_show(args: argparse.Namespace) -> int:
    with open_archive() as archive:
        schedule = archive.schedule()
        versions = archive.catalog.schedule_versions()
    rows = [
        {
            "code": r.code,
            "category": r.category,
            "material": r.material,
            "retention": r.retention,
            "retention_code": r.retention_code,
            "typical_titles": list(r.typical_titles),
        }
        for r in schedule.rows
    ]
    if args.json:
        print_json({"version": schedule.version, "versions": versions, "rows": rows})
        return 0
    print(f"保管期限表 第 {schedule.version} 版（共 {len(rows)} 类）")
    for row in rows:
        print(f"{row['code']:<24} {row['retention']:<6} {row['category']}  {row['material']}")
    return 0


def cmd_schedule_load(args: argparse.Namespace) -> int:
    from dangan.retention.schedule_service import load_agency_schedule

    with open_archive() as archive:
        schedule = load_agency_schedule(archive, Path(args.file), args.province)
    print(f"已导入保管期限表：第 {schedule.version} 版，共 {len(schedule.rows)} 类。")
    return 0


def cmd_reindex(args: argparse.Namespace) -> int:
    archive = open_archive(catch_up=False)

    def progress(done: int, total: int) -> None:
        print(f"\r正在重建索引：{done}/{total}", end="", file=sys.stderr, flush=True)

    try:
        count = archive.reindex(progress=progress, rebuild=args.rebuild)
    finally:
        archive.close()
    print("", file=sys.stderr)
    print(f"已重建索引：{count} 条记录。")
    return 0


def cmd_volumes_list(args: argparse.Namespace) -> int:
    from dangan.retention.volumes import list_volumes

    with open_archive() as archive:
        volumes = [v.to_json() for v in list_volumes(archive, args.year)]
    if args.json:
        print_json({"total": len(volumes), "volumes": volumes})
        return 0
    print(f"共 {len(volumes)} 卷")
    for v in volumes:
        print(
            f"{v['prefix']:<28} {v['count']:>5} 件 {v['pages']:>6} 页  {v['first']} — {v['last']}"
        )
    return 0


def _write(path: str, data: bytes) -> None:
    target = Path(path)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(target)
    print(f"已生成 {target}（{len(data)} 字节）")


def cmd_volumes_catalogue(args: argparse.Namespace) -> int:
    from dangan.retention.volumes import catalogue_pdf, get_volume

    with open_archive() as archive:
        volume = get_volume(archive, args.prefix)
    _write(args.output, catalogue_pdf(volume, args.box_size))
    return 0


def cmd_volumes_labels(args: argparse.Namespace) -> int:
    from dangan.retention.volumes import box_labels_pdf, list_volumes

    with open_archive() as archive:
        volumes = list_volumes(archive, args.year)
    _write(args.output, box_labels_pdf(volumes, args.box_size))
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("review", help="待复核队列：分类或字段不确定的记录")
    rsub = p.add_subparsers(dest="review_command", required=True)
    q = rsub.add_parser("list", help="列出待复核记录")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_review_list)
    q = rsub.add_parser("confirm", help="确认或更正一条记录并归档")
    q.add_argument("record_id")
    q.add_argument("--doc-type", help="类别代码（见 dangan schedule show）")
    q.add_argument("--business-date", help="业务办理日期 YYYY-MM-DD")
    q.add_argument("--id-number", action="append", help="正确的公民身份号码（可多次）")
    q.add_argument("--person-name")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_review_confirm)

    p = sub.add_parser("schedule", help="保管期限表")
    ssub = p.add_subparsers(dest="schedule_command", required=True)
    q = ssub.add_parser("show", help="显示现行保管期限表")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_schedule_show)
    q = ssub.add_parser("load", help="导入本机构/本省的保管期限表（只能延长期限）")
    q.add_argument("file")
    q.add_argument("--province", help="省份或机构名称，记入版本来源")
    q.set_defaults(func=cmd_schedule_load)

    p = sub.add_parser("volumes", help="整理装盒：组卷、卷内目录、盒脊标签")
    vsub = p.add_subparsers(dest="volumes_command", required=True)
    q = vsub.add_parser("list", help="列出各卷（按档号前缀：年度·保管期限·类别）")
    q.add_argument("--year")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=cmd_volumes_list)
    q = vsub.add_parser("catalogue", help="打印一卷的卷内目录（PDF）")
    q.add_argument("prefix", help="档号前缀，如 Q001-YW·2024-D100-GL")
    q.add_argument("-o", "--output", required=True, help="输出 PDF 文件")
    q.add_argument("--box-size", type=int, default=50, help="每盒件数")
    q.set_defaults(func=cmd_volumes_catalogue)
    q = vsub.add_parser("labels", help="打印盒脊标签（PDF）")
    q.add_argument("--year")
    q.add_argument("-o", "--output", required=True, help="输出 PDF 文件")
    q.add_argument("--box-size", type=int, default=50, help="每盒件数")
    q.set_defaults(func=cmd_volumes_labels)

    p = sub.add_parser("reindex", help="从目录重建全文索引")
    p.add_argument(
        "--rebuild",
        action="store_true",
        help="先删除索引、按当前映射和分片数新建再重建（重建完成前检索结果不全）",
    )
    p.set_defaults(func=cmd_reindex)
