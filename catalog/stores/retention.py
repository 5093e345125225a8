"""The appraisal procedure's tables (retention/procedure.py): the due list,
holds, disposal batches and their items, decisions and approvals."""

from __future__ import annotations

from typing import Any

from dangan.catalog.db import Connection
from dangan.catalog.stores import Seam


class RetentionRows:
    def __init__(self, seam: Seam):
        self.seam = seam

    # --- the due list --------------------------------------------------------

    def due(self, as_of: str) -> list[Any]:
        """Filed records due by `as_of`, whether held, and the open batch that
        holds them (a 'keep' decision does not count)."""
        return list(
            self.seam.connection().execute(
                "SELECT r.id, r.archival_code, r.title, r.doc_type, r.formed_date,"
                " r.disposal_date, r.security_level,"
                " EXISTS (SELECT 1 FROM hold_records hr JOIN holds h ON h.id = hr.hold_id"
                "   WHERE hr.record_id = r.id AND h.lifted_at IS NULL) AS held,"
                " (SELECT i.batch_id FROM disposal_items i"
                "   JOIN disposal_batches b ON b.id = i.batch_id"
                "   WHERE i.record_id = r.id AND b.status NOT IN ('executed', 'rejected')"
                "   AND i.decision != 'keep'"
                "   LIMIT 1) AS batch_id"
                " FROM records r WHERE r.status = 'filed' AND r.disposal_date IS NOT NULL"
                " AND r.disposal_date <= ? ORDER BY r.doc_type, r.formed_date, r.archival_code",
                (as_of,),
            )
        )

    # --- holds ---------------------------------------------------------------

    def add_hold(
        self,
        conn: Connection,
        *,
        kind: str,
        reason: str,
        owner: str,
        created_by: str,
        at: str,
        record_ids: list[str],
    ) -> int:
        cur = conn.execute(
            "INSERT INTO holds (kind, reason, owner, created_by, created_at) VALUES (?,?,?,?,?)"
            " RETURNING id",
            (kind, reason, owner, created_by, at),
        )
        hold_id = cur.fetchone()[0]
        conn.executemany(
            "INSERT INTO hold_records (hold_id, record_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [(hold_id, rid) for rid in record_ids],
        )
        return hold_id

    def lift_hold(self, conn: Connection, hold_id: int, by: str, at: str, reason: str) -> bool:
        """False when there is no active hold of that id."""
        cur = conn.execute(
            "UPDATE holds SET lifted_by = ?, lifted_at = ?, lift_reason = ?"
            " WHERE id = ? AND lifted_at IS NULL",
            (by, at, reason, hold_id),
        )
        return cur.rowcount > 0

    def holds(self, active_only: bool) -> list[dict]:
        rows = self.seam.connection().execute(
            "SELECT h.*, count(hr.record_id) AS records FROM holds h"
            " LEFT JOIN hold_records hr ON hr.hold_id = h.id"
            " WHERE (? = 0 OR h.lifted_at IS NULL) GROUP BY h.id ORDER BY h.id",
            (1 if active_only else 0,),
        )
        return [dict(r) for r in rows]

    # --- batches -------------------------------------------------------------

    def add_batch(
        self,
        conn: Connection,
        *,
        title: str,
        as_of: str,
        created_by: str,
        at: str,
        record_ids: list[str],
    ) -> int:
        """A batch in appraisal with one item per record, each keeping what the
        record says now (档号, title, class, dates, pages, 密级)."""
        cur = conn.execute(
            "INSERT INTO disposal_batches (title, as_of, status, created_by, created_at)"
            " VALUES (?, ?, 'appraisal', ?, ?) RETURNING id",
            (title, as_of, created_by, at),
        )
        batch_id = cur.fetchone()[0]
        for rid in record_ids:
            row = conn.execute(
                "SELECT archival_code, title, doc_type, formed_date, retention, disposal_date,"
                " page_count, security_level FROM records WHERE id = ?",
                (rid,),
            ).fetchone()
            conn.execute(
                "INSERT INTO disposal_items (batch_id, record_id, archival_code, title, doc_type,"
                " formed_date, retention, disposal_date, pages, security_level)"
                " VALUES (?,?,?,?,?,?,?,?,?,?)",
                (batch_id, rid, *tuple(row)),
            )
        return batch_id

    def batch(self, batch_id: int) -> tuple[dict | None, list[dict]]:
        """The batch row and its items, each with `level_now`: the record's 密级
        while it exists, else the one it had in the batch."""
        conn = self.seam.connection()
        row = conn.execute("SELECT * FROM disposal_batches WHERE id = ?", (batch_id,)).fetchone()
        if row is None:
            return None, []
        items = conn.execute(
            "SELECT i.*, COALESCE(r.security_level, i.security_level) AS level_now"
            " FROM disposal_items i LEFT JOIN records r ON r.id = i.record_id"
            " WHERE i.batch_id = ? ORDER BY i.archival_code, i.record_id",
            (batch_id,),
        )
        return dict(row), [dict(r) for r in items]

    def batches(self) -> list[dict]:
        rows = self.seam.connection().execute(
            "SELECT b.id, b.title, b.status, b.created_by, b.created_at, b.approved_by,"
            " b.executed_at, count(i.record_id) AS records,"
            " count(*) FILTER (WHERE i.decision = 'destroy') AS destroy,"
            " count(*) FILTER (WHERE i.decision = 'keep') AS keep"
            " FROM disposal_batches b LEFT JOIN disposal_items i ON i.batch_id = b.id"
            " GROUP BY b.id ORDER BY b.id DESC"
        )
        return [dict(r) for r in rows]

    def reopen_returned(self, conn: Connection, batch_id: int) -> None:
        """A batch the head returned is back in appraisal once it is appraised again."""
        conn.execute(
            "UPDATE disposal_batches SET status = 'appraisal' WHERE id = ? AND status = 'returned'",
            (batch_id,),
        )

    def set_decision(
        self,
        conn: Connection,
        batch_id: int,
        record_id: str,
        *,
        decision: str,
        extend_years: int | None,
        reason: str,
        appraisers_json: str,
    ) -> None:
        conn.execute(
            "UPDATE disposal_items SET decision = ?, extend_years = ?, reason = ?,"
            " appraisers = ? WHERE batch_id = ? AND record_id = ?",
            (decision, extend_years, reason, appraisers_json, batch_id, record_id),
        )

    def set_disposal_date(self, conn: Connection, record_id: str, disposal_date: str) -> None:
        conn.execute(
            "UPDATE records SET disposal_date = ? WHERE id = ?", (disposal_date, record_id)
        )

    def decide_batch(
        self, conn: Connection, batch_id: int, *, status: str, by: str, at: str, note: str
    ) -> None:
        """The head's decision on a batch in appraisal: approved, returned or rejected."""
        conn.execute(
            "UPDATE disposal_batches SET status = ?, approved_by = ?, approved_at = ?,"
            " approval_note = ? WHERE id = ? AND status = 'appraisal'",
            (status, by, at, note, batch_id),
        )
