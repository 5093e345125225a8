"""Embedded full-text index: SQLite FTS5 over single-character CJK tokens.

Each page is one FTS row. The title and file name are indexed as page 0, so
a record can be found by its title even when OCR missed it."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from catalog.cjk import to_index_text, to_match_expression
from catalog.index import IndexDoc, IndexHit, IndexResult

SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS pages_fts USING fts5(
    record_id UNINDEXED, page_no UNINDEXED, body,
    tokenize = 'unicode61 remove_diacritics 0'
);
"""


class FtsIndex:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()
        self._conn().executescript(SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            self._local.conn = conn
        return conn

    def upsert(self, doc: IndexDoc) -> None:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM pages_fts WHERE record_id = ?", (doc.record_id,))
            rows = [(doc.record_id, 0, to_index_text(f"{doc.title}\n{doc.filename}"))]
            rows += [(doc.record_id, no, to_index_text(text)) for no, text in doc.pages]
            conn.executemany(
                "INSERT INTO pages_fts (record_id, page_no, body) VALUES (?,?,?)", rows
            )
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def delete(self, record_id: str) -> None:
        self._conn().execute("DELETE FROM pages_fts WHERE record_id = ?", (record_id,))

    def search(self, query: str, *, limit: int = 20, offset: int = 0) -> IndexResult:
        expression = to_match_expression(query)
        if expression is None:
            return IndexResult(total=0, hits=[])
        conn = self._conn()
        total = conn.execute(
            "SELECT count(DISTINCT record_id) FROM pages_fts WHERE pages_fts MATCH ?",
            (expression,),
        ).fetchone()[0]
        rows = conn.execute(
            """
            WITH m AS MATERIALIZED (
                SELECT record_id, page_no, bm25(pages_fts) AS rank
                FROM pages_fts WHERE pages_fts MATCH ?
            )
            SELECT record_id, min(rank) AS best,
                   group_concat(CASE WHEN page_no > 0 THEN page_no END) AS pages
            FROM m GROUP BY record_id ORDER BY best, record_id LIMIT ? OFFSET ?
            """,
            (expression, limit, offset),
        ).fetchall()
        hits = [
            IndexHit(
                record_id=r[0],
                score=round(-float(r[1]), 4),
                pages=sorted(int(p) for p in r[2].split(",")) if r[2] else [],
            )
            for r in rows
        ]
        return IndexResult(total=total, hits=hits)

    def count(self) -> int:
        return self._conn().execute("SELECT count(DISTINCT record_id) FROM pages_fts").fetchone()[0]

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
