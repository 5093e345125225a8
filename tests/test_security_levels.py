"""密级: who reads what, who may change it, and that every change is logged."""

from __future__ import annotations

import pytest
from conftest import login
from dangan.api.app import create_app
from fastapi.testclient import TestClient
from records import file_record

from dangan.archive import Archive
from dangan.config import Settings

PERSON = "11010519491231002X"


def _add(archive: Archive, rid: str, doc_type: str) -> None:
    text = f"姓名 张三 公民身份号码 {PERSON} 稽查线索{rid}"
    fields = {"business_date": "2024-05-01", "id_numbers": [PERSON]}
    file_record(archive, rid, doc_type, fields, pages=[text])


@pytest.fixture
def client(tmp_path):
    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})
    archive = Archive.open(settings)
    _add(archive, "audit1", "audit_notice")  # 稽核监管类: 受控 by default
    _add(archive, "claim1", "reimbursement")  # 内部
    archive.sync_index()
    archive.close()
    with TestClient(create_app(settings)) as c:
        yield c


def _found(client, q: str) -> set[str]:
    response = client.get("/api/search", params={"q": q})
    assert response.status_code == 200, response.text
    return {h["record_id"] for h in response.json()["hits"]}


def test_restricted_records_are_hidden_from_caseworkers_everywhere(client):
    login(client, "caseworker")
    assert _found(client, "稽查线索") == {"claim1"}
    assert client.get("/api/records/audit1").status_code == 403
    assert client.get("/api/records/audit1/pdf").status_code == 403
    assert client.get("/api/records/audit1/pages/1/image").status_code == 403
    page = client.get("/records/audit1")
    assert page.status_code == 403 and "受控" in page.text and "无权查阅" in page.text
    person = client.get(f"/api/persons/{PERSON}/records")
    assert {h["record_id"] for h in person.json()["hits"]} == {"claim1"}
    assert "audit1" not in client.get("/", params={"q": "稽查线索"}).text


def test_clerk_sees_restricted_and_changes_the_level_with_a_logged_reason(client):
    login(client, "clerk")
    assert _found(client, "稽查线索") == {"audit1", "claim1"}
    viewer = client.get("/records/audit1")
    assert "受控" in viewer.text and 'action="/records/audit1/security"' in viewer.text
    refused = client.put("/api/records/audit1/security", json={"level": "internal", "reason": ""})
    assert refused.status_code == 422 and "理由" in refused.json()["error"]
    done = client.post(
        "/records/audit1/security",
        data={"level": "internal", "reason": "稽核已结案"},
        follow_redirects=True,
    )
    assert "密级已调整为“内部”" in done.text

    login(client, "caseworker", username="li")
    assert _found(client, "稽查线索") == {"audit1", "claim1"}
    assert client.get("/api/records/audit1").json()["security_level"] == "internal"
    assert (
        client.put(
            "/api/records/claim1/security", json={"level": "restricted", "reason": "x"}
        ).status_code
        == 403
    )  # caseworkers do not set 密级

    archive = client.app.state.archive
    (entry,) = [e for e in archive.audit.entries(limit=100) if e["action"] == "record.security"]
    assert entry["detail"]["before"] == "restricted" and entry["detail"]["reason"] == "稽核已结案"
    # re-filing (a clerk's confirmation) keeps the person's choice
    assert archive.catalog.get("audit1").metadata["security_set_by"]


def test_every_permission_a_route_can_require_has_a_message():
    from dangan.api.auth import ACTIONS

    from dangan.access.roles import CLEARANCE, PERMISSIONS, ROLES

    assert set(PERMISSIONS) - {"ids.full"} == set(ACTIONS)
    assert set(CLEARANCE) == set(ROLES)
