"""Capture at the scanner, end to end with OCR: cover sheets printed through the
API, a duplex stack composed as a scanner writes it, dropped into a hot folder,
and the records found attached to their cases with exactly their pages."""

from __future__ import annotations

import time
from pathlib import Path

from capture_stack import Part, make_stack
from conftest import login
from dangan.api.app import create_app
from dangan.ingest.coversheet import CoverData
from fastapi.testclient import TestClient

from dangan.config import Settings


def _app(tmp_path: Path, mode: str = "cover", duplex: str = "duplex"):
    folder = tmp_path / "scanner"
    folder.mkdir()
    conf = tmp_path / "hotfolders.toml"
    conf.write_text(
        f'[[folder]]\nname = "一楼前台"\npath = "{folder}"\nmode = "{mode}"\n'
        f'duplex = "{duplex}"\nstable_seconds = 0.5\n',
        encoding="utf-8",
    )
    settings = Settings.from_env(
        {"DANGAN_HOME": str(tmp_path / "home"), "DANGAN_OCR_JOBS": "2",
         "DANGAN_HOTFOLDERS": str(conf), "DANGAN_AGENCY_NAME": "测试市医疗保障事务中心"}
    )  # fmt: skip
    return create_app(settings), folder


def _covers(client, auth):
    def covers(parts: list[Part]) -> None:
        for part in parts:
            if part.cover is None:
                continue
            part.cover = CoverData(part.cover.serial, part.id_number or "", "", part.doc_type)
            body = {"cases": [{"serial": part.cover.serial, "id_number": part.id_number or "",
                               "doc_type": part.doc_type}]}  # fmt: skip
            response = client.post("/api/cover-sheets", json=body, headers=auth)
            assert response.status_code == 200, response.text
            assert response.headers["content-type"] == "application/pdf"
            part.cover_pdf = response.content

    return covers


def _drop(stack: Path, folder: Path) -> None:
    stack.rename(folder / stack.name)  # a scanner that renames when done


def _wait(client, timeout: float = 900) -> list[dict]:
    queue = client.app.state.intake
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batches = queue.batches(10)
        if batches and queue.pending() == 0:
            return [{**j, "batch": b["batch"]} for b in batches for j in queue.batch(b["batch"])]
        time.sleep(1)
    raise AssertionError("the stack was not processed in time")


def _case_records(client, auth, serial: str) -> list[dict]:
    response = client.get(f"/api/cases/{serial}/records", headers=auth)
    assert response.status_code == 200, response.text
    return response.json()["hits"]


def _record(client, auth, record_id: str) -> dict:
    return client.get(f"/api/records/{record_id}", headers=auth).json()


def test_three_cases_from_one_stack(tmp_path):
    app, folder = _app(tmp_path)
    with TestClient(app) as client:
        _, token = client.app.state.accounts.issue_token("业务经办系统", "system", "admin")
        auth = {"authorization": f"Bearer {token}"}
        parts = [
            Part(CoverData("YW2026000101"), pages=2, doc_type="employee_enrol"),
            Part(CoverData("YW2026000102"), pages=1, doc_type="resident_enrol"),
            Part(CoverData("YW2026000103"), pages=1, doc_type="employee_enrol"),
        ]
        stack = make_stack(tmp_path / "stack-0001.pdf", b"", parts, covers=_covers(client, auth))
        _drop(stack, folder)
        jobs = _wait(client)
        assert not list(folder.glob("*.pdf"))  # taken from the folder
        (split,) = [j for j in jobs if j["status"] == "split"]
        stack_pages = split["pages"]
        placed = []
        for part in parts:
            (hit,) = _case_records(client, auth, part.cover.serial)
            record = _record(client, auth, hit["record_id"])
            assert record["page_count"] == part.pages
            capture = record["metadata"]["capture"]
            assert capture["pages"] == part.page_numbers
            assert capture["cover"]["serial"] == part.cover.serial
            placed += capture["pages"]
        # every other page is a cover sheet or an empty back, and says so
        fates = split["stack"]["fates"]
        assert sorted(placed + [int(p) for p in fates]) == list(range(1, stack_pages + 1))
        login(client, "clerk")
        page = client.get(f"/upload?batch={split['batch']}")
        assert page.status_code == 200
        assert "每页的去向" in page.text and "封面背面（空白），已略去" in page.text
        assert page.text.count("YW2026000101") >= 2


def test_damaged_upside_down_and_missing_cover_sheets(tmp_path):
    app, folder = _app(tmp_path)
    with TestClient(app) as client:
        _, token = client.app.state.accounts.issue_token("业务经办系统", "system", "admin")
        auth = {"authorization": f"Bearer {token}"}
        parts = [
            Part(None, pages=1),  # before the first cover sheet
            Part(CoverData("YW2026000201"), pages=1),
            Part(None, pages=1),  # its cover sheet forgotten: lands in the case before
            Part(CoverData("YW2026000202"), pages=1, upside_down=True),
            Part(CoverData("YW2026000203"), pages=1, damage=True),
        ]
        stack = make_stack(tmp_path / "stack-0002.pdf", b"", parts, covers=_covers(client, auth))
        _drop(stack, folder)
        jobs = _wait(client)
        (split,) = [j for j in jobs if j["status"] == "split"]
        records = {r["job"]: r for r in split["stack"]["records"]}
        children = {j["id"]: j for j in jobs if j["id"] in records}
        assert len(children) == 4
        # upside down: read, attached, filed or reviewed on its own merits
        (hit,) = _case_records(client, auth, "YW2026000202")
        assert _record(client, auth, hit["record_id"])["metadata"]["capture"]["pages"] == (
            parts[3].page_numbers
        )
        # the forgotten cover: the other person's form is in the case before, which
        # therefore goes to review, never filed silently
        (hit,) = _case_records(client, auth, "YW2026000201")
        first = _record(client, auth, hit["record_id"])
        assert first["needs_review"] is True
        assert (
            first["metadata"]["capture"]["pages"] == parts[1].page_numbers + parts[2].page_numbers
        )
        assert any("另一笔业务" in r or "不一致" in r for r in first["review_reasons"])
        # the damaged sheet: nothing attached to its case; its pages in review
        assert _case_records(client, auth, "YW2026000203") == []
        damaged = [r for r in records.values() if r["cover_page"] and not r["serial"]]
        (bad,) = damaged
        assert "无法识别" in bad["review"][0]
        assert bad["pages"][1:] == parts[4].page_numbers
        # pages before the first cover sheet: a record in review of their own
        (lead,) = [r for r in records.values() if r["pages"] == parts[0].page_numbers]
        assert "第一张封面之前" in lead["review"][0]
        for job_id, job in children.items():
            assert job["status"] == "archived", job
            if not records[job_id]["serial"]:
                assert _record(client, auth, job["record_id"])["needs_review"] is True
        placed = [p for r in records.values() for p in r["pages"]]
        fates = [int(p) for p in split["stack"]["fates"]]
        assert sorted(placed + fates) == list(range(1, split["pages"] + 1))
