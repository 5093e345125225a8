"""Destruction of approved disposal batches (retention/destruction.py): the
batch's state, each record's removal with its tombstone, and the blob keys
still to remove. The appraisal procedure's statements (holds, batches,
decisions) are in catalog/stores/retention.py."""

from __future__ import annotations

from dangan.catalog.db import Connection
from dangan.catalog.stores import Seam

# the tables that hold a record's rows besides `records` itself: a fixed list
_RECORD_TABLES = ("pages", "files", "record_keys")


class DisposalRows:
    def __init__(self, seam: Seam):
        self.seam = seam

    # --- the batch -----------------------------------------------------------

    def start_execution(
        self, conn: Connection, batch_id: int, supervisors_json: str, method: str
    ) -> None:
        conn.execute(
            "UPDATE disposal_batches SET status = 'executing', supervisors = ?, method = ?"
            " WHERE id = ?",
            (supervisors_json, method, batch_id),
        )

    def set_supervision(self, conn: Connection, batch_id: int, supervision_json: str) -> None:
        conn.execute(
            "UPDATE disposal_batches SET supervision = ? WHERE id = ?",
            (supervision_json, batch_id),
        )

    def finish_execution(
        self, conn: Connection, batch_id: int, at: str, documents_json: str
    ) -> None:
        conn.execute(
            "UPDATE disposal_batches SET status = 'executed', executed_at = ?, documents = ?"
            " WHERE id = ?",
            (at, documents_json, batch_id),
        )

    # --- records of the batch ------------------------------------------------

    def is_held(self, record_id: str) -> bool:
        """True while a hold not lifted names the record."""
        row = (
            self.seam.connection()
            .execute(
                "SELECT 1 FROM hold_records hr JOIN holds h ON h.id = hr.hold_id"
                " WHERE hr.record_id = ? AND h.lifted_at IS NULL",
                (record_id,),
            )
            .fetchone()
        )
        return row is not None

    def mark_item_skipped(self, conn: Connection, batch_id: int, record_id: str) -> None:
        conn.execute(
            "UPDATE disposal_items SET state = 'skipped' WHERE batch_id = ? AND record_id = ?",
            (batch_id, record_id),
        )

    def mark_item_destroying(
        self, conn: Connection, batch_id: int, record_id: str, blob_keys_json: str
    ) -> None:
        conn.execute(
            "UPDATE disposal_items SET state = 'destroying', blob_keys = ?"
            " WHERE batch_id = ? AND record_id = ?",
            (blob_keys_json, batch_id, record_id),
        )

    def mark_item_destroyed(self, conn: Connection, batch_id: int, record_id: str, at: str) -> None:
        conn.execute(
            "UPDATE disposal_items SET state = 'destroyed', destroyed_at = ?"
            " WHERE batch_id = ? AND record_id = ?",
            (at, batch_id, record_id),
        )

    def item_blob_keys(self, batch_id: int, record_id: str) -> str | None:
        """The JSON list of blob keys noted for removal (None: none noted)."""
        row = (
            self.seam.connection()
            .execute(
                "SELECT blob_keys FROM disposal_items WHERE batch_id = ? AND record_id = ?",
                (batch_id, record_id),
            )
            .fetchone()
        )
        return row["blob_keys"]

    def write_tombstone(
        self, conn: Connection, record_id: str, *, archival_code: str | None, title: str | None,
        doc_type: str | None, formed_date: str | None, retention: str | None,
        disposal_date: str | None, pages: int, batch_id: int, destroyed_at: str,
    ) -> None:  # fmt: skip
        conn.execute(
            "INSERT INTO tombstones (record_id, archival_code, title, doc_type,"
            " formed_date, retention, disposal_date, pages, batch_id, destroyed_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (record_id) DO UPDATE SET"
            " archival_code = excluded.archival_code, title = excluded.title,"
            " doc_type = excluded.doc_type, formed_date = excluded.formed_date,"
            " retention = excluded.retention, disposal_date = excluded.disposal_date,"
            " pages = excluded.pages, batch_id = excluded.batch_id,"
            " destroyed_at = excluded.destroyed_at",
            (record_id, archival_code, title, doc_type, formed_date, retention, disposal_date,
             pages, batch_id, destroyed_at),
        )  # fmt: skip

    def delete_record(self, conn: Connection, record_id: str, at: str) -> None:
        """Remove the record with its pages, files and keys, and queue its
        deletion from the search index."""
        for table in _RECORD_TABLES:
            conn.execute(f"DELETE FROM {table} WHERE record_id = ?", (record_id,))
        conn.execute("DELETE FROM records WHERE id = ?", (record_id,))
        conn.execute(
            "INSERT INTO outbox (record_id, action, created_at) VALUES (?, 'delete', ?)",
            (record_id, at),
        )

    @staticmethod
    def scrub_history(conn: Connection, record_id: str, filed_payload_json: str) -> None:
        """Drop the intake result kept for the record and replace its
        `record.filed` event payload by `filed_payload_json`."""
        conn.execute("UPDATE intake_jobs SET result = NULL WHERE record_id = ?", (record_id,))
        conn.execute(
            "UPDATE events SET payload = ? WHERE record_id = ? AND kind = 'record.filed'",
            (filed_payload_json, record_id),
        )
