"""Caseworker views: a person's and an employer's records, search filters in the UI."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import login
from dangan.api.app import create_app
from fastapi.testclient import TestClient
from records import file_record

from dangan.archive import Archive
from dangan.config import Settings

PERSON = "11010519491231002X"
OTHER = "110105194912310030"
UNIT = "91350100M000100Y43"


def _add(archive, rid, doc_type, day, ids, credit=None, text="医疗保险"):
    fields = {"business_date": day, "id_numbers": ids, "credit_code": credit}
    file_record(archive, rid, doc_type, fields, pages=[text], title=f"标题{rid}")


@pytest.fixture
def client(tmp_path: Path):
    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})
    archive = Archive.open(settings)
    try:
        _add(archive, "p1", "employee_enrol", "2019-06-01", [PERSON, OTHER], UNIT)
        _add(archive, "p2", "reimbursement", "2023-03-04", [PERSON], text="医疗费用报销")
        _add(archive, "p3", "reimbursement", "2023-08-09", [OTHER], text="医疗费用报销")
        _add(archive, "p4", "payment_proof", "2021-01-02", [], UNIT)
        archive.sync_index()
    finally:
        archive.close()
    with TestClient(create_app(settings)) as c:
        login(c, "caseworker")
        yield c


def test_person_api_lists_every_record_of_that_person_newest_first(client):
    data = client.get(f"/api/persons/{PERSON.lower()}/records").json()
    assert [h["record_id"] for h in data["hits"]] == ["p2", "p1"]
    bad = client.get("/api/persons/110105194912310021/records")
    assert bad.status_code == 422 and "校验位" in bad.json()["error"]


def test_person_page_is_a_timeline_by_year(client):
    page = client.get(f"/persons/{PERSON}")
    assert page.status_code == 200
    text = page.text
    assert "共 2 条档案" in text
    assert text.index("2023 年") < text.index("2019 年")
    assert "标题p3" not in text


def test_unit_page_and_api_find_the_employer_records(client):
    data = client.get(f"/api/units/{UNIT}/records").json()
    assert sorted(h["record_id"] for h in data["hits"]) == ["p1", "p4"]
    assert "共 2 条档案" in client.get(f"/units/{UNIT}").text


def test_search_ui_filters_and_an_id_number_offers_the_person_page(client):
    page = client.get("/", params={"q": "报销", "doc_type": "reimbursement", "from": "2023-05-01"})
    assert "找到 1 条记录" in page.text and "标题p3" in page.text
    found = client.get("/", params={"q": PERSON})
    assert f'href="/persons/{PERSON}"' in found.text
