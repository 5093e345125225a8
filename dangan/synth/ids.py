"""Identifiers and small values printed on medical-insurance forms.

Check characters follow the national standards (computed by
`dangan.checkdigits`, the module intake validates with), so the synthetic
numbers pass the same validation that real ones do.

Every generator takes a `random.Random` so corpora are reproducible.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from dangan.checkdigits import credit_code_check, id_check_digit, org_code_check

# --- regions and 公民身份号码 (GB 11643) -------------------------------------


@dataclass(frozen=True)
class Region:
    """An administrative division (GB/T 2260 code) used for addresses and ids."""

    code: str
    province: str
    city: str
    district: str

    @property
    def city_label(self) -> str:
        """The city as printed ("北京市" rather than "北京市北京市")."""
        return self.city

    @property
    def full(self) -> str:
        if self.province == self.city:
            return f"{self.city}{self.district}"
        return f"{self.province}{self.city}{self.district}"


# Fujian first and weighted up: the project is piloted there.
REGIONS: tuple[Region, ...] = (
    Region("350102", "福建省", "福州市", "鼓楼区"),
    Region("350103", "福建省", "福州市", "台江区"),
    Region("350104", "福建省", "福州市", "仓山区"),
    Region("350111", "福建省", "福州市", "晋安区"),
    Region("350203", "福建省", "厦门市", "思明区"),
    Region("350206", "福建省", "厦门市", "湖里区"),
    Region("350502", "福建省", "泉州市", "鲤城区"),
    Region("350503", "福建省", "泉州市", "丰泽区"),
    Region("350602", "福建省", "漳州市", "芗城区"),
    Region("350702", "福建省", "南平市", "延平区"),
    Region("350802", "福建省", "龙岩市", "新罗区"),
    Region("350902", "福建省", "宁德市", "蕉城区"),
    Region("110101", "北京市", "北京市", "东城区"),
    Region("110105", "北京市", "北京市", "朝阳区"),
    Region("110108", "北京市", "北京市", "海淀区"),
    Region("310104", "上海市", "上海市", "徐汇区"),
    Region("310115", "上海市", "上海市", "浦东新区"),
    Region("440106", "广东省", "广州市", "天河区"),
    Region("440305", "广东省", "深圳市", "南山区"),
    Region("330106", "浙江省", "杭州市", "西湖区"),
    Region("320102", "江苏省", "南京市", "玄武区"),
    Region("360102", "江西省", "南昌市", "东湖区"),
    Region("420106", "湖北省", "武汉市", "武昌区"),
    Region("510107", "四川省", "成都市", "武侯区"),
    Region("370102", "山东省", "济南市", "历下区"),
)
_FUJIAN_SHARE = 0.7


def pick_region(rng: random.Random) -> Region:
    """A region, Fujian about 70% of the time."""
    fujian = [r for r in REGIONS if r.code.startswith("35")]
    others = [r for r in REGIONS if not r.code.startswith("35")]
    return rng.choice(fujian if rng.random() < _FUJIAN_SHARE else others)


def random_date(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    """A uniformly random date in [start, end]."""
    span = (end - start).days
    return start + dt.timedelta(days=rng.randint(0, max(span, 0)))


def make_id_number(
    rng: random.Random,
    *,
    region: Region | None = None,
    birth: dt.date | None = None,
    sex: str | None = None,
) -> str:
    """A valid 公民身份号码; `sex` is "男" or "女" (odd/even 17th digit)."""
    region = region or pick_region(rng)
    birth = birth or random_date(rng, dt.date(1940, 1, 1), dt.date(2005, 12, 31))
    seq = rng.randint(0, 99)
    if sex is None:
        sex = rng.choice(("男", "女"))
    parity = rng.choice((1, 3, 5, 7, 9)) if sex == "男" else rng.choice((0, 2, 4, 6, 8))
    first17 = f"{region.code}{birth:%Y%m%d}{seq:02d}{parity}"
    return first17 + id_check_digit(first17)


def id_birth_date(id_number: str) -> dt.date:
    """The birth date encoded in a 公民身份号码."""
    return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def id_sex(id_number: str) -> str:
    """ "男" or "女" from the 17th digit."""
    return "男" if int(id_number[16]) % 2 else "女"


# --- 统一社会信用代码 (GB 32100) and 组织机构代码 (GB 11714) -----------------

_ORG_BODY = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_credit_code(rng: random.Random, *, region: Region | None = None) -> str:
    """A valid 统一社会信用代码 of an enterprise ("91"), with a valid organisation code."""
    region = region or pick_region(rng)
    if rng.random() < 0.6:
        # Codes issued since 2015 carry "MA" plus six characters.
        body = "MA" + "".join(rng.choice(_ORG_BODY) for _ in range(6))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    org = body + org_code_check(body)
    first17 = f"91{region.code}{org}"
    return first17 + credit_code_check(first17)


# --- names ---------------------------------------------------------------------

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余"
    "于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷"
)
_GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红娥玲建国志文斌辉鹏宇"
    "浩然子涵欣怡思雨佳琪梓萱晨阳俊杰嘉豪雅婷诗琪梦瑶一鸣家乐锦程海燕春梅秋菊丽华"
    "永福金水火旺德福榕生闽生清华晓东晓明立新新民建华国强秀珍淑芬凤英美玲慧敏婉清"
)


def make_person_name(rng: random.Random) -> str:
    """A common Chinese personal name: surname plus one or two characters."""
    n = 1 if rng.random() < 0.3 else 2
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(n))


_BRANDS = (
    "闽江",
    "鑫源",
    "华晟",
    "恒信",
    "宏达",
    "永安",
    "海峡",
    "榕城",
    "东方",
    "瑞丰",
    "安泰",
    "嘉禾",
    "中联",
    "天宇",
    "新创",
    "融信",
    "鹭岛",
    "武夷",
    "兴业",
    "博远",
    "合力",
    "金桥",
)
_TRADES = (
    "科技",
    "贸易",
    "建筑工程",
    "物业管理",
    "餐饮管理",
    "医药",
    "电子",
    "信息技术",
    "教育咨询",
    "物流",
    "纺织",
    "食品",
    "机械制造",
    "文化传媒",
    "环保科技",
)
_FORMS = ("有限公司", "有限公司", "有限责任公司", "股份有限公司")


def make_unit_name(rng: random.Random, region: Region | None = None) -> str:
    """An employer name such as "福州市鼓楼区闽江科技有限公司"."""
    region = region or pick_region(rng)
    place = region.city + (region.district if rng.random() < 0.6 else "")
    return f"{place}{rng.choice(_BRANDS)}{rng.choice(_TRADES)}{rng.choice(_FORMS)}"


_HOSPITAL_PATTERNS = (
    "{city}第一医院",
    "{city}第二医院",
    "{city}中医院",
    "{city}{district}医院",
    "{city}妇幼保健院",
    "{city}人民医院",
    "{city}{district}社区卫生服务中心",
)


def make_hospital_name(rng: random.Random, region: Region | None = None) -> str:
    """A plausible medical institution name."""
    region = region or pick_region(rng)
    return rng.choice(_HOSPITAL_PATTERNS).format(city=region.city, district=region.district)


def make_pharmacy_name(rng: random.Random, region: Region | None = None) -> str:
    """A plausible retail pharmacy name."""
    region = region or pick_region(rng)
    return f"{region.city}{rng.choice(_BRANDS)}大药房连锁有限公司"


def make_agency_name(rng: random.Random, region: Region) -> str:
    """The medical-insurance agency (经办机构) of a region."""
    patterns = (
        "{city}医疗保障局",
        "{city}医疗保障基金中心",
        "{city}{district}医疗保障局",
        "{city}医疗保险管理中心",
    )
    return rng.choice(patterns).format(city=region.city, district=region.district)


# --- numbers -------------------------------------------------------------------


def make_unit_code(rng: random.Random, region: Region | None = None) -> str:
    """A 单位编号: 8 to 10 digits, agency specific; often starts with the region."""
    region = region or pick_region(rng)
    length = rng.choice((8, 10, 10))
    if length == 10:
        return region.code[:4] + "".join(rng.choice("0123456789") for _ in range(6))
    return "".join(rng.choice("0123456789") for _ in range(8))


def make_serial(rng: random.Random, day: dt.date) -> str:
    """A 业务流水号: "YB" + yyyymmdd + 6 digits."""
    return f"YB{day:%Y%m%d}{rng.randint(0, 999999):06d}"


def make_phone(rng: random.Random) -> str:
    """A mobile phone number."""
    return rng.choice(("13", "15", "18", "17")) + "".join(
        rng.choice("0123456789") for _ in range(9)
    )


def make_card_number(rng: random.Random) -> str:
    """A social security card number (社会保障卡卡号): nine characters."""
    head = rng.choice(("A", "B", "C", "D", "E", "0", "1"))
    return head + "".join(rng.choice("0123456789") for _ in range(8))


def make_bank_account(rng: random.Random) -> str:
    """A 19-digit bank account number."""
    return "6" + "".join(rng.choice("0123456789") for _ in range(18))


def make_amount(rng: random.Random, low: float, high: float) -> Decimal:
    """A money amount in yuan with two decimals."""
    value = Decimal(str(rng.uniform(low, high)))
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def format_amount(value: Decimal, *, grouping: bool = False) -> str:
    """ "1234.50" or, with grouping, "1,234.50"."""
    return f"{value:,.2f}" if grouping else f"{value:.2f}"


_CN_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_CN_UNITS = ("", "拾", "佰", "仟")
_CN_SECTIONS = ("", "万", "亿", "万亿")


def _integer_in_words(n: int) -> str:
    digits = str(n)
    out: list[str] = []
    zero_pending = False
    for i, ch in enumerate(digits):
        pos = len(digits) - 1 - i
        d = int(ch)
        if d == 0:
            zero_pending = True
        else:
            if zero_pending:
                out.append("零")
                zero_pending = False
            out.append(_CN_DIGITS[d] + _CN_UNITS[pos % 4])
        if pos % 4 == 0 and pos > 0 and int(digits[max(0, i - 3) : i + 1]) != 0:
            out.append(_CN_SECTIONS[pos // 4])
    return "".join(out)


def amount_in_words(value: Decimal) -> str:
    """Upper-case Chinese amount (大写金额), e.g. 1205.30 -> "壹仟贰佰零伍元叁角整"."""
    cents = int((value * 100).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
    if cents < 0:
        raise ValueError("negative amount")
    yuan, frac = divmod(cents, 100)
    jiao, fen = divmod(frac, 10)
    words = _integer_in_words(yuan) + "元" if yuan else ""
    if jiao == 0 and fen == 0:
        return (words or "零元") + "整"
    if jiao:
        words += _CN_DIGITS[jiao] + "角"
    elif words:
        words += "零"
    return words + (_CN_DIGITS[fen] + "分" if fen else "整")


def format_cn_date(day: dt.date) -> str:
    """ "2023年05月12日"."""
    return f"{day.year}年{day.month:02d}月{day.day:02d}日"
