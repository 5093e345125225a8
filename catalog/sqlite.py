"""Embedded catalog on SQLite (WAL). One connection per thread."""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

from catalog.base import DuplicateRecord, FileRef, PageText, Record

SCHEMA = """
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
    metadata TEXT NOT NULL DEFAULT '{}'
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
"""


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class SqliteCatalog:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()
        with self._conn() as conn:
            conn.executescript(SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
        return conn

    def add_record(self, record: Record) -> None:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute(
                "SELECT id FROM records WHERE sha256 = ?", (record.sha256,)
            ).fetchone()
            if row is not None:
                raise DuplicateRecord(row["id"])
            conn.execute(
                "INSERT INTO records (id, sha256, filename, media_type, size, page_count, title,"
                " ocr_mode, created_at, metadata) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    record.id,
                    record.sha256,
                    record.filename,
                    record.media_type,
                    record.size,
                    record.page_count,
                    record.title,
                    record.ocr_mode,
                    record.created_at,
                    json.dumps(record.metadata, ensure_ascii=False),
                ),
            )
            conn.executemany(
                "INSERT INTO files (record_id, role, page_no, key, sha256, size, media_type)"
                " VALUES (?,?,?,?,?,?,?)",
                [
                    (record.id, f.role, f.page_no, f.key, f.sha256, f.size, f.media_type)
                    for f in record.files
                ],
            )
            conn.executemany(
                "INSERT INTO pages (record_id, page_no, text) VALUES (?,?,?)",
                [(record.id, p.page_no, p.text) for p in record.pages],
            )
            conn.execute(
                "INSERT INTO outbox (record_id, action, created_at) VALUES (?, 'index', ?)",
                (record.id, utcnow()),
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _load(self, row: sqlite3.Row | None) -> Record | None:
        if row is None:
            return None
        conn = self._conn()
        files = [
            FileRef(
                role=f["role"],
                key=f["key"],
                sha256=f["sha256"],
                size=f["size"],
                media_type=f["media_type"],
                page_no=f["page_no"],
            )
            for f in conn.execute(
                "SELECT * FROM files WHERE record_id = ? ORDER BY role, page_no", (row["id"],)
            )
        ]
        pages = [
            PageText(page_no=p["page_no"], text=p["text"])
            for p in conn.execute(
                "SELECT page_no, text FROM pages WHERE record_id = ? ORDER BY page_no",
                (row["id"],),
            )
        ]
        return Record(
            id=row["id"],
            sha256=row["sha256"],
            filename=row["filename"],
            media_type=row["media_type"],
            size=row["size"],
            page_count=row["page_count"],
            title=row["title"],
            ocr_mode=row["ocr_mode"],
            created_at=row["created_at"],
            metadata=json.loads(row["metadata"]),
            files=files,
            pages=pages,
        )

    def get(self, record_id: str) -> Record | None:
        row = self._conn().execute("SELECT * FROM records WHERE id = ?", (record_id,)).fetchone()
        return self._load(row)

    def find_by_sha256(self, sha256: str) -> Record | None:
        row = self._conn().execute("SELECT * FROM records WHERE sha256 = ?", (sha256,)).fetchone()
        return self._load(row)

    def summaries(self, record_ids: list[str]) -> dict[str, dict]:
        """Light rows (no pages) for result lists."""
        if not record_ids:
            return {}
        marks = ",".join("?" * len(record_ids))
        rows = self._conn().execute(
            f"SELECT id, filename, title, page_count, created_at, metadata FROM records"
            f" WHERE id IN ({marks})",
            record_ids,
        )
        return {r["id"]: {**dict(r), "metadata": json.loads(r["metadata"])} for r in rows}

    def page_text(self, record_id: str, page_no: int) -> str | None:
        row = (
            self._conn()
            .execute(
                "SELECT text FROM pages WHERE record_id = ? AND page_no = ?", (record_id, page_no)
            )
            .fetchone()
        )
        return row[0] if row else None

    def list_ids(self) -> list[str]:
        return [r["id"] for r in self._conn().execute("SELECT id FROM records ORDER BY id")]

    def count(self) -> int:
        return self._conn().execute("SELECT count(*) FROM records").fetchone()[0]

    def pending_outbox(self, limit: int = 100) -> list[tuple[int, str, str]]:
        rows = self._conn().execute(
            "SELECT seq, record_id, action FROM outbox ORDER BY seq LIMIT ?", (limit,)
        )
        return [(r["seq"], r["record_id"], r["action"]) for r in rows]

    def ack_outbox(self, seqs: list[int]) -> None:
        if not seqs:
            return
        marks = ",".join("?" * len(seqs))
        self._conn().execute(f"DELETE FROM outbox WHERE seq IN ({marks})", seqs)

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
