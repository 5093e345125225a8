"""Key fields from a record's OCR text.

公民身份号码 and 统一社会信用代码 are validated by their check characters (see
identifiers.py); labelled values (姓名, 单位名称, 单位编号, 业务流水号) are read
after their labels; the business date is the date the form is dated by: a
labelled handling date (受理日期, 申报日期, 经办日期 …) when there is one, else
the date printed most often, never a birth, admission or visit date."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from dangan.identifiers import find_credit_codes, find_id_numbers

# Labels a form is dated by, best first.
DATE_LABELS = (
    "受理日期",
    "申报日期",
    "申请日期",
    "经办日期",
    "填报日期",
    "报送日期",
    "结算日期",
    "检查日期",
    "备案开始日期",
    "生育日期",
    "出院日期",
    "日期",
)
# Dates that are never the business date.
OTHER_DATE_LABELS = ("出生", "入院", "就诊", "参保年月", "开始年月", "终止", "至", "有效期")

_DATE = re.compile(
    r"(?<![0-9])((?:19|20)[0-9]{2})\s*(?:年\s*([0-9]{1,2})\s*月\s*([0-9]{1,2})\s*日"
    r"|\s*[-./][-./\s]*([0-9]{1,2})\s*[-./][-./\s]*([0-9]{1,2}))(?![0-9])"
)
_SERIAL = re.compile(r"业务流水号\s*[：:]?\s*([A-Za-z]{0,4}[0-9][0-9A-Za-z-]{5,30})")
_UNIT_CODE = re.compile(r"单位编号\s*[：:]?\s*([0-9A-Za-z]{4,20})(?![0-9A-Za-z])")
_ORG = (
    r"[\u4e00-\u9fff（）()·]{2,40}?"
    r"(?:公司|厂|医院|卫生院|中心|学校|大学|研究所|事务所|委员会|合作社|药店|药房|诊所|集团|保健院)"
)
# Where the unit a record concerns is named, best first.
_UNIT_NAME_PATTERNS = (
    re.compile(rf"(?:参保单位名称|申报单位名称|单位名称|用人单位)\s*[：:]?\s*(?!须)({_ORG})"),
    re.compile(rf"乙方\s*[：:]\s*({_ORG})"),
    re.compile(rf"(?m)^\s*({_ORG})\s*[：:]\s*$"),  # addressee of a notice
)
_ORG_ANYWHERE = re.compile(_ORG)
_NAME = re.compile(
    r"(?:姓名|申请人（签字）|申请人\(签字\)|兹证明)\s*[：:]?\s*([\u4e00-\u9fff·]{2,5})"
)
_NAME_STOPS = (
    "（",
    "(",
    "性别",
    "公民",
    "身份",
    "出生",
    "联系",
    "个人",
    "证件",
    "民族",
    "参保",
    "申请",
    "电话",
)
_AMOUNT = re.compile(
    r"([\u4e00-\u9fff（）]{2,12})\s*[：:]?\s*(?:￥|¥)?\s*([0-9][0-9,]*\.[0-9]{2})(?![0-9])"
)
_AMOUNT_LABEL = re.compile(r"(金额|费|合计|余额|津贴|工资|基数|缴费|支付)")


@dataclass
class Fields:
    id_numbers: list[str] = field(default_factory=list)  # valid, reading order
    invalid_id_numbers: list[str] = field(default_factory=list)  # failed the check digit
    person_name: str | None = None
    credit_code: str | None = None
    unit_name: str | None = None
    unit_code: str | None = None
    serial: str | None = None
    business_date: str | None = None  # ISO
    amounts: dict[str, str] = field(default_factory=dict)  # label -> "1234.50"

    def to_json(self) -> dict:
        return asdict(self)


def extract_fields(pages: Sequence[str]) -> Fields:
    text = "\n".join(pages)
    out = Fields()
    for found in find_id_numbers(text):
        (out.id_numbers if found.valid else out.invalid_id_numbers).append(found.value)
    codes = find_credit_codes(text)
    valid = [c.value for c in codes if c.valid]
    out.credit_code = valid[0] if valid else None
    out.person_name = _person_name(text)
    out.unit_name = _unit_name(text)
    m = _UNIT_CODE.search(text)
    out.unit_code = m.group(1) if m else None
    m = _SERIAL.search(text)
    out.serial = m.group(1).upper() if m else None
    day = business_date(text)
    out.business_date = day.isoformat() if day else None
    out.amounts = _amounts(text)
    return out


def _person_name(text: str) -> str | None:
    for m in _NAME.finditer(text):
        name = m.group(1)
        for stop in _NAME_STOPS:
            cut = name.find(stop)
            if cut != -1:
                name = name[:cut]
        if 2 <= len(name) <= 4:
            return name
    return None


def _unit_name(text: str) -> str | None:
    for pattern in _UNIT_NAME_PATTERNS:
        m = pattern.search(text)
        if m:
            return m.group(1)
    # a unit named again and again (e.g. every row of a contribution table)
    counts = Counter(m.group(0) for m in _ORG_ANYWHERE.finditer(text))
    repeated = [(n, name) for name, n in counts.items() if n >= 2]
    return max(repeated)[1] if repeated else None


def _dates(text: str) -> list[tuple[int, dt.date]]:
    out = []
    for m in _DATE.finditer(text):
        year = int(m.group(1))
        month = int(m.group(2) or m.group(4))
        day = int(m.group(3) or m.group(5))
        try:
            out.append((m.start(), dt.date(year, month, day)))
        except ValueError:
            continue
    return out


def business_date(text: str) -> dt.date | None:
    """The date the form is dated by (see module docstring)."""
    dates = _dates(text)
    if not dates:
        return None
    labelled: dict[int, list[dt.date]] = {}
    usable = []
    for pos, day in dates:
        before = text[max(0, pos - 10) : pos]
        if any(label in before for label in OTHER_DATE_LABELS) and not before.rstrip(
            "：: "
        ).endswith(DATE_LABELS):
            continue
        usable.append(day)
        for rank, label in enumerate(DATE_LABELS):
            if before.rstrip("：: ").endswith(label):
                labelled.setdefault(rank, []).append(day)
                break
    if not usable:
        return None
    counts = Counter(usable)
    if labelled:
        # the best label's date, unless another date is printed clearly more often
        best = labelled[min(labelled)][0]
        top, n = counts.most_common(1)[0]
        return top if n > counts[best] + 1 else best
    top = max(counts.values())
    return max(day for day, n in counts.items() if n == top)


def _amounts(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in _AMOUNT.finditer(text):
        label, value = m.group(1), m.group(2).replace(",", "")
        if _AMOUNT_LABEL.search(label) and label not in out:
            out[label] = value
    return out
