"""The audit log: access is recorded, tampering is detected, auditors read it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import login, run_cli
from fastapi.testclient import TestClient
from test_access import _archive_with_a_person

from api.app import create_app
from dangan.archive import Archive
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
        assert actions == [
            ("search", None),
            ("record.view", "a1"),
            ("record.view", "a1"),
            ("record.download", "a1"),
            ("person.view", "1101**********002X"),  # auditors see ID numbers masked
        ]
        assert data[-1]["detail"]["q"] == "变更"
        assert client.get("/api/audit/verify").json()["ok"] is True
        page = client.get("/audit")
        assert "哈希链校验通过" in page.text and "下载" in page.text
