"""Intake outcomes and the figures the intake desk shows (ingest/stats.py)."""

from __future__ import annotations

from dangan.catalog.stores import Seam


class IntakeStatsRows:
    def __init__(self, seam: Seam):
        self.seam = seam

    def record_outcome(
        self, at: str, day: str, status: str, reason: str | None, pages: int | None,
        record_id: str | None, doc_type: str | None,
    ) -> None:  # fmt: skip
        with self.seam.transaction() as conn:
            conn.execute(
                "INSERT INTO intake_events (at, day, status, reason, pages, record_id, doc_type)"
                " VALUES (?,?,?,?,?,?,?)",
                (at, day, status, reason, pages, record_id, doc_type),
            )

    def per_day(self, since: str) -> dict[str, dict]:
        """day -> records, pages (archived), rejected, duplicates, from `since` on."""
        rows = self.seam.connection().execute(
            "SELECT day,"
            " count(*) FILTER (WHERE status = 'archived') AS records,"
            " sum(CASE WHEN status = 'archived' THEN pages ELSE 0 END) AS pages,"
            " count(*) FILTER (WHERE status = 'rejected') AS rejected,"
            " count(*) FILTER (WHERE status = 'duplicate') AS duplicates"
            " FROM intake_events WHERE day >= ? GROUP BY day",
            (since,),
        )
        return {r["day"]: dict(r) for r in rows}

    def reject_reasons(self, since: str) -> dict[str, int]:
        """reason -> rejections from `since` on, most frequent first."""
        rows = self.seam.connection().execute(
            "SELECT reason, count(*) FROM intake_events WHERE status = 'rejected' AND day >= ?"
            " GROUP BY reason ORDER BY count(*) DESC",
            (since,),
        )
        return {r[0]: r[1] for r in rows}

    def per_class(self) -> list[dict]:
        """doc_type, records, pages and in_review per class, largest first."""
        rows = self.seam.connection().execute(
            "SELECT doc_type, count(*) AS records, sum(page_count) AS pages,"
            " count(*) FILTER (WHERE status = 'review') AS in_review FROM records GROUP BY doc_type"
            " ORDER BY count(*) DESC"
        )
        return [dict(r) for r in rows]

    def review_backlog(self) -> int:
        return (
            self.seam.connection()
            .execute("SELECT count(*) FROM records WHERE status = 'review'")
            .fetchone()[0]
        )
