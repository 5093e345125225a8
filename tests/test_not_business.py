"""Documents that are no business record of a known class are never filed
automatically (issue 18, defect 1), on text (no OCR)."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest
from dangan.catalog.base import PageText, Record
from dangan.ingest.classify import NOT_BUSINESS, Classifier, train
from dangan.ingest.pipeline import classify_and_file
from dangan.retention.filing import FilingPolicy, apply_filing
from dangan.retention.schedule import default_schedule

from dangan.archive import Archive
from dangan.config import Settings
from dangan.synth.content import build_form
from dangan.synth.fonts import Measurer, pdf_font_set
from dangan.synth.layout import layout_form
from dangan.synth.schedule import load_schedule
from dangan.synth.variation import HELDOUT, HELDOUT_TITLES, LABEL_SYNONYMS, vary_form

ADVERT = """限时特惠 扫码关注公众号 领取新人专享红包
微信扫一扫 全场商品满199元减100元 包邮到家
健康好礼 买二送一 会员专享价 今日下单再送精美礼品
长按识别二维码 添加客服微信 了解更多优惠活动
活动时间：2024年5月1日至5月7日 本活动最终解释权归本公司所有"""

VEHICLE = """机动车登记证书
注册登记摘要信息栏
1.机动车所有人/身份证明名称/号码 张三/居民身份证/11010519491231002X
2.登记机关 北京市公安局公安交通管理局车辆管理所 3.登记日期 2019-05-10
4.机动车登记编号 京A12345
转移登记摘要信息栏
注册登记机动车信息栏
5.车辆类型 小型轿车 6.车辆品牌 大众牌 7.车辆型号 FV7152 8.车身颜色 白
9.车辆识别代号 LFV2A21K6A3012345 10.国产/进口 国产 11.发动机号 123456
13.燃料种类 汽油 14.排量/功率 1498ml/81kw 15.制造厂名称 一汽大众汽车有限公司
27.核定载客 5人 30.使用性质 非营运 31.车辆获得方式 购买 32.车辆出厂日期 2019-03-20
33.发证机关章 34.发证日期 2019-05-10
抵押登记 解除抵押登记"""

# An English printer test page whose dots and marks OCR read as a few Chinese characters.
ENGLISH = """EPSON Printer Test Page
Nozzle Check Pattern. If the pattern has gaps, run the head cleaning utility.
Printer Model: Stylus Photo R2000  Firmware: 1.02  Date: 2024-05-10
Ink levels: Cyan 45%  Magenta 60%  Yellow 30%  Black 80%
卡 申 领 工 证 明 表 社
Thank you for choosing Epson."""

# The change and mortgage pages of a vehicle certificate photographed and OCR'd:
# labels any form has (登记, 变更, 姓名/名称, 号码, 统一社会信用代码, 日期).
VEHICLE_PAGE = """机动车登记证书编号：440040
登记栏
变更登记
2 使用性质：预约出租客运 变更登记日期：2018-06-29
4.抵押登记
5.抵押权人姓名/名称：某某融资租赁有限公司
6.身份证明名称/号码：统一社会信用代码/91440300MA5EXAMPLE
7.登记日期：2019-01-09
10.解除抵押日期：2022-03-18
12 变更登记
13.使用性质：预约出租转非营运 变更登记日期：2022-03-29"""

NON_BUSINESS = {
    "advert": ADVERT,
    "vehicle certificate": VEHICLE,
    "vehicle certificate page": VEHICLE_PAGE,
    "english page": ENGLISH,
}


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    schedule = default_schedule()
    return Classifier(schedule, train(schedule))


def _form_pages(code: str, seed: int, variation=None) -> list[str]:
    cls = next(c for c in load_schedule() if c.code == code)
    rng = random.Random(seed)
    form = build_form(cls, rng, 1)
    if variation is not None:
        form = vary_form(form, rng, variation)
    return [page.text() for page in layout_form(form, Measurer(pdf_font_set()), rng)]


def _record(pages: list[str]) -> Record:
    return Record(
        id="r1",
        sha256="1" * 64,
        filename="scan.jpg",
        media_type="image/jpeg",
        size=1,
        page_count=len(pages),
        title="",
        ocr_mode="ocr",
        created_at="2026-01-01T00:00:00+00:00",
        pages=[PageText(i, t) for i, t in enumerate(pages, start=1)],
    )


@pytest.mark.parametrize("kind", sorted(NON_BUSINESS))
def test_a_non_business_document_gets_no_class_and_the_chinese_reason(classifier, kind):
    result = classifier.classify([NON_BUSINESS[kind]])
    assert result.code is None and not result.known
    assert result.confidence < 0.5
    assert result.reason.startswith(NOT_BUSINESS + "：")
    assert result.candidates  # the best guesses stay for the clerk to see

    record = _record([NON_BUSINESS[kind]])
    apply_filing(
        record,
        doc_type=result.code,
        confidence=result.confidence,
        fields={"business_date": "2019-05-10"},
        schedule=classifier.schedule,
        policy=FilingPolicy(),
        today=date(2026, 1, 1),
        unknown_reason=result.reason,
    )
    assert record.status == "review"
    assert record.review_reasons[0].startswith(NOT_BUSINESS)
    # nothing invented while it waits: no class, retention, disposal date or 档号
    assert record.doc_type is record.retention is record.disposal_date is None
    assert record.archival_prefix is None


def test_confidence_falls_as_less_of_the_text_is_the_classes_vocabulary(classifier):
    form = _form_pages("reimbursement", 11)[0]
    alone = classifier.classify([form])
    assert alone.code == "reimbursement" and alone.confidence > 0.95
    diluted = [classifier.classify([form + ("\n" + ADVERT) * k]) for k in (1, 3, 8)]
    confidences = [r.confidence for r in diluted]
    coverages = [r.coverage for r in diluted]
    assert coverages == sorted(coverages, reverse=True) and coverages[0] < alone.coverage
    assert confidences == sorted(confidences, reverse=True)
    assert confidences[-1] < 0.8  # mostly an advert: not filed automatically


def test_a_business_form_in_other_wordings_still_has_its_class(classifier):
    """Held-out wordings (titles, labels, order, missing fields) the seed set never saw."""
    for i, code in enumerate(("info_change", "card_issue", "chronic_disease", "wage_base")):
        pages = _form_pages(code, 300 + i, HELDOUT)
        result = classifier.classify(pages)
        assert result.known and result.code == code, (code, pages[0][:80])


def test_ingest_sends_a_vehicle_certificate_to_review_without_retention(tmp_path: Path):
    archive = Archive.open(Settings.from_env({"DANGAN_HOME": str(tmp_path / "home")}))
    try:
        record = _record([VEHICLE])
        classify_and_file(archive, record)
    finally:
        archive.close()
    assert record.status == "review" and record.doc_type is None
    assert any(r.startswith(NOT_BUSINESS) for r in record.review_reasons)
    assert record.retention is None and record.disposal_date is None
    assert record.archival_prefix is None
    assert 0 <= record.metadata["vocabulary_coverage"] < 0.45


def test_a_record_in_doubt_of_its_class_stores_no_disposal_date():
    record = _record(["参保人员信息变更登记表"])
    apply_filing(
        record,
        doc_type="info_change",
        confidence=0.6,
        fields={"business_date": "2024-05-10"},
        schedule=default_schedule(),
        policy=FilingPolicy(),
        today=date(2026, 1, 1),
    )
    assert record.status == "review" and record.doc_type == "info_change"  # a suggestion
    assert record.disposal_date is None and record.archival_prefix is None


def test_heldout_variation_changes_wording_but_keeps_the_truth_printed():
    cls = next(c for c in load_schedule() if c.code == "info_change")
    seen_titles, seen_labels = set(), set()
    for seed in range(30):
        rng = random.Random(seed)
        form = vary_form(build_form(cls, rng, 1), rng, HELDOUT)
        text = "\n".join(p.text() for p in layout_form(form, Measurer(pdf_font_set()), rng))
        seen_titles.add(form.title)
        seen_labels |= {s for options in LABEL_SYNONYMS.values() for s in options if s in text}
        for value in form.fields["id_numbers"] + [form.fields["person_name"]]:
            assert value in text
        if form.fields["serial"]:
            assert form.fields["serial"] in text
    assert seen_titles & set(HELDOUT_TITLES["info_change"])
    assert {"身份证号码", "手机号码"} & seen_labels


def test_the_benchmark_counts_a_filed_non_business_document(classifier):
    """bench.real_docs files text as ingest does and counts what must not happen."""
    from bench.splits import file_text, summarise

    policy = FilingPolicy()
    rows = [
        file_text(classifier, classifier.schedule, policy, [text]) | {"truth": None}
        for text in NON_BUSINESS.values()
    ]
    assert all(r["outcome"] == "review" and r["class"] is None for r in rows)
    assert all(r["reasons"][0].startswith(NOT_BUSINESS) for r in rows)
    assert summarise(rows)["non_business_filed"] == 0
    form = file_text(classifier, classifier.schedule, policy, _form_pages("maternity", 5))
    assert form["outcome"] == "filed" and form["class"] == "maternity"
    assert summarise(rows + [form | {"truth": None}])["non_business_filed"] == 1
