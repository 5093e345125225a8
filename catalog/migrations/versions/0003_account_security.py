"""Account security: login lockout counters, idle session expiry, password age,
forced password change, and 三员分立 (separation of the three administrators).

- users: when the password was last set, and whether it must be changed at the
  next login (after an administrator's reset or when it has expired);
- sessions: when the session began and when it was last used (idle expiry);
- login_failures: failed logins per account name and per client address, with
  the time until which further tries are refused;
- a user who held both `admin` and `auditor` keeps `admin` (account management
  must stay possible) and loses `auditor`: the three administrator roles may no
  longer be held together. Existing passwords count as set today.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = (
    ("users", "password_changed_at", "TEXT"),
    ("users", "must_change_password", "INTEGER NOT NULL DEFAULT 0"),
    ("sessions", "created_at", "TEXT"),
    ("sessions", "last_seen_at", "TEXT"),
)

LOGIN_FAILURES = """
CREATE TABLE IF NOT EXISTS login_failures (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    first_at TEXT NOT NULL,
    locked_until TEXT
)"""

ADMINISTRATORS = ("admin", "secadmin", "auditor")


def _has_column(conn, table: str, column: str) -> bool:
    if conn.dialect.name == "sqlite":
        return any(r[1] == column for r in conn.exec_driver_sql(f"PRAGMA table_info({table})"))
    return bool(
        conn.exec_driver_sql(
            "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
            (table, column),
        ).fetchone()
    )


def upgrade() -> None:
    conn = op.get_bind()
    for table, column, kind in COLUMNS:
        if not _has_column(conn, table, column):
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
    conn.exec_driver_sql(LOGIN_FAILURES)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    param = "?" if conn.dialect.name == "sqlite" else "%s"
    conn.exec_driver_sql(
        f"UPDATE users SET password_changed_at = {param} WHERE password_changed_at IS NULL",
        (now,),
    )
    conn.exec_driver_sql(
        f"UPDATE sessions SET created_at = {param}, last_seen_at = {param}"
        " WHERE last_seen_at IS NULL",
        (now, now),
    )
    for username, roles in conn.exec_driver_sql("SELECT username, roles FROM users").fetchall():
        held = roles.split(",")
        if sum(r in ADMINISTRATORS for r in held) > 1:
            keep = next(r for r in ADMINISTRATORS if r in held)
            new = [r for r in held if r not in ADMINISTRATORS or r == keep]
            conn.exec_driver_sql(
                f"UPDATE users SET roles = {param} WHERE username = {param}",
                (",".join(sorted(new)), username),
            )


def downgrade() -> None:
    raise NotImplementedError("restore a backup instead")
