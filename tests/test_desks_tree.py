"""Issue 13, what was left: the tree by 全宗/年度/门类/保管期限 (counts only of
what the reader may see), sorting on the server across pages, review by 档号,
and no provisional retention for records waiting for review (issue 18)."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from conftest import login
from dangan.api.app import create_app
from dangan.catalog.stores.listing import ListingRows, TreeFilter
from fastapi.testclient import TestClient
from records import file_record

from dangan.archive import Archive
from dangan.config import Settings

VALID_ID = "11010519491231002X"


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})


def _seed(settings: Settings) -> dict[str, str]:
    """Filed records over two years, one of them restricted (稽核), one record
    waiting for review with a business date (so a provisional disposal date
    could be computed). Returns id -> 档号."""
    archive = Archive.open(settings)
    try:
        codes = {}
        plan = [
            ("a1", "info_change", "2024-03-01", "甲"),
            ("a2", "info_change", "2024-05-01", "乙"),
            ("a3", "payment_proof", "2024-06-01", "丙"),
            ("b1", "info_change", "2023-02-01", "丁"),
            ("s1", "audit_notice", "2024-07-01", "稽核通知"),  # 受控 by default
        ]
        for rid, doc_type, day, title in plan:
            record = file_record(
                archive, rid, doc_type, {"business_date": day, "id_numbers": [VALID_ID]},
                title=f"{title}材料",
            )  # fmt: skip
            codes[rid] = record.archival_code
        file_record(
            archive, "rv", "inpatient_bill", {"business_date": "2024-04-01"},
            confidence=0.3, title="待复核结算清单",
        )  # fmt: skip
        archive.sync_index()
        return codes
    finally:
        archive.close()


def _labels(node) -> list[str]:
    return [c["label"] for c in node["children"]]


# ---- the tree ---------------------------------------------------------------


def test_tree_counts_only_what_the_reader_may_see(settings):
    _seed(settings)
    with TestClient(create_app(settings)) as client:
        login(client, "clerk")  # clears 受控
        clerk = client.get("/api/tree").json()
    with TestClient(create_app(settings)) as client:
        login(client, "caseworker")  # up to 内部
        caseworker = client.get("/api/tree").json()
    assert clerk["count"] == 5  # the record in review is not filed: not in the tree
    assert caseworker["count"] == 4
    (fonds,) = clerk["children"]
    assert fonds["label"] == "Q001" and _labels(fonds) == ["2024年度", "2023年度"]
    y2024 = fonds["children"][0]
    assert {c["label"]: c["count"] for c in y2024["children"]} == {
        "稽核监管类": 1,
        "管理类": 2,
        "征缴类": 1,
    }
    # the caseworker's tree has no node, and no count, for the restricted record
    cw2024 = caseworker["children"][0]["children"][0]
    assert cw2024["count"] == 3
    assert "稽核监管类" not in _labels(cw2024)


def test_tree_node_lists_records_in_archival_code_order_within_the_readers_levels(settings):
    codes = _seed(settings)
    with TestClient(create_app(settings)) as client:
        login(client, "caseworker")
        listed = client.get("/api/tree/records", params={"fonds": "Q001", "year": "2024"}).json()
        assert listed["total"] == 3
        assert [r["archival_code"] for r in listed["records"]] == sorted(
            codes[r] for r in ("a1", "a2", "a3")
        )
        page = client.get("/tree", params={"fonds": "Q001", "year": "2024"}).text
        assert codes["s1"] not in page and "稽核通知" not in page
        assert "共 3 件" in page
        # a node of a 密级 above the reader's: nothing, not even a count
        hidden = client.get("/tree", params={"fonds": "Q001", "category": "稽核监管类"}).text
        assert "没有您可查阅的档案" in hidden and "稽核监管类（" not in hidden
        assert client.get("/tree", params={"year": "二〇二四"}).status_code == 422


def test_tree_export_has_the_node_rows_in_the_sorted_order(settings):
    from openpyxl import load_workbook

    codes = _seed(settings)
    with TestClient(create_app(settings)) as client:
        login(client, "clerk")
        response = client.get(
            "/tree/export.xlsx",
            params={"fonds": "Q001", "category": "管理类", "sort": "business_date", "dir": "desc"},
        )
        assert response.status_code == 200
        sheet = load_workbook(BytesIO(response.content)).active
        listed = [row[0] for row in sheet.iter_rows(min_row=4, values_only=True)]
        assert listed == [codes["a2"], codes["a1"], codes["b1"]]


def test_listing_store_ignores_unknown_sort_keys(settings):
    codes = _seed(settings)
    archive = Archive.open(settings)
    try:
        listing = ListingRows(archive.catalog)
        total, rows = listing.in_node(
            TreeFilter(fonds="Q001"), ("public", "internal"), sort="id; DROP TABLE records"
        )
        assert total == 4  # in 档号 order, the default
        assert [r["archival_code"] for r in rows] == sorted(
            codes[r] for r in ("a1", "a2", "a3", "b1")
        )
    finally:
        archive.close()


# ---- sorting on the server, across pages -------------------------------------


def test_search_table_sorts_every_hit_not_one_page(settings, monkeypatch):
    from dangan.api.routes import search

    monkeypatch.setattr(search, "TABLE_PAGE_SIZE", 2)
    codes = _seed(settings)
    with TestClient(create_app(settings)) as client:
        login(client, "clerk")
        params = {"q": "材料", "view": "table", "sort": "archival_code"}
        first = client.get("/", params=params).text
        second = client.get("/", params={**params, "page": 2}).text
        third = client.get("/", params={**params, "page": 3}).text
        ordered = sorted(codes.values())
        shown = [c for c in ordered if c in first] + [c for c in ordered if c in second]
        assert shown == ordered[:4]  # the two first pages hold the four smallest 档号
        assert ordered[4] in third
        # the pager and the headers keep the sort in the URL
        assert "sort=archival_code&amp;page=2" in first
        assert 'aria-sort="ascending"' in first
        down = client.get("/", params={**params, "dir": "desc"}).text
        assert ordered[-1] in down and ordered[0] not in down


def test_person_and_case_tables_sort_on_the_server_across_pages(settings, monkeypatch):
    from dangan.api.routes import people

    monkeypatch.setattr(people, "TABLE_PAGE_SIZE", 2)
    codes = _seed(settings)
    mine = sorted(codes[r] for r in ("a1", "a2", "a3", "b1", "s1"))
    with TestClient(create_app(settings)) as client:
        login(client, "clerk")
        url = f"/persons/{VALID_ID}"
        pages = [
            client.get(url, params={"sort": "archival_code", "page": n}).text for n in (1, 2, 3)
        ]
        assert [[c for c in mine if c in page] for page in pages] == [mine[:2], mine[2:4], mine[4:]]
        assert "sort=archival_code&amp;page=2" in pages[0]  # the pager keeps the sort
        down = client.get(url, params={"sort": "archival_code", "dir": "desc"}).text
        assert [c for c in mine if c in down] == mine[3:]
        # 导出 keeps the order shown
        from openpyxl import load_workbook

        sheet = client.get(f"{url}/export.xlsx", params={"sort": "archival_code", "dir": "desc"})
        listed = [r[0] for r in load_workbook(BytesIO(sheet.content)).active.iter_rows(
            min_row=4, values_only=True)]  # fmt: skip
        assert listed == mine[::-1]


def test_review_queue_sorts_the_whole_queue_on_the_server(settings, monkeypatch):
    from dangan.api.routes import review
    from test_desks_work import _seed_review

    monkeypatch.setattr(review, "PAGE_SIZE", 1)
    _seed_review(settings)  # nodate (confidence 1.0), lowconf (0.3), lowconf2 (0.5)
    with TestClient(create_app(settings)) as client:
        login(client, "clerk")

        def shown(**params) -> list[str]:
            page = client.get("/review", params=params).text
            assert "待复核队列（3）" in page
            return re.findall(r'<section class="review-item[^"]*" id="r-([^"]+)"', page)

        ascending = [shown(sort="confidence", page=n) for n in (1, 2, 3)]
        assert ascending == [["lowconf"], ["lowconf2"], ["nodate"]]
        assert shown(sort="confidence", dir="desc", page=1) == ["nodate"]
        first = client.get("/review", params={"sort": "confidence"}).text
        assert "sort=confidence&amp;page=2" in first  # the pager keeps the sort
        assert client.get("/api/review").json()["total"] == 3  # the API lists them all


# ---- review by 档号 ------------------------------------------------------------


def test_review_accepts_an_archival_code(settings):
    codes = _seed(settings)
    code = codes["a1"]
    with TestClient(create_app(settings)) as client:
        login(client, "clerk")
        # a filed record named by 档号 opens for review (correction), alone
        page = client.get("/review", params={"ref": code.replace("·", ".")}).text
        assert 'id="r-a1"' in page and 'id="r-rv"' not in page
        assert "此件已归档" in page
        api = client.get("/api/review", params={"ref": code}).json()
        assert [i["record_id"] for i in api["items"]] == ["a1"]
        # confirmed by 档号 in the path; the 档号 stays
        done = client.post(f"/api/records/{code}/confirm", json={"doc_type": "info_change"})
        assert done.status_code == 200 and done.json()["archival_code"] == code
        missing = client.get("/review", params={"ref": "Q001-YW·2024-D100-GL-9999"})
        assert missing.status_code == 404 and "没有档号或档案编号" in missing.text
        # a clerk is cleared for 受控: the restricted record opens too
        assert 'id="r-s1"' in client.get("/review", params={"ref": codes["s1"]}).text


def test_review_by_archival_code_respects_the_security_level(settings):
    codes = _seed(settings)
    with TestClient(create_app(settings)) as client:
        login(client, "admin")  # may review, cleared up to 内部 only
        response = client.get("/review", params={"ref": codes["s1"]})
        assert response.status_code == 403 and "稽核通知" not in response.text
        assert client.get("/api/review", params={"ref": codes["s1"]}).status_code == 403


# ---- no provisional retention while in review (issue 18) ----------------------


def test_a_record_in_review_shows_no_provisional_retention(settings):
    _seed(settings)
    archive = Archive.open(settings)
    try:
        stored = archive.catalog.get("rv")
        assert stored.status == "review" and stored.retention == "30年"  # the class's, not decided
    finally:
        archive.close()
    with TestClient(create_app(settings)) as client:
        login(client, "clerk")
        data = client.get("/api/records/rv").json()
        assert data["retention"] is None and data["disposal_date"] is None
        assert data["retention_note"] == "待复核后确定"
        page = client.get("/records/rv").text
        assert "待复核后确定" in page and "到期" not in page and "30年" not in page
        hits = client.get("/api/search", params={"q": "结算清单"}).json()["hits"]
        assert [h["retention"] for h in hits] == [None]
        table = client.get("/", params={"q": "结算清单", "view": "table"}).text
        assert "待复核后确定" in table and "30年" not in table
        queue = client.get("/api/review").json()["items"]
        assert [(i["retention"], i["disposal_date"]) for i in queue] == [(None, None)]
        sheet = client.get("/search/export.xlsx", params={"q": "结算清单"})
        from openpyxl import load_workbook

        row = next(
            load_workbook(BytesIO(sheet.content)).active.iter_rows(min_row=4, values_only=True)
        )
        assert "待复核后确定" in row and "30年" not in row


# ---- one detail formatter, one table writer ---------------------------------


def test_one_detail_text_names_classes_roles_levels_and_ways():
    """api/labels.py detail_text serves the audit page, its export and the
    templates (it replaced a second copy in api/desks.py)."""
    from dangan.api.labels import detail_text

    text = detail_text(
        {"doc_type": "info_change", "via": "cli", "roles": "clerk,auditor",
         "before": "internal", "after": "restricted", "records": ["a1", "a2"], "count": 2,
         "corrected_class": True},
        classes={"info_change": "参保人员信息变更材料"},
    )  # fmt: skip
    assert text == (
        "类别：参保人员信息变更材料；途径：命令行；角色：档案管理员、安全审计员；"
        "调整前：内部；调整后：受控；档案：a1、a2；件数：2；更正类别：是"
    )


def test_audit_export_uses_the_shared_table_writer(settings):
    from openpyxl import load_workbook

    _seed(settings)
    with TestClient(create_app(settings)) as client:
        login(client, "clerk", username="wang")
        client.get("/records/a1")
        login(client, "auditor", username="shen")
        sheet = load_workbook(
            BytesIO(client.get("/audit", params={"actor": "wang", "export": "xlsx"}).content)
        ).active
        assert sheet.cell(1, 1).value == "审计日志"
        assert [c.value for c in sheet[3]] == [
            "序号",
            "时间（北京时间）",
            "操作人",
            "操作",
            "对象",
            "详情",
        ]
        views = [r for r in sheet.iter_rows(min_row=4, values_only=True) if r[3] == "查阅档案"]
        assert views and "T" not in views[0][1]
        csv_text = client.get("/audit", params={"actor": "wang", "export": "csv"}).content
        assert csv_text.startswith("\ufeff序号,时间（北京时间）".encode())
