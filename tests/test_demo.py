"""The quick start's main job: `dangan demo` generates, ingests and prepares a login."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

from dangan.access.store import SqliteAccountStore
from dangan.archive import Archive
from dangan.config import Settings


def test_demo_ingests_samples_and_prints_a_working_login(tmp_path: Path):
    home = tmp_path / "h"
    proc = run_cli(home, "demo", "--count", "2", "--no-serve")
    assert proc.returncode == 0, proc.stderr
    assert "演示账号：demo" in proc.stdout
    password = (home / "demo-password.txt").read_text(encoding="utf-8").strip()
    assert oct((home / "demo-password.txt").stat().st_mode & 0o777) == "0o600"
    archive = Archive.open(Settings.from_env({"DANGAN_HOME": str(home)}))
    try:
        assert archive.catalog.count() == 2
        who = SqliteAccountStore(archive.catalog).authenticate("demo", password)
        assert who is not None and "clerk" in who.roles and "head" not in who.roles
    finally:
        archive.close()
    again = run_cli(home, "demo", "--count", "2", "--no-serve")  # idempotent
    assert again.returncode == 0 and password in again.stdout
