"""Webhooks and their deliveries (dangan/events.py). The events themselves are
written by the catalog with the change they report (`SqlCatalog.emit_event`)."""

from __future__ import annotations

from typing import Any

from dangan.catalog.db import Connection
from dangan.catalog.stores import Seam


class WebhookRows:
    def __init__(self, seam: Seam):
        self.seam = seam

    def add(self, conn: Connection, url: str, events: str, secret: str, at: str) -> int:
        """Register a webhook for events after the newest one now; returns its id."""
        since = conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
        cur = conn.execute(
            "INSERT INTO webhooks (url, events, secret, since_seq, created_at)"
            " VALUES (?,?,?,?,?) RETURNING id",
            (url, events, secret, since, at),
        )
        return cur.fetchone()[0]

    def disable(self, conn: Connection, webhook_id: int) -> bool:
        """False when there is no webhook with that id."""
        cur = conn.execute("UPDATE webhooks SET disabled = 1 WHERE id = ?", (webhook_id,))
        return cur.rowcount != 0

    def summaries(self, max_attempts: int) -> list[dict]:
        """Every webhook with its counts of delivered, pending and failed deliveries."""
        rows = self.seam.connection().execute(
            "SELECT w.id, w.url, w.events, w.created_at, w.disabled,"
            " count(*) FILTER (WHERE d.delivered_at IS NOT NULL) AS delivered,"
            " count(*) FILTER (WHERE d.delivered_at IS NULL AND d.attempts < ?) AS pending,"
            " count(*) FILTER (WHERE d.delivered_at IS NULL AND d.attempts >= ?) AS failed"
            " FROM webhooks w LEFT JOIN deliveries d ON d.webhook_id = w.id"
            " GROUP BY w.id ORDER BY w.id",
            (max_attempts, max_attempts),
        )
        return [dict(r) for r in rows]

    def any_enabled(self) -> bool:
        row = (
            self.seam.connection()
            .execute("SELECT 1 FROM webhooks WHERE disabled = 0 LIMIT 1")
            .fetchone()
        )
        return row is not None

    def fan_out(self, conn: Connection, next_at: str) -> None:
        """A delivery, due at `next_at`, for each new event of each enabled
        webhook registered for its kind."""
        conn.execute(
            "INSERT INTO deliveries (event_seq, webhook_id, next_at)"
            " SELECT e.seq, w.id, ? FROM events e JOIN webhooks w"
            " ON e.seq > w.since_seq AND w.disabled = 0"
            " AND (',' || w.events || ',') LIKE ('%,' || e.kind || ',%')"
            " WHERE NOT EXISTS (SELECT 1 FROM deliveries d"
            "   WHERE d.event_seq = e.seq AND d.webhook_id = w.id)"
            " ON CONFLICT DO NOTHING",
            (next_at,),
        )

    def due(self, now: str, max_attempts: int, limit: int = 100) -> list[Any]:
        """Deliveries due at `now` (with the webhook's url and secret and the
        event's kind, payload and time), oldest event first."""
        return (
            self.seam.connection()
            .execute(
                "SELECT d.event_seq, d.webhook_id, d.attempts, w.url, w.secret, e.kind, e.payload,"
                " e.created_at FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id"
                " JOIN events e ON e.seq = d.event_seq"
                " WHERE d.delivered_at IS NULL AND d.attempts < ? AND d.next_at <= ? AND w.disabled = 0"
                " ORDER BY d.event_seq LIMIT ?",
                (max_attempts, now, limit),
            )
            .fetchall()
        )

    def delivered(
        self, conn: Connection, event_seq: int, webhook_id: int, attempts: int, at: str
    ) -> None:
        conn.execute(
            "UPDATE deliveries SET attempts = ?, delivered_at = ?, last_error = NULL"
            " WHERE event_seq = ? AND webhook_id = ?",
            (attempts, at, event_seq, webhook_id),
        )

    def failed(
        self, conn: Connection, event_seq: int, webhook_id: int, attempts: int, next_at: str,
        error: str,
    ) -> None:  # fmt: skip
        conn.execute(
            "UPDATE deliveries SET attempts = ?, next_at = ?, last_error = ?"
            " WHERE event_seq = ? AND webhook_id = ?",
            (attempts, next_at, error, event_seq, webhook_id),
        )
