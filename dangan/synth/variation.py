"""Variation knobs for held-out forms: wording, field order and missing fields
the generator's own templates never use.

The classifier's committed seed set (`classifier_seed.py`) is written from the
generator's templates as they are. A benchmark that measures generalisation
needs forms that differ from those templates the way real agencies' forms do:
other title wordings (``HELDOUT_TITLES``, never in the seed set nor in
`content.ALT_TITLES`), other field labels (``LABEL_SYNONYMS``: 身份证号码 for
公民身份号码, 手机号码 for 联系电话 …), another field order, fields left out,
no 业务流水号 line or no 经办人 footer. `vary_form` applies them to a built
form; printed values (and so the ground truth) are untouched: a row is dropped
only when none of its values is in the form's truth.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from dangan.synth.model import Footer, Form, KVGrid, Meta, Opinion, Table, Title

# Titles real agencies print that are neither the schedule's typical_titles nor
# content.ALT_TITLES. Only held-out splits use them.
HELDOUT_TITLES: dict[str, tuple[str, ...]] = {
    "unit_registration": ("用人单位社会保险登记表", "参保单位基本信息登记表"),
    "employee_enrol": ("职工医保参保增员登记表", "单位职工医疗保险增员申报表"),
    "employee_leave": ("职工医保参保减员登记表", "单位职工医疗保险停保申报表"),
    "resident_enrol": ("城乡居民基本医疗保险参保登记申请表", "居民医保参保信息登记表"),
    "info_change": ("医疗保险参保人员信息变更申请表", "参保个人信息修改登记表"),
    "account_refund": ("职工医保个人账户一次性支取申请表", "个人账户余额退还申请表"),
    "transfer": ("医保关系转移接续申请表", "职工医保关系转移接续登记表"),
    "card_issue": ("社会保障卡申领登记表", "社保卡补换卡申请表"),
    "wage_base": ("职工医疗保险缴费基数申报表", "年度缴费工资基数核定申报表"),
    "back_payment": ("职工医保费补缴申请表", "医疗保险费欠费补缴申报表"),
    "payment_proof": ("医疗保险参保缴费证明", "职工医保缴费情况证明"),
    "reimbursement": ("医疗费用零星报销申请单", "门诊住院费用零星报销申请表"),
    "remote_filing": ("跨省异地就医登记备案申请表", "异地安置退休人员就医备案表"),
    "chronic_disease": ("门诊慢特病待遇资格认定申请表", "门诊慢性特殊疾病鉴定申请表"),
    "inpatient_bill": ("住院医疗费用结算清单", "医保住院费用结算明细单"),
    "annual_payment_summary": ("医保基金年度支付情况汇总表",),
    "maternity": ("生育保险待遇申领表", "生育医疗费用及生育津贴申请表"),
    "institution_agreement": ("医疗保障定点医药机构服务协议", "定点医疗机构医保服务协议书"),
    "audit_notice": ("医疗保障基金稽核检查通知书", "医保稽核整改通知书"),
    "internal_control": ("经办内部控制检查记录表", "内部控制检查情况记录"),
    "annual_statistics": ("医疗保险年度统计报表（年报）", "基本医疗保险年度统计表"),
    "periodic_statistics": ("基本医疗保险统计月报", "医疗保险基金运行季报"),
}

# Field labels as other agencies word them.
LABEL_SYNONYMS: dict[str, tuple[str, ...]] = {
    "公民身份号码": ("身份证号码", "身份证件号码", "社会保障号码"),
    "姓名": ("参保人姓名", "申请人姓名"),
    "联系电话": ("手机号码", "联系方式"),
    "出生日期": ("出生年月",),
    "个人编号": ("个人社保编号", "参保人编号"),
    "单位名称": ("用人单位名称", "参保单位名称"),
    "单位编号": ("单位社保编号", "单位参保编号"),
    "统一社会信用代码": ("社会信用代码",),
    "居住地址": ("现居住地址", "常住地址"),
    "户籍地址": ("户口所在地",),
    "开户银行": ("开户行",),
    "银行账号": ("银行卡号", "账号"),
    "经办机构审核意见": ("医保经办机构意见", "审核意见"),
    "经办人": ("受理人",),
    "审核人": ("复核人",),
    "经办日期": ("办理日期",),
    "序号": ("编号",),
    "性别": ("性  别",),
}


@dataclass(frozen=True)
class Variation:
    """How far a form departs from the generator's templates (probabilities)."""

    heldout_title: float = 0.0  # print a HELDOUT_TITLES wording instead
    synonyms: float = 0.0  # per label: another agency's wording
    shuffle: float = 0.0  # per grid: rows in another order
    drop: float = 0.0  # per grid row without truth values: left out
    no_meta: float = 0.0  # the 业务流水号/受理日期 line above the body left out
    no_footer: float = 0.0  # the 经办人/审核人 line left out

    @property
    def active(self) -> bool:
        return any(
            (self.heldout_title, self.synonyms, self.shuffle, self.drop, self.no_meta)
        ) or bool(self.no_footer)


NONE = Variation()
# The held-out split's mix (bench.real_docs): every knob on, often.
HELDOUT = Variation(
    heldout_title=0.35, synonyms=0.5, shuffle=0.5, drop=0.3, no_meta=0.2, no_footer=0.3
)


def _truth_values(form: Form) -> set[str]:
    f = form.fields
    values = {str(v) for v in f.get("id_numbers") or []}
    values |= {str(v) for v in (f.get("amounts") or {}).values()}
    for key in ("person_name", "credit_code", "unit_name", "unit_code", "serial"):
        if f.get(key):
            values.add(str(f[key]))
    for person in f.get("persons") or []:
        values.update(str(v) for v in person.values())
    return values


def _label(label: str, rng: random.Random, p: float) -> str:
    options = LABEL_SYNONYMS.get(label)
    if options and rng.random() < p:
        return rng.choice(options)
    return label


def vary_form(form: Form, rng: random.Random, v: Variation) -> Form:
    """`form` with the variations of `v` applied (in place; also returned)."""
    if not v.active:
        return form
    truth = _truth_values(form)
    titles = HELDOUT_TITLES.get(form.doc_type, ())
    if titles and rng.random() < v.heldout_title:
        form.title = rng.choice(titles)
        form.fields["title_variant"] = True
        form.fields["heldout_title"] = True
    blocks = []
    for block in form.blocks:
        if isinstance(block, Title) and block is form.blocks[0]:
            block = Title(form.title, block.size)
        elif isinstance(block, KVGrid):
            rows = [
                [(_label(k, rng, v.synonyms), val) for k, val in row]
                for row in block.rows
                if any(val in truth for _, val in row) or rng.random() >= v.drop
            ]
            if len(rows) > 1 and rng.random() < v.shuffle:
                rng.shuffle(rows)
            if not rows:
                continue
            block = KVGrid(rows)
        elif isinstance(block, Table):
            block.columns = [_label(c, rng, v.synonyms) for c in block.columns]
        elif isinstance(block, Opinion):
            heading = block.heading.removesuffix("：")
            block.heading = _label(heading, rng, v.synonyms) + "："
        elif (
            isinstance(block, Meta)
            and block.left.startswith("业务流水号")
            and rng.random() < v.no_meta
        ):
            form.fields["serial"] = None  # no longer printed
            continue
        elif isinstance(block, Footer):
            if rng.random() < v.no_footer:
                continue
            block.parts = [_relabel(part, rng, v.synonyms) for part in block.parts]
        blocks.append(block)
    form.blocks = blocks
    return form


def _relabel(part: str, rng: random.Random, p: float) -> str:
    label, sep, value = part.partition("：")
    return _label(label, rng, p) + sep + value if sep else part
