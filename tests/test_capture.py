"""Capture at the scanner without OCR: the cover sheet's signed payload, the
printed sheet read back, the cutting rules of a stack (modes, duplex,
collation, the defined outcomes), the API and desk, hot folders taking a file
only when it is finished, and a crash in the middle of a split."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import numpy as np
import pytest
import zxingcpp
from capture_stack import cover_image, scribble
from conftest import login
from dangan.api.app import create_app
from dangan.ingest.capture import split_options
from dangan.ingest.capture_fields import reconcile
from dangan.ingest.coversheet import CoverData, CoverInvalid, SheetText, decode, encode, sheets_pdf
from dangan.ingest.hotfolder import CLAIMS, Folder, HotFolders, load_folders
from dangan.ingest.intake import IntakeQueue, run_job
from dangan.ingest.stack import PageScan, collated, read_page, split
from fastapi.testclient import TestClient

from dangan.archive import Archive
from dangan.errors import ConfigError

KEY = b"k" * 32
PID = "11010519491231002X"


def test_payload_round_trip_and_tamper():
    data = CoverData("YW2026000001", PID, "91350100", "employee_enrol")
    text = encode(KEY, data)
    assert text.startswith("DANGAN1|YW2026000001|")
    assert decode(KEY, text) == data
    with pytest.raises(CoverInvalid, match="校验码不符"):
        decode(KEY, text.replace("YW2026000001", "YW2026000002"))
    with pytest.raises(CoverInvalid, match="校验码不符"):
        decode(b"other" * 8, text)
    with pytest.raises(CoverInvalid, match="版本"):
        decode(KEY, "DANGAN9|" + text.partition("|")[2])


def _grey(img) -> np.ndarray:
    return np.asarray(img.convert("L"))


@pytest.mark.parametrize("angle", [0, 90, 180, 273])
def test_printed_sheet_reads_back_in_any_rotation(angle):
    data = CoverData("YW2026000001", PID, "", "")
    image = cover_image(sheets_pdf(KEY, [(data, SheetText("测试中心"))]), dpi=200)
    image = image.rotate(angle, expand=True, fillcolor="white")
    scan = read_page(_grey(image), KEY, 1, dpi=200)
    assert scan.cover == data and scan.cover_error is None


def test_damaged_or_forged_sheet_is_recognised_but_not_taken():
    image = cover_image(sheets_pdf(KEY, [(CoverData("YW2026000001"), SheetText())]), dpi=200)
    damaged = read_page(_grey(scribble(image)), KEY, 3, dpi=200)
    assert damaged.cover is None and "第 3 页像是封面" in damaged.cover_error
    forged = read_page(_grey(image), b"forger" * 6, 4, dpi=200)
    assert forged.cover is None and "不是本系统打印" in forged.cover_error


def _scans(spec: str) -> list[PageScan]:
    """C: cover (serial S<n>), X: unreadable cover, b: blank, p: page, T: PATCHT, H: handwritten."""
    out = []
    for n, ch in enumerate(spec, start=1):
        scan = PageScan(n, blank=ch == "b", separator=ch == "T")
        if ch == "C":
            scan.cover = CoverData(f"S{n}")
        elif ch == "H":
            scan.cover = CoverData()
        elif ch == "X":
            scan.cover_error = f"第 {n} 页像是封面，但二维码无法识别"
        out.append(scan)
    return out


def _account(cut, total: int) -> None:
    placed = [p for s in cut.segments for p in s.pages]
    assert len(placed) == len(set(placed))
    assert sorted(placed + list(cut.fates)) == list(range(1, total + 1))


def test_cover_mode_outcomes():
    # pages before the first sheet, two sheets in a row, and a sheet at the end
    cut = split(_scans("ppCpCCpXpC"), "cover")
    assert [(s.pages, s.cover.serial if s.cover else None) for s in cut.segments] == [
        ([1, 2], None), ([4], "S3"), ([7], "S6"), ([8, 9], None),
    ]  # fmt: skip
    assert "第一张封面之前" in cut.segments[0].review[0]
    assert "无法识别" in cut.segments[3].review[0]
    assert any("第 5 页的封面" in n and "连续放了两张封面" in n for n in cut.notes)
    assert any("第 10 页的封面" in n for n in cut.notes)
    _account(cut, 10)


def test_duplex_drops_empty_backs_and_cover_backs():
    # sheet: cover/blank back, form/form, form/blank back
    cut = split(_scans("Cbppbp"), "cover", "duplex")
    assert [s.pages for s in cut.segments] == [[3, 4, 5, 6]]  # a blank front stays
    cut = split(_scans("Cbpppb"), "cover", "duplex")
    assert [s.pages for s in cut.segments] == [[3, 4, 5]]
    assert cut.fates[2].startswith("封面背面") and cut.fates[6].startswith("空白背面")
    _account(cut, 6)


def test_collate_fronts_then_reversed_backs():
    assert collated(6) == [1, 6, 2, 5, 3, 4]
    # fronts: cover, p, p   backs (reversed): b(p3 back), p(p2 back), b(cover back)
    cut = split(_scans("Cppbpb"), "cover", "collate")
    assert [s.pages for s in cut.segments] == [[2, 5, 3]]
    _account(cut, 6)
    odd = split(_scans("Cpp"), "cover", "collate")
    assert "奇数" in odd.notes[0]


def test_separator_and_file_modes():
    cut = split(_scans("ppbpTpp"), "separator")
    assert [s.pages for s in cut.segments] == [[1, 2], [4], [6, 7]]
    assert all(not s.review for s in cut.segments)
    _account(cut, 7)
    whole = split(_scans("ppbp"), "file")
    assert [s.pages for s in whole.segments] == [[1, 2, 3, 4]]
    handwritten = split(_scans("Hp"), "cover")
    assert (
        handwritten.segments[0].pages == [1, 2] and "手写封面" in handwritten.segments[0].review[0]
    )


def test_cover_outranks_ocr_and_mismatches_go_to_review(settings):
    schedule = Archive.open(settings).schedule()
    cover = {"serial": "YW1", "id_number": PID, "doc_type": "employee_enrol"}
    fields = {"id_numbers": [], "serial": None}
    code, conf, reasons = reconcile({"cover": cover}, fields, "resident_enrol", 0.5, schedule, 0.8)
    assert (code, conf, reasons) == ("employee_enrol", 1.0, [])
    assert fields["id_numbers"] == [PID]
    other = "350203198505054327"
    fields = {"id_numbers": [other], "serial": "YW2"}
    code, _, reasons = reconcile({"cover": cover}, fields, "resident_enrol", 0.95, schedule, 0.8)
    assert len(reasons) == 3  # serial, ID number, class


def test_a_folders_default_class_never_files_what_is_no_business_record(settings):
    schedule = Archive.open(settings).schedule()
    folder = {"cover": {}, "default_class": "employee_enrol"}
    code, _, _ = reconcile(folder, {"id_numbers": []}, None, 0.2, schedule, 0.8)
    assert code is None  # the classifier found no known class: review, not the default
    code, conf, _ = reconcile(folder, {"id_numbers": []}, "employee_enrol", 0.5, schedule, 0.8)
    assert (code, conf) == ("employee_enrol", 0.8)


def test_cover_sheets_api_and_desk(settings):
    with TestClient(create_app(settings)) as client:
        _, token = client.app.state.accounts.issue_token("业务经办系统", "system", "admin")
        auth = {"authorization": f"Bearer {token}"}
        body = {"cases": [{"serial": "yw2026000001", "id_number": PID},
                          {"serial": "YW2026000002", "doc_type": "employee_enrol"}], "blank": 1}  # fmt: skip
        response = client.post("/api/cover-sheets", json=body, headers=auth)
        assert response.status_code == 200 and response.content.startswith(b"%PDF")
        import pypdfium2 as pdfium

        doc = pdfium.PdfDocument(response.content)
        assert len(doc) == 3
        second = doc[1].get_textpage().get_text_range()
        assert "employee_enrol" not in second and "档案类别" in second  # names, not codes
        doc.close()
        bad = client.post("/api/cover-sheets", json={"cases": [{"serial": "YW0001", "id_number": "110105194912310021"}]}, headers=auth)  # fmt: skip
        assert bad.status_code == 422 and "校验位" in bad.json()["error"]
        unknown = client.post("/api/cover-sheets", json={"cases": [{"serial": "YW12", "doc_type": "nope"}]}, headers=auth)  # fmt: skip
        assert unknown.status_code == 422 and "没有类别“nope”" in unknown.json()["error"]
        assert client.post("/api/cover-sheets", json=body).status_code == 401
        login(client, "caseworker")
        assert client.post("/api/cover-sheets", json=body).status_code == 403
        client.cookies.clear()
        login(client, "clerk")
        page = client.get("/cover-sheets")
        assert page.status_code == 200 and "打印封面" in page.text
        printed = client.post(
            "/cover-sheets", data={"lines": "YW2026000009,,,,王五\n", "blank": "0"}
        )
        assert printed.headers["content-type"] == "application/pdf"
        assert "参保人员登记材料（职工增员）" in page.text  # the names a clerk may write
        named = client.post(
            "/cover-sheets",
            data={"lines": "YW2026000010,,,参保人员登记材料（职工增员）,王五", "blank": "0"},
        )
        doc = pdfium.PdfDocument(named.content)
        payload = zxingcpp.read_barcodes(doc[0].render(scale=2).to_pil())
        doc.close()
        assert any("|employee_enrol|" in code.text for code in payload)  # the name's code
        wrong = client.post("/cover-sheets", data={"lines": "Y", "blank": "0"})
        assert wrong.status_code == 422 and "格式不正确" in wrong.text


def test_hot_folder_settings_are_checked(tmp_path):
    conf = tmp_path / "h.toml"
    conf.write_text('[[folder]]\npath = "/x"\nmode = "pages"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="mode"):
        load_folders(conf)
    conf.write_text('[[folder]]\npath = "/x"\nduplx = "duplex"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="duplx"):
        load_folders(conf)


def test_hot_folder_takes_a_file_once_it_is_finished(settings, tmp_path):
    archive = Archive.open(settings)
    queue = IntakeQueue(archive)
    folder = Folder("前台", tmp_path / "scan", stable_seconds=0.3)
    folder.path.mkdir()
    hot = HotFolders(queue, [folder])
    growing = folder.path / "stack.pdf"
    growing.write_bytes(b"%PDF-1.4 part")
    (folder.path / "next.pdf.part").write_bytes(b"%PDF")  # still being written
    assert hot.scan() == 0  # first sight
    with open(growing, "ab") as out:
        out.write(b" more")
    time.sleep(0.35)
    assert hot.scan() == 0  # it grew: not finished
    time.sleep(0.35)
    assert hot.scan() == 1
    assert sorted(p.name for p in folder.path.iterdir()) == [CLAIMS, "next.pdf.part"]
    assert not list((folder.path / CLAIMS).iterdir())
    (batch,) = queue.batches(5)
    assert batch["submitted_by"] == "hotfolder:前台"


def test_claimed_file_of_a_dead_worker_is_put_back(settings, tmp_path, monkeypatch):
    archive = Archive.open(settings)
    queue = IntakeQueue(archive)
    folder = Folder("前台", tmp_path / "scan", stable_seconds=0)
    (folder.path / CLAIMS).mkdir(parents=True)
    claim = folder.path / CLAIMS / "0123456789abcdef__stack.pdf"
    claim.write_bytes(b"%PDF-1.4")
    hot = HotFolders(queue, [folder])
    monkeypatch.setattr("dangan.ingest.hotfolder.CLAIM_TIMEOUT_S", -1)
    monkeypatch.setattr(hot, "_scan", lambda f: 0)
    hot.scan()
    assert (folder.path / "stack.pdf").is_file() and not claim.exists()


def _tiny_stack(key: bytes, path: Path) -> Path:
    """cover YW2026000001, a page, cover YW2026000002, a page (simplex, no OCR needed)."""
    from capture_stack import _grey_jpeg
    from PIL import ImageDraw

    images = [cover_image(sheets_pdf(key, [(CoverData(f"YW202600000{n}"), SheetText())]))
              for n in (1, 2)]  # fmt: skip
    page = images[0].copy()
    page.paste("white", (0, 0, page.size[0], page.size[1]))
    ImageDraw.Draw(page).text((200, 200), "参保登记表 " * 5, fill="black")
    ImageDraw.Draw(page).rectangle((200, 400, 1200, 900), outline="black", width=8)
    pages = [_grey_jpeg(i) for i in (images[0], page, images[1], page)]
    pages[0].save(path, "PDF", save_all=True, append_images=pages[1:], resolution=200)
    return path


def test_clerk_uploads_a_stack_to_split(settings, tmp_path):
    with TestClient(create_app(dataclasses.replace(settings, intake_workers=0))) as client:
        login(client, "clerk")
        stack = _tiny_stack(client.app.state.archive.audit.keys.cover_key(), tmp_path / "s.pdf")
        with open(stack, "rb") as fh:
            response = client.post(
                "/api/intake?split=cover&duplex=simplex",
                files={"files": ("s.pdf", fh, "application/pdf")},
            )
        assert response.status_code == 200, response.text
        batch = response.json()["batch"]
        queue = client.app.state.intake
        run_job(queue, queue.claim("w"), "w")
        progress = client.get(f"/api/intake/{batch}").json()
        (stack_job,) = [j for j in progress["jobs"] if j["status"] == "split"]
        assert [r["serial"] for r in stack_job["stack"]["records"]] == [
            "YW2026000001", "YW2026000002",
        ]  # fmt: skip
        assert stack_job["stack"]["fates"] == {
            "1": "封面（业务流水号 YW2026000001），不作为档案页面",
            "3": "封面（业务流水号 YW2026000002），不作为档案页面",
        }
        assert progress["total"] == 3 and progress["done"] == 1
        page = client.get(f"/upload?batch={batch}")
        assert (
            "每页的去向" in page.text and "第 2 件第 1 页（业务流水号 YW2026000002）" in page.text
        )
        assert (
            client.post("/api/intake?split=pages", files={"files": ("s.pdf", b"%PDF")}).status_code
            == 422
        )


def test_crash_before_the_split_commits_loses_nothing(settings, tmp_path, monkeypatch):
    """A worker dies after writing the record files but before the one
    transaction: no record job exists; the next worker splits again."""
    archive = Archive.open(settings)
    queue = IntakeQueue(archive)
    stack = _tiny_stack(archive.audit.keys.cover_key(), tmp_path / "stack.pdf")
    options = {"split": split_options("cover", "simplex"), "submitted_by": "t"}
    job_id = queue.submit("b1", "stack.pdf", stack, "t", options=options)

    def die(*args, **kwargs):
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr("dangan.ingest.capture._insert_all", die)
    job = queue.claim("w1")
    with pytest.raises(KeyboardInterrupt):
        run_job(queue, job, "w1")
    assert [j["id"] for j in queue.batch("b1")] == [job_id]  # no record job yet
    monkeypatch.undo()
    queue.lease_s = 0
    time.sleep(0.01)
    job = queue.claim("w2")
    assert job.id == job_id and job.attempts == 2
    result = run_job(queue, job, "w2")
    assert [r["serial"] for r in result["records"]] == ["YW2026000001", "YW2026000002"]
    jobs = queue.batch("b1")
    assert sorted(j["id"] for j in jobs) == sorted([job_id, f"{job_id}-1", f"{job_id}-2"])
    children = [j for j in jobs if j["id"] != job_id]
    assert all(j["state"] == "queued" for j in children)
    inbox = {p.name for p in queue.inbox.glob("*.bin")}
    assert inbox == {f"{job_id}-1.bin", f"{job_id}-2.bin"}  # the stack's file went
    row = (
        queue.rows.seam.connection()
        .execute("SELECT options FROM intake_jobs WHERE id = ?", (f"{job_id}-2",))
        .fetchone()
    )
    assert json.loads(row[0])["record"]["case"] == "YW2026000002"
