"""One request must not take the service down: search is bounded in what it
may ask (length, terms) and in how long it may run."""

from __future__ import annotations

import pytest
from conftest import login
from dangan.api.app import create_app
from dangan.catalog.fts import FtsIndex
from dangan.catalog.index import IndexDoc
from fastapi.testclient import TestClient
from records import file_record

from dangan.archive import Archive
from dangan.config import Settings
from dangan.errors import SearchTimeout


@pytest.fixture
def client(tmp_path):
    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})
    archive = Archive.open(settings)
    file_record(
        archive, "r1", "reimbursement", {"business_date": "2024-05-01"}, pages=["医疗保险报销"]
    )
    archive.sync_index()
    archive.close()
    with TestClient(create_app(settings)) as c:
        yield c


@pytest.mark.parametrize("role", ["caseworker", "admin"])
def test_a_thousand_character_query_is_refused_with_a_chinese_400(client, role):
    login(client, role)
    for q in ("医保" * 500, " ".join(["医"] * 40)):
        response = client.get("/api/search", params={"q": q})
        assert response.status_code == 400, response.text
        assert "检索词过" in response.json()["error"]
    hits = client.get("/api/records/r1/pages/1/hits", params={"q": "医" * 1000})
    assert hits.status_code == 400 and "最多 200 个字符" in hits.json()["error"]
    page = client.get("/", params={"q": "医" * 1000})
    assert "最多 200 个字符" in page.text
    assert client.get("/api/search", params={"q": "医疗 保险"}).json()["total"] == 1


def test_a_search_running_past_its_time_limit_is_stopped_in_chinese(tmp_path):
    index = FtsIndex(tmp_path / "index.sqlite3", time_limit=0)
    index.upsert_many(
        IndexDoc(f"r{i}", "医疗保险登记表", "a.png", [(1, "医疗保险 参保人员 " * 20)])
        for i in range(400)
    )
    with pytest.raises(SearchTimeout, match="已中止"):
        index.search("医 保")
    index.time_limit = 60
    assert index.search("医 保").total == 400
    index.close()


def test_search_timeout_is_a_setting():
    assert Settings.from_env({"DANGAN_HOME": "/tmp/x"}).search_timeout == 10
    settings = Settings.from_env({"DANGAN_HOME": "/tmp/x", "DANGAN_SEARCH_TIMEOUT": "3"})
    assert settings.search_timeout == 3
