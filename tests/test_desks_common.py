"""Everywhere on the desks (issue 13): no internal codes, ISO times or JSON
escapes on the pages; 档号 opens a record; errors in Chinese inside the
layout; lists exported as .xlsx (audited, masked); saved searches; the
navigation a person may use, marked where they are; text contrast."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from io import BytesIO
from pathlib import Path

import pytest
from conftest import login
from dangan.api.app import create_app
from fastapi.testclient import TestClient
from records import file_record

from dangan.archive import Archive
from dangan.config import Settings

PERSON = "11010519491231002X"
UNIT = "91350100M000100Y43"
CODES = ("info_change", "reimbursement", "employee_enrol", "record.view", "person.view")
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
ESCAPE = re.compile(r"\\u[0-9a-fA-F]{4}")


class _Text(HTMLParser):
    """What a person reads: the text, without tags, attributes or scripts."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style") and self._skip > 0

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def screen_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def assert_readable(html: str, where: str) -> None:
    text = screen_text(html)
    for code in CODES:
        assert code not in text, (where, code)
    assert not ISO_TIME.search(text), (where, ISO_TIME.search(text).group(0))
    assert not ESCAPE.search(text), where
    assert "Internal Server Error" not in text, where


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Settings:
    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path_factory.mktemp("desks") / "h")})
    archive = Archive.open(settings)
    try:
        for rid, doc_type, day in (
            ("d1", "info_change", "2023-03-04"),
            ("d2", "reimbursement", "2024-05-06"),
        ):
            fields = {"business_date": day, "id_numbers": [PERSON], "credit_code": UNIT}
            file_record(archive, rid, doc_type, fields, pages=["医疗保险 变更"], title=f"题名{rid}")
        archive.sync_index()
    finally:
        archive.close()
    return settings


@pytest.fixture(scope="module")
def app(home):
    with TestClient(create_app(home), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def client(app):
    app.cookies.clear()
    return app


def _code(client, rid: str) -> str:
    return client.app.state.archive.catalog.get(rid).archival_code


def test_beijing_time_and_readable_details():
    from dangan.api.labels import bj_time, detail_text

    assert bj_time("2026-12-01T10:51:42+00:00") == "2026-12-01 18:51"
    assert bj_time("2026-12-31T20:00:00+00:00") == "2027-01-01 04:00"
    assert bj_time("2024-05-06") == "2024-05-06"
    text = detail_text({"q": "张三", "via": "ui", "page": 3})
    assert text == "检索词：张三；途径：网页；页：3"


def test_pages_show_no_codes_iso_times_or_json_escapes(client):
    login(client, "caseworker", username="li")
    pages = {
        "search": client.get("/", params={"q": "医疗保险"}),
        "search-table": client.get("/", params={"q": "医疗保险", "view": "table"}),
        "person": client.get(f"/persons/{PERSON}"),
        "unit": client.get(f"/units/{UNIT}"),
        "record": client.get("/records/d1"),
    }
    for where, page in pages.items():
        assert page.status_code == 200, where
        assert_readable(page.text, where)
    assert "参保人员信息变更材料" in pages["search"].text  # the class's name
    assert "参保人员信息变更材料" in pages["person"].text
    login(client, "auditor", username="shen")
    audit = client.get("/audit")
    assert_readable(audit.text, "audit")
    assert "查阅档案" in audit.text and "网页" in audit.text


def test_an_archival_code_in_the_search_box_opens_that_record(client):
    login(client, "caseworker", username="li")
    code = _code(client, "d2")
    for typed in (code, code.replace("·", "."), f" {code.lower()} "):
        found = client.get("/", params={"q": typed}, follow_redirects=False)
        assert found.status_code == 303, typed
        assert found.headers["location"] == "/records/d2"
    assert client.app.state.archive.catalog.resolve_record_ref("D1") == "d1"
    assert client.app.state.archive.catalog.resolve_record_ref("nothing") is None


def test_a_partial_id_number_says_how_to_search(client):
    login(client, "caseworker", username="li")
    page = client.get("/", params={"q": PERSON[-6:]})
    assert "完整的 18 位" in page.text


def test_errors_are_chinese_pages_inside_the_layout(client):
    login(client, "caseworker", username="li")
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and "页面不存在" in missing.text
    assert 'aria-label="主导航"' in missing.text  # the person's own navigation
    refused = client.get("/audit")
    assert refused.status_code == 403 and "无权" in refused.text
    assert 'aria-label="主导航"' in refused.text
    invalid = client.get("/", params={"page": "abc"})
    assert invalid.status_code == 422 and "页码" in invalid.text
    assert_readable(invalid.text, "422")
    bad_date = client.get("/", params={"q": "医疗", "from": "2026-13-01"})
    assert bad_date.status_code == 422 and "年-月-日" in bad_date.text
    api = client.get("/api/nothing")
    assert (
        api.status_code == 404
        and api.json()["error"] == "没有这个页面或档案。请检查地址，或从导航重新进入。"
    )


def test_compliance_dates_and_years_are_checked_in_chinese(client):
    login(client, "compliance", username="zhou")
    page = client.get("/compliance", params={"as_of": "2026-13-01"})
    assert page.status_code == 200 and "日期“2026-13-01”无效" in page.text
    api = client.get("/api/retention/due", params={"as_of": "2026-13-01"})
    assert api.status_code == 422 and "截至日期" in api.json()["error"]
    created = client.post(
        "/compliance/batches", data={"as_of": "2040-01-01"}, follow_redirects=False
    )
    assert created.status_code == 303 and "done=" in created.headers["location"]
    batch = (
        client.app.state.archive.catalog.connection()
        .execute("SELECT max(id) FROM disposal_batches")
        .fetchone()[0]
    )
    years = client.post(
        f"/compliance/batches/{batch}/appraise",
        data={"decision": "keep", "reason": "仍需", "extend_years": "十"},
        follow_redirects=False,
    )
    assert (
        years.status_code == 303
        and "%E5%BB%B6%E9%95%BF%E5%B9%B4%E6%95%B0" in years.headers["location"]
    )  # 延长年数 … 无效, not a server error


def test_a_server_error_is_a_chinese_page(client, monkeypatch):
    login(client, "caseworker", username="li")

    def broken(*args, **kwargs):
        raise RuntimeError("disk gone")

    monkeypatch.setattr(client.app.state.archive.catalog, "count", broken)
    page = client.get("/")
    assert page.status_code == 500 and "系统出错" in page.text and "disk gone" not in page.text


def test_person_list_exports_as_xlsx_audited_and_masked(client):
    from openpyxl import load_workbook

    login(client, "caseworker", username="li")
    full = client.get(f"/persons/{PERSON}/export.xlsx")
    assert full.status_code == 200
    sheet = load_workbook(BytesIO(full.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[2][:4] == ("档号", "题名", "业务日期", "类别")
    body = rows[3:]
    assert len(body) == 2 and {r[3] for r in body} == {
        "参保人员信息变更材料",
        "医疗费用零星（手工）报销材料",
    }
    assert PERSON in rows[1][0]
    entry = client.app.state.archive.audit.entries(action="export", limit=1)[0]
    assert entry["actor"] == "li" and entry["detail"]["rows"] == 2
    login(client, "head", username="wang")  # 机构负责人: ID numbers masked
    masked = load_workbook(BytesIO(client.get(f"/persons/{PERSON}/export.xlsx").content)).active
    assert PERSON not in " ".join(str(c) for r in masked.iter_rows(values_only=True) for c in r)


def test_search_results_export_and_table_view(client):
    from openpyxl import load_workbook

    login(client, "caseworker", username="li")
    table = client.get("/", params={"q": "医疗保险", "view": "table"})
    assert 'class="results data-table' in table.text and "导出 Excel" in table.text
    sheet = load_workbook(BytesIO(client.get("/search/export.xlsx?q=医疗保险").content)).active
    assert sheet.max_row == 5  # title, subtitle, header, two records


def test_saved_searches_belong_to_their_owner(client):
    login(client, "caseworker", username="li")
    saved = client.post("/search/saved", data={"name": "变更件", "query": "q=变更"})
    assert saved.status_code == 200 and "已保存检索“变更件”" in saved.text
    assert 'href="/?q=变更"' in client.get("/").text
    login(client, "caseworker", username="ma")
    assert "变更件" not in client.get("/").text
    (row,) = client.app.state.archive.catalog.connection().execute(
        "SELECT id FROM saved_searches WHERE username = 'li'"
    )
    assert client.post(f"/search/saved/{row[0]}/delete").status_code == 404  # not ma's
    login(client, "caseworker", username="li")
    assert client.post(f"/search/saved/{row[0]}/delete").status_code == 200
    assert "变更件" not in client.get("/").text


def test_navigation_shows_only_usable_desks_and_marks_the_current_one(client):
    login(client, "caseworker", username="li")
    page = client.get(f"/persons/{PERSON}")
    assert "API 文档" not in page.text and "审计日志" not in page.text
    assert '<a href="/" aria-current="page">检索</a>' in page.text
    assert page.text.count("<h1") == 1
    assert client.get("/").text.count("<h1") == 1
    login(client, "admin", username="root")
    assert "API 文档" in client.get("/account/password").text


def _luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    channels = [int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_text_colours_have_contrast_of_at_least_4_5_to_1():
    css = (Path(__file__).parent.parent / "api" / "static" / "app.css").read_text()
    colours = set(re.findall(r"(?<![-\w])color:\s*(#[0-9a-fA-F]{3,6})", css))
    assert colours
    for colour in colours - {"#fff"}:
        assert _contrast(colour, "#ffffff") >= 4.5 or _contrast(colour, "#14507a") >= 4.5, colour
        if _contrast(colour, "#ffffff") >= 4.5:
            assert _contrast(colour, "#f5f7fa") >= 4.5, colour  # the page background
    assert _contrast("#ffffff", "#14507a") >= 4.5  # the header and buttons


def test_api_docs_work_offline_under_the_strict_policy(client):
    for path in ("/docs", "/redoc"):
        page = client.get(path)
        assert page.status_code == 200
        assert "cdn" not in page.text and "https://" not in page.text, path
        policy = page.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "https:" not in policy
        assert "<script>" not in page.text  # no inline starter
        for src in re.findall(r'(?:src|href)="(/[^"]+)"', page.text):
            assert client.get(src).status_code == 200, src


def test_a_hold_and_an_appraisal_take_the_archival_code(client):
    login(client, "compliance", username="zhou")
    code = _code(client, "d1")
    placed = client.post(
        "/compliance/holds",
        data={
            "kind": "petition",
            "reason": "信访件",
            "owner": "周",
            "record_ids": code.replace("·", "."),
        },
        follow_redirects=False,
    )
    assert placed.status_code == 303 and "done=" in placed.headers["location"]
    held = client.app.state.archive.catalog.connection().execute(
        "SELECT record_id FROM hold_records"
    )
    assert [r[0] for r in held] == ["d1"]


def test_an_incomplete_archival_code_says_how_to_search(client):
    login(client, "caseworker", username="li")
    prefix = _code(client, "d1").rsplit("-", 1)[0]
    page = client.get("/", params={"q": prefix})
    assert page.status_code == 200 and "须输入完整档号" in page.text
