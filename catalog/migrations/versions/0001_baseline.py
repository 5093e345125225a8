"""Baseline: every table dangan keeps in the catalog database.

Written with CREATE ... IF NOT EXISTS so that a SQLite catalog made before
migrations existed is adopted in place: its tables stay, columns that older
versions lacked are added, and every record is queued for the search index.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# The DDL as written for SQLite; `_for_dialect` adapts it for PostgreSQL.
DDL = (
    # catalog: records, files, pages, 档号 sequences, schedule versions, index outbox, events
    """
CREATE TABLE IF NOT EXISTS records (
    id TEXT PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    filename TEXT NOT NULL,
    media_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    page_count INTEGER NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    ocr_mode TEXT NOT NULL,
    created_at TEXT NOT NULL,
    metadata TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'filed',
    doc_type TEXT,
    category TEXT,
    retention TEXT,
    formed_date TEXT,
    disposal_date TEXT,
    confidence REAL,
    review_reasons TEXT NOT NULL DEFAULT '[]',
    schedule_version INTEGER,
    fields TEXT NOT NULL DEFAULT '{}',
    archival_prefix TEXT,
    archival_code TEXT UNIQUE,
    security_level TEXT NOT NULL DEFAULT 'internal'
);
CREATE INDEX IF NOT EXISTS records_status ON records(status);
CREATE INDEX IF NOT EXISTS records_disposal ON records(disposal_date);
CREATE TABLE IF NOT EXISTS record_keys (
    record_id TEXT NOT NULL REFERENCES records(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (record_id, kind, value)
);
CREATE INDEX IF NOT EXISTS record_keys_value ON record_keys(value);
CREATE TABLE IF NOT EXISTS archival_sequences (
    prefix TEXT PRIMARY KEY,
    last INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS schedule_versions (
    version INTEGER PRIMARY KEY,
    loaded_at TEXT NOT NULL,
    source TEXT NOT NULL,
    csv TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS files (
    record_id TEXT NOT NULL REFERENCES records(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    page_no INTEGER,
    key TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    media_type TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS files_record ON files(record_id);
CREATE TABLE IF NOT EXISTS pages (
    record_id TEXT NOT NULL REFERENCES records(id) ON DELETE CASCADE,
    page_no INTEGER NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (record_id, page_no)
);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    record_id TEXT NOT NULL,
    action TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    record_id TEXT,
    payload TEXT NOT NULL,
    created_at TEXT NOT NULL
);
""",
    # retention: holds, appraisal batches, tombstones
    """
CREATE TABLE IF NOT EXISTS holds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    owner TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    lifted_by TEXT,
    lifted_at TEXT,
    lift_reason TEXT
);
CREATE TABLE IF NOT EXISTS hold_records (
    hold_id INTEGER NOT NULL REFERENCES holds(id),
    record_id TEXT NOT NULL,
    PRIMARY KEY (hold_id, record_id)
);
CREATE INDEX IF NOT EXISTS hold_records_record ON hold_records(record_id);
CREATE TABLE IF NOT EXISTS disposal_batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    as_of TEXT NOT NULL,
    status TEXT NOT NULL,          -- appraisal | approved | executing | executed
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    approved_by TEXT,
    approved_at TEXT,
    approval_note TEXT,
    supervisors TEXT,              -- JSON list of two names
    method TEXT,
    executed_at TEXT,
    documents TEXT NOT NULL DEFAULT '{}'   -- blob keys of register and certificate
);
CREATE TABLE IF NOT EXISTS disposal_items (
    batch_id INTEGER NOT NULL REFERENCES disposal_batches(id),
    record_id TEXT NOT NULL,
    archival_code TEXT,
    title TEXT NOT NULL,
    doc_type TEXT,
    formed_date TEXT,
    retention TEXT,
    disposal_date TEXT,
    pages INTEGER NOT NULL,
    decision TEXT NOT NULL DEFAULT 'pending',   -- pending | destroy | keep
    extend_years INTEGER,
    reason TEXT,
    appraisers TEXT NOT NULL DEFAULT '[]',
    state TEXT NOT NULL DEFAULT 'pending',      -- pending | destroying | destroyed | skipped
    blob_keys TEXT,
    destroyed_at TEXT,
    PRIMARY KEY (batch_id, record_id)
);
CREATE INDEX IF NOT EXISTS disposal_items_record ON disposal_items(record_id);
CREATE TABLE IF NOT EXISTS tombstones (
    record_id TEXT PRIMARY KEY,
    archival_code TEXT,
    title TEXT NOT NULL,
    doc_type TEXT,
    formed_date TEXT,
    retention TEXT,
    disposal_date TEXT,
    pages INTEGER NOT NULL,
    batch_id INTEGER NOT NULL,
    destroyed_at TEXT NOT NULL
);
""",
    # audit log (hash chain)
    """
CREATE TABLE IF NOT EXISTS audit_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_actor ON audit_log(actor, seq);
CREATE INDEX IF NOT EXISTS audit_log_target ON audit_log(target, seq);
""",
    # accounts, sessions, API tokens
    """
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    roles TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sessions (
    token_hash TEXT PRIMARY KEY,
    username TEXT NOT NULL REFERENCES users(username) ON DELETE CASCADE,
    expires_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
""",
    # webhooks and deliveries
    """
CREATE TABLE IF NOT EXISTS webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL,
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    since_seq INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS deliveries (
    event_seq INTEGER NOT NULL,
    webhook_id INTEGER NOT NULL REFERENCES webhooks(id),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at TEXT NOT NULL,
    delivered_at TEXT,
    last_error TEXT,
    PRIMARY KEY (event_seq, webhook_id)
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(delivered_at, next_at);
""",
    # intake queue
    """
CREATE TABLE IF NOT EXISTS intake_jobs (
    id TEXT PRIMARY KEY,
    batch TEXT NOT NULL,
    filename TEXT NOT NULL,
    path TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    state TEXT NOT NULL,            -- queued | running | done
    worker TEXT,                    -- who holds the lease (running)
    heartbeat_at TEXT,              -- lease renewed by the worker
    attempts INTEGER NOT NULL DEFAULT 0,
    stage TEXT NOT NULL,            -- see STAGES
    pages INTEGER,
    pages_done INTEGER,             -- pages OCR has started on (stage ocr)
    status TEXT,                    -- archived | duplicate | rejected (when done)
    record_id TEXT,
    result TEXT,                    -- IngestResult as JSON (when done)
    error TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX IF NOT EXISTS intake_jobs_state ON intake_jobs(state, created_at);
CREATE INDEX IF NOT EXISTS intake_jobs_batch ON intake_jobs(batch);
CREATE INDEX IF NOT EXISTS intake_jobs_finished ON intake_jobs(finished_at);
""",
    # intake statistics
    """
CREATE TABLE IF NOT EXISTS intake_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    day TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT,
    pages INTEGER,
    record_id TEXT,
    doc_type TEXT
);
CREATE INDEX IF NOT EXISTS intake_events_day ON intake_events(day);
""",
)


def _for_dialect(ddl: str, dialect: str) -> str:
    if dialect == "sqlite":
        return ddl
    ddl = ddl.replace(
        "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    )
    return re.sub(r"\bREAL\b", "DOUBLE PRECISION", ddl)


def _statements(ddl: str) -> list[str]:
    body = "\n".join(line.split("--")[0].rstrip() for line in ddl.splitlines())
    return [s.strip() for s in body.split(";") if s.strip()]


def _columns(ddl: str) -> dict[str, list[tuple[str, str, str]]]:
    """table -> [(column, type, rest)] as declared in `ddl`."""
    tables = {}
    for name, body in re.findall(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*?)\n\);", ddl, re.S):
        cols = []
        for line in body.splitlines():
            m = re.match(r"^\s+(\w+) (TEXT|INTEGER|REAL)(.*?),?$", line.split("--")[0].rstrip())
            if m and m.group(1) != "PRIMARY":
                cols.append(m.groups())
        tables[name] = cols
    return tables


def _adopt_sqlite(conn) -> None:
    """Add the columns an older dangan's SQLite catalog lacks (before the
    CREATE statements, so new indexes find their columns)."""
    added = set()
    for table, cols in _columns("".join(DDL)).items():
        have = {r[1] for r in conn.exec_driver_sql(f"PRAGMA table_info({table})")}
        if not have:
            continue  # created below
        for name, kind, rest in cols:
            if name in have:
                continue
            default = re.search(r"DEFAULT '[^']*'", rest)
            not_null = " NOT NULL" if default else ""
            conn.exec_driver_sql(
                f"ALTER TABLE {table} ADD COLUMN {name} {kind}{not_null}"
                f"{' ' + default.group(0) if default else ''}"
            )
            if "UNIQUE" in rest:
                conn.exec_driver_sql(
                    f"CREATE UNIQUE INDEX IF NOT EXISTS {table}_{name} ON {table}({name})"
                )
            added.add((table, name))
    if ("records", "doc_type") in added:
        conn.exec_driver_sql(
            "UPDATE records SET status = 'review', review_reasons = ? WHERE doc_type IS NULL",
            (
                json.dumps(
                    ["此记录由旧版本导入，尚未分类，请确认类别和业务日期。"], ensure_ascii=False
                ),
            ),
        )
    if any(table == "records" for table, _ in added):
        # filters read the new columns from the index: index every record again
        conn.exec_driver_sql(
            "INSERT INTO outbox (record_id, action, created_at) SELECT id, 'index', ? FROM records",
            (datetime.now(UTC).isoformat(timespec="seconds"),),
        )


def upgrade() -> None:
    conn = op.get_bind()
    dialect = conn.dialect.name
    if dialect == "sqlite":
        _adopt_sqlite(conn)
    for ddl in DDL:
        for statement in _statements(_for_dialect(ddl, dialect)):
            conn.exec_driver_sql(statement)


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone: restore a backup instead")
