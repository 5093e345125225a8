"""The catalog on SQL: SQLite (embedded, the default) or PostgreSQL, through
the connection seam in catalog/db.py. The schema comes from Alembic migrations
(catalog/migrations/), applied when the catalog is opened."""

from __future__ import annotations

import json
import unicodedata
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dangan.catalog.base import DuplicateRecord, Record
from dangan.catalog.db import Connection, Database, SqliteDatabase
from dangan.catalog.record_rows import dumps as _dumps
from dangan.catalog.record_rows import record_from_rows, record_values


def record_keys(record: Record) -> list[tuple[str, str]]:
    """(kind, value) pairs that exact filters match: persons, units, serials."""
    return record_keys_of(record.fields or {})


def record_keys_of(f: dict) -> list[tuple[str, str]]:
    keys = [("person", v) for v in f.get("id_numbers") or []]
    for name in ("credit_code", "unit_code"):
        if f.get(name):
            keys.append(("unit", f[name]))
    if f.get("serial"):
        keys.append(("serial", f["serial"]))
    keys += [("serial", case) for case in f.get("cases") or []]
    return sorted(set(keys))


def filed_payload(record: Record) -> dict:
    """What a `record.filed` event tells subscribers (no page text)."""
    f = record.fields or {}
    return {
        "record_id": record.id,
        "archival_code": record.archival_code,
        "doc_type": record.doc_type,
        "title": record.title,
        "business_date": record.formed_date,
        "serial": f.get("serial"),
        "cases": f.get("cases") or [],
        "id_numbers": f.get("id_numbers") or [],
        "pages": record.page_count,
    }


_DOTS = str.maketrans({c: "·" for c in ".．・•‧∙"})


def ref_candidates(text: str) -> list[str]:
    """Spellings of a typed record reference to look up, most literal first."""
    value = unicodedata.normalize("NFKC", text or "").strip().replace(" ", "")
    if not value or len(value) > 80:
        return []
    upper = value.upper()
    return list(dict.fromkeys([value, upper, upper.translate(_DOTS)]))


def utcnow() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# ids per `IN (...)` list: well under SQLite's bound on parameters
_IN_CHUNK = 500


class SqlCatalog:
    def __init__(self, db: Database):
        from dangan.catalog.migrate import upgrade

        self.db = db
        self.dialect = db.dialect
        upgrade(db)

    def connection(self) -> Connection:
        """This thread's connection, for subsystems that keep their own tables
        in the catalog database (retention, audit). Use `transaction()` to write."""
        return self.db.connection()

    def transaction(self) -> AbstractContextManager[Connection]:
        """A write transaction, rolled back on any exception. Writers are
        serialised (catalog/db.py), so read-then-write inside is safe across
        processes."""
        return self.db.transaction()

    def add_record(self, record: Record) -> None:
        with self.transaction() as conn:
            self._insert(conn, record)

    def add_records(self, records: list[Record]) -> None:
        """add_record() for many records in one transaction (bulk loads): all
        are added, or none when one is a duplicate."""
        with self.transaction() as conn:
            for record in records:
                self._insert(conn, record)

    def _insert(self, conn: Connection, record: Record) -> None:
        row = conn.execute("SELECT id FROM records WHERE sha256 = ?", (record.sha256,)).fetchone()
        if row is not None:
            raise DuplicateRecord(row["id"])
        if record.status == "filed" and record.archival_prefix:
            record.archival_code = self._next_code(conn, record.archival_prefix)
            self.emit_event(conn, "record.filed", record.id, filed_payload(record))
        values = record_values(record)
        conn.execute(
            f"INSERT INTO records ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
            list(values.values()),
        )
        self._write_keys(conn, record)
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
        self._queue_index(conn, record.id)

    @staticmethod
    def emit_event(conn: Connection, kind: str, record_id: str | None, payload: dict):
        """Record an event for webhooks inside the caller's transaction, so an
        event exists exactly when the change it reports was committed."""
        conn.execute(
            "INSERT INTO events (kind, record_id, payload, created_at) VALUES (?,?,?,?)",
            (kind, record_id, _dumps(payload), utcnow()),
        )

    @staticmethod
    def _queue_index(conn: Connection, record_id: str, action: str = "index") -> None:
        conn.execute(
            "INSERT INTO outbox (record_id, action, created_at) VALUES (?, ?, ?)",
            (record_id, action, utcnow()),
        )

    @staticmethod
    def _next_code(conn: Connection, prefix: str) -> str:
        """Next 件号 for a 档号 prefix; called inside the writing transaction, so
        concurrent writers are serialised and numbers have no gaps or repeats."""
        row = conn.execute(
            "INSERT INTO archival_sequences (prefix, last) VALUES (?, 1)"
            " ON CONFLICT(prefix) DO UPDATE SET last = archival_sequences.last + 1 RETURNING last",
            (prefix,),
        ).fetchone()
        return f"{prefix}-{row[0]:04d}"

    @staticmethod
    def _write_keys(conn: Connection, record: Record) -> None:
        conn.execute("DELETE FROM record_keys WHERE record_id = ?", (record.id,))
        conn.executemany(
            "INSERT INTO record_keys (record_id, kind, value) VALUES (?,?,?)",
            [(record.id, kind, value) for kind, value in record_keys(record)],
        )

    def update_filing(self, record: Record) -> Record:
        """Store a clerk's confirmation or correction of a record's class and
        fields. A record that becomes filed gets its 档号 in the same transaction;
        a 档号 once given never changes (it is stable, DA/T 22)."""
        with self.transaction() as conn:
            current = conn.execute(
                "SELECT archival_code, archival_prefix FROM records WHERE id = ?", (record.id,)
            ).fetchone()
            if current is None:
                raise KeyError(record.id)
            if current["archival_code"] is not None:
                record.archival_code = current["archival_code"]
                record.archival_prefix = current["archival_prefix"]
            elif record.status == "filed" and record.archival_prefix:
                record.archival_code = self._next_code(conn, record.archival_prefix)
                self.emit_event(conn, "record.filed", record.id, filed_payload(record))
            values = record_values(record)
            for immutable in ("id", "sha256", "created_at"):
                values.pop(immutable)
            conn.execute(
                f"UPDATE records SET {', '.join(f'{c} = ?' for c in values)} WHERE id = ?",
                [*values.values(), record.id],
            )
            self._write_keys(conn, record)
            self._queue_index(conn, record.id)
        return record

    def list_ids_where(self, where: str = "1=1", params: tuple = ()) -> list[str]:
        return [
            r[0]
            for r in self.connection().execute(
                f"SELECT id FROM records WHERE {where} ORDER BY created_at, id", params
            )
        ]

    # --- retention schedule versions ---------------------------------------

    def schedule_versions(self) -> list[dict]:
        rows = self.connection().execute(
            "SELECT version, loaded_at, source FROM schedule_versions ORDER BY version"
        )
        return [dict(r) for r in rows]

    def latest_schedule(self) -> tuple[int, str] | None:
        row = (
            self.connection()
            .execute("SELECT version, csv FROM schedule_versions ORDER BY version DESC LIMIT 1")
            .fetchone()
        )
        return (row[0], row[1]) if row else None

    def add_schedule_version(self, source: str, csv_text: str) -> int:
        with self.transaction() as conn:
            row = conn.execute("SELECT coalesce(max(version), 0) FROM schedule_versions").fetchone()
            version = row[0] + 1
            conn.execute(
                "INSERT INTO schedule_versions (version, loaded_at, source, csv) VALUES (?,?,?,?)",
                (version, utcnow(), source, csv_text),
            )
        return version

    def _load(self, row: Any | None) -> Record | None:
        if row is None:
            return None
        conn = self.connection()
        files = conn.execute(
            "SELECT * FROM files WHERE record_id = ? ORDER BY role, page_no", (row["id"],)
        )
        pages = conn.execute(
            "SELECT page_no, text FROM pages WHERE record_id = ? ORDER BY page_no", (row["id"],)
        )
        return record_from_rows(row, list(files), list(pages))

    def get(self, record_id: str) -> Record | None:
        row = (
            self.connection().execute("SELECT * FROM records WHERE id = ?", (record_id,)).fetchone()
        )
        return self._load(row)

    def _in_chunks(self, sql: str, record_ids: list[str]):
        """Rows of `sql` (its `{ids}` an IN list) for the ids, a chunk at a time."""
        conn = self.connection()
        for i in range(0, len(record_ids), _IN_CHUNK):
            chunk = record_ids[i : i + _IN_CHUNK]
            yield from conn.execute(sql.format(ids=",".join("?" * len(chunk))), chunk)

    def get_many(self, record_ids: list[str]) -> dict[str, Record]:
        """The records of these ids that exist, by id: what `get` gives for each,
        read with three queries a chunk instead of three a record (reindex and
        the outbox read thousands at a time)."""
        children: dict[str, dict[str, list]] = {"files": {}, "pages": {}}
        for table, sql in (
            ("files", "SELECT * FROM files WHERE record_id IN ({ids}) ORDER BY record_id, role, page_no"),
            ("pages", "SELECT record_id, page_no, text FROM pages WHERE record_id IN ({ids})"
             " ORDER BY record_id, page_no"),
        ):  # fmt: skip
            for row in self._in_chunks(sql, record_ids):
                children[table].setdefault(row["record_id"], []).append(row)
        files, pages = children["files"], children["pages"]
        return {
            row["id"]: record_from_rows(row, files.get(row["id"], []), pages.get(row["id"], []))
            for row in self._in_chunks("SELECT * FROM records WHERE id IN ({ids})", record_ids)
        }

    def existing(self, record_ids: list[str]) -> set[str]:
        """Which of these ids the catalog holds (a record destroyed meanwhile is not)."""
        return {
            r["id"]
            for r in self._in_chunks("SELECT id FROM records WHERE id IN ({ids})", record_ids)
        }

    def resolve_record_ref(self, text: str) -> str | None:
        """The id of the record that `text` names: its 档案编号 (id) or its 档号,
        as people type them (full-width characters, spaces, '.' for '·', any
        case). None when it names none."""
        for candidate in ref_candidates(text):
            row = (
                self.connection()
                .execute(
                    "SELECT id FROM records WHERE id = ? OR archival_code = ?",
                    (candidate.lower(), candidate),
                )
                .fetchone()
            )
            if row is not None:
                return row["id"]
        return None

    def find_by_sha256(self, sha256: str) -> Record | None:
        row = (
            self.connection()
            .execute("SELECT * FROM records WHERE sha256 = ?", (sha256,))
            .fetchone()
        )
        return self._load(row)

    def summaries(self, record_ids: list[str]) -> dict[str, dict]:
        """Light rows (no pages) for result lists."""
        if not record_ids:
            return {}
        marks = ",".join("?" * len(record_ids))
        rows = self.connection().execute(
            f"SELECT id, filename, title, page_count, created_at, status, doc_type, category,"
            f" retention, formed_date, disposal_date, archival_code, confidence, fields,"
            f" security_level"
            f" FROM records WHERE id IN ({marks})",
            record_ids,
        )
        return {r["id"]: {**dict(r), "fields": json.loads(r["fields"])} for r in rows}

    def link_case(self, record_id: str, serial: str) -> bool:
        """Attach a business case (业务流水号) to a record; False if already attached."""
        with self.transaction() as conn:
            row = conn.execute("SELECT fields FROM records WHERE id = ?", (record_id,)).fetchone()
            if row is None:
                raise KeyError(record_id)
            fields = json.loads(row["fields"])
            cases = fields.setdefault("cases", [])
            if serial in cases:
                return False
            cases.append(serial)
            conn.execute("UPDATE records SET fields = ? WHERE id = ?", (_dumps(fields), record_id))
            conn.execute("DELETE FROM record_keys WHERE record_id = ?", (record_id,))
            conn.executemany(
                "INSERT INTO record_keys (record_id, kind, value) VALUES (?,?,?)",
                [(record_id, kind, value) for kind, value in record_keys_of(fields)],
            )
            self._queue_index(conn, record_id)
        return True

    def compact(self) -> None:
        """Fold the write-ahead log into the database file so deleted rows are
        not left in it (after a destruction batch)."""
        if self.dialect == "sqlite":
            self.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            self.connection().execute("VACUUM records, files, pages, record_keys, outbox")

    def filed_in(self, prefix_like: str = "%") -> list[dict]:
        """Light rows of filed records whose 档号 prefix matches the SQL LIKE
        pattern, in 档号 order (for volumes and catalogues)."""
        rows = self.connection().execute(
            "SELECT id, filename, title, page_count, status, doc_type, category, retention,"
            " formed_date, disposal_date, archival_prefix, archival_code, fields, security_level"
            " FROM records WHERE status = 'filed' AND archival_code IS NOT NULL"
            " AND archival_prefix LIKE ? ORDER BY archival_prefix, archival_code",
            (prefix_like,),
        )
        return [{**dict(r), "fields": json.loads(r["fields"])} for r in rows]

    def page_text(self, record_id: str, page_no: int) -> str | None:
        row = (
            self.connection()
            .execute(
                "SELECT text FROM pages WHERE record_id = ? AND page_no = ?", (record_id, page_no)
            )
            .fetchone()
        )
        return row[0] if row else None

    def page_texts(self, record_ids: list[str]) -> dict[str, list[tuple[int, str]]]:
        """Every page's text of these records, in page order."""
        out: dict[str, list[tuple[int, str]]] = {r: [] for r in record_ids}
        if record_ids:
            marks = ",".join("?" * len(record_ids))
            rows = self.connection().execute(
                f"SELECT record_id, page_no, text FROM pages WHERE record_id IN ({marks})"
                " ORDER BY record_id, page_no",
                record_ids,
            )
            for r in rows:
                out[r["record_id"]].append((r["page_no"], r["text"] or ""))
        return out

    def ids_after(self, after: str, limit: int) -> list[str]:
        """The next `limit` record ids after `after`, in id order (batched walks)."""
        rows = self.connection().execute(
            "SELECT id FROM records WHERE id > ? ORDER BY id LIMIT ?", (after, limit)
        )
        return [r["id"] for r in rows]

    def list_ids(self) -> list[str]:
        return [r["id"] for r in self.connection().execute("SELECT id FROM records ORDER BY id")]

    def count(self) -> int:
        return self.connection().execute("SELECT count(*) FROM records").fetchone()[0]

    def pending_outbox(self, limit: int = 100) -> list[tuple[int, str, str]]:
        rows = self.connection().execute(
            "SELECT seq, record_id, action FROM outbox ORDER BY seq LIMIT ?", (limit,)
        )
        return [(r["seq"], r["record_id"], r["action"]) for r in rows]

    def confirmed_examples(self) -> list[tuple[str, str]]:
        """(text, class) of every record whose class a clerk confirmed or corrected:
        training data for the classifier."""
        if self.dialect == "sqlite":
            text = "group_concat(p.text, char(10))"
            by = "json_extract(r.metadata, '$.classified_by')"
        else:
            text = "string_agg(p.text, chr(10) ORDER BY p.page_no)"
            by = "(r.metadata::jsonb ->> 'classified_by')"
        rows = self.connection().execute(
            f"SELECT r.doc_type, {text} FROM records r"
            " JOIN pages p ON p.record_id = r.id"
            f" WHERE r.doc_type IS NOT NULL AND {by} = 'clerk'"
            " GROUP BY r.id, r.doc_type ORDER BY r.id"
        )
        return [(r[1], r[0]) for r in rows]

    def outbox_size(self) -> int:
        return self.connection().execute("SELECT count(*) FROM outbox").fetchone()[0]

    def queue_all_for_index(self) -> None:
        self.connection().execute(
            "INSERT INTO outbox (record_id, action, created_at) SELECT id, 'index', ? FROM records",
            (utcnow(),),
        )

    def outbox_last_seq(self) -> int:
        """The newest outbox entry's number (0 when empty): where a reindex starts."""
        return self.connection().execute("SELECT max(seq) FROM outbox").fetchone()[0] or 0

    def drop_outbox_through(self, seq: int) -> int:
        """Remove the 'index' entries up to `seq`: a reindex that read every record
        after they were queued carries their changes. Deletions stay queued (a
        reindex does not remove what the catalog no longer holds)."""
        cur = self.connection().execute(
            "DELETE FROM outbox WHERE seq <= ? AND action = 'index'", (seq,)
        )
        return cur.rowcount

    def ack_outbox(self, seqs: list[int]) -> None:
        if not seqs:
            return
        marks = ",".join("?" * len(seqs))
        self.connection().execute(f"DELETE FROM outbox WHERE seq IN ({marks})", seqs)

    def close(self) -> None:
        self.db.close()


class SqliteCatalog(SqlCatalog):
    """The embedded catalog: one SQLite file (WAL)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        super().__init__(SqliteDatabase(self.path))
