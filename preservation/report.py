"""Check reports (四性检测报告) as PDF and xlsx, in Chinese: the run, a
summary per property, a line per item, and every failing or warning result.
Stored permanently in the blob store under preservation/reports/."""

from __future__ import annotations

import io

from dangan.preservation.items import ITEMS, NOT_RUN, OUTCOME_LABELS, PASS, PROPERTIES, CheckResult

from dangan.pdf import TableSheet, tables_pdf

KIND_LABELS = {
    "filing": "归档环节",
    "record": "单份检测",
    "archive": "全库检测",
    "sweep": "定期巡检（长期保存）",
    "transfer": "移交与接收",
}
VERDICT = {"pass": "通过", "fail": "不通过"}
RESULT_COLUMNS = ["序号", "检测项", "检测项名称", "四性", "结果", "记录", "对象", "证据"]
PREFIX = "preservation/reports"
PDF_ROWS = 2000  # result lines in the PDF; the xlsx has them all


def _header(run: dict) -> list[str]:
    s = run["summary"]
    lines = [
        f"检测编号：{run['id']}　环节：{KIND_LABELS.get(run['kind'], run['kind'])}"
        f"　范围：{run['scope']}　执行人：{run['actor']}",
        f"开始：{run['started_at']}　结束：{run.get('finished_at') or '（进行中）'}",
        f"结论：{VERDICT.get(s.get('verdict'), '')}"
        + (f"　不通过的检测项：{'、'.join(s['failed_items'])}" if s.get("failed_items") else ""),
    ]
    if run.get("objects"):
        lines.append(f"检查对象：{run['objects']} 个，{run['bytes'] / 1e6:.1f} MB")
    if (not_pdfa := s.get("not_pdfa") or {}).get("records"):
        why = "；".join(f"{reason} {n} 件" for reason, n in not_pdfa["reasons"].items())
        lines.append(f"存档版本不是 PDF/A 的记录：{not_pdfa['records']} 件（已记录原因：{why}）")
    if s.get("not_run_items"):
        lines.append(f"未检测的检测项：{'、'.join(s['not_run_items'])}（见证据栏说明，未按通过计）")
    if s.get("environment"):
        lines.append("检测环境：" + "，".join(f"{k} {v}" for k, v in s["environment"].items()))
    return lines


def _property_rows(summary: dict) -> list[list[str]]:
    rows = []
    for prop in PROPERTIES:
        per = summary["properties"].get(prop, {})
        verdict = "不通过" if per.get("fail") else "通过"
        rows.append([prop, *(str(per.get(o, 0)) for o in OUTCOME_LABELS), verdict])
    return rows


def _item_rows(summary: dict) -> list[list[str]]:
    rows = []
    for code, item in ITEMS.items():
        per = summary["items"].get(code)
        if not per:
            continue
        verdict = (
            "不通过" if per.get("fail") else "警告" if per.get("warning")
            else "未检测" if per.get("not_run") and not per.get("pass") else "通过"
        )  # fmt: skip
        counts = "，".join(f"{OUTCOME_LABELS[o]} {n}" for o, n in per.items() if n)
        rows.append([code, item.name, item.prop, item.dat70, counts, verdict])
    return rows


def _result_rows(results: list[CheckResult]) -> list[list[str]]:
    return [
        [
            str(n), r.item, r.spec.name, r.spec.prop, OUTCOME_LABELS[r.outcome],
            r.record_id or "", r.object_key or "", r.evidence,
        ]
        for n, r in enumerate(results, start=1)
    ]  # fmt: skip


def condensed(results: list[CheckResult]) -> list[CheckResult]:
    """Failures and warnings one by one; 未检测 once per item with a count
    (an unconfigured scanner would otherwise fill the report)."""
    out = [r for r in results if r.outcome != NOT_RUN]
    skipped: dict[str, list[CheckResult]] = {}
    for r in results:
        if r.outcome == NOT_RUN:
            skipped.setdefault(r.item, []).append(r)
    for item, rows in skipped.items():
        out.append(CheckResult(item, NOT_RUN, f"{rows[0].evidence}（共 {len(rows)} 个对象）"))
    return out


def report_pdf(run: dict, results: list[CheckResult]) -> bytes:
    summary = run["summary"]
    notable = condensed([r for r in results if r.outcome != PASS])
    sheets = [
        TableSheet(
            title="电子档案四性检测报告",
            header_lines=_header(run),
            columns=["四性", *OUTCOME_LABELS.values(), "结论"],
            widths=[3, 2, 2, 2, 2, 2],
            rows=_property_rows(summary),
            footer_lines=[
                "检测依据：DA/T 70-2018《文书类电子档案检测一般要求》，GB/T 31599-2015 第 7 章。",
                "PDF/A 检测（KY-03）：安装了 veraPDF 时以 veraPDF 完整校验，否则为声明与结构检查"
                "（输出意图、字体嵌入、加密、脚本、嵌入文件），证据栏写明用的是哪一种。",
            ],
        ),
        TableSheet(
            title="检测项汇总",
            columns=["检测项", "名称", "四性", "对应 DA/T 70 检测项", "结果统计", "结论"],
            widths=[2, 5, 2, 6, 5, 2],
            rows=_item_rows(summary),
        ),
        TableSheet(
            title="不通过、警告和未检测的结果",
            columns=RESULT_COLUMNS,
            widths=[2, 2.5, 5, 2, 2, 5, 8, 12],
            rows=_result_rows(notable[:PDF_ROWS]) or [["", "", "（无）", "", "", "", "", ""]],
            footer_lines=[
                *(
                    [f"另有 {len(notable) - PDF_ROWS} 条见 xlsx 报告。"]
                    if len(notable) > PDF_ROWS
                    else []
                ),
                "本报告永久保存。",
            ],
        ),
    ]
    if len(results) <= PDF_ROWS and any(r.outcome == PASS for r in results):
        sheets.append(
            TableSheet(
                title="全部检测结果",
                columns=RESULT_COLUMNS,
                widths=[2, 2.5, 5, 2, 2, 5, 8, 12],
                rows=_result_rows(results),
            )
        )
    return tables_pdf(sheets, doc_title=f"四性检测报告 {run['id']}", landscape=True)


def report_xlsx(run: dict, results: list[CheckResult]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    summary = run["summary"]
    book = Workbook()
    sheet = book.active
    sheet.title = "汇总"
    sheet.append(["电子档案四性检测报告"])
    sheet["A1"].font = Font(bold=True, size=14)
    for line in _header(run):
        sheet.append([line])
    sheet.append([])
    sheet.append(["四性", *OUTCOME_LABELS.values(), "结论"])
    header_row = sheet.max_row
    for row in _property_rows(summary):
        sheet.append([row[0], *(int(v) for v in row[1:-1]), row[-1]])
    items = book.create_sheet("检测项")
    items.append(["检测项", "名称", "四性", "对应 DA/T 70 检测项", "结果统计", "结论"])
    for row in _item_rows(summary):
        items.append(row)
    details = book.create_sheet("不通过和警告")
    details.append(RESULT_COLUMNS)
    for row in _result_rows(condensed([r for r in results if r.outcome != PASS])):
        details.append([int(row[0]), *row[1:]])
    for ws in (sheet, items, details):
        for cell in ws[header_row if ws is sheet else 1]:
            cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def store_reports(archive, run: dict, results: list[CheckResult]) -> dict[str, str]:
    prefix = f"{PREFIX}/{run['id']:06d}"
    pdf_bytes, xlsx_bytes = report_pdf(run, results), report_xlsx(run, results)
    pdf = archive.blobs.put_bytes(f"{prefix}/report.pdf", pdf_bytes)
    xlsx = archive.blobs.put_bytes(f"{prefix}/report.xlsx", xlsx_bytes)
    register_digests(archive, [(pdf, pdf_bytes), (xlsx, xlsx_bytes)])
    return {"pdf": pdf.key, "xlsx": xlsx.key}


def register_digests(archive, infos_and_bytes) -> None:
    """Reports are permanent records too: their digests go into the fixity register."""
    from dangan.preservation.digests import digest_chunks
    from dangan.preservation.store import PreservationStore

    entries = []
    for info, data in infos_and_bytes:
        sha, sm3, size = digest_chunks([data])
        entries.append({"key": info.key, "sha256": sha, "sm3": sm3, "size": size})
    PreservationStore(archive.catalog).register(entries)
