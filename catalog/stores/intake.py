"""The intake queue's jobs (ingest/intake.py) and the procrastinate queue entry
written with a job (ingest/runners.py)."""

from __future__ import annotations

from typing import Any

from dangan.catalog.db import Connection
from dangan.catalog.stores import Seam, placeholders

_START = (
    "UPDATE intake_jobs SET state = 'running', stage = 'checking', worker = ?,"
    " heartbeat_at = ?, attempts = attempts + 1, updated_at = ?"
)
_STARTED = " RETURNING id, batch, filename, path, attempts, created_at, options"
# which job a worker starts: fixed texts, chosen by the method, never from a caller
_OLDEST_FREE = (
    " WHERE id = (SELECT id FROM intake_jobs WHERE state = 'queued'"
    " OR (state = 'running' AND heartbeat_at < ?) ORDER BY created_at, id LIMIT 1)"
)
_NAMED_FREE = " WHERE id = ? AND (state = 'queued' OR (state = 'running' AND heartbeat_at < ?))"


class IntakeRows:
    def __init__(self, seam: Seam):
        self.seam = seam

    def insert_job(
        self, conn: Connection, job_id: str, batch: str, filename: str, path: str,
        submitted_by: str, now: str, options: str | None = None,
    ) -> None:  # fmt: skip
        conn.execute(
            "INSERT INTO intake_jobs (id, batch, filename, path, submitted_by, state, stage,"
            " created_at, updated_at, options) VALUES (?,?,?,?,?,'queued','queued',?,?,?)",
            (job_id, batch, filename, path, submitted_by, now, now, options),
        )

    def start_oldest(self, worker: str, now: str, stale_before: str) -> tuple | None:
        """Start the oldest queued job, or one whose lease ran out before
        `stale_before`: (id, batch, filename, path, attempts, created_at, options)
        or None."""
        with self.seam.transaction() as conn:
            row = conn.execute(
                _START + _OLDEST_FREE + _STARTED, (worker, now, now, stale_before)
            ).fetchone()
        return tuple(row) if row else None

    def start_named(self, job_id: str, worker: str, now: str, stale_before: str) -> tuple | None:
        """Start `job_id` if it is queued or its lease ran out; as `start_oldest`."""
        with self.seam.transaction() as conn:
            row = conn.execute(
                _START + _NAMED_FREE + _STARTED, (worker, now, now, job_id, stale_before)
            ).fetchone()
        return tuple(row) if row else None

    def state(self, job_id: str) -> str | None:
        row = (
            self.seam.connection()
            .execute("SELECT state FROM intake_jobs WHERE id = ?", (job_id,))
            .fetchone()
        )
        return row[0] if row else None

    def states(self, job_ids: list[str]) -> dict[str, str]:
        """job id -> state for those of `job_ids` that have a row."""
        states: dict[str, str] = {}
        conn = self.seam.connection()
        for start in range(0, len(job_ids), 500):
            chunk = job_ids[start : start + 500]
            for row in conn.execute(
                f"SELECT id, state FROM intake_jobs WHERE id IN ({placeholders(len(chunk))})",
                chunk,
            ).fetchall():
                states[row[0]] = row[1]
        return states

    def heartbeat(self, conn: Connection, job_id: str, worker: str, now: str) -> None:
        conn.execute(
            "UPDATE intake_jobs SET heartbeat_at = ? WHERE id = ? AND worker = ?"
            " AND state = 'running'",
            (now, job_id, worker),
        )

    def progress(
        self, conn: Connection, job_id: str, stage: str, pages: int | None, done: int | None,
        now: str,
    ) -> None:  # fmt: skip
        conn.execute(
            "UPDATE intake_jobs SET stage = ?, pages = coalesce(?, pages), pages_done = ?,"
            " updated_at = ? WHERE id = ?",
            (stage, pages, done, now, job_id),
        )

    def finish(
        self, conn: Connection, job_id: str, *, status: str, record_id: str | None,
        pages: int | None, result_json: str, error: str | None, now: str, worker: str | None,
    ) -> bool:  # fmt: skip
        """Mark the job done; False if it is done already or (with `worker`)
        another worker holds it now."""
        cur = conn.execute(
            "UPDATE intake_jobs SET state = 'done', stage = 'done', status = ?, record_id = ?,"
            " pages = coalesce(?, pages), result = ?, error = ?, updated_at = ?,"
            " finished_at = ? WHERE id = ? AND state != 'done'"
            " AND (? IS NULL OR worker = ?)",
            (status, record_id, pages, result_json, error, now, now, job_id, worker, worker),
        )
        return cur.rowcount == 1

    def batch(self, batch: str) -> list[dict]:
        rows = self.seam.connection().execute(
            "SELECT id, filename, state, stage, pages, pages_done, status, record_id, result, error,"
            " attempts, worker, created_at, finished_at FROM intake_jobs WHERE batch = ?"
            " ORDER BY created_at, id",
            (batch,),
        )
        return [dict(r) for r in rows]

    def pending(self) -> int:
        return (
            self.seam.connection()
            .execute("SELECT count(*) FROM intake_jobs WHERE state != 'done'")
            .fetchone()[0]
        )

    @staticmethod
    def insert_refused(
        conn: Connection,
        job_id: str,
        batch: str,
        filename: str,
        submitted_by: str,
        result: dict,
        result_json: str,
        now: str,
    ) -> None:
        """A job refused at upload: done at once, never queued."""
        conn.execute(
            "INSERT INTO intake_jobs (id, batch, filename, path, submitted_by, state, stage,"
            " status, result, error, created_at, updated_at, finished_at)"
            " VALUES (?,?,?,'',?,'done','done',?,?,?,?,?,?)",
            (job_id, batch, filename, submitted_by, result["status"], result_json,
             result.get("error"), now, now, now),
        )  # fmt: skip

    def batches(self, limit: int, submitted_by: str | None) -> list[dict]:
        """The latest upload batches, newest first, with their outcome counts."""
        rows = self.seam.connection().execute(
            "SELECT batch, min(created_at) AS created_at, max(submitted_by) AS submitted_by,"
            " count(*) AS total,"
            " sum(CASE WHEN state = 'done' THEN 1 ELSE 0 END) AS done,"
            " sum(CASE WHEN status = 'rejected' THEN 1 ELSE 0 END) AS rejected,"
            " sum(CASE WHEN status = 'duplicate' THEN 1 ELSE 0 END) AS duplicate,"
            " sum(CASE WHEN status = 'archived' THEN 1 ELSE 0 END) AS archived"
            " FROM intake_jobs WHERE (? IS NULL OR submitted_by = ?)"
            " GROUP BY batch ORDER BY min(created_at) DESC LIMIT ?",
            (submitted_by, submitted_by, limit),
        )
        return [dict(r) for r in rows]

    @staticmethod
    def defer_procrastinate(
        conn: Connection, queue: str, task: str, lock: str, args_json: str
    ) -> Any:
        """Queue a procrastinate job inside the caller's transaction (PostgreSQL
        only), through procrastinate's own SQL function as its `defer` calls it."""
        return conn.execute(
            "SELECT procrastinate_defer_jobs_v1(ARRAY[ROW(?, ?, 0, NULL, ?, ?::jsonb, NULL)"
            "::procrastinate_job_to_defer_v1])",
            (queue, task, lock, args_json),
        )
