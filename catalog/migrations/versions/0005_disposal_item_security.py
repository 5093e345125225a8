"""Appraisal-batch items keep their record's 密级, so batch views, registers and
certificates show a 受控 item only to people cleared for it, also after the
record itself is destroyed.

Items of records still in the catalog take the record's level; items whose
record is gone (destroyed before this revision) are taken as 受控 (restricted),
since their level can no longer be known.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    # like 0003 and 0004, safe on a catalog that already has the column
    if conn.dialect.name == "sqlite":
        have = {r[1] for r in conn.exec_driver_sql("PRAGMA table_info(disposal_items)")}
        if "security_level" in have:
            return
        conn.exec_driver_sql(
            "ALTER TABLE disposal_items ADD COLUMN security_level TEXT NOT NULL DEFAULT 'internal'"
        )
    else:
        conn.exec_driver_sql(
            "ALTER TABLE disposal_items"
            " ADD COLUMN IF NOT EXISTS security_level TEXT NOT NULL DEFAULT 'internal'"
        )
    conn.exec_driver_sql(
        "UPDATE disposal_items SET security_level = COALESCE("
        "(SELECT r.security_level FROM records r WHERE r.id = disposal_items.record_id),"
        " 'restricted')"
    )


def downgrade() -> None:
    raise NotImplementedError("restore a backup instead")
