"""Keyed audit chain and confirmed supervision of destruction (issue 19).

- audit_log.key_id: the id of the HMAC key (dangan/keys.py) an entry was signed
  with. Entries written before this revision keep NULL and verify as the plain
  SHA-256 chain they were written as; the key store records up to which
  sequence number that is allowed, so a chain cannot be rewritten unkeyed.
- disposal_batches.supervision: JSON list of the supervisors (监销人) who
  confirmed a destruction with their own credentials: username, name, when.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = (("audit_log", "key_id", "TEXT"), ("disposal_batches", "supervision", "TEXT"))


def upgrade() -> None:
    conn = op.get_bind()
    for table, column, kind in COLUMNS:
        if conn.dialect.name == "sqlite":
            have = {r[1] for r in conn.exec_driver_sql(f"PRAGMA table_info({table})")}
            if column not in have:
                conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
        else:
            conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {kind}")


def downgrade() -> None:
    raise NotImplementedError("restore a backup instead")
