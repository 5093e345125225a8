"""The checks of one record: its metadata, and every object it is made of,
read back from the store."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from dangan.catalog.base import SECURITY_LEVELS, Record
from dangan.preservation import formats, storage
from dangan.preservation.digests import digest_chunks
from dangan.preservation.items import FAIL, NOT_RUN, PASS, WARNING, CheckResult
from dangan.preservation.virus import Scanner

ARCHIVAL_CODE = re.compile(
    r"^[A-Z0-9]{1,16}-[A-Z0-9]{1,8}·(\d{4})-(Y|D\d{1,3})-([A-Z]{2})-(\d{4,})$"
)
NOT_PDFA = (
    "不是 PDF/A，已记录原因："  # KY-03 evidence of a plain archival copy (counted in reports)
)
HEX64 = re.compile(r"^[0-9a-f]{64}$")
ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
RETENTION = re.compile(r"^(永久|(\d{1,3})年)$")
OLDEST = date(1900, 1, 1)
EXPECTED_NAME = {"original": "original", "archive_pdf": "archive.pdf"}
# metadata every record must have (WZ-01); filed ones also their 档号
REQUIRED = {
    "title": "题名",
    "filename": "文件名",
    "sha256": "SHA-256",
    "doc_type": "类别",
    "category": "门类",
    "retention": "保管期限",
    "formed_date": "形成日期",
    "security_level": "密级",
}


def id_number_ok(value: str) -> bool:
    """GB 11643 check character of an 18-character 公民身份号码."""
    if not ID_NUMBER.match(value):
        return False
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * w for c, w in zip(value[:17], weights, strict=True))
    return "10X98765432"[total % 11] == value[17]


@dataclass
class Context:
    """What the checks share during one run."""

    archive: object
    scanner: Scanner
    fixity: dict[str, dict] = field(default_factory=dict)  # key -> fixity row
    register: list[dict] = field(default_factory=list)  # new fixity rows (filing)
    filing: bool = False
    verapdf: object = None  # preservation.pdfa.VeraPdf when installed (not at filing)
    vera: dict = field(default_factory=dict)  # key -> VeraResult fetched in a batch


def prefetch_vera(ctx: Context, records: list[Record]) -> None:
    """Validate the records' archival copies in one veraPDF run."""
    if ctx.verapdf is None or not ctx.verapdf.available:
        return
    docs = {}
    for record in records:
        ref = record.file("archive_pdf")
        if ref is not None and ref.key not in ctx.vera:
            try:
                docs[ref.key] = storage.read_bytes(ctx.archive.blobs, ref.key)
            except FileNotFoundError:
                continue
    ctx.vera.update(ctx.verapdf.validate(docs))


def _iso_date(value) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def metadata_checks(ctx: Context, record: Record) -> list[CheckResult]:
    rid = record.id
    schedule = ctx.archive.schedule()
    out: list[CheckResult] = []

    # ZS-03 type, length, format
    bad = []
    if not (isinstance(record.id, str) and 0 < len(record.id) <= 64):
        bad.append("记录编号长度不在 1–64")
    if not HEX64.match(record.sha256 or ""):
        bad.append("SHA-256 不是 64 位十六进制")
    if not isinstance(record.page_count, int) or record.page_count < 1:
        bad.append(f"页数 {record.page_count!r} 不是正整数")
    if not isinstance(record.size, int) or record.size < 0:
        bad.append(f"大小 {record.size!r} 不是非负整数")
    if not isinstance(record.title, str) or len(record.title) > 200:
        bad.append("题名超过 200 字")
    elif any(ord(c) < 32 for c in record.title):
        bad.append("题名含控制字符")
    try:
        datetime.fromisoformat(record.created_at)
    except (TypeError, ValueError):
        bad.append(f"建档时间 {record.created_at!r} 不是 ISO 8601 时间")
    for name, label in (("formed_date", "形成日期"), ("disposal_date", "到期日期")):
        value = getattr(record, name)
        if value is not None and _iso_date(value) is None:
            bad.append(f"{label} {value!r} 不是 YYYY-MM-DD")
    for number in (record.fields or {}).get("id_numbers") or []:
        if not id_number_ok(str(number)):
            bad.append(f"公民身份号码 {number} 格式或校验位不正确")
    out.append(_result("ZS-03", bad, rid, "元数据项类型、长度、格式均符合要求。"))

    # ZS-04 value ranges
    bad = []
    if record.status not in ("filed", "review"):
        bad.append(f"状态 {record.status!r} 不在值域内")
    if record.doc_type is not None and record.doc_type not in schedule:
        bad.append(f"类别 {record.doc_type!r} 不在保管期限表中")
    categories = {row.category for row in schedule.rows}
    if record.category is not None and record.category not in categories:
        bad.append(f"门类 {record.category!r} 不在保管期限表中")
    if record.retention is not None and not RETENTION.match(record.retention):
        bad.append(f"保管期限 {record.retention!r} 不是“永久”或“N年”")
    if record.security_level not in SECURITY_LEVELS:
        bad.append(f"密级 {record.security_level!r} 不在值域（{'、'.join(SECURITY_LEVELS)}）内")
    formed = _iso_date(record.formed_date)
    if formed is not None and not OLDEST <= formed <= date.today():
        bad.append(f"形成日期 {record.formed_date} 不在 {OLDEST} 至今天之间")
    if record.confidence is not None and not 0 <= record.confidence <= 1:
        bad.append(f"分类置信度 {record.confidence} 不在 0–1 之间")
    if isinstance(record.page_count, int) and record.page_count > ctx.archive.settings.max_pages:
        bad.append(f"页数 {record.page_count} 超过上限 {ctx.archive.settings.max_pages}")
    out.append(_result("ZS-04", bad, rid, "元数据项的值都在值域内。"))

    # ZS-05 metadata agrees with content and with the schedule (content parts: object checks)
    bad = []
    row = schedule.by_code.get(record.doc_type) if record.doc_type else None
    if row is not None:
        if record.category != row.category:
            bad.append(f"门类 {record.category} 与类别 {row.code} 的门类 {row.category} 不符")
        if record.retention != row.retention and not _longer(record.retention, row.retention):
            bad.append(f"保管期限 {record.retention} 短于保管期限表的 {row.retention}")
    if len(record.pages) != record.page_count:
        bad.append(f"登记页数 {record.page_count}，页面文字 {len(record.pages)} 页")
    images = [f for f in record.files if f.role == "page_image"]
    if images and len(images) != record.page_count:
        bad.append(f"登记页数 {record.page_count}，页面图像 {len(images)} 张")
    original = record.file("original")
    if original is not None:
        if original.sha256 != record.sha256:
            bad.append("记录的 SHA-256 与原件登记值不符")
        if original.size != record.size:
            bad.append(f"记录大小 {record.size} 与原件 {original.size} 字节不符")
    match = ARCHIVAL_CODE.match(record.archival_code or "")
    if match and formed is not None and int(match.group(1)) != formed.year:
        bad.append(f"档号年度 {match.group(1)} 与形成日期 {record.formed_date} 不符")
    if match and record.retention and _retention_code(record.retention) != match.group(2):
        bad.append(f"档号保管期限代码 {match.group(2)} 与保管期限 {record.retention} 不符")
    if formed is not None and record.retention and RETENTION.match(record.retention):
        from dangan.retention.schedule import disposal_date

        due = disposal_date(formed, record.retention)
        if (due.isoformat() if due else None) != record.disposal_date:
            bad.append(f"到期日期 {record.disposal_date} 与按规则计算的 {due} 不符")
    out.append(_result("ZS-05", bad, rid, "页数、大小、类别、日期、档号与内容和期限表一致。"))

    # ZS-08 档号 format
    if record.status == "filed" and not ctx.filing:  # at filing the 档号 is not given yet
        code = record.archival_code or ""
        if not match:
            out.append(CheckResult("ZS-08", FAIL, f"档号“{code}”不符合规则。", rid))
        elif record.archival_prefix and not code.startswith(record.archival_prefix + "-"):
            out.append(
                CheckResult(
                    "ZS-08", FAIL, f"档号 {code} 与前缀 {record.archival_prefix} 不符。", rid
                )
            )
        else:
            out.append(CheckResult("ZS-08", PASS, f"档号 {code} 符合规则。", rid))

    # WZ-01 required metadata
    missing = [label for name, label in REQUIRED.items() if not getattr(record, name)]
    if record.status == "filed" and not record.archival_code and not ctx.filing:
        missing.append("档号")
    if record.retention and record.retention != "永久" and not record.disposal_date:
        missing.append("到期日期")
    if record.status == "review":  # a clerk completes these when confirming
        text = "、".join(missing) + " 待复核时补录。" if missing else "必填元数据项齐全。"
        out.append(CheckResult("WZ-01", WARNING if missing else PASS, text, rid))
    else:
        out.append(_result("WZ-01", [f"缺少{m}" for m in missing], rid, "必填元数据项齐全。"))

    # WZ-03 page sequences
    bad = []
    n = record.page_count if isinstance(record.page_count, int) else 0
    text_pages = [p.page_no for p in record.pages]
    if text_pages != list(range(1, len(text_pages) + 1)):
        bad.append(f"页面文字页号为 {_runs(text_pages)}")
    image_pages = sorted(f.page_no or 0 for f in images)
    if image_pages and image_pages != list(range(1, n + 1)):
        bad.append(f"页面图像页号为 {_runs(image_pages)}，应为 1–{n}")
    out.append(_result("WZ-03", bad, rid, f"页号 1–{n} 连续。"))

    # WZ-04 the record's parts
    bad = []
    if original is None:
        bad.append("缺少原件")
    if record.file("archive_pdf") is None:
        bad.append("缺少存档 PDF")
    have = {f.page_no for f in images}
    lacking = [p for p in range(1, n + 1) if p not in have]
    if lacking:
        bad.append(f"缺少第 {_runs(lacking)} 页的页面图像")
    out.append(_result("WZ-04", bad, rid, "原件、存档 PDF 和各页页面图像齐全。"))

    # KY-05 environment
    env = record.metadata.get("environment")
    if env:
        text = "，".join(f"{k} {v}" for k, v in env.items())
        out.append(CheckResult("KY-05", PASS, f"已记录形成环境：{text}。", rid))
    elif record.metadata.get("ocr_engine"):
        out.append(
            CheckResult(
                "KY-05", WARNING,
                f"只记录了识别引擎 {record.metadata['ocr_engine']}，未记录软件版本。", rid,
            )
        )  # fmt: skip
    else:
        out.append(CheckResult("KY-05", WARNING, "未记录形成该记录的软件环境。", rid))
    return out


def object_checks(ctx: Context, record: Record) -> list[CheckResult]:
    """Read every object of the record back from the store and examine it."""
    blobs = ctx.archive.blobs
    rid = record.id
    out: list[CheckResult] = []
    prefix = f"records/{record.sha256[:2]}/{record.sha256}"
    pdf_pages = None
    for ref in record.files:
        key = ref.key
        expected = _expected_key(prefix, ref)
        real = storage.location(blobs, key)
        if real is None:
            out.append(CheckResult("WZ-06", FAIL, "目录登记的对象在存储中不存在。", rid, key))
            out.append(CheckResult("ZS-06", FAIL, "登记的存储位置上没有对象。", rid, key))
            continue
        if expected and key != expected:
            out.append(
                CheckResult("ZS-06", FAIL, f"登记位置 {key} 不是规则位置 {expected}。", rid, key)
            )
        else:
            out.append(CheckResult("ZS-06", PASS, f"实际位置 {real}。", rid, key))
        data = storage.read_bytes(blobs, key)
        sha, sm3, size = digest_chunks([data])
        if sha != ref.sha256 or size != ref.size:
            out.append(
                CheckResult(
                    "ZS-01", FAIL,
                    f"SHA-256 为 {sha[:16]}…（{size} 字节），登记值 {ref.sha256[:16]}…"
                    f"（{ref.size} 字节）：内容被改动或损坏。", rid, key,
                )
            )  # fmt: skip
        else:
            out.append(CheckResult("ZS-01", PASS, f"SHA-256 {sha[:16]}… 相符。", rid, key))
        fmt = formats.identify(data)
        known = ctx.fixity.get(key)
        if known is None:
            if ctx.filing and sha == ref.sha256:
                ctx.register.append(
                    {"key": key, "sha256": sha, "sm3": sm3, "size": size,
                     "puid": fmt.puid, "format_name": fmt.name}
                )  # fmt: skip
                out.append(CheckResult("ZS-02", PASS, f"SM3 {sm3[:16]}… 已登记。", rid, key))
            else:
                out.append(
                    CheckResult("ZS-02", WARNING, "没有登记的 SM3 摘要（归档时未登记）。", rid, key)
                )
        elif known["sm3"] != sm3:
            out.append(
                CheckResult(
                    "ZS-02", FAIL, f"SM3 为 {sm3[:16]}…，登记值 {known['sm3'][:16]}…。", rid, key
                )
            )
        else:
            out.append(CheckResult("ZS-02", PASS, f"SM3 {sm3[:16]}… 相符。", rid, key))
        out.append(_format_check(fmt, ref.role, rid, key))
        if ref.role in ("archive_pdf", "original") and ref.media_type == "application/pdf":
            pages, problem = formats.pdf_pages_render(data)
            facts = formats.pdf_facts(data)
            if problem:
                out.append(CheckResult("KY-01", FAIL, problem, rid, key))
            else:
                out.append(CheckResult("KY-01", PASS, f"能打开，{pages} 页均可渲染。", rid, key))
            out.append(
                CheckResult("KY-04", FAIL, "PDF 已加密。", rid, key)
                if facts.encrypted
                else CheckResult("KY-04", PASS, "未加密。", rid, key)
            )
            if ref.role == "archive_pdf":
                pdf_pages = pages
                if ctx.filing and not (facts.pdfa and not facts.problems):
                    # not PDF/A: the reason is recorded with the record (KY-03 warns);
                    # the OCR step's own (what in the file prevents it) comes first
                    record.metadata["pdfa_status"] = "not_pdfa"
                    record.metadata.setdefault(
                        "pdfa_reason", "".join(facts.problems) or "未能确认 PDF/A。"
                    )
                vera = ctx.vera.get(key)
                if vera is None and ctx.verapdf is not None and ctx.verapdf.available:
                    vera = ctx.verapdf.validate({key: data}).get(key)
                out.append(_pdfa_check(record, facts, fmt, rid, key, vera))
        else:
            problem = formats.image_opens(data)
            out.append(
                CheckResult("KY-01", FAIL, problem, rid, key)
                if problem
                else CheckResult("KY-01", PASS, "图像能打开。", rid, key)
            )
        if ref.role in ("original", "archive_pdf"):
            outcome, evidence = ctx.scanner.scan([data])
            out.append(CheckResult("AQ-01", outcome, evidence, rid, key))
    if pdf_pages is not None and pdf_pages != record.page_count:
        out.append(
            CheckResult(
                "ZS-05", FAIL, f"存档 PDF 有 {pdf_pages} 页，登记页数 {record.page_count}。", rid
            )
        )
    # AQ-02 stray objects in the record's own folder
    registered = {f.key for f in record.files}
    stray = [k for k in ctx.archive.blobs.list(prefix) if k not in registered]
    if record.files:
        out.append(
            CheckResult("AQ-02", FAIL, f"记录目录中有目录外的文件：{'、'.join(stray[:5])}。", rid)
            if stray
            else CheckResult("AQ-02", PASS, "记录存储目录中没有多余文件。", rid)
        )
    return out


def not_pdfa_tally(results: list[CheckResult]) -> dict:
    """Archival copies that are not PDF/A among `results`: how many records,
    and how many for each recorded reason (a record may have several)."""
    records: set[str] = set()
    reasons: dict[str, int] = {}
    for r in results:
        if r.item == "KY-03" and r.evidence.startswith(NOT_PDFA):
            records.add(r.record_id or "")
            for reason in r.evidence[len(NOT_PDFA) :].split("；"):
                reason = reason.strip().rstrip("。")
                if reason:
                    reasons[reason] = reasons.get(reason, 0) + 1
    return {"records": len(records), "reasons": reasons}


def check_record(ctx: Context, record: Record) -> list[CheckResult]:
    return metadata_checks(ctx, record) + object_checks(ctx, record)


def _format_check(fmt, role: str, rid: str, key: str) -> CheckResult:
    accepted = formats.accepted_formats()
    if fmt.puid is None:
        return CheckResult("KY-02", FAIL, f"{fmt.tool} 未能识别格式。", rid, key)
    name, roles = accepted.get(fmt.puid, (fmt.name, frozenset()))
    if role not in roles:
        return CheckResult(
            "KY-02", FAIL, f"{fmt.puid}（{fmt.name}）不在{role}的准用格式清单内。", rid, key
        )
    return CheckResult("KY-02", PASS, f"{fmt.puid}（{fmt.name}），{fmt.tool}。", rid, key)


def _pdfa_check(record: Record, facts, fmt, rid: str, key: str, vera=None) -> CheckResult:
    reason = record.metadata.get("pdfa_reason")
    if vera is not None:
        if vera.compliant:
            return CheckResult(
                "KY-03", PASS, f"veraPDF 校验通过：符合 PDF/A-{vera.flavour.upper()}。", rid, key
            )
        why = "；".join(vera.failed) or vera.error or "不符合"
        if reason and not facts.pdfa:
            return CheckResult("KY-03", WARNING, NOT_PDFA + reason, rid, key)
        claim = f"声明 PDF/A-{facts.pdfa}，" if facts.pdfa else "没有 PDF/A 声明，"
        return CheckResult("KY-03", FAIL, f"{claim}veraPDF 校验未通过：{why}", rid, key)
    if facts.pdfa and not facts.problems:
        return CheckResult(
            "KY-03", PASS,
            f"声明 PDF/A-{facts.pdfa}，结构检查通过（PRONOM {fmt.puid}；veraPDF 未安装，"
            "未做完整校验）。", rid, key,
        )  # fmt: skip
    if reason and not facts.pdfa:
        return CheckResult("KY-03", WARNING, NOT_PDFA + reason, rid, key)
    return CheckResult("KY-03", FAIL, "不是合格的 PDF/A：" + "".join(facts.problems), rid, key)


def _expected_key(prefix: str, ref) -> str | None:
    if ref.role == "archive_pdf":
        return f"{prefix}/archive.pdf"
    if ref.role == "original":
        return f"{prefix}/original{_suffix(ref.key)}"
    if ref.role == "page_image":
        return f"{prefix}/pages/{(ref.page_no or 0):04d}.jpg"
    if ref.role == "ocr_image":
        return f"{prefix}/pages/{(ref.page_no or 0):04d}.ocr.jpg"
    return None


def _suffix(key: str) -> str:
    name = key.rsplit("/", 1)[-1]
    return name[len("original") :] if name.startswith("original") else ""


def _retention_code(retention: str) -> str:
    return "Y" if retention == "永久" else f"D{retention.removesuffix('年')}"


def _longer(value: str | None, minimum: str) -> bool:
    """A retention lengthened on appraisal (永久 or more years) is not a mismatch."""
    if value == "永久":
        return True
    m, n = RETENTION.match(value or ""), RETENTION.match(minimum)
    return bool(m and n and m.group(2) and n.group(2) and int(m.group(2)) >= int(n.group(2)))


def _runs(numbers: list[int]) -> str:
    if not numbers:
        return "（无）"
    return "、".join(str(n) for n in numbers[:20]) + ("…" if len(numbers) > 20 else "")


def _result(item: str, problems: list[str], rid: str, ok: str) -> CheckResult:
    if problems:
        return CheckResult(item, FAIL, "；".join(problems) + "。", rid)
    return CheckResult(item, PASS, ok, rid)


__all__ = ["Context", "check_record", "metadata_checks", "object_checks", "NOT_RUN"]
