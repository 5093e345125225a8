"""四性检测 at transfer (移交与接收, DA/T 93 / GB/T 31599 annex D).

Export adds to the package, before its manifest is written: the check report
(check-report.pdf / .xlsx, and check-report.json that import reads), the
电子档案移交与接收登记表 (transfer-register.pdf), and per record a metadata
XML (records/<id>/metadata.xml) in the spirit of DA/T 48's encapsulation:
the record's descriptive metadata, its files with SHA-256 and SM3, and the
check outcome. Import refuses a package whose checks fail, naming the items."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from dangan.preservation import formats, report
from dangan.preservation.digests import digest_chunks
from dangan.preservation.items import FAIL, PASS, CheckResult, count
from dangan.preservation.record_checks import check_record, prefetch_vera
from dangan.preservation.service import context, finish
from dangan.preservation.store import PreservationStore
from dangan.retention.transfer import export_package

from dangan.pdf import TableSheet, tables_pdf

REPORT_JSON = "check-report.json"
REGISTER_PDF = "transfer-register.pdf"


def export_with_checks(archive, record_ids: list[str], out: Path, actor: str) -> dict:
    """A transfer package (retention/transfer.py) with the 四性检测 report, the
    移交与接收登记表 and each record's metadata XML inside, listed in its manifest."""
    return export_package(
        archive,
        record_ids,
        out,
        actor,
        extras=lambda folder: add_to_package(archive, folder, record_ids, actor),
    )


def add_to_package(archive, folder: Path, record_ids: list[str], actor: str) -> dict:
    """Check the exported records and write the report, register and XML."""
    store = PreservationStore(archive.catalog)
    run_id = store.start_run("transfer", f"移交 {len(record_ids)} 件", actor)
    ctx = context(archive)
    results: list[CheckResult] = []
    records = []
    prefetch_vera(ctx, [archive.catalog.get(rid) for rid in record_ids])
    for rid in record_ids:
        record = archive.catalog.get(rid)
        found = check_record(ctx, record)
        results += found
        records.append((record, found))
        _write_xml(folder / "records" / rid / "metadata.xml", record, found)
    run = finish(archive, store, run_id, count(results), results, report_results=results)
    notable = [r for r in results if r.outcome != PASS]
    (folder / "check-report.pdf").write_bytes(report.report_pdf(run, results))
    (folder / "check-report.xlsx").write_bytes(report.report_xlsx(run, results))
    nbytes = sum(p.stat().st_size for p in (folder / "records").rglob("*") if p.is_file())
    payload = {
        "run": run_id,
        "verdict": run["summary"]["verdict"],
        "failed_items": run["summary"]["failed_items"],
        "records": len(record_ids),
        "bytes": nbytes,
        "failures": [vars(r) for r in notable if r.outcome == FAIL],
    }
    (folder / REPORT_JSON).write_text(json.dumps(payload, ensure_ascii=False, indent=1), "utf-8")
    (folder / REGISTER_PDF).write_bytes(register_pdf(archive, records, run, nbytes))
    return payload


def _write_xml(path: Path, record, found: list[CheckResult]) -> None:
    root = ET.Element("电子档案封装包", {"格式": "dangan-eep/1", "参照": "DA/T 48-2009"})
    meta = ET.SubElement(root, "元数据")
    for tag, value in (
        ("档号", record.archival_code), ("题名", record.title), ("类别", record.doc_type),
        ("门类", record.category), ("保管期限", record.retention), ("形成日期", record.formed_date),
        ("到期日期", record.disposal_date), ("密级", record.security_level),
        ("页数", str(record.page_count)), ("记录编号", record.id),
    ):  # fmt: skip
        ET.SubElement(meta, tag).text = value or ""
    files = ET.SubElement(root, "文件数据")
    for ref in record.files:
        if ref.role in ("original", "archive_pdf"):
            ET.SubElement(
                files, "文件",
                {"角色": ref.role, "位置": ref.key, "SHA256": ref.sha256, "字节数": str(ref.size),
                 "格式": ref.media_type},
            )  # fmt: skip
    checks = ET.SubElement(root, "四性检测")
    for r in found:
        if r.outcome != PASS:
            ET.SubElement(checks, "检测项", {"代码": r.item, "结果": r.outcome}).text = r.evidence
    checks.set("结论", FAIL if any(r.outcome == FAIL for r in found) else PASS)
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def register_pdf(archive, records, run: dict, nbytes: int) -> bytes:
    props = run["summary"]["properties"]
    verdicts = "，".join(f"{p}{'不通过' if v.get('fail') else '通过'}" for p, v in props.items())
    rows = []
    for n, (record, found) in enumerate(records, start=1):
        bad = sorted({r.item for r in found if r.outcome == FAIL})
        size = sum(f.size for f in record.files if f.role in ("original", "archive_pdf"))
        rows.append(
            [str(n), record.archival_code or record.id, record.title, str(record.page_count),
             str(size), "不通过：" + "、".join(bad) if bad else "通过"]
        )  # fmt: skip
    sheet = TableSheet(
        title="电子档案移交与接收登记表",
        header_lines=[
            f"移交单位（全宗号）：{archive.settings.fonds_code}　接收单位：________________",
            f"移交时间：{run['finished_at']}　载体：网络传输（移交包目录）",
            f"数量：{len(records)} 件，{nbytes} 字节　格式：原件 + PDF/A 存档版本 + 元数据 XML",
            f"四性检测（检测编号 {run['id']}）：{verdicts}",
        ],
        columns=["序号", "档号", "题名", "页数", "字节数", "四性检测"],
        widths=[2, 8, 10, 2, 3, 5],
        rows=rows,
        footer_lines=[
            "移交人（签字）：____________　日期：________　"
            "接收人（签字）：____________　日期：________",
            "接收检测结论：□ 通过　□ 不通过（附检测报告 check-report.pdf）",
        ],
    )
    return tables_pdf([sheet], doc_title="电子档案移交与接收登记表")


def check_package(path: Path) -> list[str]:
    """Why the package must be refused (Chinese, item codes first); empty: accept."""
    path = Path(path)
    report_file = path / REPORT_JSON
    if not report_file.is_file():
        return [f"WZ-07 移交包中没有四性检测报告 {REPORT_JSON}。"]
    checked = json.loads(report_file.read_text("utf-8"))
    problems = [
        f"{f['item']} {f['evidence']}（{f.get('record_id') or ''}）" for f in checked["failures"]
    ]
    package = json.loads((path / "package.json").read_text("utf-8"))
    files = [p for p in (path / "records").rglob("*") if p.is_file()]
    nbytes = sum(p.stat().st_size for p in files)
    if len(package["records"]) != checked["records"] or nbytes != checked["bytes"]:
        problems.append(
            f"WZ-07 件数或字节数与检测报告不符：{len(package['records'])} 件 {nbytes} 字节，"
            f"报告 {checked['records']} 件 {checked['bytes']} 字节。"
        )
    for item in package["records"]:
        folder = path / "records" / item["record_id"]
        pdf = folder / "archive.pdf"
        if pdf.is_file():
            data = pdf.read_bytes()
            facts = formats.pdf_facts(data)
            if facts.encrypted:
                problems.append(f"KY-04 {item['record_id']} 的存档 PDF 已加密。")
            if formats.identify(data).puid is None:
                problems.append(f"KY-02 {item['record_id']} 的存档 PDF 格式无法识别。")
        if not (folder / "metadata.xml").is_file():
            problems.append(f"WZ-01 {item['record_id']} 缺少元数据 XML。")
    return problems


def refuse_failing_package(path: Path) -> None:
    from dangan.retention.transfer import TransferError

    problems = check_package(path)
    if problems:
        items = sorted({p.split(" ", 1)[0] for p in problems})
        raise TransferError(
            f"移交包四性检测未通过（{'、'.join(items)}），未导入：" + "；".join(problems[:5])
        )


__all__ = ["add_to_package", "check_package", "refuse_failing_package", "digest_chunks"]
