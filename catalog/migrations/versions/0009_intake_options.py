"""Intake jobs carry options (capture at the scanner): a stack to split (folder
mode, duplex, default class) or a record cut from a stack (its cover sheet's
case data, where its pages came from, reasons for review). JSON text; NULL for
an ordinary upload.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "sqlite":
        have = {r[1] for r in conn.exec_driver_sql("PRAGMA table_info(intake_jobs)")}
        if "options" not in have:
            conn.exec_driver_sql("ALTER TABLE intake_jobs ADD COLUMN options TEXT")
    else:
        conn.exec_driver_sql("ALTER TABLE intake_jobs ADD COLUMN IF NOT EXISTS options TEXT")


def downgrade() -> None:
    raise NotImplementedError("restore a backup instead")
