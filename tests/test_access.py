"""Accounts, sessions, API tokens and ID masking."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import json_lines, run_cli
from dangan.api.app import create_app
from fastapi.testclient import TestClient

from dangan.access.passwords import hash_password, verify_password
from dangan.access.roles import allowed, mask_ids_in
from dangan.access.store import AccessError, SqliteAccountStore
from dangan.archive import Archive
from dangan.config import Settings

PASSWORD = "correct-horse-Battery"


@pytest.fixture
def store(tmp_path: Path):
    archive = Archive.open(Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")}))
    yield SqliteAccountStore(archive.catalog)
    archive.close()


def test_passwords_are_stored_as_salted_slow_hashes():
    stored = hash_password(PASSWORD)
    assert PASSWORD not in stored and stored.startswith("scrypt$")
    assert stored != hash_password(PASSWORD)  # salted
    assert verify_password(PASSWORD, stored) and not verify_password("wrong password", stored)
    assert not verify_password(PASSWORD, "garbage")


def test_users_log_in_with_their_roles_and_sessions_end(store):
    store.add_user("wang", "王芳", {"clerk"}, PASSWORD)
    assert store.authenticate("wang", "nope nope nope") is None
    who = store.authenticate("wang", PASSWORD)
    assert who.roles == {"clerk"} and who.display_name == "王芳"
    token = store.new_session("wang")
    assert store.session_user(token).name == "wang"
    store.end_session(token)
    assert store.session_user(token) is None


@pytest.mark.parametrize(
    ("username", "roles", "password", "message"),
    [
        ("li", {"janitor"}, PASSWORD, "角色无效"),
        ("li", set(), PASSWORD, "角色无效"),
        ("li", {"system"}, PASSWORD, "API 令牌"),
        ("li", {"clerk"}, "short", "至少"),
        ("li si", {"clerk"}, PASSWORD, "用户名"),
    ],
)
def test_bad_accounts_are_refused_with_a_reason(store, username, roles, password, message):
    with pytest.raises(AccessError) as err:
        store.add_user(username, "", roles, password)
    assert message in err.value.message


def test_api_tokens_work_until_revoked(store):
    token_id, token = store.issue_token("业务经办系统", "system", "admin")
    principal = store.token_principal(token)
    assert principal.roles == {"system"} and principal.kind == "token"
    store.revoke_token(token_id)
    assert store.token_principal(token) is None
    with pytest.raises(AccessError):
        store.revoke_token(token_id)


def test_roles_and_masking():
    assert allowed({"caseworker"}, "records.read")
    assert not allowed({"caseworker"}, "retention.approve")
    assert allowed({"head"}, "retention.approve") and not allowed({"head"}, "retention.manage")
    assert not allowed({"auditor"}, "ids.full")
    assert mask_ids_in("35010219800101123X") == "3501**********123X"
    assert mask_ids_in("号码 350102198001011235，电话 13800000000") == (
        "号码 3501**********1235，电话 13800000000"
    )


def test_users_and_tokens_from_the_command_line(tmp_path: Path):
    import subprocess
    import sys

    home = tmp_path / "h"
    env = {"DANGAN_HOME": str(home), "PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        [sys.executable, "-m", "dangan", "users", "add", "zhao", "--role", "caseworker",
         "--role", "clerk", "--password-stdin"],
        input=PASSWORD + "\n", capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    users = json_lines(run_cli(home, "users", "list", "--json", check=True).stdout)[0]["users"]
    assert users[0]["username"] == "zhao" and users[0]["roles"] == "caseworker,clerk"
    issued = json_lines(run_cli(home, "tokens", "issue", "经办系统", "--json", check=True).stdout)
    assert issued[0]["token"].startswith("dgn_")
    assert run_cli(home, "tokens", "revoke", str(issued[0]["id"])).returncode == 0
    again = run_cli(home, "tokens", "revoke", str(issued[0]["id"]))
    assert again.returncode != 0 and "没有编号" in again.stderr


def test_login_form_sets_a_session_and_logout_ends_it(tmp_path: Path):
    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})
    archive = Archive.open(settings)
    SqliteAccountStore(archive.catalog).add_user("wang", "王芳", {"clerk"}, PASSWORD)
    archive.close()
    with TestClient(create_app(settings)) as client:
        assert "登录" in client.get("/login").text
        bad = client.post("/login", data={"username": "wang", "password": "x" * 12})
        assert bad.status_code == 401 and "不正确" in bad.text
        ok = client.post(
            "/login",
            data={"username": "wang", "password": PASSWORD, "next": "https://evil.example/"},
            follow_redirects=False,
        )
        assert ok.status_code == 303 and ok.headers["location"] == "/"
        assert "dangan_session" in client.cookies
        # a browser sends Origin with the logout form (api/security.py checks it)
        client.post("/logout", headers={"origin": "http://testserver"}, follow_redirects=False)
        assert "dangan_session" not in client.cookies


def _archive_with_a_person(settings):
    from datetime import date

    from dangan.catalog.base import FileRef, PageText, Record
    from dangan.retention.filing import apply_filing

    archive = Archive.open(settings)
    try:
        record = Record(
            id="a1",
            sha256="a1".ljust(64, "0"),
            filename="a1.png",
            media_type="image/png",
            size=1,
            page_count=1,
            title="参保人员信息变更登记表",
            ocr_mode="ocr",
            created_at="2026-01-01T00:00:00+00:00",
            pages=[PageText(1, "姓名 张三 公民身份号码 11010519491231002X 变更")],
        )
        blob = archive.blobs.put_bytes("records/a1/original.png", b"\x89PNG fake")
        record.files.append(FileRef("original", blob.key, blob.sha256, blob.size, "image/png"))
        fields = {"business_date": "2024-01-02", "id_numbers": ["11010519491231002X"]}
        apply_filing(
            record,
            doc_type="info_change",
            confidence=1.0,
            fields=fields,
            schedule=archive.schedule(),
            policy=archive.filing_policy(),
            today=date(2026, 1, 1),
        )
        archive.catalog.add_record(record)
        archive.sync_index()
        return SqliteAccountStore(archive.catalog).issue_token("经办系统", "system", "t")[1]
    finally:
        archive.close()


def test_every_route_checks_the_role_on_the_server(tmp_path: Path):
    from conftest import login

    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})
    token = _archive_with_a_person(settings)
    person = "11010519491231002X"
    with TestClient(create_app(settings)) as client:
        # nobody logged in: the API says so, the UI sends the person to the login form
        anon = client.get(f"/api/persons/{person}/records")
        assert anon.status_code == 401 and "登录" in anon.json()["error"]
        page = client.get("/volumes?year=2024", follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=/volumes%3Fyear%3D2024"

        login(client, "caseworker")
        assert client.get(f"/api/persons/{person}/records").json()["total"] == 1
        refused = client.post("/api/records/a1/confirm", json={})
        assert refused.status_code == 403 and "无权复核归档" in refused.json()["error"]
        assert client.get("/api/volumes").status_code == 403
        ui_refused = client.get("/volumes")
        assert ui_refused.status_code == 403 and "无权" in ui_refused.text

        # an auditor reads records but sees ID numbers masked
        login(client, "auditor")
        data = client.get("/api/search", params={"q": "变更"}).json()
        assert person not in str(data) and "1101**********002X" in data["hits"][0]["snippet"]
        shown = client.get("/api/records/a1").json()
        assert shown["id_numbers"] == ["1101**********002X"]
        assert person not in client.get("/records/a1").text
        assert client.get("/api/records/a1/original").status_code == 403

    # a business system with an API token, until the token is revoked
    with TestClient(create_app(settings)) as system:
        headers = {"Authorization": f"Bearer {token}"}
        found = system.get(f"/api/persons/{person}/records", headers=headers).json()
        assert [h["record_id"] for h in found["hits"]] == ["a1"]
        system.app.state.accounts.revoke_token(1)
        assert system.get(f"/api/persons/{person}/records", headers=headers).status_code == 401
