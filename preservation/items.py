"""The check items: stable codes, plain-Chinese names, the property each
belongs to and what it examines.

Codes are dangan's own and never reused: a property prefix in pinyin initials
(ZS 真实性, WZ 完整性, KY 可用性, AQ 安全性) and a number. `dat70` names the
DA/T 70-2018 detection item each one corresponds to (by the standard's item
names; an agency maps them to its own checklist numbering)."""

from __future__ import annotations

from dataclasses import dataclass

PROPERTIES = ("真实性", "完整性", "可用性", "安全性")

PASS, FAIL, WARNING, NOT_RUN = "pass", "fail", "warning", "not_run"
OUTCOME_LABELS = {PASS: "通过", FAIL: "不通过", WARNING: "警告", NOT_RUN: "未检测"}


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    prop: str
    examines: str
    dat70: str


_ITEMS = (
    Item("ZS-01", "SHA-256 摘要值校验", "真实性",
         "每个存储对象的内容重新计算 SHA-256，与目录登记值比对", "固化信息有效性检测"),
    Item("ZS-02", "SM3 摘要值校验（国密）", "真实性",
         "每个存储对象的内容重新计算 SM3，与归档时登记的 SM3 比对", "固化信息有效性检测"),
    Item("ZS-03", "元数据类型、长度和格式检测", "真实性",
         "记录编号、摘要值、日期、页数、大小、题名、公民身份号码等元数据项的类型、长度和格式",
         "元数据项数据长度检测；元数据项数据类型、格式检测"),
    Item("ZS-04", "元数据值域检测", "真实性",
         "类别、门类、保管期限、密级、状态在规定值域内，日期在合理范围内",
         "设定值域的元数据项值域符合度检测；元数据项数据值合理性检测"),
    Item("ZS-05", "元数据与内容一致性检测", "真实性",
         "登记的页数、大小、类别、日期、档号与内容和保管期限表一致",
         "内容数据的电子属性一致性检测；元数据是否关联内容数据检测"),
    Item("ZS-06", "存储位置一致性检测", "真实性",
         "目录登记的存储位置与对象实际所在位置一致", "元数据是否关联内容数据检测"),
    Item("ZS-07", "审计日志哈希链校验", "真实性",
         "审计日志逐条校验哈希链和校验点", "归档过程安全性检测（过程信息）"),
    Item("ZS-08", "档号规范性检测", "真实性",
         "档号符合“全宗号-门类代码·年度-保管期限代码-机构(问题)代码-件号”", "档号规范性检测"),
    Item("WZ-01", "必填元数据项检测", "完整性",
         "该类别必须著录的元数据项均有值", "元数据必填著录项目检测"),
    Item("WZ-02", "档号件号连续性检测", "完整性",
         "同一档号前缀下件号从 1 起连续、无重号（已销毁的按销毁记录计入）",
         "连续性元数据项检测"),
    Item("WZ-03", "页序连续性检测", "完整性",
         "页面文字和页面图像的页号从 1 起连续，与页数相符", "连续性元数据项检测"),
    Item("WZ-04", "组成文件齐全性检测", "完整性",
         "每条记录都有原件、存档 PDF 和每一页的页面图像", "内容数据完整性检测"),
    Item("WZ-05", "存储孤立对象检测", "完整性",
         "存储中没有目录不认识的对象", "信息包内容数据完整性检测"),
    Item("WZ-06", "存储缺失对象检测", "完整性",
         "目录登记的每个对象在存储中都存在", "内容数据完整性检测"),
    Item("WZ-07", "总件数与总字节数相符性检测", "完整性",
         "移交包中的件数和字节数与登记表、清单相符", "总件数相符性检测；总字节数相符性检测"),
    Item("KY-01", "内容可读性检测", "可用性",
         "存档 PDF 能打开并渲染每一页，原件能打开", "内容数据的可读性检测"),
    Item("KY-02", "格式识别与准用格式检测", "可用性",
         "以 PRONOM 格式标识识别格式（FIDO），且在准用格式清单内", "内容数据格式检测"),
    Item("KY-03", "PDF/A 长期保存格式检测", "可用性",
         "存档 PDF 声明 PDF/A 并通过结构检查；不是 PDF/A 的记录原因", "内容数据格式检测"),
    Item("KY-04", "加密与私有压缩检测", "可用性",
         "内容没有加密、没有不可公开读取的压缩", "内容数据格式检测（无加密）"),
    Item("KY-05", "软件环境记录检测", "可用性",
         "形成和检测所用软件及版本已记录", "软硬件环境检测"),
    Item("AQ-01", "病毒检测", "安全性",
         "以 ClamAV（clamd）扫描内容；未配置时如实报告未检测", "病毒感染检测"),
    Item("AQ-02", "冗余文件检测", "安全性",
         "移交包和记录存储目录中没有清单外的文件", "归档信息包载体安全性检测"),
    Item("AQ-03", "安全事件检测", "安全性",
         "审计日志中的越权访问、密级调整、登录失败等安全事件", "归档过程安全性检测"),
)  # fmt: skip

ITEMS: dict[str, Item] = {item.code: item for item in _ITEMS}


@dataclass(frozen=True)
class CheckResult:
    item: str  # an ITEMS code
    outcome: str  # PASS | FAIL | WARNING | NOT_RUN
    evidence: str  # Chinese: what was found
    record_id: str | None = None
    object_key: str | None = None

    @property
    def spec(self) -> Item:
        return ITEMS[self.item]

    def line(self) -> str:
        """One line for a person: item, name, outcome, where, evidence."""
        where = self.record_id or ""
        if self.object_key:
            where = f"{where} {self.object_key}".strip()
        where = f"［{where}］" if where else ""
        return (
            f"{self.item} {self.spec.name}：{OUTCOME_LABELS[self.outcome]}{where} {self.evidence}"
        )


def count(results, counts: dict | None = None) -> dict:
    """item -> outcome -> number, added to `counts`."""
    counts = {} if counts is None else counts
    for r in results:
        per = counts.setdefault(r.item, {})
        per[r.outcome] = per.get(r.outcome, 0) + 1
    return counts


def summarise(results: list[CheckResult]) -> dict:
    return summary_from_counts(count(results))


def summary_from_counts(counts: dict) -> dict:
    """Counts per property and outcome, per item, and the overall verdict."""
    by_prop = {p: {o: 0 for o in OUTCOME_LABELS} for p in PROPERTIES}
    for item, per in counts.items():
        for outcome, n in per.items():
            by_prop[ITEMS[item].prop][outcome] += n
    failed = sorted(i for i, per in counts.items() if per.get(FAIL))
    warned = sorted(i for i, per in counts.items() if per.get(WARNING))
    not_run = sorted(i for i, per in counts.items() if per.get(NOT_RUN))
    return {
        "properties": by_prop,
        "items": {i: counts[i] for i in sorted(counts)},
        "failed_items": failed,
        "warning_items": warned,
        "not_run_items": not_run,
        "verdict": FAIL if failed else PASS,
    }
