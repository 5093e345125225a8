"""The compliance desk's forms: holds placed and lifted, per-record appraisal."""

from __future__ import annotations

import re

from conftest import login
from fastapi.testclient import TestClient
from test_disposal import RECORDS, _add

from api.app import create_app
from dangan.archive import Archive
from dangan.config import Settings
from retention import procedure


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
