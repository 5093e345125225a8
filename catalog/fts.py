"""Embedded full-text index: SQLite FTS5 over single-character CJK tokens.

Each page is one FTS row. The title and file name are indexed as page 0, so
a record can be found by its title even when OCR missed it. A record's rows
have rowids n*PAGE_SPAN + page_no, n being its number in `docs`, so replacing
or deleting a record touches a rowid range instead of scanning the table."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from dangan.catalog.base import RecordFilter
from dangan.catalog.cjk import to_index_text, to_match_expression
from dangan.catalog.index import IndexDoc, IndexHit, IndexResult

from dangan.errors import SearchTimeout

DEFAULT_TIME_LIMIT = 10.0  # seconds one search may run (DANGAN_SEARCH_TIMEOUT)
_PROGRESS_STEPS = 20_000  # SQLite VM instructions between deadline checks

SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS pages_fts USING fts5(
    record_id UNINDEXED, page_no UNINDEXED, body,
    tokenize = 'unicode61 remove_diacritics 0'
);
CREATE TABLE IF NOT EXISTS docs (
    n INTEGER PRIMARY KEY,
    record_id TEXT NOT NULL UNIQUE,
    status TEXT,
    doc_type TEXT,
    category TEXT,
    retention TEXT,
    formed_date TEXT,
    security_level TEXT NOT NULL DEFAULT 'internal'
);
CREATE TABLE IF NOT EXISTS doc_keys (
    record_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS doc_keys_value ON doc_keys(value, kind);
CREATE INDEX IF NOT EXISTS doc_keys_record ON doc_keys(record_id);
CREATE INDEX IF NOT EXISTS docs_type_date ON docs(doc_type, formed_date);
CREATE INDEX IF NOT EXISTS docs_date ON docs(formed_date);
"""


PAGE_SPAN = 100_000  # more than DANGAN_MAX_PAGES can ever allow


def _filter_sql(filters: RecordFilter | None) -> tuple[str, list]:
    clauses: list[str] = []
    params: list = []
    if filters is None:
        return "1=1", params
    for column in ("doc_type", "category", "retention", "status"):
        value = getattr(filters, column)
        if value:
            clauses.append(f"d.{column} = ?")
            params.append(value)
    if filters.levels is not None:
        clauses.append(f"d.security_level IN ({','.join('?' * len(filters.levels)) or 'NULL'})")
        params += list(filters.levels)
    if filters.date_from:
        clauses.append("d.formed_date >= ?")
        params.append(filters.date_from)
    if filters.date_to:
        clauses.append("d.formed_date <= ?")
        params.append(filters.date_to)
    keys = (("person", filters.person), ("unit", filters.unit), ("serial", filters.serial))
    for kind, value in keys:
        if value:
            # IN, not a correlated EXISTS: the key's index finds the few records
            # (a person's list); EXISTS made SQLite test every row of docs.
            clauses.append(
                "d.record_id IN (SELECT k.record_id FROM doc_keys k WHERE k.value = ? AND k.kind = ?)"
            )
            params += [value.strip().upper(), kind]
    return (" AND ".join(clauses) or "1=1"), params


def timeout_error(seconds: float) -> SearchTimeout:
    return SearchTimeout(
        f"检索超过 {seconds:g} 秒仍未完成，已中止。请使用更具体的检索词，"
        "或加上类别、日期等筛选条件后重试。"
    )


@contextmanager
def _deadline(conn: sqlite3.Connection, seconds: float) -> Iterator[None]:
    """Interrupt every statement run inside after `seconds` (SQLite progress
    handler), turning the interruption into SearchTimeout."""
    stop = time.monotonic() + seconds
    conn.set_progress_handler(lambda: time.monotonic() > stop, _PROGRESS_STEPS)
    try:
        yield
    except sqlite3.OperationalError as exc:
        if "interrupt" in str(exc).lower():
            raise timeout_error(seconds) from exc
        raise
    finally:
        conn.set_progress_handler(None, 0)


def _pages(page_nos: str) -> list[int]:
    """Matched page numbers from the search's group_concat (0 is the title row):
    collected in the one pass over the matches instead of a query per hit."""
    return sorted(n for n in map(int, page_nos.split(",")) if n)


class FtsIndex:
    def __init__(self, path: Path, time_limit: float = DEFAULT_TIME_LIMIT):
        self.path = Path(path)
        self.time_limit = time_limit
        self._local = threading.local()
        conn = self._conn()
        columns = [r[1] for r in conn.execute("PRAGMA table_info(docs)")]
        # An index from before rowid ranges is rebuilt: it is derived data and the
        # archive queues every record again when `rebuilt` is set.
        self.rebuilt = bool(columns) and not {"n", "security_level"} <= set(columns)
        if self.rebuilt:
            conn.executescript(
                "DROP TABLE IF EXISTS pages_fts; DROP TABLE IF EXISTS docs;"
                " DROP TABLE IF EXISTS doc_keys;"
            )
        conn.executescript(SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA secure_delete=ON")  # deleted text is overwritten
            self._local.conn = conn
        return conn

    def upsert(self, doc: IndexDoc) -> None:
        self.upsert_many([doc])

    def upsert_many(self, docs: Iterable[IndexDoc], refresh: bool = True) -> int:
        """`refresh` is for the protocol: what is committed here is searchable."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        count = 0
        try:
            for doc in docs:
                self._write(conn, doc)
                count += 1
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return count

    def _write(self, conn: sqlite3.Connection, doc: IndexDoc) -> None:
        self._remove(conn, doc.record_id)
        n = conn.execute(
            "INSERT INTO docs (record_id, status, doc_type, category, retention, formed_date,"
            " security_level) VALUES (?,?,?,?,?,?,?)",
            (
                doc.record_id,
                doc.status,
                doc.doc_type,
                doc.category,
                doc.retention,
                doc.formed_date,
                doc.security_level,
            ),
        ).lastrowid
        rows = [(n * PAGE_SPAN, doc.record_id, 0, to_index_text(f"{doc.title}\n{doc.filename}"))]
        rows += [
            (n * PAGE_SPAN + no, doc.record_id, no, to_index_text(text)) for no, text in doc.pages
        ]
        conn.executemany(
            "INSERT INTO pages_fts (rowid, record_id, page_no, body) VALUES (?,?,?,?)", rows
        )
        conn.executemany(
            "INSERT INTO doc_keys (record_id, kind, value) VALUES (?,?,?)",
            [(doc.record_id, kind, value.upper()) for kind, value in doc.keys],
        )

    @staticmethod
    def _remove(conn: sqlite3.Connection, record_id: str) -> None:
        row = conn.execute("SELECT n FROM docs WHERE record_id = ?", (record_id,)).fetchone()
        if row is None:
            return
        first = row[0] * PAGE_SPAN
        conn.execute(
            "DELETE FROM pages_fts WHERE rowid BETWEEN ? AND ?", (first, first + PAGE_SPAN - 1)
        )
        conn.execute("DELETE FROM docs WHERE n = ?", (row[0],))
        conn.execute("DELETE FROM doc_keys WHERE record_id = ?", (record_id,))

    def delete(self, record_id: str) -> None:
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            self._remove(conn, record_id)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def search(
        self,
        query: str,
        *,
        filters: RecordFilter | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> IndexResult:
        expression = to_match_expression(query)  # BadQuery before any work
        conn = self._conn()
        with _deadline(conn, self.time_limit):
            return self._search(conn, expression, filters, limit, offset)

    def _search(
        self,
        conn: sqlite3.Connection,
        expression: str | None,
        filters: RecordFilter | None,
        limit: int,
        offset: int,
    ) -> IndexResult:
        where, params = _filter_sql(filters)
        if expression is None:
            if filters is None or filters.is_empty():
                return IndexResult(total=0, hits=[])
            total = conn.execute(f"SELECT count(*) FROM docs d WHERE {where}", params).fetchone()[0]
            rows = conn.execute(
                f"SELECT d.record_id FROM docs d WHERE {where}"
                " ORDER BY d.formed_date DESC, d.record_id LIMIT ? OFFSET ?",
                [*params, limit, offset],
            ).fetchall()
        else:
            # One pass over the matching rows, no relevance scoring: records whose
            # title matches come first, then the newest business date (see README,
            # "Search order"); the window count gives the total before LIMIT.
            rows = conn.execute(
                f"""
                WITH m AS (
                    SELECT rowid / {PAGE_SPAN} AS n, max(rowid % {PAGE_SPAN} = 0) AS in_title,
                        group_concat(rowid % {PAGE_SPAN}) AS page_nos
                    FROM pages_fts WHERE pages_fts MATCH ? GROUP BY 1
                )
                SELECT d.record_id, m.in_title, m.page_nos, count(*) OVER () FROM m
                JOIN docs d ON d.n = m.n WHERE {where}
                ORDER BY m.in_title DESC, d.formed_date DESC, d.record_id
                LIMIT ? OFFSET ?""",
                [expression, *params, limit, offset],
            ).fetchall()
            if rows:
                total = rows[0][3]
            else:
                total = conn.execute(
                    f"SELECT count(*) FROM docs d WHERE {where} AND d.n IN ("
                    f"SELECT rowid / {PAGE_SPAN} FROM pages_fts WHERE pages_fts MATCH ?)",
                    [*params, expression],
                ).fetchone()[0]
            return IndexResult(
                total=total,
                hits=[IndexHit(r[0], 1.0 + r[1], _pages(r[2])) for r in rows],
            )
        return IndexResult(total=total, hits=[IndexHit(r[0], 0.0) for r in rows])

    def optimize(self) -> None:
        conn = self._conn()
        conn.execute("INSERT INTO pages_fts(pages_fts) VALUES ('optimize')")
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def count(self) -> int:
        return self._conn().execute("SELECT count(*) FROM docs").fetchone()[0]

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
