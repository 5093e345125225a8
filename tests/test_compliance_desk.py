"""The compliance desk's forms: holds placed and lifted, per-record appraisal."""

from __future__ import annotations

import re

from conftest import login
from dangan.api.app import create_app
from dangan.retention import procedure
from fastapi.testclient import TestClient
from test_disposal import RECORDS, _add

from dangan.archive import Archive
from dangan.config import Settings


def test_officer_holds_a_person_lifts_it_and_appraises_one_record(tmp_path):
    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})
    archive = Archive.open(settings)
    for rid in RECORDS:
        _add(archive, rid)
    archive.sync_index()
    archive.close()
    with TestClient(create_app(settings)) as client:
        login(client, "compliance")
        page = client.post(
            "/compliance/holds",
            data={"kind": "petition", "reason": "信访件 2026-17", "owner": "周",
                  "person": "110105195203030018"},
            follow_redirects=True,
        )  # fmt: skip
        assert "已冻结 1 件档案" in page.text and "信访件 2026-17" in page.text
        archive = client.app.state.archive
        (hold,) = procedure.list_holds(archive)
        nothing = client.post(
            "/compliance/holds",
            data={"kind": "audit", "reason": "x", "owner": "周"},
            follow_redirects=False,
        )
        assert nothing.status_code == 303 and "error=" in nothing.headers["location"]

        page = client.get("/compliance?as_of=2026-01-01")
        assert page.status_code == 200
        client.post("/compliance/batches", data={"as_of": "2026-01-01"})
        (batch,) = procedure.list_batches(archive)
        items = {i["record_id"] for i in procedure.get_batch(archive, batch["id"])["items"]}
        assert "r1" not in items  # held: never in a batch

        page = client.post(
            f"/compliance/batches/{batch['id']}/appraise",
            data={"decision": "keep", "reason": "仍有查考价值", "extend_years": "10",
                  "record_ids": "p2"},
            follow_redirects=True,
        )  # fmt: skip
        assert re.search(r"批次 \d+ 中 1 件的鉴定意见", page.text)
        decisions = {
            i["record_id"]: i["decision"]
            for i in procedure.get_batch(archive, batch["id"])["items"]
        }
        assert decisions["p2"] == "keep" and decisions["p1"] == "pending"

        page = client.post(
            f"/compliance/holds/{hold['id']}/lift",
            data={"reason": "信访已办结"},
            follow_redirects=True,
        )
        assert f"已解除冻结 {hold['id']}" in page.text
        assert procedure.list_holds(archive) == []

        login(client, "head", username="chen")
        refused = client.post(f"/compliance/holds/{hold['id']}/lift", data={"reason": "x"})
        assert refused.status_code == 403


def test_destruction_on_the_desk_needs_two_supervisors_with_their_own_passwords(tmp_path):
    """Issue 19: a head's API token approved; supervisors were free text."""
    from urllib.parse import unquote

    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})
    archive = Archive.open(settings)
    for rid in RECORDS:
        _add(archive, rid)
    archive.sync_index()
    archive.close()
    password = "test-password-1234"
    with TestClient(create_app(settings)) as client:
        archive = client.app.state.archive
        accounts = client.app.state.accounts
        for username, name in (("wu", "吴"), ("lin", "林")):
            accounts.add_user(username, name, {"auditor"}, password)
        login(client, "compliance", username="zhou")
        client.post("/compliance/batches", data={"as_of": "2026-01-01"})
        (batch,) = procedure.list_batches(archive)
        client.post(
            f"/compliance/batches/{batch['id']}/appraise",
            data={"decision": "destroy", "reason": "保管期满"},
        )
        # a business system's token with role head may not approve
        _, token = accounts.issue_token("OA 系统", "head", "admin")
        refused = client.post(
            f"/api/retention/batches/{batch['id']}/approve",
            json={"note": "同意"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert refused.status_code == 403 and "API 令牌" in refused.json()["error"], refused.text
        login(client, "head", username="chen")
        client.post(f"/compliance/batches/{batch['id']}/approve", data={"note": "同意"})
        assert procedure.get_batch(archive, batch["id"])["status"] == "approved"

        api_url = f"/api/retention/batches/{batch['id']}/execute"
        body = {"supervisors": [{"username": "wu", "password": password},
                                {"username": "lin", "password": password}]}  # fmt: skip
        _, officer_token = accounts.issue_token("OA 系统", "compliance", "admin")
        refused = client.post(
            api_url, json=body, headers={"Authorization": f"Bearer {officer_token}"}
        )
        assert refused.status_code == 403 and "API 令牌" in refused.json()["error"]
        login(client, "compliance", username="zhou")
        wrong = {"supervisors": [body["supervisors"][0], {"username": "lin", "password": "x"}]}
        refused = client.post(api_url, json=wrong)
        assert refused.status_code == 403 and "确认未通过" in refused.json()["error"]
        url = f"/compliance/batches/{batch['id']}/execute"
        form = {"method": "电子数据删除", "supervisor1": "wu", "password1": password,
                "supervisor2": "WU", "password2": password}  # fmt: skip
        for change, message in (
            ({}, "两名不同的监销人"),
            ({"supervisor2": "zhou"}, "不能同时担任监销人"),
            ({"supervisor2": "lin", "password2": "guessed-1234"}, "确认未通过"),
        ):
            answer = client.post(url, data=form | change, follow_redirects=False)
            assert answer.status_code == 303
            assert message in unquote(answer.headers["location"]), change
        assert procedure.get_batch(archive, batch["id"])["status"] == "approved"
        page = client.post(url, data=form | {"supervisor2": "lin"}, follow_redirects=True)
        assert "销毁完毕" in page.text, page.text[-500:]
        done = procedure.get_batch(archive, batch["id"])
        assert [c["username"] for c in done["supervision"]] == ["wu", "lin"]
