"""HTTP hardening (issue 19): forged cross-site form posts are refused, every
response carries the security headers, originals are not rendered as pages of
the site, cookies are Secure behind a trusted TLS proxy, and 三员分立 holds."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import login
from dangan.api.app import create_app
from dangan.catalog.base import FileRef
from dangan.retention import procedure
from fastapi.testclient import TestClient
from records import file_record

from dangan.access.store import AccessError, SqliteAccountStore
from dangan.archive import Archive
from dangan.config import Settings

SIBLING = "http://ywxt.ybj.example"  # another host on the agency's intranet
OWN = "http://testserver"


def _archive(tmp_path: Path, **env: str) -> Settings:
    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h"), **env})
    archive = Archive.open(settings)
    try:
        original = archive.blobs.put_bytes("records/r1/original.html", b"<script>alert(1)</script>")
        image = archive.blobs.put_bytes("records/r2/original.png", b"\x89PNG fake")
        fields = {"business_date": "2024-05-01"}
        file_record(
            archive,
            "r1",
            "audit_notice",
            fields,
            files=[FileRef("original", original.key, original.sha256, original.size, "text/html")],
        )
        file_record(
            archive,
            "r2",
            "reimbursement",
            fields,
            files=[FileRef("original", image.key, image.sha256, image.size, "image/png")],
        )
        archive.sync_index()
    finally:
        archive.close()
    return settings


@pytest.fixture
def client(tmp_path):
    with TestClient(create_app(_archive(tmp_path))) as c:
        yield c


def _csrf(response) -> bool:
    if response.status_code != 403:
        return False
    if response.headers["content-type"].startswith("application/json"):
        return response.json()["code"] == "csrf"
    return "跨站请求伪造" in response.text


def test_a_sibling_host_cannot_downgrade_a_security_level(client):
    login(client, "clerk", username="wang")
    del client.headers["origin"]  # each request below says where it comes from
    for headers in (
        {"origin": SIBLING},
        {"origin": "null"},
        {"origin": OWN, "sec-fetch-site": "same-site"},
        {"referer": SIBLING + "/page"},
        {},  # a session cookie but no Origin nor Referer
    ):
        form = client.post(
            "/records/r1/security",
            data={"level": "public", "reason": "伪造"},
            headers=headers,
            follow_redirects=False,
        )
        assert _csrf(form), headers
        api = client.put(
            "/api/records/r1/security", json={"level": "public", "reason": "伪造"}, headers=headers
        )
        assert _csrf(api) and "跨站请求伪造" in api.json()["error"], headers
    assert client.app.state.archive.catalog.get("r1").security_level == "restricted"
    # from dangan's own page (Origin, or Referer where a browser leaves Origin out)
    ok = client.post(
        "/records/r1/security",
        data={"level": "internal", "reason": "核对后调整"},
        headers={"referer": OWN + "/records/r1"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert client.app.state.archive.catalog.get("r1").security_level == "internal"


def test_forged_posts_cannot_lift_a_hold_or_approve_a_batch(client):
    login(client, "compliance", username="zhou")
    archive = client.app.state.archive
    client.post(
        "/compliance/holds",
        data={"kind": "audit", "reason": "稽核 2026-3", "owner": "周", "record_ids": "r2"},
    )
    (hold,) = procedure.list_holds(archive)
    lift = client.post(
        f"/compliance/holds/{hold['id']}/lift", data={"reason": "x"}, headers={"origin": SIBLING}
    )
    assert _csrf(lift) and procedure.list_holds(archive) != []
    api_lift = client.post(
        f"/api/holds/{hold['id']}/lift", json={"reason": "x"}, headers={"origin": SIBLING}
    )
    assert _csrf(api_lift) and procedure.list_holds(archive) != []

    login(client, "head", username="chen")
    approve = client.post(
        "/compliance/batches/1/approve",
        data={"note": "同意"},
        headers={"sec-fetch-site": "cross-site"},
    )
    assert _csrf(approve)
    # logging in from another site's form is refused too (login CSRF)
    assert _csrf(
        client.post("/login", data={"username": "chen", "password": "x"},
                    headers={"origin": SIBLING})
    )  # fmt: skip


def test_api_tokens_are_not_subject_to_the_origin_check(client):
    _, token = client.app.state.accounts.issue_token("经办系统", "caseworker", "t")
    response = client.post(
        "/api/records/r2/confirm",
        json={},
        headers={"authorization": f"Bearer {token}", "origin": SIBLING},
    )
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_every_response_carries_the_security_headers(client):
    login(client, "clerk", username="wang")
    for path in ("/login", "/", "/records/r2", "/api/records/r2", "/api/nothing-here"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp, path
        assert "frame-ancestors 'none'" in csp and headers["x-frame-options"] == "DENY", path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["referrer-policy"] == "same-origin", path
        assert headers["cache-control"] == "no-store", path
    static = client.get("/static/app.css").headers
    assert static["x-content-type-options"] == "nosniff" and "no-store" not in static.get(
        "cache-control", ""
    )


def test_frame_ancestors_come_from_the_setting(tmp_path):
    settings = _archive(tmp_path, DANGAN_FRAME_ANCESTORS="https://ywxt.ybj.example")
    with TestClient(create_app(settings)) as client:
        headers = client.get("/login").headers
    assert "frame-ancestors https://ywxt.ybj.example" in headers["content-security-policy"]
    assert "x-frame-options" not in headers


def test_templates_and_static_files_need_no_inline_script():
    root = Path(__file__).parent.parent / "api"
    for page in (root / "templates").glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), page.name
        assert not re.search(r"\son[a-z]+\s*=", text), page.name
        assert not re.search(r"\sstyle\s*=", text), page.name


def test_originals_are_downloaded_unless_the_viewer_shows_them(client):
    login(client, "clerk", username="wang")
    html = client.get("/api/records/r1/original")
    assert html.headers["content-disposition"].startswith("attachment;")
    assert html.headers["x-content-type-options"] == "nosniff"
    png = client.get("/api/records/r2/original")
    assert png.headers["content-disposition"].startswith("inline;")


def _cookie(response) -> str:
    return response.headers["set-cookie"]


def test_cookies_are_secure_behind_a_trusted_tls_proxy(tmp_path):
    settings = _archive(tmp_path, DANGAN_TRUSTED_PROXIES="10.0.0.5")
    app = create_app(settings)
    with TestClient(app, client=("10.0.0.5", 40000)) as proxy:
        app.state.accounts.add_user("wang", "王芳", {"clerk"}, "Blue-River-2026")
        form = {"username": "wang", "password": "Blue-River-2026"}
        tls = proxy.post(
            "/login", data=form, headers={"x-forwarded-proto": "https"}, follow_redirects=False
        )
        assert "secure" in _cookie(tls).lower() and "samesite=strict" in _cookie(tls).lower()
        # the origin check uses the scheme the client used
        proxy.cookies.set("dangan_session", "x")
        assert not _csrf(
            proxy.post("/logout", headers={"x-forwarded-proto": "https",
                                           "origin": "https://testserver"})
        )  # fmt: skip
        proxy.cookies.clear()
        plain = proxy.post("/login", data=form, follow_redirects=False)
        assert "secure" not in _cookie(plain).lower()
    # an untrusted peer cannot claim https
    direct = TestClient(app, client=("192.0.2.9", 40000))
    with direct:
        spoofed = direct.post(
            "/login", data=form, headers={"x-forwarded-proto": "https"}, follow_redirects=False
        )
        assert "secure" not in _cookie(spoofed).lower()
    forced = _archive(tmp_path / "f", DANGAN_SECURE_COOKIES="always")
    with TestClient(create_app(forced)) as client:
        client.app.state.accounts.add_user("wang", "王芳", {"clerk"}, "Blue-River-2026")
        always = client.post("/login", data=form, follow_redirects=False)
        assert "secure" in _cookie(always).lower()


# --- 三员分立 ---


@pytest.mark.parametrize(
    "roles", [{"admin", "auditor"}, {"admin", "secadmin"}, {"secadmin", "auditor", "clerk"}]
)
def test_no_one_holds_two_of_the_three_administrator_roles(tmp_path, roles):
    archive = Archive.open(Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")}))
    try:
        store = SqliteAccountStore(archive.catalog)
        with pytest.raises(AccessError) as err:
            store.add_user("li", "", roles, "Blue-River-2026")
        assert "三员分立" in err.value.message
        store.add_user("li", "", {"clerk"}, "Blue-River-2026")
        with pytest.raises(AccessError):
            store.set_roles("li", roles)
        for role in ("admin", "secadmin", "auditor"):
            with pytest.raises(AccessError, match="三员分立"):
                store.issue_token("脚本", role, "t")
    finally:
        archive.close()


def test_each_administrator_does_only_their_own_duty_and_the_auditor_sees_it(client):
    accounts = client.app.state.accounts
    login(client, "admin", username="sys")
    assert client.get("/api/audit").status_code == 403
    new = {"username": "li", "roles": ["caseworker"], "password": "Blue-River-2026"}
    assert client.post("/api/users", json=new).status_code == 200
    grant = {**new, "username": "qian", "roles": ["auditor"]}
    assert client.post("/api/users", json=grant).status_code == 403
    assert client.put("/api/users/li/roles", json={"roles": ["clerk"]}).status_code == 403
    assert client.post("/api/users/li/disable").status_code == 200
    issued = client.post("/api/tokens", json={"name": "经办系统", "role": "system"}).json()
    assert client.post(f"/api/tokens/{issued['id']}/revoke").status_code == 200

    login(client, "secadmin", username="sec")
    assert client.get("/api/audit").status_code == 403
    assert client.post("/api/users", json={**new, "username": "zhao"}).status_code == 403
    assert client.put("/api/users/li/roles", json={"roles": ["clerk"]}).status_code == 200
    clash = client.put("/api/users/sys/roles", json={"roles": ["admin", "auditor"]})
    assert clash.status_code == 422 and "三员分立" in clash.json()["error"]
    reset = client.post("/api/users/li/password-reset", json={}).json()
    assert accounts.authenticate("li", reset["password"]) is None  # still disabled

    login(client, "auditor", username="shen")
    entries = client.get("/api/audit", params={"limit": 100}).json()["entries"]
    done = [(e["actor"], e["action"], e["target"]) for e in reversed(entries)]
    for step in (
        ("sys", "user.add", "li"),
        ("sys", "user.disable", "li"),
        ("sys", "token.issue", f"token:{issued['id']}"),
        ("sys", "token.revoke", f"token:{issued['id']}"),
        ("sec", "user.roles", "li"),
        ("sec", "user.password_reset", "li"),
        ("sec", "login", "sec"),
    ):
        assert step in done, step


def test_the_migration_separates_an_admin_who_was_also_auditor(tmp_path):
    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})
    archive = Archive.open(settings)
    with archive.catalog.transaction() as conn:  # a catalog as revision 0002 left it
        conn.execute(
            "INSERT INTO users (username, display_name, roles, password_hash, created_at)"
            " VALUES ('old', 'old', 'admin,auditor,clerk', 'x', '2025-01-01')"
        )
        for column in ("password_changed_at", "must_change_password"):
            conn.execute(f"ALTER TABLE users DROP COLUMN {column}")
        conn.execute("DROP TABLE login_failures")
        conn.execute("UPDATE alembic_version SET version_num = '0002'")
    archive.close()
    archive = Archive.open(settings)
    try:
        (user,) = SqliteAccountStore(archive.catalog).list_users()
        assert user["roles"] == "admin,clerk" and user["password_changed_at"]
    finally:
        archive.close()
