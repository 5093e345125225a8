"""The review queue: a clerk confirms or corrects what the machine was unsure of."""

from __future__ import annotations

from pathlib import Path

import pytest
from dangan.ingest.review import ReviewError, confirm, review_queue
from records import file_record

from dangan.archive import Archive
from dangan.config import Settings

VALID_ID = "11010519491231002X"


def _add(archive: Archive, rid: str, text: str, doc_type: str | None, confidence: float, fields):
    return file_record(
        archive, rid, doc_type, fields, pages=[text], title="", confidence=confidence
    )


@pytest.fixture
def archive(tmp_path: Path):
    archive = Archive.open(Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")}))
    yield archive
    archive.close()


def test_confirming_a_doubtful_record_files_it_and_teaches_the_classifier(archive):
    text = "某某县医保待遇人员登记簿\n姓名 张三 公民身份号码 " + VALID_ID
    _add(archive, "r1", text, "employee_enrol", 0.3, {"business_date": "2024-03-01"})
    assert [r.id for r in review_queue(archive)] == ["r1"]
    assert archive.catalog.get("r1").archival_code is None

    record = confirm(archive, "r1", doc_type="resident_enrol")
    assert record.status == "filed" and record.doc_type == "resident_enrol"
    assert record.archival_code == "Q001-YW·2024-D100-GL-0001"
    assert review_queue(archive) == []
    # the clerk's title is now one the classifier knows
    assert "某某县医保待遇人员登记簿" in archive.classifier().model.titles["resident_enrol"]
    # a 档号 once given is stable
    again = confirm(archive, "r1", doc_type="resident_enrol", business_date="2025-01-01")
    assert again.archival_code == record.archival_code


def test_an_invalid_id_number_must_be_corrected_before_filing(archive):
    fields = {"business_date": "2024-03-01", "invalid_id_numbers": ["110105194912310021"]}
    _add(archive, "r2", "参保人员信息变更登记表", "info_change", 0.99, fields)
    with pytest.raises(ReviewError) as err:
        confirm(archive, "r2")
    assert "110105194912310021" in err.value.message
    with pytest.raises(ReviewError):
        confirm(archive, "r2", id_numbers=["110105194912310021"])
    record = confirm(archive, "r2", id_numbers=[VALID_ID.lower()])
    assert record.status == "filed" and record.fields["id_numbers"] == [VALID_ID]


def test_a_missing_business_date_and_an_unknown_class_are_refused_clearly(archive):
    _add(archive, "r3", "无法识别的文字", None, 0.0, {})
    with pytest.raises(ReviewError, match="类别"):
        confirm(archive, "r3")
    with pytest.raises(ReviewError, match="不在保管期限表"):
        confirm(archive, "r3", doc_type="no_such_class", business_date="2024-01-01")
    with pytest.raises(ReviewError, match="业务办理日期"):
        confirm(archive, "r3", doc_type="payment_proof")
    record = confirm(archive, "r3", doc_type="payment_proof", business_date="2024-01-02")
    assert record.disposal_date == "2035-01-01" and record.retention == "10年"


def test_a_catalog_from_the_previous_version_is_upgraded_in_place(tmp_path: Path):
    import sqlite3

    old = tmp_path / "h" / "catalog.sqlite3"
    old.parent.mkdir(parents=True)
    conn = sqlite3.connect(old)
    conn.executescript(
        "CREATE TABLE records (id TEXT PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE,"
        " filename TEXT NOT NULL, media_type TEXT NOT NULL, size INTEGER NOT NULL,"
        " page_count INTEGER NOT NULL, title TEXT NOT NULL DEFAULT '', ocr_mode TEXT NOT NULL,"
        " created_at TEXT NOT NULL, metadata TEXT NOT NULL DEFAULT '{}');"
        "CREATE TABLE pages (record_id TEXT NOT NULL, page_no INTEGER NOT NULL,"
        " text TEXT NOT NULL, PRIMARY KEY (record_id, page_no));"
        "CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, record_id TEXT NOT NULL,"
        " action TEXT NOT NULL, created_at TEXT NOT NULL);"
        "INSERT INTO records VALUES ('old1', 'x', 'a.png', 'image/png', 1, 1, '旧记录', 'ocr',"
        " '2025-01-01T00:00:00+00:00', '{}');"
        "INSERT INTO pages VALUES ('old1', 1, '参保单位登记表');"
    )
    conn.commit()
    conn.close()
    archive = Archive.open(Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")}))
    try:
        record = archive.catalog.get("old1")
        assert record.status == "review" and "旧版本" in record.review_reasons[0]
        assert [r.id for r in review_queue(archive)] == ["old1"]
        _add(
            archive,
            "new1",
            "参保单位登记表",
            "unit_registration",
            0.99,
            {"business_date": "2024-01-01"},
        )
        assert archive.catalog.get("new1").archival_code == "Q001-YW·2024-Y-GL-0001"
        archive.sync_index()
        found = archive.index.search("参保单位登记表").hits
        assert sorted(h.record_id for h in found) == ["new1", "old1"]
    finally:
        archive.close()


def test_review_queue_over_http_api_and_web_form(tmp_path: Path):
    from conftest import login
    from dangan.api.app import create_app
    from fastapi.testclient import TestClient

    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})
    archive = Archive.open(settings)
    try:
        _add(
            archive,
            "w1",
            "参保单位登记表",
            "unit_registration",
            0.2,
            {"business_date": "2023-02-03"},
        )
        _add(archive, "w2", "参保缴费证明", "payment_proof", 0.3, {"business_date": "2022-02-03"})
    finally:
        archive.close()
    with TestClient(create_app(settings)) as client:
        login(client, "clerk")
        queue = client.get("/api/review").json()
        assert queue["total"] == 2 and {i["record_id"] for i in queue["items"]} == {"w1", "w2"}
        page = client.get("/review")
        assert page.status_code == 200 and "待复核队列（2）" in page.text
        bad = client.post("/api/records/w1/confirm", json={"doc_type": "nope"})
        assert bad.status_code == 422 and "不在保管期限表" in bad.json()["error"]
        ok = client.post("/api/records/w1/confirm", json={"doc_type": "unit_registration"})
        assert ok.status_code == 200 and ok.json()["archival_code"] == "Q001-YW·2023-Y-GL-0001"
        form = client.post(
            "/review/w2",
            data={"doc_type": "payment_proof", "business_date": "2022-02-03", "id_numbers": ""},
            follow_redirects=False,
        )
        assert form.status_code == 303 and "done=" in form.headers["location"]
        assert client.get("/api/review").json()["total"] == 0
        assert (
            client.get("/api/records/w2").json()["archival_code"].startswith("Q001-YW·2022-D10-ZJ-")
        )
