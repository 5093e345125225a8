"""The catalog database seam: one connection interface, two dialects.

Code that keeps tables in the catalog database (records, retention, audit,
accounts, intake, webhooks) writes one SQL text with `?` placeholders and reads
rows by index or by column name. `SqliteDatabase` hands out sqlite3 connections
(WAL, one per thread); `PostgresDatabase` wraps psycopg connections so the same
text runs on PostgreSQL. Where the dialects truly differ, code asks
`conn.dialect` ("sqlite" or "postgresql").

Write transactions are serialised on both: SQLite's BEGIN IMMEDIATE, and on
PostgreSQL a transaction-scoped advisory lock taken first. Read-then-write
inside `transaction()` is therefore safe across processes and machines, as the
filing code (档号 without gaps) relies on."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

# pg_advisory_xact_lock key for catalog writers ("dangan" in ASCII)
WRITE_LOCK = 0x64616E67616E


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    dialect: str

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor: ...

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Cursor: ...

    def executescript(self, sql: str) -> Any: ...


class Database(Protocol):
    dialect: str
    url: str  # SQLAlchemy URL, for migrations (catalog/migrate.py)

    def connection(self) -> Connection:
        """This thread's connection (autocommit outside `transaction()`)."""

    def transaction(self) -> Any:
        """Context manager: a serialised write transaction, rolled back on error."""

    def close(self) -> None: ...


# --- SQLite -----------------------------------------------------------------


class SqliteConnection(sqlite3.Connection):
    dialect = "sqlite"


class SqliteDatabase:
    dialect = "sqlite"

    def __init__(self, path: Path):
        self.path = Path(path)
        self.url = f"sqlite:///{self.path}"
        self._local = threading.local()

    def connection(self) -> SqliteConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=60, isolation_level=None, factory=SqliteConnection
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA secure_delete=ON")  # destroyed records leave no bytes behind
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[SqliteConnection]:
        conn = self.connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


# --- PostgreSQL -------------------------------------------------------------

# single-quoted literals are copied as they are; `?` and `%` outside them change
_LITERAL = re.compile(r"('(?:[^']|'')*')")


def to_pyformat(sql: str) -> str:
    """`?` placeholders to psycopg's `%s`, with literal `%` doubled."""
    parts = _LITERAL.split(sql)
    for i in range(0, len(parts), 2):
        parts[i] = parts[i].replace("%", "%%").replace("?", "%s")
    for i in range(1, len(parts), 2):
        parts[i] = parts[i].replace("%", "%%")
    return "".join(parts)


class Row(tuple):
    """A result row read by position or by column name, like sqlite3.Row."""

    _index: dict[str, int]

    def __getitem__(self, key):  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self._index[key])
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._index)


def _row_factory(cursor):
    if cursor.description is None:
        return tuple
    index = {col.name: i for i, col in enumerate(cursor.description)}

    def make(values):
        row = Row(values)
        row._index = index
        return row

    return make


class PostgresConnection:
    dialect = "postgresql"

    def __init__(self, raw):
        self.raw = raw
        self._sql: dict[str, str] = {}

    def _text(self, sql: str) -> str:
        text = self._sql.get(sql)
        if text is None:
            text = self._sql[sql] = to_pyformat(sql)
        return text

    def execute(self, sql: str, params: Sequence[Any] = ()):
        cur = self.raw.cursor()
        if params:
            cur.execute(self._text(sql), list(params))
        else:
            cur.execute(sql)
        return cur

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]):
        cur = self.raw.cursor()
        rows = [list(r) for r in rows]
        if rows:
            cur.executemany(self._text(sql), rows)
        return cur

    def executescript(self, sql: str):
        return self.raw.execute(sql)

    def close(self) -> None:
        self.raw.close()


def pg_dsn(url: str) -> str:
    """A libpq connection string from a postgresql:// or postgresql+psycopg:// URL."""
    return re.sub(r"^postgres(ql)?(\+\w+)?://", "postgresql://", url)


class PostgresDatabase:
    dialect = "postgresql"

    def __init__(self, url: str, *, connect_timeout: int = 5):
        self.dsn = pg_dsn(url)
        self.url = self.dsn.replace("postgresql://", "postgresql+psycopg://", 1)
        self.connect_timeout = connect_timeout
        self._local = threading.local()

    def connection(self) -> PostgresConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.raw.closed:
            import psycopg

            raw = psycopg.connect(
                self.dsn,
                autocommit=True,
                connect_timeout=self.connect_timeout,
                cursor_factory=psycopg.ClientCursor,
                row_factory=_row_factory,
            )
            conn = self._local.conn = PostgresConnection(raw)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[PostgresConnection]:
        conn = self.connection()
        with conn.raw.transaction():
            conn.raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
            yield conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def open_database(url: str | None, sqlite_path: Path) -> Database:
    """PostgreSQL when `url` names it, else the embedded SQLite file."""
    if url and re.match(r"^postgres(ql)?(\+\w+)?://", url):
        return PostgresDatabase(url)
    if url and not url.startswith("sqlite:///"):
        raise ValueError(url)
    return SqliteDatabase(Path(url[len("sqlite:///") :]) if url else sqlite_path)
