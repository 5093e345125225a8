"""The preservation tables in the catalog database (catalog/migrations
0007): check runs and their results, and the fixity register (SHA-256, SM3,
size and PRONOM format of every stored object, recorded when it was filed).
preservation/store.py builds the check results of its own room from these rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from dangan.catalog.stores import placeholders


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class PreservationRows:
    def __init__(self, catalog):
        self.catalog = catalog  # the SqlCatalog (its emit_event writes the alarms)

    # --- runs ----------------------------------------------------------------

    def start_run(self, kind: str, scope: str, actor: str) -> int:
        with self.catalog.transaction() as conn:
            row = conn.execute(
                "INSERT INTO check_runs (kind, scope, actor, state, started_at)"
                " VALUES (?,?,?,'running',?) RETURNING id",
                (kind, scope, actor, now()),
            ).fetchone()
        return row[0]

    def running(self, kind: str) -> dict | None:
        """The unfinished run of this kind (a sweep interrupted by a restart)."""
        row = (
            self.catalog.connection()
            .execute(
                "SELECT * FROM check_runs WHERE kind = ? AND state = 'running'"
                " ORDER BY id DESC LIMIT 1",
                (kind,),
            )
            .fetchone()
        )
        return self._run(row)

    def progress(
        self, run_id: int, cursor: str | None, objects: int, nbytes: int, results, counts: dict
    ) -> None:
        """Keep the resume point and the results so far, in one transaction."""
        with self.catalog.transaction() as conn:
            self._add_results(conn, run_id, results)
            conn.execute(
                "UPDATE check_runs SET cursor = ?, objects = ?, bytes = ?, summary = ?"
                " WHERE id = ?",
                (cursor, objects, nbytes, json.dumps(counts, ensure_ascii=False), run_id),
            )

    def finish_run(self, run_id: int, summary: dict, results=()) -> None:
        with self.catalog.transaction() as conn:
            self._add_results(conn, run_id, results)
            conn.execute(
                "UPDATE check_runs SET state = 'done', finished_at = ?, summary = ? WHERE id = ?",
                (now(), json.dumps(summary, ensure_ascii=False), run_id),
            )

    def set_report_keys(self, run_id: int, keys: dict) -> None:
        with self.catalog.transaction() as conn:
            conn.execute(
                "UPDATE check_runs SET report_keys = ? WHERE id = ?", (json.dumps(keys), run_id)
            )

    def emit_alarm(self, run_id: int, payload: dict) -> None:
        """A `preservation.failed` event (webhooks) for a run with failures."""
        with self.catalog.transaction() as conn:
            self.catalog.emit_event(conn, "preservation.failed", None, {"run": run_id, **payload})

    @staticmethod
    def _add_results(conn, run_id: int, results) -> None:
        results = [r for r in results if r.outcome != "pass"]
        if not results:
            return
        last = conn.execute(
            "SELECT coalesce(max(seq), 0) FROM check_results WHERE run_id = ?", (run_id,)
        ).fetchone()[0]
        conn.executemany(
            "INSERT INTO check_results (run_id, seq, item, outcome, record_id, object_key, evidence)"
            " VALUES (?,?,?,?,?,?,?)",
            [
                (run_id, last + n, r.item, r.outcome, r.record_id, r.object_key, r.evidence)
                for n, r in enumerate(results, start=1)
            ],
        )

    def get_run(self, run_id: int) -> dict | None:
        row = (
            self.catalog.connection()
            .execute("SELECT * FROM check_runs WHERE id = ?", (run_id,))
            .fetchone()
        )
        return self._run(row)

    def runs(self, limit: int = 20, kind: str | None = None) -> list[dict]:
        if kind:
            rows = self.catalog.connection().execute(
                "SELECT * FROM check_runs WHERE kind = ? ORDER BY id DESC LIMIT ?", (kind, limit)
            )
        else:
            rows = self.catalog.connection().execute(
                "SELECT * FROM check_runs ORDER BY id DESC LIMIT ?", (limit,)
            )
        return [self._run(r) for r in rows]

    def result_rows(self, run_id: int) -> list[tuple[str, str, str, str | None, str | None]]:
        """A run's results other than passes, in order: (item, outcome, evidence,
        record_id, object_key), the fields of preservation.items.CheckResult."""
        rows = self.catalog.connection().execute(
            "SELECT item, outcome, record_id, object_key, evidence FROM check_results"
            " WHERE run_id = ? ORDER BY seq",
            (run_id,),
        )
        return [
            (r["item"], r["outcome"], r["evidence"], r["record_id"], r["object_key"]) for r in rows
        ]

    @staticmethod
    def _run(row) -> dict | None:
        if row is None:
            return None
        run = dict(row)
        run["summary"] = json.loads(run["summary"] or "{}")
        run["report_keys"] = json.loads(run["report_keys"] or "{}")
        return run

    # --- fixity register -------------------------------------------------------

    def fixity(self, keys: list[str] | None = None) -> dict[str, dict]:
        conn = self.catalog.connection()
        if keys is None:
            rows = conn.execute("SELECT * FROM fixity")
        elif not keys:
            return {}
        else:
            rows = conn.execute(
                f"SELECT * FROM fixity WHERE object_key IN ({placeholders(len(keys))})", keys
            )
        return {r["object_key"]: dict(r) for r in rows}

    def register(self, entries: list[dict]) -> None:
        """Record (or replace) key -> sha256, sm3, size, puid, format_name."""
        if not entries:
            return
        stamp = now()
        with self.catalog.transaction() as conn:
            conn.executemany(
                "INSERT INTO fixity (object_key, sha256, sm3, size, puid, format_name, recorded_at,"
                " last_checked_at) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (object_key) DO UPDATE SET"
                " sha256 = excluded.sha256, sm3 = excluded.sm3, size = excluded.size,"
                " puid = excluded.puid, format_name = excluded.format_name,"
                " recorded_at = excluded.recorded_at, last_checked_at = excluded.last_checked_at",
                [
                    (e["key"], e["sha256"], e["sm3"], e["size"], e.get("puid"),
                     e.get("format_name"), stamp, stamp)
                    for e in entries
                ],
            )  # fmt: skip

    def touch(self, keys: list[str]) -> None:
        if not keys:
            return
        stamp = now()
        with self.catalog.transaction() as conn:
            conn.executemany(
                "UPDATE fixity SET last_checked_at = ? WHERE object_key = ?",
                [(stamp, k) for k in keys],
            )

    # --- catalog facts the archive-wide checks need ----------------------------

    def registered_files(self) -> dict[str, tuple[str, str, int]]:
        """Every object the catalog knows: key -> (record id, sha256, size)."""
        rows = self.catalog.connection().execute("SELECT key, record_id, sha256, size FROM files")
        return {r["key"]: (r["record_id"], r["sha256"], r["size"]) for r in rows}

    def sequences(self) -> list[tuple[str, int]]:
        rows = self.catalog.connection().execute(
            "SELECT prefix, last FROM archival_sequences ORDER BY prefix"
        )
        return [(r[0], r[1]) for r in rows]

    def archival_codes(self) -> list[tuple[str, str]]:
        """(archival_code, record id or 'tombstone:<id>') of every 档号 ever given."""
        conn = self.catalog.connection()
        live = conn.execute(
            "SELECT archival_code, id FROM records WHERE archival_code IS NOT NULL"
        ).fetchall()
        dead = conn.execute(
            "SELECT archival_code, record_id FROM tombstones WHERE archival_code IS NOT NULL"
        ).fetchall()
        return [(r[0], r[1]) for r in live] + [(r[0], f"销毁:{r[1]}") for r in dead]

    def security_events(self, actions: tuple[str, ...]) -> list[tuple[str, int]]:
        rows = self.catalog.connection().execute(
            f"SELECT action, count(*) FROM audit_log WHERE action IN ({placeholders(len(actions))})"
            " OR action LIKE '%denied%' OR action LIKE '%failed%' OR action LIKE '%locked%'"
            " GROUP BY action ORDER BY action",
            actions,
        )
        return [(r[0], r[1]) for r in rows]
