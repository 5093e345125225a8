"""Issue 13, the desks: the clerk's review queue and upload, the compliance
officer's, head's and auditor's desks, the caseworker's viewer."""

from __future__ import annotations

import re
from datetime import date

import pytest
from conftest import login
from dangan.api.app import create_app
from dangan.catalog.base import FileRef
from fastapi.testclient import TestClient
from records import file_record

from dangan.archive import Archive
from dangan.config import Settings

VALID_ID = "11010519491231002X"


def _page_files(archive: Archive, rid: str, pages: int = 1) -> list[FileRef]:
    files = []
    for n in range(1, pages + 1):
        info = archive.blobs.put_bytes(f"records/{rid}/pages/{n:04d}.jpg", _jpeg(n))
        files.append(FileRef("page_image", info.key, info.sha256, info.size, "image/jpeg", n))
    return files


def _jpeg(n: int, size=(1240, 1754)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (250, 250 - n, 240)).save(out, "JPEG", quality=90)
    return out.getvalue()


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})


def _seed_review(settings: Settings) -> None:
    archive = Archive.open(settings)
    try:
        text = "参保人员信息变更登记表 姓名 张三 公民身份号码 " + VALID_ID
        fields = {"id_numbers": [VALID_ID], "person_name": "张三", "unit_name": "某某公司"}
        files = _page_files(archive, "nodate", 2)
        file_record(archive, "nodate", "info_change", fields, pages=[text, "第二页"], files=files)
        fields2 = {"business_date": "2024-03-01", "id_numbers": [VALID_ID]}
        file_record(
            archive, "lowconf", "info_change", fields2, pages=[text], confidence=0.3,
            files=_page_files(archive, "lowconf"),
        )  # fmt: skip
        file_record(
            archive, "lowconf2", "payment_proof", {"business_date": "2023-05-06"},
            pages=["缴费凭证"], confidence=0.5, files=_page_files(archive, "lowconf2"),
        )  # fmt: skip
        archive.sync_index()
    finally:
        archive.close()


# ---- 1. the clerk's review queue ----


def test_a_record_waiting_for_review_has_no_invented_dates(settings):
    _seed_review(settings)
    archive = Archive.open(settings)
    try:
        record = archive.catalog.get("nodate")
        assert record.status == "review"
        assert record.formed_date is None and record.disposal_date is None
        assert record.archival_prefix is None
    finally:
        archive.close()
    with TestClient(create_app(settings)) as client:
        login(client, "clerk")
        page = client.get("/records/nodate").text
        assert "到期" not in page
        assert date.today().isoformat() not in page
        queue = client.get("/review").text
        assert "2037-01-01" not in queue and date.today().isoformat() not in queue


def test_review_queue_shows_a_large_page_beside_every_field_and_keeps_edits_on_error(settings):
    _seed_review(settings)
    with TestClient(create_app(settings)) as client:
        login(client, "clerk")
        page = client.get("/review").text
        item = page[page.index('id="r-nodate"') :]
        item = item[: item.index("</section>")]
        assert 'src="/api/records/nodate/pages/1/image"' in item
        assert "/api/records/nodate/pages/2/image" in item  # pages turned beside the form
        for name in ("doc_type", "business_date", "person_name", "id_numbers", "unit_name",
                     "serial"):  # fmt: skip
            assert f'name="{name}"' in item, name
        assert "info_change" not in re.sub(r'value="[^"]*"', "", item)  # class names, not codes
        assert "参保人员信息变更" in item
        # an error: shown on the item, the clerk's edits kept
        sent = {"doc_type": "info_change", "business_date": "2024-02-30", "person_name": "张三丰",
                "id_numbers": VALID_ID, "unit_name": "另一公司", "serial": "LS2024001"}  # fmt: skip
        response = client.post("/review/nodate", data=sent)
        assert response.status_code == 422
        item = response.text[response.text.index('id="r-nodate"') :]
        item = item[: item.index("</section>")]
        assert "业务日期“2024-02-30”格式不正确" in item
        for value in ("张三丰", "另一公司", "LS2024001", "2024-02-30"):
            assert f'value="{value}"' in item, value
        # corrected: filed with the clerk's fields
        sent["business_date"] = "2024-02-28"
        done = client.post("/review/nodate", data=sent, follow_redirects=True)
        assert "已归档，档号 Q001-YW·2024-" in done.text
        record = client.app.state.archive.catalog.get("nodate")
        assert record.fields["person_name"] == "张三丰"
        assert record.fields["unit_name"] == "另一公司" and record.fields["serial"] == "LS2024001"


def test_bulk_confirm_files_the_ticked_records_and_reports_the_others(settings):
    _seed_review(settings)
    archive_records = ("lowconf", "lowconf2", "nodate")
    with TestClient(create_app(settings)) as client:
        login(client, "clerk")
        empty = client.post("/review/bulk", data={})
        assert "未选择任何记录" in empty.text
        page = client.post("/review/bulk", data={"ids": list(archive_records)})
        assert "已确认归档 2 件" in page.text
        item = page.text[page.text.index('id="r-nodate"') :]
        assert "未识别到业务办理日期" in item[: item.index("</section>")]
        catalog = client.app.state.archive.catalog
        assert catalog.get("lowconf").status == "filed"
        assert catalog.get("lowconf2").status == "filed"
        assert catalog.get("nodate").status == "review"


# ---- the clerk's upload desk ----


def test_a_renamed_file_is_refused_at_upload_not_queued_behind_ocr(settings):
    import io

    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (50, 50), "white").save(png, "PNG")
    with TestClient(create_app(settings)) as client:
        client.app.state.intake_worker.stop()  # nothing is processed: refusal is at upload
        login(client, "clerk")
        sent = client.post(
            "/api/intake", files=[("files", ("scan.pdf", png.getvalue(), "application/pdf"))]
        )
        assert sent.status_code == 200
        status = client.get(f"/api/intake/{sent.json()['batch']}").json()
        (job,) = status["jobs"]
        assert job["state"] == "done" and job["status"] == "rejected"
        assert "扩展名" in job["error"]
        assert client.app.state.intake.pending() == 0
        stats = client.get("/api/stats/intake").json()
        assert stats["days"][0]["rejected"] == 1


def test_upload_history_reopens_a_batch_with_review_and_refused_labels(settings):
    with TestClient(create_app(settings)) as client:
        client.app.state.intake_worker.stop()
        login(client, "clerk")
        queue = client.app.state.intake
        queue.refuse("b1", "bad.pdf", {"status": "rejected", "error": "文件损坏"}, "u_clerk")
        queue.refuse(
            "b1", "doubt.pdf",
            {"status": "archived", "record_id": "x1", "needs_review": True,
             "archival_code": None},
            "u_clerk",
        )  # fmt: skip
        page = client.get("/upload").text
        assert "历次上传" in page and "/upload?batch=b1" in page
        assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d<", page)  # Beijing time, not ISO
        batch = client.get("/upload?batch=b1").text
        rows = re.findall(r"<tr class=\"[^\"]*\" data-job=[^>]*>(.*?)</tr>", batch, re.S)
        assert len(rows) == 2
        bad, doubt = rows
        assert "已拒收" in bad and "完成" not in bad
        assert "待复核" in doubt and "已归档" not in doubt
        assert client.get("/upload?batch=nope").status_code == 404


# ---- the auditor's desk ----


def test_audit_log_filters_by_name_action_record_and_dates_pages_exports_and_checks_on_demand(
    settings,
):
    import io

    from openpyxl import load_workbook

    _seed_review(settings)
    with TestClient(create_app(settings)) as client:
        login(client, "clerk", username="wang")
        client.app.state.accounts  # noqa: B018
        client.post("/review/bulk", data={"ids": ["lowconf"]})
        code = client.app.state.archive.catalog.get("lowconf").archival_code
        archive = client.app.state.archive
        for n in range(230):
            archive.audit.append("wang", "record.view", "lowconf", page=n % 3 + 1, via="ui")
        login(client, "auditor", username="shen")
        calls = []
        real = archive.audit.verify
        archive.audit.verify = lambda: calls.append(1) or real()
        page = client.get("/audit")
        assert page.status_code == 200 and calls == []  # no chain check on a page load
        assert "校验哈希链" in page.text
        assert "record.view" not in page.text.replace('value="record.view"', "")
        assert "查阅档案" in page.text and "wang" in page.text
        assert re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d</td>", page.text)
        assert "T" not in re.findall(r"<td>(\d{4}-\d\d-\d\d[^<]*)</td>", page.text)[0]
        assert "{" not in page.text.split("<tbody>")[1].split("</tbody>")[0]  # no JSON
        assert "info_change" not in page.text and "角色：clerk" not in page.text
        checked = client.get("/audit?check=1")
        assert calls == [1] and "哈希链校验通过" in checked.text
        # paged past 200
        first = re.findall(r"<tr><td>(\d+)</td>", page.text)
        assert len(first) == 100
        more = re.search(r'href="/audit\?before=(\d+)"', page.text)
        seen = set(first)
        before = more.group(1)
        while before:
            nxt = client.get(f"/audit?before={before}").text
            seqs = re.findall(r"<tr><td>(\d+)</td>", nxt)
            assert not seen & set(seqs)
            seen |= set(seqs)
            m = re.search(r'href="/audit\?before=(\d+)"', nxt)
            before = m.group(1) if m else None
        assert len(seen) > 230
        # by 档号, by Chinese action, by person's name (display name = login here), by dates
        by_code = client.get("/audit", params={"record": code, "action": "record.confirm"})
        rows = re.findall(r"<tr><td>\d+</td>.*?</tr>", by_code.text, re.S)
        assert len(rows) == 1 and "复核归档" in rows[0] and code in rows[0]
        today = date.today().isoformat()
        assert "没有符合条件" in client.get("/audit?date_to=2000-01-01").text
        dated = client.get("/audit", params={"date_from": today, "actor": "wang"}).text
        assert len(re.findall(r"<tr><td>\d+</td>", dated)) == 100
        bad = client.get("/audit?date_from=2026-13-01")
        assert bad.status_code == 200 and "日期格式不正确" in bad.text
        # exported
        xlsx = client.get("/audit", params={"actor": "wang", "export": "xlsx"})
        assert xlsx.status_code == 200
        sheet = load_workbook(io.BytesIO(xlsx.content)).active
        # api/export.py xlsx_bytes: a title line, what and when, then the header row
        assert sheet.cell(1, 1).value == "审计日志" and sheet.cell(3, 4).value == "操作"
        views = [r for r in sheet.iter_rows(min_row=4, values_only=True) if r[3] == "查阅档案"]
        assert len(views) == 230 and all(v[2] == "wang" for v in views)
        csv_text = client.get("/audit", params={"record": code, "export": "csv"}).content
        assert csv_text.startswith("\ufeff序号".encode())
        # sorted by time the other way, across every page, and exported in that order
        oldest = client.get("/audit", params={"actor": "wang", "order": "asc"}).text
        seqs = [int(x) for x in re.findall(r"<tr><td>(\d+)</td>", oldest)]
        assert len(seqs) == 100 and seqs == sorted(seqs) and 'aria-sort="ascending"' in oldest
        after = re.search(r'href="/audit\?actor=wang&amp;order=asc&amp;after=(\d+)"', oldest)
        later = client.get(f"/audit?actor=wang&order=asc&after={after.group(1)}").text
        more = [int(x) for x in re.findall(r"<tr><td>(\d+)</td>", later)]
        assert more == sorted(more) and more[0] > seqs[-1] and len(more) == 100
        sheet = load_workbook(
            io.BytesIO(client.get("/audit?actor=wang&order=asc&export=xlsx").content)
        ).active
        exported = [r[0] for r in sheet.iter_rows(min_row=4, values_only=True)]
        assert exported == sorted(exported)


# ---- compliance officer and agency head ----


def _seed_due(settings: Settings) -> None:
    from test_disposal import RECORDS, _add

    archive = Archive.open(settings)
    try:
        for rid in RECORDS:
            _add(archive, rid)
        archive.sync_index()
    finally:
        archive.close()


def test_head_sees_the_items_then_returns_or_rejects_a_batch_with_a_reason(settings):
    from dangan.retention import procedure

    _seed_due(settings)
    with TestClient(create_app(settings)) as client:
        login(client, "compliance", username="zhou")
        desk = client.get("/compliance?as_of=2026-01-01").text
        assert 'type="date" name="as_of" value="2026-01-01"' in desk  # a date picker
        bad = client.get("/compliance?as_of=2026-13-01")
        assert bad.status_code == 200 and "日期“2026-13-01”无效" in bad.text
        archive = client.app.state.archive
        code = archive.catalog.get("r1").archival_code
        held = client.post(
            "/compliance/holds",
            data={"kind": "petition", "reason": "信访", "owner": "周", "record_ids": code},
            follow_redirects=True,
        )
        assert "已冻结 1 件档案" in held.text
        client.post("/compliance/batches", data={"as_of": "2026-01-01"})
        (batch,) = procedure.list_batches(archive)
        bid = batch["id"]
        # per-record appraisal by ticking items (ids or 档号), not typing ids
        page = client.get(f"/compliance/batches/{bid}").text
        assert 'name="record_ids" value="p2"' in page and 'type="checkbox"' in page
        p1_code = archive.catalog.get("p1").archival_code
        ten = client.post(
            f"/compliance/batches/{bid}/appraise",
            data={"decision": "keep", "reason": "仍有查考价值", "extend_years": "十",
                  "record_ids": ["p2"], "back": "batch"},
            follow_redirects=True,
        )  # fmt: skip
        assert ten.status_code == 200 and "阿拉伯数字" in ten.text
        done = client.post(
            f"/compliance/batches/{bid}/appraise",
            data={"decision": "keep", "reason": "仍有查考价值", "extend_years": "10",
                  "record_ids": ["p2", p1_code], "back": "batch"},
            follow_redirects=True,
        )  # fmt: skip
        assert f"/compliance/batches/{bid}" in str(done.url) and "2 件的鉴定意见" in done.text
        client.post(
            f"/compliance/batches/{bid}/appraise",
            data={"decision": "destroy", "reason": "无保存价值"},
        )

        login(client, "head", username="chen")
        page = client.get(f"/compliance/batches/{bid}").text
        items = procedure.get_batch(archive, bid)["items"]
        for item in items:  # every item, with a link, before approving
            assert f'href="/records/{item["record_id"]}"' in page
            assert item["archival_code"] in page
        assert "payment_proof" not in page and "缴费" in page  # class names
        assert "form" in page and 'class="confirm approve"' in page
        assert 'name="record_ids"' not in page  # not the head's to appraise
        empty = client.post(f"/compliance/batches/{bid}/return", data={"reason": " "},
                            follow_redirects=True)  # fmt: skip
        assert "必须写明理由" in empty.text
        back = client.post(
            f"/compliance/batches/{bid}/return", data={"reason": "p1 的理由不充分"},
            follow_redirects=True,
        )  # fmt: skip
        assert "已退回" in back.text and "p1 的理由不充分" in back.text
        assert procedure.get_batch(archive, bid)["status"] == "returned"
        (entry,) = archive.audit.entries(action="batch.return")
        assert entry["actor"] == "chen" and entry["detail"]["reason"] == "p1 的理由不充分"
        refused = client.post(f"/compliance/batches/{bid}/approve", data={}, follow_redirects=True)
        assert "已退回重新鉴定" in refused.text or "退回" in refused.text
        assert procedure.get_batch(archive, bid)["status"] == "returned"

        login(client, "compliance", username="zhou")
        client.post(
            f"/compliance/batches/{bid}/appraise",
            data={"decision": "destroy", "reason": "复议后销毁", "record_ids": ["p1"],
                  "back": "batch"},
        )  # fmt: skip
        assert procedure.get_batch(archive, bid)["status"] == "appraisal"

        login(client, "head", username="chen")
        client.post(f"/compliance/batches/{bid}/reject", data={"reason": "暂缓销毁"})
        assert procedure.get_batch(archive, bid)["status"] == "rejected"
        assert archive.audit.entries(action="batch.reject")
        # its records are back on the due list, and nothing can be destroyed
        due = procedure.due_records(archive, date(2026, 1, 1))
        assert {d.record_id for d in due if d.batch_id is None} >= {"b1"}
        login(client, "compliance", username="zhou")
        page = client.get("/compliance").text
        assert "未同意销毁" in page and "暂缓销毁" in page
        from dangan.retention import destruction

        with pytest.raises(procedure.RetentionError, match="尚未经机构负责人审批"):
            destruction.execute(archive, _person("zhou"), bid, [("a", "b"), ("c", "d")], "粉碎")


def _person(name: str):
    from dangan.access.store import Principal

    return Principal(name=name, display_name=name, roles=frozenset({"compliance"}))


def test_register_and_certificate_carry_names_classes_beijing_time_and_signature_lines(settings):
    import io

    import pypdfium2 as pdfium
    from dangan.retention import procedure

    def text(data: bytes) -> str:
        doc = pdfium.PdfDocument(io.BytesIO(data))
        try:
            return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
        finally:
            doc.close()

    _seed_due(settings)
    with TestClient(create_app(settings)) as client:
        accounts = client.app.state.accounts
        accounts.add_user("wu", "吴监销", {"caseworker"}, "test-password-1234")
        accounts.add_user("lin", "林监销", {"caseworker"}, "test-password-1234")
        accounts.add_user("zhou", "周鉴定", {"compliance"}, "test-password-1234")
        accounts.add_user("chen", "陈负责", {"head"}, "test-password-1234")
        login(client, "compliance", username="zhou")
        archive = client.app.state.archive
        client.post("/compliance/batches", data={"as_of": "2026-01-01"})
        (batch,) = procedure.list_batches(archive)
        bid = batch["id"]
        client.post(f"/compliance/batches/{bid}/appraise", data={"decision": "destroy",
                    "reason": "保管期满"})  # fmt: skip
        login(client, "head", username="chen")
        client.post(f"/compliance/batches/{bid}/approve", data={"note": "同意"})
        login(client, "compliance", username="zhou")
        register = text(client.get(f"/api/retention/batches/{bid}/register.pdf").content)
        for expected in ("周鉴定", "陈负责（chen）", "缴费", "鉴定小组", "监销人一", "监销人二",
                         "签字"):  # fmt: skip
            assert expected in register, expected
        assert "payment_proof" not in register and "T0" not in register
        assert re.search(r"审批时间：\d{4}-\d\d-\d\d \d\d:\d\d", register)
        csv_text = client.get(f"/api/retention/batches/{bid}/register.csv").content.decode()
        assert "payment_proof" not in csv_text and "周鉴定" in csv_text
        done = client.post(
            f"/compliance/batches/{bid}/execute",
            data={"supervisor1": "wu", "password1": "test-password-1234",
                  "supervisor2": "lin", "password2": "test-password-1234", "method": "粉碎"},
            follow_redirects=True,
        )  # fmt: skip
        assert "销毁完毕" in done.text
        cert = text(client.get(f"/api/retention/batches/{bid}/certificate.pdf").content)
        for expected in ("吴监销（wu）", "林监销（lin）", "陈负责（chen）", "周鉴定", "监销人一",
                         "监销人二", "签字", "北京时间"):  # fmt: skip
            assert expected in cert, expected
        assert "UTC" not in cert and "payment_proof" not in cert


# ---- the caseworker's viewer ----


def _seed_pages(settings: Settings, rid: str = "v1", pages: int = 3) -> None:
    archive = Archive.open(settings)
    try:
        fields = {"business_date": "2024-03-01", "id_numbers": [VALID_ID], "person_name": "张三"}
        texts = [f"第{n}页 医疗费用报销 张三" for n in range(1, pages + 1)]
        file_record(
            archive, rid, "reimbursement", fields, pages=texts,
            files=_page_files(archive, rid, pages),
        )  # fmt: skip
        archive.sync_index()
    finally:
        archive.close()


def test_viewer_puts_the_page_first_with_metadata_beside_and_no_codes(settings):
    _seed_pages(settings)
    with TestClient(create_app(settings)) as client:
        login(client, "caseworker")
        page = client.get("/records/v1?page=2").text
        assert page.index('id="page-image"') < page.index('class="reader-side"')
        assert 'data-page="2"' in page and 'data-pages="3"' in page
        assert 'src="/api/records/v1/pages/2/image"' in page
        assert 'href="/records/v1?page=3"' in page and 'data-turn="1"' in page
        assert "reimbursement" not in page and "医疗费用" in page  # class name
        assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", page)  # no ISO times
        assert 'src="/static/viewer.js"' in page and "<script>" not in page


def test_thumbnails_are_small_cached_and_still_audited(settings):
    import io

    from PIL import Image

    _seed_pages(settings)
    with TestClient(create_app(settings)) as client:
        login(client, "caseworker", username="li")
        full = client.get("/api/records/v1/pages/1/image")
        assert full.headers["cache-control"].startswith("private")
        thumb = client.get("/api/records/v1/pages/1/thumb")
        assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
        assert Image.open(io.BytesIO(thumb.content)).width == 200
        assert len(thumb.content) < len(full.content) / 4
        assert "private" in thumb.headers["cache-control"]
        assert "max-age" in thumb.headers["cache-control"]
        etag = thumb.headers["etag"]
        archive = client.app.state.archive
        assert archive.blobs.exists("records/v1/pages/0001.jpg.thumb200.jpg")  # made once
        again = client.get("/api/records/v1/pages/1/thumb", headers={"If-None-Match": etag})
        assert again.status_code == 304
        reads = archive.audit.entries(action="page.thumb", actor="li")
        assert reads and reads[0]["target"] == "v1"
        # a reader not cleared for the record gets no thumbnail
        archive.catalog.connection()
        login(client, "secadmin", username="sec")
        assert client.get("/api/records/v1/pages/1/thumb").status_code == 403


# ---- the business system's embedded case view ----


def test_embedded_case_view_on_another_host_works_with_a_case_scoped_ticket(settings):
    from dangan.access import tickets

    _seed_pages(settings, "c1", 2)
    _seed_pages(settings, "other", 1)
    archive = Archive.open(settings)
    try:
        for rid, serial in (("c1", "BX2026-0815"), ("other", "BX2026-0001")):
            archive.catalog.link_case(rid, serial)
        archive.sync_index()
    finally:
        archive.close()
    framed = Settings.from_env(
        {"DANGAN_HOME": str(settings.home), "DANGAN_FRAME_ANCESTORS": "https://ywxt.example"}
    )
    with TestClient(create_app(framed)) as client:
        _, token = client.app.state.accounts.issue_token("业务经办系统", "system", "admin")
        auth = {"authorization": f"Bearer {token}"}
        issued = client.post("/api/cases/bx2026-0815/ticket", json={"minutes": 5}, headers=auth)
        assert issued.status_code == 200, issued.text
        url = issued.json()["url"]
        # a person's session may not ask for tickets
        login(client, "caseworker", username="li")
        assert client.post("/api/cases/BX2026-0815/ticket", json={}).status_code == 403
        # the frame on another host: no cookie at all
        frame = TestClient(client.app)
        case = frame.get(url)
        assert case.status_code == 200, case.text
        assert "frame-ancestors https://ywxt.example" in case.headers["content-security-policy"]
        assert "<nav" not in case.text and "登录" not in case.text
        assert f'href="{url}/records/c1"' in case.text and "/records/other" not in case.text
        assert f'src="{url}/records/c1/pages/1/thumb"' in case.text
        record = frame.get(f"{url}/records/c1?page=2")
        assert record.status_code == 200 and "<header" not in record.text
        assert f'data-links="{url}"' in record.text
        assert f'src="{url}/records/c1/pages/2/image"' in record.text
        assert f'href="{url}/records/c1?page=1"' in record.text  # turning pages keeps the ticket
        assert frame.get(f"{url}/records/c1/pages/2/image").status_code == 200
        assert frame.get(f"{url}/records/c1/pages/1/thumb").status_code == 200
        # the ticket's scope: that case only
        assert frame.get(f"{url}/records/other").status_code == 403
        assert frame.get(f"{url}/records/other/pages/1/image").status_code == 403
        # forged or expired tickets are refused; the reads are audited as the token's
        assert frame.get(url[:-3] + "abc").status_code == 403
        key = client.app.state.archive.audit.keys.ticket_key()
        old = tickets.encode(key, tickets.Ticket(1, "BX2026-0815", 1))
        assert "已过期" in frame.get(f"/embed/{old}").text
        views = client.app.state.archive.audit.entries(action="record.view", target="c1")
        assert views and views[0]["actor"].startswith("token:")
        assert views[0]["detail"]["via"] == "embed"
        # the session's embedded view keeps embed=1 when a record is opened
        session_case = client.get("/cases/BX2026-0815?embed=1").text
        assert 'href="/records/c1?embed=1"' in session_case
        opened = client.get("/records/c1?embed=1").text
        assert "<header" not in opened and 'href="/records/c1?embed=1&amp;page=2"' in opened
        # revoking the token ends its tickets
        (tok,) = client.app.state.accounts.list_tokens()
        client.app.state.accounts.revoke_token(tok["id"])
        assert frame.get(url).status_code == 403


# ---- boxing (装盒) ----


def test_boxing_capacity_box_numbers_items_spine_strips_and_catalogue_columns(settings):
    import io

    import pypdfium2 as pdfium

    archive = Archive.open(settings)
    try:
        for i in range(5):
            fields = {"business_date": f"2024-0{i + 1}-10", "person_name": f"职工{i}",
                      "serial": f"LS2024-00{i}"}  # fmt: skip
            file_record(archive, f"e{i}", "employee_enrol", fields, title="参保登记表")
    finally:
        archive.close()
    with TestClient(create_app(settings)) as client:
        login(client, "clerk")
        page = client.get("/volumes?box_size=2&spine_mm=30").text
        assert 'name="box_size" value="2"' in page
        assert "第 1–3 盒（3 盒）" in page  # 5 件, 2 per box
        assert 'href="/records/e4"' in page and "职工4参保登记表" in page and "LS2024-004" in page
        bad = client.get("/volumes?box_size=十").text
        assert "应为 1–500 的整数" in bad
        labels = client.get("/api/volumes/labels.pdf?box_size=2&spine_mm=30").content
        doc = pdfium.PdfDocument(io.BytesIO(labels))
        try:
            text = doc[0].get_textpage().get_text_range()
            width_pt = doc[0].get_width()
        finally:
            doc.close()
        assert "0001—0002" in text and "0005—0005" in text and "盒号" in text
        assert width_pt < 600  # A4 portrait, strips side by side
        cat = client.get(
            "/api/volumes/catalogue.pdf",
            params={"prefix": "Q001-YW·2024-D100-GL", "box_size": 2},
        ).content
        doc = pdfium.PdfDocument(io.BytesIO(cat))
        try:
            first = doc[0].get_textpage().get_text_range()
            pages = len(doc)
        finally:
            doc.close()
        for column in ("文号", "密级", "题名", "责任者"):
            assert column in first, column
        assert "职工0参保登记表" in first and "LS2024-000" in first and "内部" in first
        assert pages == 3
