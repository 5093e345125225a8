"""Accounts and sessions under attack (issue 19): lockout and throttling, user
enumeration, password policy, disabling and resetting, idle sessions, CSRF,
security headers, trusted proxies, 三员分立 and the audit of account events."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from conftest import login, run_cli
from dangan.api.app import create_app
from fastapi.testclient import TestClient

from dangan.access.store import AccessError, SqliteAccountStore
from dangan.archive import Archive
from dangan.config import Settings

PASSWORD = "Blue-River-2026"
WRONG = "Wrong-pass-123"


def _settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"DANGAN_HOME": str(tmp_path / "h"), **env})


def _error(html: str) -> str:
    found = re.search(r'<p class="flash error">(.*?)</p>', html)
    return found.group(1) if found else ""


def _post_login(client, username: str, password: str, **headers):
    return client.post(
        "/login",
        data={"username": username, "password": password},
        headers=headers,
        follow_redirects=False,
    )


# --- lockout, throttling, enumeration ---


def test_five_wrong_passwords_lock_the_name_whether_or_not_it_exists(tmp_path):
    settings = _settings(tmp_path)
    with TestClient(create_app(settings)) as client:
        client.app.state.accounts.add_user("wang", "王芳", {"clerk"}, PASSWORD)
        answers = {}
        for name in ("wang", "nobody"):
            answers[name] = []
            for _ in range(5):
                r = _post_login(client, name, WRONG)
                answers[name].append((r.status_code, _error(r.text)))
        # the same answers for a real and an unknown name: nothing to enumerate
        assert answers["wang"] == answers["nobody"]
        assert answers["wang"][0] == (401, "用户名或密码不正确。")
        assert "请 15 分钟后再试" in answers["wang"][-1][1]

        right = _post_login(client, "wang", PASSWORD)
        assert right.status_code == 429 and "分钟后再试" in _error(right.text)
        assert "dangan_session" not in client.cookies

        archive = client.app.state.archive
        assert len(archive.audit.entries(action="login.failed")) == 11
        locks = archive.audit.entries(action="login.locked")
        assert {e["target"] for e in locks} == {"wang", "nobody"}
        assert locks[0]["detail"]["ip"] == "testclient"

        # the lock runs out (moved into the past here) and the right password works
        with archive.catalog.transaction() as conn:
            conn.execute("UPDATE login_failures SET locked_until = '2000-01-01T00:00:00+00:00'")
        assert _post_login(client, "wang", PASSWORD).status_code == 303
        assert archive.audit.entries(action="login")[0]["actor"] == "wang"


def test_one_address_trying_many_names_is_throttled_behind_a_trusted_proxy(tmp_path):
    settings = _settings(
        tmp_path, DANGAN_LOGIN_IP_MAX_FAILURES="3", DANGAN_TRUSTED_PROXIES="10.0.0.0/24"
    )
    app = create_app(settings)
    with TestClient(app, client=("10.0.0.1", 40000)) as proxy:
        proxy.app.state.accounts.add_user("wang", "王芳", {"clerk"}, PASSWORD)
        attacker = {"x-forwarded-for": "192.0.2.7"}
        for name in ("a1", "b2", "c3"):
            assert _post_login(proxy, name, WRONG, **attacker).status_code == 401
        refused = _post_login(proxy, "wang", PASSWORD, **attacker)
        assert refused.status_code == 429 and "分钟后再试" in _error(refused.text)
        # another client behind the same proxy is not affected
        other = _post_login(proxy, "wang", PASSWORD, **{"x-forwarded-for": "192.0.2.8"})
        assert other.status_code == 303
        entry = app.state.archive.audit.entries(action="login.locked")[0]
        assert entry["detail"]["ip"] == "192.0.2.7"

        # an untrusted peer cannot pick its address with X-Forwarded-For
        direct = TestClient(app, client=("192.0.2.50", 40000))
        for name in ("d4", "e5", "f6"):
            _post_login(direct, name, WRONG, **{"x-forwarded-for": f"198.51.100.{len(name)}"})
        assert _post_login(direct, "wang", PASSWORD).status_code == 429


def test_unknown_names_cost_the_same_password_hashing(tmp_path, monkeypatch):
    archive = Archive.open(_settings(tmp_path))
    try:
        store = SqliteAccountStore(archive.catalog)
        store.add_user("wang", "王芳", {"clerk"}, PASSWORD)
        real, calls = hashlib.scrypt, []
        monkeypatch.setattr(hashlib, "scrypt", lambda *a, **k: calls.append(1) or real(*a, **k))
        store.authenticate("nobody", WRONG)  # the dummy hash is made once per process
        counts = {}
        for name in ("wang", "nobody"):
            calls.clear()
            assert store.authenticate(name, WRONG) is None
            counts[name] = len(calls)
        assert counts == {"wang": 1, "nobody": 1}
    finally:
        archive.close()


# --- passwords ---


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("1234567890", "至少三类"),
        ("abcdefghijkl", "至少三类"),
        ("Abc-Abc-Abc-", "重复"),
        ("Qwertyuiop1!", "常见弱密码"),
        ("P@ssw0rd123", "常见弱密码"),
        ("xX-zhangsan-9", "用户名"),
        ("Ab1-", "至少 10 个字符"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(tmp_path, password, message):
    archive = Archive.open(_settings(tmp_path))
    try:
        with pytest.raises(AccessError) as err:
            SqliteAccountStore(archive.catalog).add_user("zhangsan", "", {"clerk"}, password)
        assert message in err.value.message
    finally:
        archive.close()


def test_disabled_accounts_lose_their_sessions_and_cannot_log_in(tmp_path):
    with TestClient(create_app(_settings(tmp_path))) as client:
        login(client, "clerk", username="wang")
        assert client.get("/api/search", params={"q": "x"}).status_code == 200
        client.app.state.accounts.set_disabled("wang", True)
        assert client.get("/api/search", params={"q": "x"}).status_code == 401
        again = _post_login(client, "wang", "test-password-1234")
        assert again.status_code == 401 and "停用" in _error(again.text)
        client.app.state.accounts.set_disabled("wang", False)
        assert _post_login(client, "wang", "test-password-1234").status_code == 303


def test_a_reset_password_must_be_changed_before_anything_else(tmp_path):
    with TestClient(create_app(_settings(tmp_path))) as client:
        accounts = client.app.state.accounts
        accounts.add_user("wang", "王芳", {"clerk"}, PASSWORD)
        accounts.reset_password("wang", "Temp-Pass-0001")
        client.headers["origin"] = "http://testserver"
        first = _post_login(client, "wang", "Temp-Pass-0001")
        assert first.headers["location"] == "/account/password"
        blocked = client.get("/api/search", params={"q": "x"})
        assert blocked.status_code == 403 and "修改密码" in blocked.json()["error"]
        assert client.get("/", follow_redirects=False).headers["location"] == "/account/password"
        assert "修改密码" in client.get("/account/password").text

        weak = client.post(
            "/account/password",
            data={"old_password": "Temp-Pass-0001", "new_password": "1234567890",
                  "confirm_password": "1234567890"},
        )  # fmt: skip
        assert weak.status_code == 422 and "至少三类" in weak.text
        done = client.post(
            "/account/password",
            data={"old_password": "Temp-Pass-0001", "new_password": "Green-Hill-2026",
                  "confirm_password": "Green-Hill-2026"},
            follow_redirects=False,
        )  # fmt: skip
        assert done.status_code == 303
        assert client.get("/api/search", params={"q": "x"}).status_code == 200

        # the API: the old password is proven first; the new session replaces the old
        wrong = client.post(
            "/api/account/password",
            json={"old_password": "nope", "new_password": "Red-Stone-2027"},
        )
        assert wrong.status_code == 422 and "原密码不正确" in wrong.json()["error"]
        ok = client.post(
            "/api/account/password",
            json={"old_password": "Green-Hill-2026", "new_password": "Red-Stone-2027"},
        )
        assert ok.status_code == 200
        assert client.get("/api/search", params={"q": "x"}).status_code == 200
        assert accounts.authenticate("wang", "Red-Stone-2027") is not None
        actions = [e["action"] for e in client.app.state.archive.audit.entries(actor="wang")]
        assert actions.count("user.password_change") == 2


def test_sessions_end_after_idle_time_and_passwords_expire(tmp_path):
    settings = _settings(
        tmp_path, DANGAN_SESSION_IDLE_MINUTES="30", DANGAN_PASSWORD_MAX_AGE_DAYS="90"
    )
    with TestClient(create_app(settings)) as client:
        login(client, "clerk", username="wang")
        catalog = client.app.state.archive.catalog
        assert client.get("/api/search", params={"q": "x"}).status_code == 200
        with catalog.transaction() as conn:  # 31 minutes without a request
            conn.execute("UPDATE sessions SET last_seen_at = '2000-01-01T00:00:00+00:00'")
        assert client.get("/api/search", params={"q": "x"}).status_code == 401

        login(client, "clerk", username="wang")
        with catalog.transaction() as conn:  # password set long ago
            conn.execute("UPDATE users SET password_changed_at = '2000-01-01T00:00:00+00:00'")
        assert client.get("/api/search", params={"q": "x"}).status_code == 403


def test_users_are_disabled_enabled_and_reset_from_the_command_line(tmp_path):
    import subprocess
    import sys

    home = tmp_path / "h"
    env = {"DANGAN_HOME": str(home), "PATH": "/usr/bin:/bin"}
    subprocess.run(
        [sys.executable, "-m", "dangan", "users", "add", "wang", "--role", "clerk",
         "--password-stdin"],
        input=PASSWORD + "\n", capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    assert "已停用" in run_cli(home, "users", "disable", "wang", check=True).stdout
    assert "已停用" in run_cli(home, "users", "list", check=True).stdout
    assert run_cli(home, "users", "enable", "wang", check=True).returncode == 0
    reset = run_cli(home, "users", "reset-password", "wang", check=True).stdout
    temporary = re.search(r"临时密码：(\S+)", reset).group(1)
    clash = run_cli(home, "users", "roles", "wang", "--role", "admin", "--role", "auditor")
    assert clash.returncode != 0 and "三员分立" in clash.stderr
    archive = Archive.open(Settings.from_env({"DANGAN_HOME": str(home)}))
    try:
        who = SqliteAccountStore(archive.catalog).authenticate("wang", temporary)
        assert who is not None and who.must_change_password
        actions = [e["action"] for e in archive.audit.entries()]
        assert actions[:4] == ["user.password_reset", "user.enable", "user.disable", "user.add"]
    finally:
        archive.close()
