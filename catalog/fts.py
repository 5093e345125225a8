"""Embedded full-text index: SQLite FTS5 over CJK bigrams (catalog.cjk).

Each page is one FTS row. The title and file name are indexed as page 0, so
a record can be found by its title even when OCR missed it. A record's rows
have rowids n*PAGE_SPAN + page_no, n being its number in `docs`, so replacing
or deleting a record touches a rowid range instead of scanning the table.

A search counts matching records only up to `count_limit` (as Elasticsearch's
track_total_hits): matches are read newest-indexed first (FTS5 walks its
doclists lazily in rowid order, ORDER BY rowid DESC) and reading stops after
count_limit + 1 records, so a common phrase costs the same in a big archive as
in a small one. Up to count_limit the total is exact and the order is the
documented one (title matches first, then the newest business date). Above it
the total is a lower bound (IndexResult.total_exact False) and the order is:
the count_limit most recently indexed matches, title matches first then newest
business date, followed by the older matches, most recently indexed first.

Filters: a filter selecting few records (a person's, a unit's, a case's) is
searched record by record through each one's rowid range; a wider one (class +
year) is taken as a set of records once and the words' rows are walked as
above, ANDed in FTS5 with the record's facet tokens (class, year, class+year:
facet_tokens) so that the walk reads only rows of the filter's class and years.
That walk stops early only when enough matches pass the filter: a word absent
from a class and year still reads that class and year's rows to the end."""

from __future__ import annotations

import re
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
DEFAULT_COUNT_LIMIT = 1_000  # records counted exactly (DANGAN_SEARCH_COUNT_LIMIT)
# A filter selecting at most this many records is searched record by record
# (each one's rowid range in FTS5) instead of walking the words' doclists, which
# for a common word hold most of the archive. A record costs 12-35 us in an
# index of one segment and 60-250 us in one of 15 segments (a 1 M index after
# bulk loading): at class + year (~4,700 records of 1 M) walking the words was
# 4-5 times cheaper.
DOCS_FIRST_MAX = 300
# SQLite VM instructions between deadline checks: about 4 ms of walking a
# filtered phrase's rows at 1 M records. Each check takes the GIL; every 1,000
# instructions (0.04 ms) the checks cost a third of the throughput of 8
# concurrent filtered searches.
_PROGRESS_STEPS = 100_000

SCHEMA = """
CREATE VIRTUAL TABLE IF NOT EXISTS pages_fts USING fts5(
    record_id UNINDEXED, page_no UNINDEXED, body, facets,
    tokenize = "unicode61 remove_diacritics 0 tokenchars '_'",
    prefix = '1'
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
# The index's layout (PRAGMA user_version): 1 rowid ranges over single CJK
# characters, 2 CJK bigrams (catalog.cjk.index_tokens), 3 facet tokens, 4 an
# index of one-character prefixes. An index of an older layout is dropped and
# filled again from the catalog.
#
# The prefix index: a one-character word is a prefix query on the bigrams it
# starts (王 → 王*), which without it merges the doclists of every bigram
# starting with that character (hundreds for 医); a name typed as 王 芳, or 16
# such characters, then cost seconds at 1 M records. With it each such term is
# one doclist, for a quarter more index and about half again the writing time
# (220,000 rows: 350 → 437 MB, 14 → 23 s; 16 one-character terms 291 → 46 ms).
LAYOUT = 4
MAX_FACET_YEARS = 12  # a date range over more years is checked on docs alone


def _escape(value: str) -> str:
    """A value as [0-9a-z_] only (one token with tokenchars '_'): every other
    character, '_' included, as _hex_."""
    return re.sub(r"[^0-9a-z]", lambda m: f"_{ord(m.group()):x}_", value.lower())


def facet_tokens(doc_type: str | None, formed_date: str | None) -> str:
    """What a record's rows hold besides its words: its class, its year and
    both together, so a word searched within class + year walks only the rows
    of that class and year (FTS5 skips through the AND of doclists) instead of
    every row holding the word. Words never match them: query tokens hold no
    '_'."""
    year = formed_date[:4] if formed_date and formed_date[:4].isdigit() else None
    out = [f"y_{year}"] if year else []
    if doc_type:
        out.append(f"t_{_escape(doc_type)}")
        if year:
            out.append(f"ty_{_escape(doc_type)}_{year}")
    return " ".join(out)


def _facet_expression(filters: RecordFilter) -> str | None:
    """An FTS5 expression for the filter's class and years (a superset of what
    the filter selects: the SQL filter still decides), or None."""
    years: list[str] = []
    if filters.date_from and filters.date_to:
        y0, y1 = filters.date_from[:4], filters.date_to[:4]
        if y0.isdigit() and y1.isdigit() and 0 <= int(y1) - int(y0) < MAX_FACET_YEARS:
            years = [str(y) for y in range(int(y0), int(y1) + 1)]
    if filters.doc_type:
        code = _escape(filters.doc_type)
        if years:
            return " OR ".join(f'"ty_{code}_{y}"' for y in years)
        return f'"t_{code}"'
    if years:
        return " OR ".join(f'"y_{y}"' for y in years)
    return None


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
        if time.monotonic() > stop:  # finished between two checks, but too late
            raise timeout_error(seconds)
    except sqlite3.OperationalError as exc:
        if "interrupt" in str(exc).lower():
            raise timeout_error(seconds) from exc
        raise
    finally:
        conn.set_progress_handler(None, 0)


class FtsIndex:
    def __init__(
        self,
        path: Path,
        time_limit: float = DEFAULT_TIME_LIMIT,
        count_limit: int = DEFAULT_COUNT_LIMIT,
    ):
        self.path = Path(path)
        self.time_limit = time_limit
        self.count_limit = max(1, count_limit)
        self._local = threading.local()
        conn = self._conn()
        columns = [r[1] for r in conn.execute("PRAGMA table_info(docs)")]
        layout = conn.execute("PRAGMA user_version").fetchone()[0]
        # An index of an older layout is rebuilt: it is derived data and the
        # archive queues every record again when `rebuilt` is set.
        self.rebuilt = bool(columns) and (
            layout < LAYOUT or not {"n", "security_level"} <= set(columns)
        )
        if self.rebuilt:
            self.drop()
        conn.executescript(SCHEMA)
        if layout != LAYOUT:  # a new or rebuilt index: no write on every open
            conn.execute(f"PRAGMA user_version = {LAYOUT}")

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
        facets = facet_tokens(doc.doc_type, doc.formed_date)
        rows = [
            (n * PAGE_SPAN, doc.record_id, 0, to_index_text(f"{doc.title}\n{doc.filename}"), facets)
        ]
        rows += [
            (n * PAGE_SPAN + no, doc.record_id, no, to_index_text(text), facets)
            for no, text in doc.pages
        ]
        conn.executemany(
            "INSERT INTO pages_fts (rowid, record_id, page_no, body, facets) VALUES (?,?,?,?,?)",
            rows,
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
        if expression is not None:  # words match words, never a facet token ("y*")
            expression = f"body : ({expression})"
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
        if expression is not None:
            return self._matches(conn, expression, filters, where, params, limit, offset)
        if filters is None or filters.is_empty():
            return IndexResult(total=0, hits=[])
        total = self._count_upto(conn, where, params, self.count_limit)
        exact = total <= self.count_limit
        rows = conn.execute(
            f"SELECT d.record_id FROM docs d WHERE {where}"
            " ORDER BY d.formed_date DESC, d.record_id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
        hits = [IndexHit(r[0], 0.0) for r in rows]
        return IndexResult(min(total, self.count_limit), hits, total_exact=exact)

    def _source(
        self,
        conn: sqlite3.Connection,
        expression: str,
        filters: RecordFilter | None,
        where: str,
        params: list,
    ) -> tuple[str, list]:
        """The statement yielding (rowid, record_id, formed_date) of every
        matching FTS row of a record the filters let through, rowid descending
        (so a record's rows come together, newest-indexed record first)."""
        if filters is None or filters.is_empty():  # security levels only: most records
            return (
                f"SELECT f.rowid, d.record_id, d.formed_date FROM pages_fts f"
                f" JOIN docs d ON d.n = f.rowid / {PAGE_SPAN}"
                f" WHERE pages_fts MATCH ? AND {where} ORDER BY f.rowid DESC",
                [expression, *params],
            )
        if self._count_upto(conn, where, params, DOCS_FIRST_MAX) <= DOCS_FIRST_MAX:
            # a person's, a unit's, a case's records: look at each one's rows
            return (
                f"SELECT f.rowid, d.record_id, d.formed_date FROM docs d CROSS JOIN pages_fts f"
                f" WHERE {where} AND pages_fts MATCH ? AND f.rowid BETWEEN d.n * {PAGE_SPAN}"
                f" AND d.n * {PAGE_SPAN} + {PAGE_SPAN - 1} ORDER BY f.rowid DESC",
                [*params, expression],
            )
        # the records the filter selects, once (an index range for class + year),
        # then one walk of the words' rows that stops as soon as enough are found,
        # within the rowids of those records (records filed together, such as a
        # year's back-scanning, then cost what they hold, not the whole archive),
        # and only through rows of the filter's class and years (facet_tokens)
        facets = _facet_expression(filters)
        if facets is not None:
            expression = f"{expression} AND facets : ({facets})"
        lo, hi = conn.execute(
            f"SELECT min(d.n), max(d.n) FROM docs d WHERE {where}", params
        ).fetchone()
        return (
            f"SELECT f.rowid, r.record_id, r.formed_date FROM pages_fts f"
            f" JOIN docs r ON r.n = f.rowid / {PAGE_SPAN} WHERE pages_fts MATCH ?"
            " AND f.rowid BETWEEN ? AND ?"
            f" AND f.rowid / {PAGE_SPAN} IN (SELECT d.n FROM docs d WHERE {where})"
            " ORDER BY f.rowid DESC",
            [expression, (lo or 0) * PAGE_SPAN, (hi or -1) * PAGE_SPAN + PAGE_SPAN - 1, *params],
        )

    @staticmethod
    def _count_upto(conn: sqlite3.Connection, where: str, params: list, most: int) -> int:
        """Records the filter selects, counted up to most + 1."""
        sql = f"SELECT count(*) FROM (SELECT 1 FROM docs d WHERE {where} LIMIT {most + 1})"
        return conn.execute(sql, params).fetchone()[0]

    def _matches(
        self,
        conn: sqlite3.Connection,
        expression: str,
        filters: RecordFilter | None,
        where: str,
        params: list,
        limit: int,
        offset: int,
    ) -> IndexResult:
        """Read matching records newest-indexed first until count_limit + 1 (or
        the page asked for) are known; then order as the module says."""
        cap = self.count_limit
        need = max(cap + 1, offset + limit)
        sql, args = self._source(conn, expression, filters, where, params)
        found: list[list] = []  # [n, record_id, formed_date, in_title, pages]
        rows = conn.execute(sql, args)
        try:
            for rowid, record_id, formed_date in rows:
                n, page = divmod(rowid, PAGE_SPAN)
                if not found or found[-1][0] != n:
                    if len(found) == need:
                        break  # the rest is never read
                    found.append([n, record_id, formed_date or "", False, []])
                if page:
                    found[-1][4].append(page)
                else:
                    found[-1][3] = True
        finally:
            rows.close()
        window = found[:cap]  # title matches first, newest business date, record id
        window.sort(key=lambda r: r[1])
        window.sort(key=lambda r: (r[3], r[2]), reverse=True)
        page_rows = (window + found[cap:])[offset : offset + limit]
        exact = len(found) <= cap
        return IndexResult(
            total=len(found) if exact else cap,
            hits=[IndexHit(r[1], 1.0 + r[3], sorted(r[4])) for r in page_rows],
            total_exact=exact,
        )

    def bulk_load(self, on: bool) -> None:
        """Nothing to drop while loading: one file, no replicas."""

    def optimize(self) -> None:
        conn = self._conn()
        conn.execute("INSERT INTO pages_fts(pages_fts) VALUES ('optimize')")
        conn.execute("VACUUM")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def drop(self) -> None:
        """Remove everything indexed (`dangan reindex --rebuild`)."""
        conn = self._conn()
        conn.executescript(
            "DROP TABLE IF EXISTS pages_fts; DROP TABLE IF EXISTS docs;"
            " DROP TABLE IF EXISTS doc_keys;" + SCHEMA
        )

    def count(self) -> int:
        return self._conn().execute("SELECT count(*) FROM docs").fetchone()[0]

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
