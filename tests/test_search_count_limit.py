"""What people see when a search matches more records than the index counts
(DANGAN_SEARCH_COUNT_LIMIT): the API says the total is a lower bound
(`total_exact`), the search page says 超过 N 条, and the count stops there."""

from __future__ import annotations

import pytest
from conftest import login
from dangan.api.app import create_app
from dangan.catalog.index import IndexDoc
from fastapi.testclient import TestClient
from records import file_record

from dangan.archive import Archive
from dangan.config import Settings
from dangan.errors import ConfigError


@pytest.fixture
def client(tmp_path):
    settings = Settings.from_env(
        {"DANGAN_HOME": str(tmp_path / "h"), "DANGAN_SEARCH_COUNT_LIMIT": "100"}
    )
    archive = Archive.open(settings)
    assert archive.index.count_limit == 100
    for rid in ("r1", "r2"):
        file_record(
            archive, rid, "reimbursement", {"business_date": "2024-05-01"}, pages=["住院费用报销"]
        )
    archive.sync_index()
    # many more matches than the limit (index entries only: the count is the index's)
    archive.index.upsert_many(
        IndexDoc(f"x{i}", "登记表", "x.png", [(1, "住院费用" if i < 150 else "门诊")])
        for i in range(160)
    )
    archive.close()
    with TestClient(create_app(settings)) as c:
        login(c, "caseworker")
        yield c


def test_the_api_says_when_the_total_is_a_lower_bound(client):
    many = client.get("/api/search", params={"q": "住院"}).json()
    assert many["total"] == 100 and many["total_exact"] is False
    few = client.get("/api/search", params={"q": "门诊"}).json()
    assert few["total"] == 10 and few["total_exact"] is True


def test_the_search_page_shows_more_than_n(client):
    page = client.get("/", params={"q": "住院"}).text
    assert "找到 超过 100 条记录" in page and "请加上类别、业务日期等条件缩小范围" in page
    exact = client.get("/", params={"q": "门诊"}).text
    assert "找到 10 条记录" in exact and "超过" not in exact


def test_the_count_limit_is_a_setting_with_a_floor():
    assert Settings.from_env({"DANGAN_HOME": "/tmp/x"}).search_count_limit == 1_000
    with pytest.raises(ConfigError, match="DANGAN_SEARCH_COUNT_LIMIT"):
        Settings.from_env({"DANGAN_HOME": "/tmp/x", "DANGAN_SEARCH_COUNT_LIMIT": "5"})
