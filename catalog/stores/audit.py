"""The audit log's table (dangan/audit.py keeps the hash chain and the keys)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from dangan.catalog.db import Connection
from dangan.catalog.stores import Seam

# the columns `entries` may filter on by equality: a fixed allow-list
FILTER_COLUMNS = ("actor", "action", "target")


class AuditRows:
    def __init__(self, seam: Seam):
        self.seam = seam

    def last(self, conn: Connection) -> tuple[int, str, str | None] | None:
        """(seq, hash, key_id) of the newest entry, or None for an empty log."""
        row = conn.execute(
            "SELECT seq, hash, key_id FROM audit_log ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return (row[0], row[1], row[2]) if row else None

    def max_seq(self, conn: Connection) -> int:
        return conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0] or 0

    def insert(
        self, conn: Connection, seq: int, at: str, actor: str, action: str, target: str | None,
        detail_json: str, prev_hash: str, digest: str, key_id: str | None,
    ) -> None:  # fmt: skip
        conn.execute(
            "INSERT INTO audit_log (seq, at, actor, action, target, detail, prev_hash, hash,"
            " key_id) VALUES (?,?,?,?,?,?,?,?,?)",
            (seq, at, actor, action, target, detail_json, prev_hash, digest, key_id),
        )

    def newest(
        self,
        *,
        equals: dict[str, str],
        subject: str | None = None,
        before: int | None = None,
        after: int | None = None,
        oldest_first: bool = False,
        since: str | None = None,
        until: str | None = None,
        limit: int = 100,
    ) -> list[dict]:
        """Entries newest first, or oldest first (seq, at, actor, action, target,
        detail as JSON text): `equals` maps columns of FILTER_COLUMNS to values;
        `subject` matches the target or occurs in the detail (the caller passes a
        keyed hash: hex, no LIKE wildcard); `before`/`after` are sequence numbers."""
        clauses, params = ["1=1"], []
        for column, value in equals.items():
            if column not in FILTER_COLUMNS:
                raise ValueError(f"not a filter column: {column!r}")
            clauses.append(f"{column} = ?")
            params.append(value)
        if subject:
            clauses.append("(target = ? OR detail LIKE ?)")
            params += [subject, f"%{subject}%"]
        if before:
            clauses.append("seq < ?")
            params.append(before)
        if after:
            clauses.append("seq > ?")
            params.append(after)
        # `since`/`until`: ISO UTC times, compared as text (entries store UTC ISO)
        if since:
            clauses.append("at >= ?")
            params.append(since)
        if until:
            clauses.append("at < ?")
            params.append(until)
        rows = self.seam.connection().execute(
            "SELECT seq, at, actor, action, target, detail FROM audit_log"
            f" WHERE {' AND '.join(clauses)} ORDER BY seq {'ASC' if oldest_first else 'DESC'}"
            " LIMIT ?",
            [*params, limit],
        )
        return [dict(r) for r in rows]

    def chain(self) -> Iterator[Any]:
        """Every entry in order of seq, streamed (rows read by column name)."""
        yield from self.seam.connection().execute(
            "SELECT seq, at, actor, action, target, detail, prev_hash, hash, key_id"
            " FROM audit_log ORDER BY seq"
        )
