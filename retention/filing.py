"""Filing rules: from a classification and extracted fields to category,
retention, disposal date, review reasons and the 档号 prefix.

档号 (DA/T 22-2015, DA/T 13-2022):
    全宗号-门类代码·年度-保管期限代码-机构(问题)代码-件号
e.g. Q001-YW·2024-D100-GL-0007. The catalog appends the 件号 inside the
transaction that files the record, so numbers have no gaps or repeats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dangan.catalog.base import Record
from dangan.retention.schedule import Schedule, disposal_date

# 机构(问题)代码 by schedule category (assumed; an agency may map its own).
ISSUE_CODES = {
    "管理类": "GL",
    "征缴类": "ZJ",
    "医疗保险待遇类": "DY",
    "生育保险待遇类": "SY",
    "稽核监管类": "JH",
    "统计报表类": "TJ",
}


@dataclass(frozen=True)
class FilingPolicy:
    fonds_code: str = "Q001"
    archive_type_code: str = "YW"  # 门类代码: 业务档案
    review_threshold: float = 0.8


def archival_prefix(policy: FilingPolicy, year: int, retention_code: str, category: str) -> str:
    issue = ISSUE_CODES.get(category, "QT")
    return f"{policy.fonds_code}-{policy.archive_type_code}·{year}-{retention_code}-{issue}"


# 密级 given by default to records of these categories (a clerk may change it).
RESTRICTED_CATEGORIES = frozenset({"稽核监管类"})


def default_security_level(category: str | None) -> str:
    return "restricted" if category in RESTRICTED_CATEGORIES else "internal"


def apply_filing(
    record: Record,
    *,
    doc_type: str | None,
    confidence: float,
    fields: dict,
    schedule: Schedule,
    policy: FilingPolicy,
    today: date,
    confirmed: bool = False,
    unknown_reason: str | None = None,
) -> Record:
    """Fill the record's filing attributes. A clerk's confirmation (`confirmed`)
    files the record whatever the confidence; otherwise any doubt sends it to
    the review queue with reasons a clerk can act on. `unknown_reason` says why
    the classifier proposes no class (e.g. 不是已知门类的业务档案).

    While the class is in doubt (no class, or one below the review threshold)
    no disposal date and no 档号 prefix are stored: they would be counted from
    a class nobody has confirmed."""
    reasons: list[str] = []
    record.fields = fields
    record.confidence = round(confidence, 4)
    record.schedule_version = schedule.version
    row = schedule.by_code.get(doc_type) if doc_type else None
    doubtful = row is None
    if row is None:
        reasons.append(unknown_reason or "无法确定档案类别，请人工选择类别。")
        record.doc_type = record.category = record.retention = None
    else:
        record.doc_type, record.category, record.retention = row.code, row.category, row.retention
        if not confirmed and confidence < policy.review_threshold:
            doubtful = True
            reasons.append(
                f"分类“{row.material}”的置信度 {confidence:.2f} 低于阈值 {policy.review_threshold:.2f}，请确认类别。"
            )
    for bad in fields.get("invalid_id_numbers") or []:
        if not confirmed:
            reasons.append(f"公民身份号码“{bad}”校验位不正确，可能识别有误，请核对原件。")
    formed = _parse_date(fields.get("business_date"))
    if formed is None:
        if not confirmed:
            # no date is invented for a record waiting for review: neither the
            # business date nor the disposal date counted from it
            reasons.append("未识别到业务办理日期，请补录（保管期限从形成年度的次年起算）。")
        else:
            formed = today
    record.formed_date = formed.isoformat() if formed else None
    record.disposal_date = None
    record.archival_prefix = None
    if row is not None and formed is not None and not doubtful:
        due = disposal_date(formed, row.retention)
        record.disposal_date = due.isoformat() if due else None
        record.archival_prefix = archival_prefix(
            policy, formed.year, row.retention_code, row.category
        )
    if not record.metadata.get("security_set_by"):  # a person's choice stands
        record.security_level = default_security_level(record.category)
    record.review_reasons = reasons
    record.status = "review" if reasons else "filed"
    return record


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None
