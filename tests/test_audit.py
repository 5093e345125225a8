"""The audit log: access is recorded, tampering is detected, auditors read it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import login, run_cli
from dangan.api.app import create_app
from fastapi.testclient import TestClient
from test_access import _archive_with_a_person

from dangan.archive import Archive
from dangan.audit import AuditError
from dangan.config import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})


def _log(settings, n=5):
    archive = Archive.open(settings)
    try:
        for i in range(n):
            archive.audit.append("wang", "record.view", f"r{i}", page=1)
        return archive.audit.verify()
    finally:
        archive.close()


def test_an_untouched_log_verifies(settings):
    result = _log(settings)
    assert result.ok and result.entries == 5
    assert run_cli(settings.home, "audit", "verify").returncode == 0


@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        ("UPDATE audit_log SET actor = 'li' WHERE seq = 3", "第 3 条日志的内容被改动"),
        ("DELETE FROM audit_log WHERE seq = 2", "被删除"),
        ("DELETE FROM audit_log WHERE seq = 5", "截断"),
        ("UPDATE audit_log SET detail = '{\"page\": 2}' WHERE seq = 4", "第 4 条"),
    ],
)
def test_an_altered_or_removed_entry_is_detected(settings, tamper, problem):
    _log(settings)
    conn = sqlite3.connect(settings.catalog_path)
    conn.execute(tamper)
    conn.commit()
    conn.close()
    proc = run_cli(settings.home, "audit", "verify")
    assert proc.returncode == 10 and problem in proc.stderr, proc.stderr


def test_rewriting_the_whole_chain_still_fails_against_the_head(settings):
    _log(settings)
    conn = sqlite3.connect(settings.catalog_path)
    conn.execute("DELETE FROM audit_log WHERE seq >= 4")
    conn.commit()
    conn.close()
    head = json.loads((settings.home / "audit-head.json").read_text())
    assert head["seq"] == 5
    assert "应有 5 条，现有 3 条" in run_cli(settings.home, "audit", "verify").stderr


def test_views_searches_and_downloads_are_logged_and_only_auditors_read_them(settings):
    _archive_with_a_person(settings)
    with TestClient(create_app(settings)) as client:
        login(client, "caseworker", username="li")
        client.get("/api/search", params={"q": "变更"})
        client.get("/api/records/a1")
        client.get("/records/a1")
        client.get("/api/records/a1/original")
        client.get("/api/persons/11010519491231002X/records")
        assert client.get("/api/audit").status_code == 403
        login(client, "auditor", username="shen")
        data = client.get("/api/audit", params={"actor": "li"}).json()["entries"]
        actions = [(e["action"], e["target"]) for e in reversed(data)]
        person = client.app.state.archive.audit.pseudonym("11010519491231002X")
        assert person.startswith("pid:") and len(person) == 20
        assert actions == [
            ("login", "li"),  # logins are audited too
            ("search", None),
            ("record.view", "a1"),
            ("record.view", "a1"),
            ("record.download", "a1"),
            ("person.view", person),  # a keyed hash, never the number itself
        ]
        search = next(e for e in data if e["action"] == "search")
        assert search["detail"]["q"] == client.app.state.archive.audit.pseudonym("变更")
        # an auditor who knows the ID (typed any usual way) or the term finds the entries
        for subject in ("11010519491231002X", "11010519491231002x", "110105 19491231 002X"):
            found = client.get("/api/audit", params={"subject": subject}).json()["entries"]
            assert [e["action"] for e in found] == ["person.view"], subject
        found = client.get("/api/audit", params={"subject": "变更"}).json()["entries"]
        assert [e["action"] for e in found] == ["search"]
        page = client.get("/audit", params={"subject": "11010519491231002X"})
        assert person in page.text  # the number itself only in the auditor's own filter field
        assert page.text.count("11010519491231002X") == 1
        assert client.get("/api/audit/verify").json()["ok"] is True
        page = client.get("/audit")  # the chain is checked on demand (issue 13)
        assert "哈希链校验通过" not in page.text and "下载" in page.text
        assert "哈希链校验通过" in client.get("/audit?check=1").text


# --- issue 19: a keyed chain, anchored outside the catalog ------------------


def _rewrite(settings, keep, *, kid="keep", key: bytes | None = None, head=True):
    """What a writer of the catalog can do: keep some rows, renumber them and
    recompute the chain (plain SHA-256, or HMAC with `key` if he has a copy),
    then write a matching audit-head.json."""
    import hashlib
    import hmac as hmac_

    conn = sqlite3.connect(settings.catalog_path)
    conn.row_factory = sqlite3.Row
    rows = [dict(r) for r in conn.execute("SELECT * FROM audit_log ORDER BY seq")]
    rows = [r for r in rows if keep(r["seq"])]
    conn.execute("DELETE FROM audit_log")
    prev = "0" * 64
    for n, r in enumerate(rows, start=1):
        row_kid = r["key_id"] if kid == "keep" else kid
        fields = [n, r["at"], r["actor"], r["action"], r["target"], json.loads(r["detail"])]
        if key is None:
            body = json.dumps(fields if row_kid is None else [*fields, row_kid],
                              ensure_ascii=False, separators=(",", ":"))  # fmt: skip
            digest = hashlib.sha256((prev + body).encode()).hexdigest()
        else:
            body = json.dumps([*fields, row_kid], ensure_ascii=False, separators=(",", ":"))
            digest = hmac_.new(key, (prev + body).encode(), hashlib.sha256).hexdigest()
        conn.execute(
            "INSERT INTO audit_log (seq, at, actor, action, target, detail, prev_hash, hash,"
            " key_id) VALUES (?,?,?,?,?,?,?,?,?)",
            (n, r["at"], r["actor"], r["action"], r["target"], r["detail"], prev, digest, row_kid),
        )
        prev = digest
    conn.commit()
    conn.close()
    if head:
        (settings.home / "audit-head.json").write_text(json.dumps({"seq": len(rows), "hash": prev}))


def _verify_cli(settings):
    proc = run_cli(settings.home, "audit", "verify")
    return proc.returncode, proc.stderr


def test_entries_are_hmac_signed_with_a_key_outside_the_catalog(settings):
    _log(settings)
    keys = settings.home / "keys"
    assert (keys.stat().st_mode & 0o777) == 0o700
    (key_file,) = keys.glob("audit-k*.json")
    assert (key_file.stat().st_mode & 0o777) == 0o600
    secret = json.loads(key_file.read_text())["secret"]
    conn = sqlite3.connect(settings.catalog_path)
    dump = "\n".join(conn.iterdump())
    conn.close()
    assert secret not in dump  # the key is not in the catalog
    assert "'k1'" in dump  # but each entry names its key


@pytest.mark.parametrize("unkeyed", [True, False], ids=["as-sha256", "keeping-key-id"])
def test_rows_deleted_and_chain_recomputed_without_the_key_are_detected(settings, unkeyed):
    _log(settings)
    _rewrite(settings, keep=lambda seq: seq != 3, kid=None if unkeyed else "keep")
    code, err = _verify_cli(settings)
    assert code == 10, err
    assert ("没有密钥签名" if unkeyed else "第 1 条日志的内容被改动") in err, err


def test_rows_deleted_and_chain_recomputed_with_a_stolen_key_fail_against_the_anchors(settings):
    _log(settings)
    key = bytes.fromhex(
        json.loads((settings.home / "keys" / "audit-k1.json").read_text())["secret"]
    )
    _rewrite(settings, keep=lambda seq: seq != 3, key=key)
    code, err = _verify_cli(settings)
    assert code == 10 and "第 3 条日志与锚点记录不符" in err, err


def test_tail_cut_and_head_rewritten_is_detected(settings):
    _log(settings)
    conn = sqlite3.connect(settings.catalog_path)
    conn.execute("DELETE FROM audit_log WHERE seq > 3")
    (digest,) = conn.execute("SELECT hash FROM audit_log WHERE seq = 3").fetchone()
    conn.commit()
    conn.close()
    (settings.home / "audit-head.json").write_text(json.dumps({"seq": 3, "hash": digest}))
    code, err = _verify_cli(settings)
    assert code == 10 and "应有 5 条，现有 3 条" in err, err


def test_an_emptied_table_without_its_head_file_is_detected(settings):
    _log(settings)
    conn = sqlite3.connect(settings.catalog_path)
    conn.execute("DELETE FROM audit_log")
    conn.commit()
    conn.close()
    (settings.home / "audit-head.json").unlink()
    code, err = _verify_cli(settings)
    assert code == 10 and "清空" in err and "应有 5 条，现有 0 条" in err, err


def test_a_forged_anchor_line_is_detected(settings):
    _log(settings)
    anchor = settings.home / "audit-anchor.log"
    lines = anchor.read_text().splitlines()
    assert len(lines) == 5
    forged = json.loads(lines[-1]) | {"seq": 9}
    anchor.write_text("\n".join([*lines, json.dumps(forged)]) + "\n")
    code, err = _verify_cli(settings)
    assert code == 10 and "锚点校验码不符" in err, err


def test_a_removed_anchor_file_is_detected(settings):
    _log(settings)
    (settings.home / "audit-anchor.log").unlink()
    code, err = _verify_cli(settings)
    assert code == 10 and "锚点缺失" in err, err


def test_keys_rotate_and_old_entries_still_verify(settings):
    _log(settings, n=2)
    proc = run_cli(settings.home, "audit", "rotate-key", check=True)
    assert "k2" in proc.stdout
    _log(settings, n=2)
    conn = sqlite3.connect(settings.catalog_path)
    kids = [r[0] for r in conn.execute("SELECT key_id FROM audit_log ORDER BY seq")]
    conn.close()
    assert kids == ["k1", "k1", "k2", "k2", "k2"]  # the rotation itself is signed with k2
    assert _verify_cli(settings)[0] == 0
    (settings.home / "keys" / "audit-k1.json").unlink()
    code, err = _verify_cli(settings)
    assert code == 10 and "密钥 k1 不在密钥目录中" in err, err


def test_a_catalog_from_before_keying_keeps_verifying_and_is_then_keyed(settings):
    """Entries written by an older dangan (plain SHA-256, no key id) verify as
    before; new ones are keyed, and the old part cannot be extended unkeyed."""
    from dangan.audit import GENESIS, entry_hash

    archive = Archive.open(settings)
    archive.close()
    conn = sqlite3.connect(settings.catalog_path)
    prev = GENESIS
    for seq in (1, 2, 3):
        at = f"2025-01-0{seq}T00:00:00.000+00:00"
        digest = entry_hash(prev, seq, at, "old", "record.view", f"r{seq}", {})
        conn.execute(
            "INSERT INTO audit_log (seq, at, actor, action, target, detail, prev_hash, hash)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (seq, at, "old", "record.view", f"r{seq}", "{}", prev, digest),
        )
        prev = digest
    conn.commit()
    conn.close()
    (settings.home / "audit-head.json").write_text(json.dumps({"seq": 3, "hash": prev}))
    assert _verify_cli(settings)[0] == 0  # before any key exists
    result = _log(settings, n=2)
    assert result.ok and result.entries == 5, result
    meta = json.loads((settings.home / "keys" / "audit-k1.json").read_text())
    assert meta["legacy_until"] == 3
    # rewriting everything as an old-style chain does not pass
    _rewrite(settings, keep=lambda seq: seq != 4, kid=None)
    code, err = _verify_cli(settings)
    assert code == 10 and "第 4 条日志没有密钥签名" in err, err


def test_identifiers_are_stored_as_keyed_hashes_from_the_start(settings):
    archive = Archive.open(settings)
    try:
        audit = archive.audit
        audit.append("li", "person.view", "11010519491231002x", total=2)
        audit.append(
            "li",
            "search",
            None,
            q="张三 11010519491231002X",
            filters={"person": "110105195001010017"},
        )
        audit.append("zhou", "hold.place", "hold:1", reason="信访 11010519491231002X 张三来信")
        assert audit.verify().ok
        conn = archive.catalog.connection()
        stored = json.dumps(
            [tuple(r) for r in conn.execute("SELECT target, detail FROM audit_log")]
        )
        for clear in ("11010519491231002", "110105195001010017", "张三 "):
            assert clear not in stored, clear
        assert [e["seq"] for e in audit.entries(subject="11010519491231002X")] == [3, 2, 1]
        assert [e["seq"] for e in audit.entries(subject="张三")] == [2]
        assert [e["seq"] for e in audit.entries(subject="110105195001010017")] == [2]
        assert [e["seq"] for e in audit.entries(target="11010519491231002X")] == [1]
        # the key is not a plain hash anyone can recompute from a list of IDs
        import hashlib

        plain = hashlib.sha256(b"11010519491231002X").hexdigest()[:16]
        assert plain not in stored
    finally:
        archive.close()
    out = run_cli(settings.home, "audit", "log", "--subject", "11010519491231002X", check=True)
    assert "pid:" in out.stdout and "11010519491231002X" not in out.stdout


def test_with_an_object_store_anchors_are_objects_under_compliance_lock(tmp_path, minio_env):
    """Everything on the catalog's machine rewritten (table emptied, head file
    and anchor file removed): the Object Lock anchors still show it."""
    from conftest import minio_bucket
    from minio.error import S3Error

    env = {"DANGAN_HOME": str(tmp_path / "h"), "DANGAN_AUDIT_ANCHOR_EVERY": "1"}
    env |= minio_bucket(minio_env)
    settings = Settings.from_env(env)
    result = _log(settings, n=3)
    assert result.ok
    archive = Archive.open(settings)
    try:
        client, bucket = archive.blobs.client, f"{settings.s3_bucket}-audit"
        assert client.get_object_lock_config(bucket) is not None
        objects = list(client.list_objects(bucket, prefix="anchors/", include_version=True))
        assert len(objects) == 3
        retention = client.get_object_retention(bucket, objects[0].object_name)
        assert retention.mode == "COMPLIANCE"
        with pytest.raises(S3Error):  # not even the root account may remove it
            client.remove_object(bucket, objects[0].object_name, version_id=objects[0].version_id)
    finally:
        archive.close()
    conn = sqlite3.connect(settings.catalog_path)
    conn.execute("DELETE FROM audit_log")
    conn.commit()
    conn.close()
    (settings.home / "audit-head.json").unlink()
    (settings.home / "audit-anchor.log").unlink()
    proc = run_cli(settings.home, "audit", "verify", env=env)
    assert proc.returncode == 10 and "应有 3 条，现有 0 条" in proc.stderr, proc.stderr


def test_a_process_without_the_key_directory_refuses_to_start_a_second_chain(settings):
    """Two hosts with different key directories would each make a key "k1"."""
    _log(settings, n=2)
    (settings.home / "keys").rename(settings.home / "keys-elsewhere")
    archive = Archive.open(settings)
    try:
        with pytest.raises(AuditError, match="密钥目录"):
            archive.audit.append("wang", "record.view", "r9")
    finally:
        archive.close()
    assert not (settings.home / "keys").exists() or not list(
        (settings.home / "keys").glob("audit-*")
    )


def test_every_action_the_code_logs_has_a_chinese_name():
    # The audit desk shows ACTIONS' names; an action without one reached the
    # screen as its code (cover.print, import, record.security …).
    import ast
    from pathlib import Path

    from dangan.audit import ACTIONS

    root = Path(__file__).resolve().parents[1]
    where = {"log_access": 2, "log_event": 2, "_log": 1}
    logged: dict[str, str] = {}
    for folder in ("api", "dangan", "ingest", "retention", "preservation", "catalog", "ocr"):
        for path in (root / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                index = None
                if isinstance(func, ast.Name) and func.id in where:
                    index = where[func.id]
                elif (
                    isinstance(func, ast.Attribute)
                    and func.attr == "append"
                    and isinstance(func.value, ast.Attribute)
                    and func.value.attr == "audit"
                ):
                    index = 1
                if index is None or len(node.args) <= index:
                    continue
                arg = node.args[index]
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    logged[arg.value] = f"{path.relative_to(root)}:{node.lineno}"
    assert len(logged) > 20  # the scan found the calls
    missing = {action: at for action, at in logged.items() if action not in ACTIONS}
    assert not missing, missing
