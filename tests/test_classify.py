"""Classification and key-field extraction on text (no OCR)."""

from __future__ import annotations

import gzip
import json
import random
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from dangan.ingest import classify
from dangan.ingest.classify import (
    Classifier,
    load_or_train,
    load_seed,
    seed_examples,
    title_similarity,
    train,
)
from dangan.ingest.fields import business_date, extract_fields
from dangan.retention.schedule import Schedule, ScheduleRow, default_schedule, merge_overrides

from dangan.synth.content import build_form
from dangan.synth.fonts import Measurer, pdf_font_set
from dangan.synth.layout import layout_form
from dangan.synth.schedule import load_schedule

VALID_ID = "11010519491231002X"


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    schedule = default_schedule()
    return Classifier(schedule, train(schedule))


def _held_out_forms(count: int, seed: int):
    measure = Measurer(pdf_font_set())
    classes = load_schedule()
    rng = random.Random(seed)
    for i in range(count):
        cls = classes[i % len(classes)]
        form = build_form(cls, rng, 1 + i % 2)  # provincial alternative titles included
        yield form, [page.text() for page in layout_form(form, measure, rng)]


def test_title_similarity_ignores_provincial_prefixes_and_suffixes():
    assert title_similarity("福建省参保单位登记表", "参保单位登记表") == pytest.approx(1.0)
    assert title_similarity("参保职工增员表（单位）", "参保职工增员表") == pytest.approx(1.0)
    assert title_similarity("参保职工増员表", "参保职工增员表") > 0.8  # one garbled character
    assert title_similarity("医疗费用零星报销申请表", "参保单位登记表") < 0.3


def test_every_class_is_recognised_on_held_out_forms_with_unseen_titles(classifier):
    results = [(form, classifier.classify(pages)) for form, pages in _held_out_forms(132, 4242)]
    wrong = [(f.doc_type, f.title, r.code) for f, r in results if r.code != f.doc_type]
    assert len(wrong) <= 2, wrong
    variants = [(f, r) for f, r in results if f.fields["title_variant"]]
    assert variants and all(r.code == f.doc_type for f, r in variants)


def test_confidence_drops_when_title_and_body_disagree(classifier):
    pages = next(
        pages for form, pages in _held_out_forms(12, 7) if form.doc_type == "reimbursement"
    )
    clean = classifier.classify(pages)
    assert clean.code == "reimbursement" and clean.confidence > 0.95
    lines = pages[0].splitlines()
    mixed = ["参保单位注销登记表\n" + "\n".join(lines[1:])]
    doubtful = classifier.classify(mixed)
    assert doubtful.confidence < clean.confidence
    assert doubtful.confidence < 0.8


def test_text_without_chinese_is_not_classified(classifier):
    result = classifier.classify(["12345 67890", ""])
    assert result.code is None and result.confidence == 0.0


def test_model_is_stored_and_retrained_when_clerks_add_examples(tmp_path: Path):
    schedule = default_schedule()
    path = tmp_path / "models" / "classifier.json"
    first = load_or_train(path, schedule)
    assert path.is_file()
    stamp = path.stat().st_mtime_ns
    again = load_or_train(path, schedule)
    assert again.fingerprint == first.fingerprint and path.stat().st_mtime_ns == stamp
    corrected = [("某某县医保待遇人员登记簿\n姓名 张三 公民身份号码 " + VALID_ID, "resident_enrol")]
    third = load_or_train(path, schedule, corrected)
    assert third.fingerprint != first.fingerprint
    assert "某某县医保待遇人员登记簿" in third.titles["resident_enrol"]


def test_classifier_is_built_without_the_form_generator(tmp_path: Path):
    """The starting model comes from the committed seed set: building and using
    it imports nothing of dangan.synth."""
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from dangan.ingest.classify import Classifier, load_or_train\n"
        "from dangan.retention.schedule import default_schedule\n"
        "schedule = default_schedule()\n"
        f"model = load_or_train(Path({str(tmp_path)!r}) / 'classifier.json', schedule)\n"
        "result = Classifier(schedule, model).classify(['医疗费用零星报销申请表 姓名 张三'])\n"
        "print(result.code, sorted(m for m in sys.modules if m.startswith('dangan.synth')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300, check=True
    )
    assert out.stdout.split() == ["reimbursement", "[]"]


def test_committed_seed_set_is_what_the_generator_prints():
    """The seed file is reproducible from the generator (with the font it was
    made with: line breaks follow the font's widths)."""
    from dangan.synth.classifier_seed import seed_records
    from dangan.synth.fonts import pdf_font_set

    with gzip.open(Path(classify.__file__).parent / classify.SEED_FILE, "rt") as fh:
        committed = [json.loads(line) for line in fh]
    if committed[0]["font"] != pdf_font_set().regular.path.name:
        pytest.skip(f"seed set was made with {committed[0]['font']}")
    assert seed_records() == committed, (
        "run `python -m dangan.synth.classifier_seed` and commit the file"
    )


def _with_rows(*rows: ScheduleRow) -> Schedule:
    default = default_schedule()
    return merge_overrides(default, list(rows), "test")


def test_a_class_an_agency_adds_is_learnt_from_its_titles():
    row = ScheduleRow("long_care", "待遇类", "长期护理", "长期护理保险待遇申请材料",
                      ("长期护理保险待遇申请表",), "30年")  # fmt: skip
    schedule = _with_rows(row)
    examples = [text for text, code in seed_examples(schedule) if code == "long_care"]
    assert len(examples) == len(load_seed().generic) > 0
    assert all(
        text.startswith("长期护理保险待遇申请表\n长期护理保险待遇申请材料 长期护理")
        for text in examples
    )
    classifier = Classifier(schedule, train(schedule))
    result = classifier.classify(["长期护理保险待遇申请表\n姓名 张三 公民身份号码 " + VALID_ID])
    assert result.code == "long_care" and result.confidence > 0.9


def test_a_renamed_class_is_trained_under_its_new_titles():
    old = default_schedule()["reimbursement"]
    renamed = replace(old, typical_titles=("零星医疗费用报销单",))
    schedule = _with_rows(renamed)
    examples = [text for text, code in seed_examples(schedule) if code == "reimbursement"]
    assert not any(title in text for text in examples for title in old.typical_titles)
    assert sum("零星医疗费用报销单" in text for text in examples) >= len(examples) // 2
    classifier = Classifier(schedule, train(schedule))
    result = classifier.classify(["零星医疗费用报销单\n姓名 张三 就诊医院 福州市第一医院"])
    assert result.code == "reimbursement"


def test_id_numbers_are_validated_and_one_misread_character_is_corrected():
    fields = extract_fields(
        [
            "姓名 张三 性别 男\n公民身份号码 11O10519491231002X\n"  # O for 0
            "配偶 110105194912310021\n"  # wrong check digit, no unique fix
        ]
    )
    assert fields.id_numbers == [VALID_ID]
    assert fields.invalid_id_numbers == ["110105194912310021"]
    assert fields.person_name == "张三"
    # an all-digit credit code is not an ID number read wrongly
    unit = extract_fields(["统一社会信用代码 91350103217765602X"])
    assert unit.invalid_id_numbers == [] and unit.credit_code == "91350103217765602X"


def test_labelled_fields_are_read():
    text = (
        "参保单位登记表\n业务流水号：YB20240510123456 受理日期：2024年05月10日\n"
        "单位名称 福州市华晟教育咨询有限责任公司\n"
        "统一社会信用代码 91350100M000100Y43 单位编号 55566657\n"
        "缴费金额 1234.50\n"
    )
    fields = extract_fields([text])
    assert fields.serial == "YB20240510123456"
    assert fields.unit_name == "福州市华晟教育咨询有限责任公司"
    assert fields.credit_code == "91350100M000100Y43"
    assert fields.unit_code == "55566657"
    assert fields.business_date == "2024-05-10"
    assert fields.amounts == {"缴费金额": "1234.50"}


def test_business_date_is_the_handling_date_not_a_birth_or_visit_date():
    text = (
        "出生日期 1960年03月02日\n就诊日期 2024-04-01\n就诊日期 2024-04-02\n申请日期：2024-05-06\n"
    )
    assert business_date(text).isoformat() == "2024-05-06"
    assert business_date("截至2023-01-08，累计缴费\n2023-01-08").isoformat() == "2023-01-08"
    assert business_date("没有日期") is None


def test_fields_match_the_truth_of_held_out_forms():
    total = ok_ids = ok_date = 0
    for form, pages in _held_out_forms(66, 99):
        fields = extract_fields(pages)
        total += 1
        ok_ids += fields.id_numbers == form.fields["id_numbers"]
        ok_date += fields.business_date == form.fields["business_date"]
    assert ok_ids / total >= 0.95
    assert ok_date / total >= 0.97
