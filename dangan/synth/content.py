"""What each archive class's form says: title, header fields, table, footer, seals.

`build_form` turns one retention-schedule class into a `Form` (blocks plus the
ground-truth fields). Every value that goes into `Form.fields` is printed on the
pages exactly as stored, so OCR output can be checked against it.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from dangan.retention.schedule import ScheduleRow
from dangan.synth import ids
from dangan.synth.model import (
    Block,
    Footer,
    Form,
    KVGrid,
    Meta,
    Opinion,
    PageBreak,
    Paragraphs,
    SealSpec,
    Signature,
    Subtitle,
    Table,
    Title,
)

TITLE_VARIANT_RATE = 0.3
# Titles used by some provinces that are *not* in the schedule's typical_titles:
# a classifier must recognise them from wording and body, not by lookup.
# `build_form(..., alt_titles=False)` leaves them out (the classifier's committed
# seed set, dangan/synth/classifier_seed.py, does, so benchmarks measure
# generalisation).
ALT_TITLES: dict[str, tuple[str, ...]] = {
    "unit_registration": ("用人单位参加医疗保险登记表", "单位医疗保险参保登记表"),
    "employee_enrol": ("职工医疗保险增加人员申报表", "医疗保险参保人员增加表"),
    "employee_leave": ("职工医疗保险减少人员申报表", "医疗保险参保人员减少表"),
    "resident_enrol": ("城乡居民医保参保登记表", "居民医疗保险参保申请表"),
    "info_change": ("参保人员基本信息变更表", "个人参保信息变更申请表"),
    "account_refund": ("个人账户余额一次性支取申请表", "医保个人账户支取审批表"),
    "transfer": ("医疗保险关系转移申请表", "基本医疗保障关系转移接续申请表"),
    "card_issue": ("社保卡申领登记表", "社会保障卡补领换领申请表"),
    "wage_base": ("年度缴费工资申报表", "职工医保缴费基数核定表"),
    "back_payment": ("医保费补缴申报表", "基本医疗保险费补缴申请表"),
    "payment_proof": ("参保缴费情况证明", "医疗保险缴费证明"),
    "reimbursement": ("医疗费用手工报销申请表", "零星医疗费用报销审批表"),
    "remote_filing": ("异地就医备案登记表", "跨省异地就医备案申请表"),
    "chronic_disease": ("门诊特殊疾病待遇申请表", "门诊慢性病认定申请表"),
    "inpatient_bill": ("住院医疗费用结算单", "住院费用清单"),
    "annual_payment_summary": ("医保基金年度支付汇总表",),
    "maternity": ("生育医疗费用报销申请表", "生育津贴申请表"),
    "institution_agreement": ("定点医疗机构服务协议书", "医疗保障定点服务协议"),
    "audit_notice": ("医保基金稽核通知书", "稽核整改通知书"),
    "internal_control": ("内控检查记录表", "内部控制自查记录"),
    "annual_statistics": ("医疗保障年度统计报表", "医保年度统计表"),
    "periodic_statistics": ("医疗保险统计月报表", "医疗保障季度统计报表"),
}

# Classes whose forms are filed by an employer rather than a person.
UNIT_CLASSES = frozenset(
    {"unit_registration", "employee_enrol", "employee_leave", "wage_base", "back_payment"}
)

_DECLARATION_UNIT = "本单位承诺以上填报内容真实、准确、完整，如有虚假，愿承担相应的法律责任。"
_DECLARATION_PERSON = "本人承诺所填写的信息及提交的材料真实有效，如有虚假，愿承担相应的法律责任。"
_INSTRUCTIONS = (
    "本表一式两份，经办机构、申报单位（个人）各留存一份。",
    "公民身份号码须填写18位，末位为X的须大写。",
    "单位名称须与营业执照或统一社会信用代码证书一致。",
    "金额以人民币元为单位，保留两位小数。",
    "本表须加盖单位公章，复印件无效。",
    "申请人应同时提交本人有效身份证件复印件。",
    "委托他人代办的，须提交委托书及代办人有效身份证件。",
    "经办机构应在受理之日起五个工作日内完成审核。",
    "材料不全的，经办机构应一次性告知需补正的全部内容。",
    "本表由经办机构按业务档案管理规定归档保存。",
)
_OPINIONS = (
    "经审核，资料齐全，符合规定，同意办理。",
    "材料齐全，信息核对无误，同意。",
    "经审核，符合相关政策规定，予以办理。",
)


@dataclass
class Person:
    name: str
    sex: str
    id_number: str
    birth: dt.date


@dataclass
class _Ctx:
    """Random facts shared by the parts of one form."""

    rng: random.Random
    region: ids.Region
    agency: str
    day: dt.date
    serial: str
    handler: str
    reviewer: str
    cn_dates: bool
    unit_name: str
    credit_code: str
    unit_code: str
    id_numbers: list[str] = field(default_factory=list)
    persons: list[dict[str, str]] = field(default_factory=list)
    amounts: dict[str, str] = field(default_factory=dict)
    seals: list[str] = field(default_factory=list)
    uses_unit: bool = False

    def date(self, day: dt.date | None = None) -> str:
        day = day or self.day
        return ids.format_cn_date(day) if self.cn_dates else day.isoformat()

    def person(self, *, adult: bool = True, born: tuple[dt.date, dt.date] | None = None) -> Person:
        """A new person (printed on the form); their id is recorded in the truth."""
        rng = self.rng
        sex = rng.choice(("男", "女"))
        if born is None:
            born = (
                (dt.date(1940, 1, 1), dt.date(2002, 12, 31))
                if adult
                else (dt.date(2005, 1, 1), self.day - dt.timedelta(days=60))
            )
        hi = min(born[1], self.day - dt.timedelta(days=30))
        lo = min(max(born[0], dt.date(1925, 1, 1)), hi)
        birth = ids.random_date(rng, lo, hi)
        region = self.region if rng.random() < 0.7 else None
        id_number = ids.make_id_number(rng, region=region, birth=birth, sex=sex)
        person = Person(ids.make_person_name(rng), sex, id_number, birth)
        self.id_numbers.append(id_number)
        self.persons.append({"name": person.name, "id_number": id_number})
        return person

    def amount(self, label: str, low: float, high: float) -> str:
        text = ids.format_amount(ids.make_amount(self.rng, low, high))
        self.amounts[label] = text
        return text

    def money(self, label: str, value: Decimal) -> str:
        text = ids.format_amount(value)
        self.amounts[label] = text
        return text

    def seal(self, text: str, bottom: str = "") -> SealSpec:
        self.seals.append(text)
        return SealSpec(text, bottom)

    def unit_rows(self) -> list[list[tuple[str, str]]]:
        self.uses_unit = True
        return [
            [("单位名称", self.unit_name)],
            [("统一社会信用代码", self.credit_code), ("单位编号", self.unit_code)],
        ]


def _new_ctx(rng: random.Random) -> _Ctx:
    region = ids.pick_region(rng)
    day = ids.random_date(rng, dt.date(2015, 1, 1), dt.date(2024, 12, 31))
    return _Ctx(
        rng=rng,
        region=region,
        agency=ids.make_agency_name(rng, region),
        day=day,
        serial=ids.make_serial(rng, day),
        handler=ids.make_person_name(rng),
        reviewer=ids.make_person_name(rng),
        cn_dates=rng.random() < 0.7,
        unit_name=ids.make_unit_name(rng, region),
        credit_code=ids.make_credit_code(rng, region=region),
        unit_code=ids.make_unit_code(rng, region),
    )


def _split_rows(
    rng: random.Random, pages: int, single: tuple[int, int] = (3, 8)
) -> tuple[int, list[int]]:
    """How many table rows, and how many of them go on page 1 when there are two pages."""
    if pages <= 1:
        return rng.randint(*single), []
    first = rng.randint(10, 16)
    return first + rng.randint(3, 10), [first]


def _person_rows(ctx: _Ctx, p: Person, *, phone: bool = True) -> list[list[tuple[str, str]]]:
    rows = [
        [("姓名", p.name), ("性别", p.sex)],
        [("公民身份号码", p.id_number), ("出生日期", ctx.date(p.birth))],
    ]
    if phone:
        rows.append([("联系电话", ids.make_phone(ctx.rng)), ("个人编号", _personal_no(ctx))])
    return rows


def _personal_no(ctx: _Ctx) -> str:
    return ctx.region.code[:4] + "".join(ctx.rng.choice("0123456789") for _ in range(8))


def _address(ctx: _Ctx) -> str:
    rng = ctx.rng
    roads = (
        "五四路",
        "八一七北路",
        "湖东路",
        "工业路",
        "华林路",
        "温泉路",
        "鼓屏路",
        "六一路",
        "东街",
    )
    return f"{ctx.region.full}{rng.choice(roads)}{rng.randint(1, 399)}号{rng.randint(1, 30)}层"


def _ym(day: dt.date) -> str:
    return f"{day.year}年{day.month:02d}月"


def _roster_total(n: int, cols: int) -> list[str]:
    return ["合计", f"{n}人"] + [""] * (cols - 2)


def _approval(ctx: _Ctx, heading: str = "经办机构审核意见") -> Opinion:
    return Opinion(
        heading=heading + "：",
        text=ctx.rng.choice(_OPINIONS),
        signer="经办机构（盖章）",
        date=ctx.date(),
        seal=ctx.seal(ctx.agency, "业务专用章"),
    )


def _unit_signature(ctx: _Ctx, legal: str) -> Signature:
    return Signature(
        lines=["申报单位（盖章）：", f"法定代表人（签字）：{legal}", f"申报日期：{ctx.date()}"],
        seal=ctx.seal(ctx.unit_name) if ctx.rng.random() < 0.7 else None,
    )


def _person_signature(ctx: _Ctx, name: str) -> Signature:
    return Signature(lines=[f"申请人（签字）：{name}", f"申请日期：{ctx.date()}"])


def _footer(ctx: _Ctx) -> Footer:
    return Footer([f"经办人：{ctx.handler}", f"审核人：{ctx.reviewer}", f"经办日期：{ctx.date()}"])


# --- class builders ----------------------------------------------------------
# Each returns the body blocks (between the meta line and the footer) and the
# main person's name, if the form is about one person.

Body = tuple[list[Block], str | None]


def _unit_registration(ctx: _Ctx, title: str, pages: int) -> Body:
    rng = ctx.rng
    legal = ctx.person()
    kinds = ("企业", "事业单位", "民办非企业单位", "社会团体", "个体工商户")
    trades = ("软件和信息技术服务业", "批发和零售业", "建筑业", "制造业", "住宿和餐饮业", "教育")
    grid = ctx.unit_rows() + [
        [("单位类型", rng.choice(kinds)), ("所属行业", rng.choice(trades))],
        [("法定代表人", legal.name), ("公民身份号码", legal.id_number)],
        [("注册地址", _address(ctx))],
        [("联系人", ids.make_person_name(rng)), ("联系电话", ids.make_phone(rng))],
        [
            (
                "开户银行",
                rng.choice(("中国工商银行", "中国建设银行", "中国农业银行", "兴业银行"))
                + ctx.region.city.removesuffix("市")
                + "分行",
            ),
            ("银行账号", ids.make_bank_account(rng)),
        ],
    ]
    blocks: list[Block] = [KVGrid(grid)]
    if "变更" in title:
        items = [
            ("联系电话", ids.make_phone(rng), ids.make_phone(rng)),
            ("注册地址", _address(ctx), _address(ctx)),
            ("法定代表人", ids.make_person_name(rng), legal.name),
        ]
        blocks.append(
            Table(
                ["变更项目", "变更前", "变更后"],
                [list(i) for i in items],
                [1, 2.2, 2.2],
                align="cll",
                caption="变更事项",
            )
        )
    else:
        insured = ("职工基本医疗保险", "生育保险", "大额医疗费用补助", "公务员医疗补助")
        label = "停保日期" if "注销" in title else "参保日期"
        rows = [
            [name, ctx.date(), f"{rate}%"]
            for name, rate in zip(
                insured[: rng.randint(2, 4)], ("8", "0.7", "0.5", "4"), strict=False
            )
        ]
        blocks.append(
            Table(["险种", label, "单位缴费比例"], rows, [2, 1.5, 1.2], caption="参保险种信息")
        )
        if "注销" in title:
            blocks.append(
                KVGrid([[("注销原因", rng.choice(("依法注销", "单位撤销", "迁出本统筹区")))]])
            )
    blocks += [Paragraphs([_DECLARATION_UNIT]), _unit_signature(ctx, legal.name), _approval(ctx)]
    return blocks, None


def _employee_change(ctx: _Ctx, title: str, pages: int, *, leave: bool) -> Body:
    rng = ctx.rng
    n, page_rows = _split_rows(rng, pages)
    rows = []
    for i in range(n):
        p = ctx.person()
        if leave:
            last = rng.choice(("解除劳动合同", "退休", "调出本统筹区", "死亡", "参军"))
            rows.append([str(i + 1), p.name, p.sex, p.id_number, _ym(ctx.day), last])
        else:
            wage = ids.format_amount(ids.make_amount(rng, 2100, 18000))
            rows.append([str(i + 1), p.name, p.sex, p.id_number, _ym(ctx.day), wage])
    last_col = "减员原因" if leave else "月缴费工资"
    date_col = "减员年月" if leave else "参保年月"
    grid = ctx.unit_rows() + [
        [("经办联系人", ids.make_person_name(rng)), ("联系电话", ids.make_phone(rng))]
    ]
    table = Table(
        ["序号", "姓名", "性别", "公民身份号码", date_col, last_col],
        rows,
        [0.6, 1.1, 0.6, 2.6, 1.3, 1.5],
        align="cccccr" if not leave else "cccccc",
        total=_roster_total(n, 6),
        page_rows=page_rows,
    )
    legal = ids.make_person_name(rng)
    blocks: list[Block] = [
        KVGrid(grid),
        table,
        Paragraphs([_DECLARATION_UNIT]),
        _unit_signature(ctx, legal),
        _approval(ctx),
    ]
    return blocks, None


def _resident_enrol(ctx: _Ctx, title: str, pages: int) -> Body:
    rng = ctx.rng
    p = ctx.person()
    grid = _person_rows(ctx, p) + [
        [
            ("民族", rng.choice(("汉族", "汉族", "汉族", "畲族", "回族"))),
            ("户籍性质", rng.choice(("城镇", "农村"))),
        ],
        [("户籍地址", _address(ctx))],
        [
            ("参保类别", rng.choice(("成年居民", "学生儿童", "老年居民", "低保对象"))),
            ("缴费金额", ctx.amount("个人缴费", 220, 400)),
        ],
    ]
    n, page_rows = _split_rows(rng, pages, (1, 4))
    rows = []
    year = dt.timedelta(days=365)
    for _ in range(n):
        age = (ctx.day - p.birth).days // 365
        relation = rng.choice(
            ("配偶", "父母") + (("子女",) if age >= 22 else ()) + (("孙子女",) if age >= 47 else ())
        )
        offset = {"配偶": (-8, 8), "子女": (20, 40), "父母": (-40, -20), "孙子女": (45, 65)}[
            relation
        ]
        m = ctx.person(born=(p.birth + offset[0] * year, p.birth + offset[1] * year))
        rows.append([relation, m.name, m.id_number, rng.choice(("已参保", "未参保", "职工医保"))])
    blocks: list[Block] = [
        KVGrid(grid),
        Table(
            ["与申请人关系", "姓名", "公民身份号码", "参保状态"],
            rows,
            [1.3, 1.2, 2.6, 1.3],
            caption="家庭成员信息",
            page_rows=page_rows,
        ),
        Paragraphs([_DECLARATION_PERSON]),
        _person_signature(ctx, p.name),
        _approval(ctx),
    ]
    return blocks, p.name


def _info_change(ctx: _Ctx, title: str, pages: int) -> Body:
    rng = ctx.rng
    p = ctx.person()
    ctx.uses_unit = True
    grid = _person_rows(ctx, p) + [[("单位名称", ctx.unit_name)]]
    items = [
        ["联系电话", ids.make_phone(rng), ids.make_phone(rng)],
        ["居住地址", _address(ctx), _address(ctx)],
        ["姓名", ids.make_person_name(rng), p.name],
        ["开户银行账号", ids.make_bank_account(rng), ids.make_bank_account(rng)],
    ]
    rng.shuffle(items)
    rows = [[str(i + 1), *item] for i, item in enumerate(items[: rng.randint(1, 4)])]
    blocks: list[Block] = [
        KVGrid(grid),
        Table(["序号", "变更项目", "变更前", "变更后"], rows, [0.6, 1.3, 2.5, 2.5], align="ccll"),
        Paragraphs([_DECLARATION_PERSON]),
        _person_signature(ctx, p.name),
        _approval(ctx),
    ]
    return blocks, p.name


def _account_refund(ctx: _Ctx, title: str, pages: int) -> Body:
    rng = ctx.rng
    p = ctx.person()
    grid = _person_rows(ctx, p)
    if "对账单" in title:
        n, page_rows = _split_rows(rng, pages, (6, 12))
        balance = ids.make_amount(rng, 500, 20000)
        rows = []
        month = dt.date(ctx.day.year, 1, 1)
        for i in range(n):
            income = ids.make_amount(rng, 80, 600)
            spent = ids.make_amount(rng, 0, float(income) * 1.5)
            balance = balance + income - spent
            if balance < 0:
                balance = income
            day = dt.date(
                month.year + (month.month + i - 1) // 12, (month.month + i - 1) % 12 + 1, 1
            )
            rows.append(
                [
                    _ym(day),
                    ids.format_amount(income),
                    ids.format_amount(spent),
                    ids.format_amount(balance),
                ]
            )
        ctx.money("期末余额", balance)
        table = Table(
            ["年月", "划入金额", "支出金额", "账户余额"],
            rows,
            [1.2, 1.2, 1.2, 1.3],
            align="crrr",
            caption="个人账户收支明细（单位：元）",
            page_rows=page_rows,
        )
        return [KVGrid(grid), table, _approval(ctx, "经办机构核对意见")], p.name
    value = ids.make_amount(rng, 800, 60000)
    grid += [
        [("支取原因", rng.choice(("出国（境）定居", "参保人员死亡", "转出本统筹区")))],
        [("账户余额", ctx.money("账户余额", value)), ("支取金额", ctx.money("支取金额", value))],
        [("支取金额（大写）", ids.amount_in_words(value))],
        [
            ("开户银行", rng.choice(("中国银行", "中国邮政储蓄银行", "福建海峡银行"))),
            ("银行账号", ids.make_bank_account(rng)),
        ],
    ]
    rows = [
        [str(i + 1), m, "1"]
        for i, m in enumerate(
            ("本人有效身份证件复印件", "社会保障卡复印件", "银行卡复印件", "相关证明材料")[
                : rng.randint(2, 4)
            ]
        )
    ]
    blocks: list[Block] = [
        KVGrid(grid),
        Table(
            ["序号", "提交材料", "份数"], rows, [0.6, 4, 0.8], align="clc", caption="提交材料清单"
        ),
        Paragraphs([_DECLARATION_PERSON]),
        _person_signature(ctx, p.name),
        _approval(ctx),
    ]
    return blocks, p.name


def _transfer(ctx: _Ctx, title: str, pages: int) -> Body:
    rng = ctx.rng
    p = ctx.person()
    other = ids.pick_region(rng)
    grid = _person_rows(ctx, p, phone=False) + [
        [("转出地经办机构", ids.make_agency_name(rng, other))],
        [("转入地经办机构", ctx.agency)],
        [("参保险种", "职工基本医疗保险"), ("实际缴费年限", f"{rng.randint(2, 30)}年")],
    ]
    n, page_rows = _split_rows(rng, pages, (2, 6))
    rows = []
    start = ctx.day.year - n * 2
    for i in range(n):
        y0 = start + 2 * i
        rows.append(
            [
                f"{y0}年01月—{y0 + 1}年12月",
                ids.make_unit_name(rng, other),
                ids.format_amount(ids.make_amount(rng, 2500, 15000)),
                "24",
            ]
        )
    blocks: list[Block] = [
        KVGrid(grid),
        Table(
            ["缴费起止年月", "缴费单位", "缴费基数", "缴费月数"],
            rows,
            [2.2, 3.2, 1.2, 0.9],
            align="clrc",
            caption="参保缴费信息",
            page_rows=page_rows,
        ),
        Paragraphs([_DECLARATION_PERSON]),
        _person_signature(ctx, p.name),
        _approval(ctx, "转入地经办机构意见"),
    ]
    return blocks, p.name


def _card_issue(ctx: _Ctx, title: str, pages: int) -> Body:
    rng = ctx.rng
    p = ctx.person()
    reason = "首次申领" if "申领" in title else rng.choice(("遗失补办", "损坏换卡", "信息变更换卡"))
    grid = _person_rows(ctx, p) + [
        [("社会保障卡卡号", ids.make_card_number(rng)), ("申请事由", reason)],
        [("通讯地址", _address(ctx))],
        [("领卡方式", rng.choice(("窗口领取", "邮寄到付"))), ("代办人", ids.make_person_name(rng))],
    ]
    blocks: list[Block] = [
        KVGrid(grid),
        Paragraphs([_DECLARATION_PERSON]),
        _person_signature(ctx, p.name),
        _approval(ctx, "发卡机构意见"),
    ]
    return blocks, p.name


def _wage_base(ctx: _Ctx, title: str, pages: int) -> Body:
    rng = ctx.rng
    n, page_rows = _split_rows(rng, pages)
    rows = []
    total = Decimal("0")
    for i in range(n):
        p = ctx.person()
        last = ids.make_amount(rng, 2100, 25000)
        base = max(last, Decimal("3500.00"))
        total += base
        rows.append(
            [str(i + 1), p.name, p.id_number, ids.format_amount(last), ids.format_amount(base)]
        )
    grid = ctx.unit_rows() + [[("申报年度", f"{ctx.day.year}年度"), ("申报人数", f"{n}人")]]
    table = Table(
        ["序号", "姓名", "公民身份号码", "上年度月平均工资", "本年度月缴费基数"],
        rows,
        [0.6, 1.1, 2.6, 1.8, 1.8],
        align="cccrr",
        total=["合计", f"{n}人", "", "", ctx.money("缴费基数合计", total)],
        page_rows=page_rows,
    )
    blocks: list[Block] = [
        KVGrid(grid),
        table,
        Paragraphs([_DECLARATION_UNIT]),
        _unit_signature(ctx, ids.make_person_name(rng)),
        _approval(ctx),
    ]
    return blocks, None


def _back_payment(ctx: _Ctx, title: str, pages: int) -> Body:
    rng = ctx.rng
    n, page_rows = _split_rows(rng, pages, (1, 6))
    rows = []
    total = Decimal("0")
    for i in range(n):
        p = ctx.person()
        months = rng.randint(1, 24)
        base = ids.make_amount(rng, 3500, 12000)
        due = (base * Decimal("0.095") * months).quantize(Decimal("0.01"))
        total += due
        start = ctx.day - dt.timedelta(days=31 * months)
        rows.append(
            [
                str(i + 1),
                p.name,
                p.id_number,
                f"{_ym(start)}—{_ym(ctx.day)}",
                ids.format_amount(base),
                ids.format_amount(due),
            ]
        )
    grid = ctx.unit_rows() + [
        [("补缴原因", rng.choice(("漏报补缴", "基数调整补差", "劳动争议仲裁补缴")))]
    ]
    table = Table(
        ["序号", "姓名", "公民身份号码", "补缴起止年月", "缴费基数", "补缴金额"],
        rows,
        [0.6, 1.0, 2.5, 2.4, 1.2, 1.2],
        align="ccccrr",
        total=["合计", f"{n}人", "", "", "", ctx.money("补缴金额合计", total)],
        page_rows=page_rows,
    )
    blocks: list[Block] = [
        KVGrid(grid),
        table,
        KVGrid([[("补缴金额合计（大写）", ids.amount_in_words(total))]]),
        Paragraphs([_DECLARATION_UNIT]),
        _unit_signature(ctx, ids.make_person_name(rng)),
        _approval(ctx),
    ]
    return blocks, None


def _payment_proof(ctx: _Ctx, title: str, pages: int) -> Body:
    rng = ctx.rng
    p = ctx.person()
    ctx.uses_unit = True
    n, page_rows = _split_rows(rng, pages, (3, 8))
    rows = []
    total = Decimal("0")
    for i in range(n):
        year = ctx.day.year - n + i
        base = ids.make_amount(rng, 3000, 12000)
        own = (base * Decimal("0.02") * 12).quantize(Decimal("0.01"))
        total += own
        rows.append(
            [
                f"{year}年01月—{year}年12月",
                ctx.unit_name,
                ids.format_amount(base),
                "12",
                ids.format_amount(own),
            ]
        )
    intro = (
        f"兹证明{p.name}（公民身份号码：{p.id_number}）在我统筹区参加职工基本医疗保险，"
        f"截至{ctx.date()}，累计缴费{n * 12}个月，缴费明细如下。"
    )
    blocks: list[Block] = [
        Paragraphs([intro]),
        Table(
            ["缴费起止年月", "缴费单位", "缴费基数", "月数", "个人缴费"],
            rows,
            [2.2, 3.4, 1.1, 0.6, 1.1],
            align="clrcr",
            total=["合计", "", "", str(n * 12), ctx.money("个人缴费合计", total)],
            page_rows=page_rows,
        ),
        Paragraphs(["本证明仅用于办理相关业务，涂改无效。"]),
        Signature([ctx.agency, ctx.date()], seal=ctx.seal(ctx.agency, "证明专用章")),
    ]
    return blocks, p.name


_BILL_ITEMS = (
    ("西药费", "阿莫西林胶囊", "0.25g*24粒", "盒", 18.5),
    ("西药费", "头孢克肟分散片", "0.1g*6片", "盒", 32.8),
    ("中成药费", "复方丹参滴丸", "27mg*180丸", "瓶", 26.4),
    ("检查费", "血常规检查", "次", "次", 25.0),
    ("检查费", "胸部CT平扫", "次", "次", 260.0),
    ("化验费", "肝功能检测", "项", "次", 68.0),
    ("治疗费", "静脉输液", "组", "次", 12.0),
    ("床位费", "普通病房床位费", "日", "日", 45.0),
    ("护理费", "二级护理", "日", "日", 20.0),
    ("卫生材料费", "一次性输液器", "套", "套", 3.5),
    ("手术费", "腹腔镜胆囊切除术", "例", "次", 2100.0),
    ("诊查费", "住院诊查费", "日", "日", 15.0),
    ("西药费", "氯化钠注射液", "250ml", "袋", 4.6),
    ("西药费", "二甲双胍缓释片", "0.5g*30片", "盒", 22.3),
)


def _bill_rows(ctx: _Ctx, n: int) -> tuple[list[list[str]], Decimal]:
    rng = ctx.rng
    rows = []
    total = Decimal("0")
    for i in range(n):
        _, name, spec, unit, price = rng.choice(_BILL_ITEMS)
        qty = rng.randint(1, 10)
        p = Decimal(str(price))
        amount = p * qty
        total += amount
        rows.append(
            [
                str(i + 1),
                name,
                spec,
                unit,
                str(qty),
                ids.format_amount(p),
                ids.format_amount(amount),
                rng.choice(("甲", "甲", "乙", "丙")),
            ]
        )
    return rows, total


def _inpatient_bill(ctx: _Ctx, title: str, pages: int) -> Body:
    rng = ctx.rng
    p = ctx.person()
    hospital = ids.make_hospital_name(rng, ctx.region)
    admit = ctx.day - dt.timedelta(days=rng.randint(3, 25))
    grid = [
        [("姓名", p.name), ("性别", p.sex)],
        [("公民身份号码", p.id_number), ("住院号", str(rng.randint(100000, 9999999)))],
        [("医疗机构", hospital)],
        [
            ("科室", rng.choice(("心血管内科", "普外科", "呼吸内科", "骨科", "内分泌科"))),
            ("参保类型", rng.choice(("职工医保", "居民医保"))),
        ],
        [("入院日期", ctx.date(admit)), ("出院日期", ctx.date())],
        [
            (
                "出院诊断",
                rng.choice(
                    (
                        "原发性高血压",
                        "2型糖尿病",
                        "社区获得性肺炎",
                        "胆囊结石伴胆囊炎",
                        "腰椎间盘突出症",
                    )
                ),
            )
        ],
    ]
    n, page_rows = _split_rows(rng, pages, (6, 11))
    rows, total = _bill_rows(ctx, n)
    fund = (total * Decimal(str(rng.uniform(0.55, 0.85)))).quantize(Decimal("0.01"))
    table = Table(
        ["序号", "项目名称", "规格", "单位", "数量", "单价", "金额", "类别"],
        rows,
        [0.6, 2.6, 1.6, 0.7, 0.7, 1.1, 1.2, 0.7],
        align="clcccrrc",
        total=["合计", "", "", "", "", "", ctx.money("费用合计", total), ""],
        page_rows=page_rows,
    )
    summary = KVGrid(
        [
            [
                ("统筹基金支付", ctx.money("统筹基金支付", fund)),
                ("个人自付", ctx.money("个人自付", total - fund)),
            ],
            [("费用合计（大写）", ids.amount_in_words(total))],
        ]
    )
    blocks: list[Block] = [
        KVGrid(grid),
        table,
        summary,
        Signature(
            [f"结算机构：{hospital}", f"结算日期：{ctx.date()}"],
            seal=ctx.seal(hospital, "住院收费专用章"),
        ),
    ]
    return blocks, p.name


def _reimbursement(ctx: _Ctx, title: str, pages: int) -> Body:
    rng = ctx.rng
    p = ctx.person()
    hospital = ids.make_hospital_name(rng)
    grid = _person_rows(ctx, p) + [
        [
            ("人员类别", rng.choice(("在职", "退休", "城乡居民"))),
            ("报销原因", rng.choice(("异地急诊", "未持卡就医", "转外就医"))),
        ],
        [("就诊医疗机构", hospital)],
        [
            ("开户银行", rng.choice(("中国工商银行", "中国农业银行", "兴业银行"))),
            ("银行账号", ids.make_bank_account(rng)),
        ],
    ]
    n, page_rows = _split_rows(rng, pages, (2, 7))
    rows = []
    total = Decimal("0")
    for i in range(n):
        cat = rng.choice(("西药费", "检查费", "治疗费", "化验费", "床位费", "中成药费"))
        amount = ids.make_amount(rng, 20, 3000)
        total += amount
        rows.append(
            [
                str(i + 1),
                f"{rng.randint(10000000, 99999999)}",
                ctx.date(ctx.day - dt.timedelta(days=i)),
                cat,
                ids.format_amount(amount),
            ]
        )
    approved = (total * Decimal(str(rng.uniform(0.5, 0.9)))).quantize(Decimal("0.01"))
    table = Table(
        ["序号", "票据号码", "就诊日期", "费用类别", "金额"],
        rows,
        [0.6, 1.6, 1.8, 1.4, 1.3],
        align="ccccr",
        total=["合计", "", "", "", ctx.money("申报金额", total)],
        caption="医疗费用票据明细（单位：元）",
        page_rows=page_rows,
    )
    opinion = _approval(ctx)
    opinion.text = f"经审核，核准支付金额{ctx.money('核准支付金额', approved)}元。"
    blocks: list[Block] = [
        KVGrid(grid),
        table,
        KVGrid([[("申报金额（大写）", ids.amount_in_words(total))]]),
        Paragraphs([_DECLARATION_PERSON]),
        _person_signature(ctx, p.name),
        opinion,
    ]
    return blocks, p.name


def _remote_filing(ctx: _Ctx, title: str, pages: int) -> Body:
    rng = ctx.rng
    p = ctx.person()
    dest = ids.pick_region(rng)
    kind = (
        "异地长期居住"
        if "长期居住" in title
        else rng.choice(("异地长期居住", "常驻异地工作", "异地转诊"))
    )
    grid = _person_rows(ctx, p) + [
        [
            ("参保地", ctx.region.city),
            ("就医地", f"{dest.province}{dest.city}" if dest.province != dest.city else dest.city),
        ],
        [("备案类型", kind), ("备案开始日期", ctx.date())],
        [("现居住地址", _address(ctx))],
    ]
    n, page_rows = _split_rows(rng, pages, (1, 4))
    rows = [
        [
            str(i + 1),
            ids.make_hospital_name(rng, dest),
            rng.choice(("三级甲等", "二级甲等", "一级")),
        ]
        for i in range(n)
    ]
    blocks: list[Block] = [
        KVGrid(grid),
        Table(
            ["序号", "就医地定点医疗机构", "医院等级"],
            rows,
            [0.6, 4, 1.2],
            align="clc",
            page_rows=page_rows,
        ),
        Paragraphs([_DECLARATION_PERSON]),
        _person_signature(ctx, p.name),
        _approval(ctx),
    ]
    return blocks, p.name


def _chronic_disease(ctx: _Ctx, title: str, pages: int) -> Body:
    rng = ctx.rng
    p = ctx.person()
    disease = rng.choice(
        (
            "高血压（高危）",
            "糖尿病",
            "慢性心力衰竭",
            "恶性肿瘤门诊放化疗",
            "尿毒症透析",
            "慢性阻塞性肺疾病",
        )
    )
    grid = _person_rows(ctx, p) + [
        [("申请病种", disease)],
        [("定点医疗机构", ids.make_hospital_name(rng, ctx.region))],
        [
            ("诊断医师", ids.make_person_name(rng)),
            ("确诊日期", ctx.date(ctx.day - dt.timedelta(days=rng.randint(30, 900)))),
        ],
    ]
    checks = ("血压测量", "空腹血糖", "糖化血红蛋白", "心脏彩超", "肾功能", "胸部CT", "肺功能检查")
    n, page_rows = _split_rows(rng, pages, (2, 5))
    rows = [
        [
            str(i + 1),
            rng.choice(checks),
            rng.choice(("异常", "明显异常", "符合诊断")),
            ctx.date(ctx.day - dt.timedelta(days=rng.randint(1, 60))),
        ]
        for i in range(n)
    ]
    blocks: list[Block] = [
        KVGrid(grid),
        Table(
            ["序号", "检查项目", "检查结果", "检查日期"],
            rows,
            [0.6, 2, 1.6, 1.8],
            caption="病情资料",
            page_rows=page_rows,
        ),
        _person_signature(ctx, p.name),
        _approval(ctx, "专家鉴定意见"),
    ]
    return blocks, p.name


def _annual_payment_summary(ctx: _Ctx, title: str, pages: int) -> Body:
    rng = ctx.rng
    year = ctx.day.year - 1
    kinds = ("住院", "普通门诊", "门诊慢特病", "生育医疗", "异地就医", "药店购药")
    rows = []
    fund_total = Decimal("0")
    for kind in kinds:
        visits = rng.randint(2000, 400000)
        cost = ids.make_amount(rng, 500, 90000)
        fund = (cost * Decimal(str(rng.uniform(0.5, 0.8)))).quantize(Decimal("0.01"))
        fund_total += fund
        rows.append(
            [
                kind,
                str(visits),
                ids.format_amount(cost),
                ids.format_amount(fund),
                ids.format_amount(cost - fund),
            ]
        )
    blocks: list[Block] = [
        Subtitle(f"（{year}年度）"),
        Meta(f"填报单位：{ctx.agency}", "单位：人次、万元"),
        Table(
            ["支付类别", "人次", "医疗总费用", "基金支付", "个人负担"],
            rows,
            [1.6, 1.2, 1.5, 1.5, 1.5],
            align="crrrr",
            total=["合计", "", "", ctx.money("基金支付合计", fund_total), ""],
        ),
        Signature(
            [f"单位负责人：{ids.make_person_name(rng)}", f"填报日期：{ctx.date()}"],
            seal=ctx.seal(ctx.agency),
        ),
    ]
    return blocks, None


def _maternity(ctx: _Ctx, title: str, pages: int) -> Body:
    rng = ctx.rng
    p = ctx.person()
    ctx.uses_unit = True
    days = rng.choice((98, 113, 128, 158))
    wage = ids.make_amount(rng, 3500, 15000)
    allowance = (wage / 30 * days).quantize(Decimal("0.01"))
    grid = [
        [("姓名", p.name), ("公民身份号码", p.id_number)],
        [("单位名称", ctx.unit_name)],
        [("生育日期", ctx.date()), ("分娩方式", rng.choice(("顺产", "剖宫产")))],
        [("生育医疗机构", ids.make_hospital_name(rng, ctx.region))],
        [("产假天数", f"{days}天"), ("月缴费工资", ids.format_amount(wage))],
        [
            ("生育津贴", ctx.money("生育津贴", allowance)),
            ("生育医疗费", ctx.amount("生育医疗费", 1500, 12000)),
        ],
    ]
    blocks: list[Block] = [
        KVGrid(grid),
        KVGrid([[("生育津贴（大写）", ids.amount_in_words(allowance))]]),
        Paragraphs([_DECLARATION_PERSON]),
        _person_signature(ctx, p.name),
        _approval(ctx),
    ]
    return blocks, p.name


_CN_ORDINALS = (*"零一二三四五六七八九十", *(f"十{d}" for d in "一二三四五六七八九"))
_AGREEMENT_EXTRA = (
    "乙方应当建立健全内部医疗保障管理制度，明确医保工作负责人，配备专（兼）职管理人员，"
    "定期开展医保政策培训。",
    "乙方应当按规定向甲方上传医疗费用结算清单、医药服务项目明细等数据，确保数据真实、准确、完整。",
    "乙方应当执行国家和本省规定的医疗服务价格政策，在显著位置公示药品、医用耗材和医疗服务项目价格。",
    "乙方为参保人员提供超出基本医疗保险支付范围的医药服务，应当事先告知参保人员或其近亲属，"
    "并经同意后签字确认。",
    "甲方应当向乙方提供医疗保障政策咨询、业务培训和信息系统技术支持，及时通报政策调整情况。",
    "甲方对乙方申报的医疗费用进行审核，对不符合规定的费用不予支付，已经支付的予以追回。",
    "甲方可以通过现场检查、智能审核、第三方评估等方式对乙方履行协议情况进行监督检查，乙方应当予以配合。",
    "乙方名称、法定代表人、地址、执业范围等发生变更的，应当自变更之日起三十日内向甲方申请变更。",
    "协议履行过程中发生争议的，双方应当协商解决；协商不成的，可以依法申请行政复议或者提起行政诉讼。",
    "本协议未尽事宜，由甲乙双方另行协商，并签订补充协议；补充协议与本协议具有同等效力。",
)


def _institution_agreement(ctx: _Ctx, title: str, pages: int) -> Body:
    rng = ctx.rng
    hospital = ids.make_hospital_name(rng, ctx.region)
    legal = ctx.person()
    ctx.unit_name = hospital
    if "协议" in title:
        until = ctx.day + dt.timedelta(days=3 * 365)
        terms = [
            "乙方应当严格执行医疗保障政策，为参保人员提供合理、必要的医药服务。",
            "乙方应当核验参保人员医保电子凭证或社会保障卡，做到人证相符。",
            "甲方按规定及时与乙方结算医疗费用，并对乙方履行协议情况进行考核。",
        ]
        if pages > 1:
            terms += _AGREEMENT_EXTRA
        terms += [
            "乙方违反协议约定的，甲方可视情节采取约谈、暂停结算、解除协议等处理措施。",
            f"本协议有效期自{ctx.date()}起至{ctx.date(until)}止。本协议一式两份，甲乙双方各执一份。",
        ]
        clauses = [
            f"甲方：{ctx.agency}",
            f"乙方：{hospital}",
            "为加强医疗保障定点医疗机构管理，规范医疗服务行为，保障参保人员合法权益，"
            "根据《医疗保障基金使用监督管理条例》等规定，甲乙双方经协商一致，签订本协议。",
        ] + [f"第{_CN_ORDINALS[i + 1]}条 {t}" for i, t in enumerate(terms)]
        ctx.uses_unit = True
        blocks: list[Block] = [Paragraphs(clauses[:2], indent=False)]
        if pages > 1:
            blocks += [Paragraphs(clauses[2:12]), PageBreak(), Paragraphs(clauses[12:])]
        else:
            blocks.append(Paragraphs(clauses[2:]))
        blocks += [
            Signature(
                [f"甲方（盖章）：{ctx.agency}", f"日期：{ctx.date()}"],
                seal=ctx.seal(ctx.agency),
                x=0.0,
            ),
            Signature(
                [f"乙方（盖章）：{hospital}", f"法定代表人：{legal.name}", f"日期：{ctx.date()}"],
                seal=ctx.seal(hospital),
                x=0.55,
                beside=True,
            ),
        ]
        return blocks, None
    ctx.uses_unit = True
    grid = [
        [("机构名称", hospital)],
        [("统一社会信用代码", ctx.credit_code), ("机构编码", ctx.unit_code)],
        [("法定代表人", legal.name), ("公民身份号码", legal.id_number)],
        [
            ("机构类别", rng.choice(("综合医院", "中医医院", "专科医院", "社区卫生服务中心"))),
            ("医院等级", rng.choice(("三级甲等", "二级甲等", "一级"))),
        ],
        [("地址", _address(ctx))],
        [("核定床位", f"{rng.randint(20, 1500)}张"), ("联系电话", ids.make_phone(rng))],
    ]
    n, page_rows = _split_rows(rng, pages, (3, 7))
    rows = [
        [
            str(i + 1),
            ids.make_person_name(rng),
            rng.choice(("主任医师", "副主任医师", "主治医师", "主管护师")),
            f"1103501{rng.randint(10000000, 99999999)}",
        ]
        for i in range(n)
    ]
    blocks = [
        KVGrid(grid),
        Table(
            ["序号", "姓名", "职称", "执业证书编码"],
            rows,
            [0.6, 1.3, 1.6, 2.6],
            caption="主要医务人员",
            page_rows=page_rows,
        ),
        Signature(["申请单位（盖章）：", f"申请日期：{ctx.date()}"], seal=ctx.seal(hospital)),
        _approval(ctx),
    ]
    return blocks, None


def _audit_notice(ctx: _Ctx, title: str, pages: int) -> Body:
    rng = ctx.rng
    target = ids.make_hospital_name(rng, ctx.region) if rng.random() < 0.6 else ctx.unit_name
    ctx.unit_name = target
    ctx.uses_unit = True
    abbrev = ctx.region.city[0]
    number = f"{abbrev}医保稽〔{ctx.day.year}〕{rng.randint(1, 120)}号"
    if "通知书" in title and "整改" not in title:
        texts = [
            f"根据《医疗保障基金使用监督管理条例》有关规定，我局决定自{ctx.date()}起，"
            f"对你单位{ctx.day.year - 1}年度医疗保障基金使用情况进行稽核。",
            "请你单位按要求提供相关财务账册、医疗服务记录、费用结算资料等，并指定专人配合稽核工作。",
            f"联系人：{ctx.handler}  联系电话：{ids.make_phone(rng)}",
        ]
        blocks: list[Block] = [
            Subtitle(number),
            Paragraphs([f"{target}："], indent=False),
            Paragraphs(texts),
        ]
    else:
        n, page_rows = _split_rows(rng, pages, (2, 6))
        problems = (
            "超标准收费",
            "重复收费",
            "串换药品项目",
            "分解住院",
            "过度检查",
            "超医保支付范围结算",
        )
        rows = []
        total = Decimal("0")
        for i in range(n):
            amount = ids.make_amount(rng, 100, 50000)
            total += amount
            rows.append(
                [
                    str(i + 1),
                    rng.choice(problems),
                    str(rng.randint(1, 300)),
                    ids.format_amount(amount),
                ]
            )
        blocks = [
            Subtitle(number),
            Paragraphs([f"{target}："], indent=False),
            Paragraphs(
                [
                    f"经稽核，你单位存在以下违反医疗保障管理规定的问题，涉及金额合计"
                    f"{ctx.money('涉及金额合计', total)}元。"
                ]
            ),
            Table(
                ["序号", "问题类型", "涉及人次", "涉及金额"],
                rows,
                [0.6, 2.6, 1.1, 1.4],
                align="clcr",
                page_rows=page_rows,
            ),
            Paragraphs(
                [f"请你单位于收到本通知之日起三十日内完成整改，并将整改情况书面报送{ctx.agency}。"]
            ),
        ]
    blocks.append(Signature([ctx.agency, ctx.date()], seal=ctx.seal(ctx.agency)))
    return blocks, None


def _internal_control(ctx: _Ctx, title: str, pages: int) -> Body:
    rng = ctx.rng
    grid = [
        [
            ("检查科室", rng.choice(("待遇审核科", "基金财务科", "参保登记科", "稽核科"))),
            ("检查日期", ctx.date()),
        ],
        [("检查人员", f"{ids.make_person_name(rng)}、{ids.make_person_name(rng)}")],
        [("检查业务", rng.choice(("零星报销审核", "参保登记", "基金支付结算", "个人账户支取")))],
    ]
    items = (
        "岗位分离",
        "授权审批",
        "业务复核",
        "档案归集",
        "系统权限",
        "票据管理",
        "待遇计算",
        "数据备份",
    )
    n, page_rows = _split_rows(rng, pages, (4, 8))
    rows = [
        [
            str(i + 1),
            rng.choice(items),
            rng.choice(("符合", "符合", "基本符合", "不符合")),
            rng.choice(("", "已当场整改", "限期整改")),
        ]
        for i in range(n)
    ]
    blocks: list[Block] = [
        KVGrid(grid),
        Table(
            ["序号", "检查事项", "检查结果", "问题说明"],
            rows,
            [0.6, 2, 1.3, 2.2],
            page_rows=page_rows,
        ),
        Signature(
            [
                f"检查组（盖章）：{ctx.agency}",
                f"被检查科室负责人：{ids.make_person_name(rng)}",
                f"日期：{ctx.date()}",
            ],
            seal=ctx.seal(ctx.agency),
        ),
    ]
    return blocks, None


def _statistics(ctx: _Ctx, title: str, pages: int, *, annual: bool) -> Body:
    rng = ctx.rng
    year = ctx.day.year - (1 if annual else 0)
    if annual:
        period = f"（{year}年度）"
        rows = []
        base = rng.randint(200000, 2000000)
        income_total = Decimal("0")
        for m in range(1, 13):
            insured = base + rng.randint(-5000, 8000) * m
            income = ids.make_amount(rng, 8000, 60000)
            spend = ids.make_amount(rng, 6000, 55000)
            income_total += income
            rows.append(
                [
                    f"{m}月",
                    str(insured),
                    ids.format_amount(income),
                    ids.format_amount(spend),
                    ids.format_amount(income - spend),
                ]
            )
        table = Table(
            ["月份", "参保人数", "基金收入", "基金支出", "当期结余"],
            rows,
            [0.9, 1.4, 1.5, 1.5, 1.5],
            align="crrrr",
            total=["合计", "", ctx.money("基金收入合计", income_total), "", ""],
        )
    else:
        if "季报" in title:
            period = f"（{year}年第{(ctx.day.month - 1) // 3 + 1}季度）"
        else:
            period = f"（{year}年{ctx.day.month:02d}月）"
        indicators = (
            ("参保人数", "人"),
            ("其中：在职职工", "人"),
            ("退休人员", "人"),
            ("基金收入", "万元"),
            ("基金支出", "万元"),
            ("住院人次", "人次"),
            ("门诊人次", "人次"),
            ("累计结余", "万元"),
        )
        rows = []
        for name, unit in indicators:
            if unit == "万元":
                now = ids.format_amount(ids.make_amount(rng, 1000, 90000))
                last = ids.format_amount(ids.make_amount(rng, 1000, 90000))
            else:
                now, last = str(rng.randint(1000, 900000)), str(rng.randint(1000, 900000))
            rows.append([name, unit, now, last, f"{rng.uniform(-15, 25):.1f}%"])
        table = Table(
            ["指标名称", "计量单位", "本期数", "上年同期数", "增减"],
            rows,
            [2, 1, 1.5, 1.5, 1],
            align="lcrrr",
        )
    blocks: list[Block] = [
        Subtitle(period),
        Meta(f"填报单位：{ctx.agency}", f"报送日期：{ctx.date()}"),
        table,
        Signature(
            [
                f"单位负责人：{ids.make_person_name(rng)}",
                f"统计负责人：{ids.make_person_name(rng)}",
            ],
            seal=ctx.seal(ctx.agency),
        ),
    ]
    return blocks, None


def _generic(ctx: _Ctx, title: str, pages: int) -> Body:
    """Any class without its own builder: a person's application with a material list."""
    p = ctx.person()
    rows = [
        [str(i + 1), m, "1"] for i, m in enumerate(("申请表", "有效身份证件复印件", "相关证明材料"))
    ]
    blocks: list[Block] = [
        KVGrid(_person_rows(ctx, p)),
        Table(["序号", "提交材料", "份数"], rows, [0.6, 4, 0.8], align="clc"),
        Paragraphs([_DECLARATION_PERSON]),
        _person_signature(ctx, p.name),
        _approval(ctx),
    ]
    return blocks, p.name


_BUILDERS: dict[str, Callable[[_Ctx, str, int], Body]] = {
    "unit_registration": _unit_registration,
    "employee_enrol": lambda c, t, n: _employee_change(c, t, n, leave=False),
    "employee_leave": lambda c, t, n: _employee_change(c, t, n, leave=True),
    "resident_enrol": _resident_enrol,
    "info_change": _info_change,
    "account_refund": _account_refund,
    "transfer": _transfer,
    "card_issue": _card_issue,
    "wage_base": _wage_base,
    "back_payment": _back_payment,
    "payment_proof": _payment_proof,
    "reimbursement": _reimbursement,
    "remote_filing": _remote_filing,
    "chronic_disease": _chronic_disease,
    "inpatient_bill": _inpatient_bill,
    "annual_payment_summary": _annual_payment_summary,
    "maternity": _maternity,
    "institution_agreement": _institution_agreement,
    "audit_notice": _audit_notice,
    "internal_control": _internal_control,
    "annual_statistics": lambda c, t, n: _statistics(c, t, n, annual=True),
    "periodic_statistics": lambda c, t, n: _statistics(c, t, n, annual=False),
}

# Classes whose printed layout already carries its own meta line / footer.
_NO_META = frozenset(
    {"annual_payment_summary", "annual_statistics", "periodic_statistics", "audit_notice"}
)
# Classes filed by one insured person (a "（个人）" title variant makes sense).
_PERSON_CLASSES = frozenset(
    {
        "resident_enrol",
        "info_change",
        "account_refund",
        "transfer",
        "card_issue",
        "reimbursement",
        "remote_filing",
        "chronic_disease",
        "maternity",
    }
)
_NO_FOOTER = frozenset(
    {
        "payment_proof",
        "audit_notice",
        "institution_agreement",
        "annual_payment_summary",
        "annual_statistics",
        "periodic_statistics",
        "inpatient_bill",
        "internal_control",
    }
)


def _title(
    rng: random.Random, cls: ScheduleRow, region: ids.Region, alt_titles: bool = True
) -> tuple[str, str, bool]:
    base = rng.choice(cls.titles)
    if rng.random() >= TITLE_VARIANT_RATE:
        return base, base, False
    choice = rng.randrange(4)
    if choice == 3:
        alternatives = ALT_TITLES.get(cls.code, ()) if alt_titles else ()
        if alternatives:
            return rng.choice(alternatives), base, True
        choice = rng.randrange(3)
    if choice == 0 and not base.startswith(region.province):
        return region.province + base, base, True
    if choice == 1 and not base.startswith(region.city):
        return region.city + base, base, True
    if cls.code in UNIT_CLASSES:
        return base + "（单位）", base, True
    if cls.code in _PERSON_CLASSES:
        return base + "（个人）", base, True
    return region.city + base, base, True


def build_form(
    cls: ScheduleRow, rng: random.Random, pages: int = 1, *, alt_titles: bool = True
) -> Form:
    """A random form of class `cls` meant to fill about `pages` A4 pages (1 or 2);
    `alt_titles` allows provincial titles outside the schedule (ALT_TITLES)."""
    ctx = _new_ctx(rng)
    title, base_title, variant = _title(rng, cls, ctx.region, alt_titles)
    builder = _BUILDERS.get(cls.code, _generic)
    body, person_name = builder(ctx, base_title, pages)
    blocks: list[Block] = [Title(title)]
    if cls.code not in _NO_META:
        blocks.append(Meta(f"业务流水号：{ctx.serial}", f"受理日期：{ctx.date()}"))
        serial: str | None = ctx.serial
    else:
        serial = None
    blocks += body
    if cls.code not in _NO_FOOTER:
        blocks.append(_footer(ctx))
    has_split = any(isinstance(b, Table) and b.page_rows for b in body) or any(
        isinstance(b, PageBreak) for b in body
    )
    if pages > 1 and not has_split:
        picks = sorted(rng.sample(range(len(_INSTRUCTIONS)), rng.randint(4, 6)))
        blocks += [
            PageBreak("填表说明"),
            Paragraphs([f"{i + 1}. {_INSTRUCTIONS[k]}" for i, k in enumerate(picks)], indent=False),
        ]
    unit = ctx.uses_unit
    fields: dict[str, Any] = {
        "id_numbers": list(dict.fromkeys(ctx.id_numbers)),
        "person_name": person_name,
        "credit_code": ctx.credit_code if unit and _printed(blocks, ctx.credit_code) else None,
        "unit_name": ctx.unit_name if unit else None,
        "unit_code": ctx.unit_code if unit and _printed(blocks, ctx.unit_code) else None,
        "serial": serial,
        "business_date": ctx.day.isoformat(),
        "amounts": dict(ctx.amounts),
        "base_title": base_title,
        "title_variant": variant,
        "category": cls.category,
        "retention": cls.retention,
        "agency": ctx.agency,
        "persons": ctx.persons,
        "seal_texts": list(dict.fromkeys(ctx.seals)),
    }
    return Form(doc_type=cls.code, title=title, blocks=blocks, fields=fields)


def _printed(blocks: list[Block], value: str) -> bool:
    """Whether `value` appears in a header grid (used to keep fields truthful)."""
    for block in blocks:
        if isinstance(block, KVGrid) and any(value == v for row in block.rows for _, v in row):
            return True
    return False
