"""The distributed task queue's tables (procrastinate) on PostgreSQL.

procrastinate keeps its jobs, workers and locks in the catalog database, so an
intake job and its queue entry are written in one transaction. SQLite catalogs
use the embedded runner and need nothing here. The schema is the one shipped
with the pinned procrastinate version (pyproject.toml); a later procrastinate
upgrade adds its own migration files as a new revision here.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    if conn.exec_driver_sql("SELECT to_regclass('procrastinate_jobs')").scalar():
        return
    from procrastinate.schema import SchemaManager

    # the raw driver connection: the schema text holds % signs and no parameters
    conn.connection.driver_connection.execute(SchemaManager.get_schema())


def downgrade() -> None:
    raise NotImplementedError("restore a backup instead")
