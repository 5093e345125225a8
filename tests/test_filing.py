"""Retention schedule, disposal dates, 档号 and the review queue (no OCR)."""

from __future__ import annotations

import multiprocessing
from datetime import date
from pathlib import Path

import pytest
from dangan.catalog.base import PageText, Record, RecordFilter
from dangan.retention.filing import FilingPolicy, apply_filing
from dangan.retention.schedule import (
    ScheduleError,
    default_schedule,
    disposal_date,
    merge_overrides,
    parse_csv,
)

from dangan.archive import Archive
from dangan.config import Settings

VALID_ID = "11010519491231002X"


def test_disposal_clock_starts_on_1_january_after_the_record_was_formed():
    assert disposal_date(date(2015, 3, 1), "10年") == date(2026, 1, 1)
    assert disposal_date(date(2015, 12, 31), "10年") == date(2026, 1, 1)
    assert disposal_date(date(2016, 1, 1), "30年") == date(2047, 1, 1)
    assert disposal_date(date(2015, 3, 1), "永久") is None


def test_shipped_schedule_has_every_class_with_a_readable_period():
    schedule = default_schedule()
    assert len(schedule.rows) == 22
    assert schedule["unit_registration"].retention_code == "Y"
    assert schedule["payment_proof"].retention_code == "D10"
    assert "门诊特殊慢性病申请鉴定表" in schedule["chronic_disease"].typical_titles


def test_override_may_lengthen_but_never_shorten():
    base = default_schedule()
    longer = parse_csv(
        "code,category,business_stage,material,typical_titles,retention,basis\n"
        "payment_proof,征缴类,缴费证明,缴费证明材料,参保缴费证明,30年,福建\n"
    )
    merged = merge_overrides(base, longer, "福建")
    assert merged["payment_proof"].retention == "30年"
    assert merged.version == base.version + 1
    shorter = parse_csv(
        "code,category,business_stage,material,typical_titles,retention,basis\n"
        "payment_proof,征缴类,缴费证明,缴费证明材料,参保缴费证明,30年,福建\n"
        "unit_registration,管理类,参保登记,登记,参保单位登记表,100年,x\n"
    )
    with pytest.raises(ScheduleError) as err:
        merge_overrides(base, shorter, "福建")
    assert "unit_registration" in err.value.message and "不能缩短" in err.value.message


def _record(rid: str, fields: dict, text: str = "参保单位登记表") -> Record:
    return Record(
        id=rid,
        sha256=rid.ljust(64, "0"),
        filename=f"{rid}.png",
        media_type="image/png",
        size=1,
        page_count=1,
        title="",
        ocr_mode="ocr",
        created_at="2026-01-01T00:00:00+00:00",
        pages=[PageText(1, text)],
        fields=fields,
    )


def test_confident_record_is_filed_with_an_archival_code_prefix():
    record = _record("r1", {"business_date": "2024-05-10", "id_numbers": [VALID_ID]})
    apply_filing(
        record,
        doc_type="employee_enrol",
        confidence=0.97,
        fields=record.fields,
        schedule=default_schedule(),
        policy=FilingPolicy(fonds_code="J035"),
        today=date(2026, 1, 1),
    )
    assert record.status == "filed" and record.review_reasons == []
    assert record.retention == "100年" and record.category == "管理类"
    assert record.disposal_date == "2125-01-01"
    assert record.archival_prefix == "J035-YW·2024-D100-GL"


@pytest.mark.parametrize(
    ("doc_type", "confidence", "fields", "reason"),
    [
        ("employee_enrol", 0.4, {"business_date": "2024-05-10"}, "置信度"),
        (None, 0.0, {"business_date": "2024-05-10"}, "无法确定档案类别"),
        ("employee_enrol", 0.99, {"business_date": "2024-05-10",
                                  "invalid_id_numbers": ["110105194912310021"]}, "校验位"),
        ("employee_enrol", 0.99, {}, "业务办理日期"),
    ],
)  # fmt: skip
def test_doubt_sends_the_record_to_review_with_a_reason(doc_type, confidence, fields, reason):
    record = _record("r2", fields)
    apply_filing(
        record,
        doc_type=doc_type,
        confidence=confidence,
        fields=fields,
        schedule=default_schedule(),
        policy=FilingPolicy(),
        today=date(2026, 1, 1),
    )
    assert record.status == "review"
    assert any(reason in r for r in record.review_reasons)


def _file_many(home: str, start: int, count: int) -> None:
    archive = Archive.open(Settings.from_env({"DANGAN_HOME": home}))
    try:
        for i in range(start, start + count):
            record = _record(f"c{i:05d}", {"business_date": "2024-01-02"})
            apply_filing(
                record,
                doc_type="payment_proof",
                confidence=1.0,
                fields=record.fields,
                schedule=archive.schedule(),
                policy=archive.filing_policy(),
                today=date(2026, 1, 1),
            )
            archive.catalog.add_record(record)
    finally:
        archive.close()


def test_archival_numbers_have_no_gaps_or_repeats_under_concurrent_processes(tmp_path: Path):
    home = str(tmp_path / "home")
    Archive.open(Settings.from_env({"DANGAN_HOME": home})).close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_file_many, args=(home, i * 1000, 25)) for i in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    archive = Archive.open(Settings.from_env({"DANGAN_HOME": home}))
    try:
        codes = [archive.catalog.get(i).archival_code for i in archive.catalog.list_ids()]
    finally:
        archive.close()
    assert len(codes) == 100
    numbers = sorted(int(c.rsplit("-", 1)[1]) for c in codes)
    assert numbers == list(range(1, 101))
    assert all(c.startswith("Q001-YW·2024-D10-ZJ-") for c in codes)


def test_filters_find_records_by_person_unit_class_retention_and_date(tmp_path: Path):
    archive = Archive.open(Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")}))
    try:
        specs = [
            ("a", "employee_enrol", "2019-06-01", [VALID_ID], "91350100M000100Y43"),
            ("b", "payment_proof", "2021-06-01", [], "91350100M000100Y43"),
            ("c", "payment_proof", "2023-06-01", [VALID_ID], None),
        ]
        for rid, doc_type, day, ids, credit in specs:
            fields = {"business_date": day, "id_numbers": ids, "credit_code": credit}
            record = _record(rid, fields, text="医疗保险 缴费")
            apply_filing(
                record,
                doc_type=doc_type,
                confidence=1.0,
                fields=fields,
                schedule=archive.schedule(),
                policy=archive.filing_policy(),
                today=date(2026, 1, 1),
            )
            archive.catalog.add_record(record)
        archive.sync_index()

        def ids(query="", **kw):
            found = archive.index.search(query, filters=RecordFilter(**kw), limit=50)
            return sorted(h.record_id for h in found.hits)

        assert ids(person=VALID_ID) == ["a", "c"]
        assert ids(person=VALID_ID.lower()) == ["a", "c"]
        assert ids(unit="91350100M000100Y43") == ["a", "b"]
        assert ids(doc_type="payment_proof") == ["b", "c"]
        assert ids(retention="100年") == ["a"]
        assert ids(category="征缴类", date_from="2022-01-01") == ["c"]
        assert ids("缴费", date_to="2021-12-31") == ["a", "b"]
        assert ids("缴费", person="110105194912310030") == []
    finally:
        archive.close()


def test_loaded_schedule_is_a_new_version_and_records_remember_theirs(tmp_path: Path):
    from dangan.retention.schedule_service import load_agency_schedule

    archive = Archive.open(Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")}))
    try:
        assert archive.schedule().version == 1
        csv_path = tmp_path / "fj.csv"
        csv_path.write_text(
            "code,category,business_stage,material,typical_titles,retention,basis\n"
            "reimbursement,医疗保险待遇类,费用报销,报销,医疗费用零星报销申请表,30年,闽医保\n",
            encoding="utf-8",
        )
        schedule = load_agency_schedule(archive, csv_path, "福建")
        assert schedule.version == 2 and schedule["reimbursement"].retention == "30年"
        bad = tmp_path / "bad.csv"
        bad.write_text(
            "code,category,business_stage,material,typical_titles,retention,basis\n"
            "annual_statistics,统计报表类,统计,年报,年报,10年,x\n",
            encoding="utf-8",
        )
        with pytest.raises(ScheduleError):
            load_agency_schedule(archive, bad, "福建")
        assert archive.schedule().version == 2
        assert len(archive.catalog.schedule_versions()) == 2
    finally:
        archive.close()
