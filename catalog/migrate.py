"""Bring a catalog database to the newest schema with Alembic
(catalog/migrations/). Runs when a catalog is opened; one process at a time
migrates (a file lock beside a SQLite catalog, an advisory lock on PostgreSQL)
while the others wait and then find the work done."""

from __future__ import annotations

import fcntl
from contextlib import contextmanager
from pathlib import Path

from dangan.catalog.db import Database
from dangan.catalog.migrations import HEAD

MIGRATE_LOCK = 0x64616E67616E + 1  # pg_advisory_lock key while migrating


def current_revision(db: Database) -> str | None:
    """The revision the database is at; None before its first migration."""
    conn = db.connection()
    if db.dialect == "sqlite":
        found = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
    else:
        found = conn.execute("SELECT to_regclass('alembic_version')").fetchone()[0]
    if not found:
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def alembic_config():
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    return config


def script_head() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def upgrade(db: Database) -> bool:
    """Apply the migrations this database lacks; False when it was up to date."""
    if current_revision(db) == HEAD:
        return False
    with _exclusive(db):
        if current_revision(db) == HEAD:  # another process did it meanwhile
            return False
        _run_alembic(db)
    return True


def _run_alembic(db: Database) -> None:
    from alembic import command
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    engine = create_engine(db.url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()


@contextmanager
def _exclusive(db: Database):
    if db.dialect == "sqlite":
        lock_path = Path(str(db.path) + ".migrate-lock")  # type: ignore[attr-defined]
        with open(lock_path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
        return
    conn = db.connection()
    conn.execute("SELECT pg_advisory_lock(?)", (MIGRATE_LOCK,))
    try:
        yield
    finally:
        conn.execute("SELECT pg_advisory_unlock(?)", (MIGRATE_LOCK,))
