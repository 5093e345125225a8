"""The audit log: who did what to which record, in a hash chain.

Each entry carries the SHA-256 of the previous entry, so changing or deleting
an entry breaks the chain from there on. Removing entries at the end leaves a
shorter but consistent chain; to see that too, the newest (seq, hash) is kept
beside the database in `audit-head.json`, written while the catalog's write
lock is held. `verify()` checks both and names the first bad entry.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dangan.errors import DanganError, ExitCode

log = logging.getLogger(__name__)

GENESIS = "0" * 64


# Action names -> what an auditor reads.
ACTIONS = {
    "search": "检索",
    "record.view": "查阅档案",
    "record.download": "下载",
    "person.view": "查阅参保人档案",
    "unit.view": "查阅单位档案",
    "case.view": "查阅业务档案",
    "record.confirm": "复核归档",
    "export": "导出",
}


class AuditError(DanganError):
    exit_code = ExitCode.AUDIT
    http_status = 500
    code = "audit"


@dataclass(frozen=True)
class Verification:
    ok: bool
    entries: int
    problem: str | None = None  # Chinese, for the auditor
    first_bad_seq: int | None = None


def entry_hash(prev_hash: str, seq: int, at: str, actor: str, action: str, target, detail) -> str:
    body = json.dumps(
        [seq, at, actor, action, target, detail], ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


class AuditLog:
    def __init__(self, catalog, head_path: Path):
        self.catalog = catalog
        self.head_path = Path(head_path)

    def append(self, actor: str, action: str, target: str | None = None, **detail) -> int:
        """Add one entry (its own transaction); returns its sequence number."""
        with self.catalog.transaction() as conn:
            return self.append_in(conn, actor, action, target, **detail)

    def append_in(self, conn, actor: str, action: str, target: str | None = None, **detail) -> int:
        """Add one entry inside the caller's write transaction, so the entry and
        the change it reports are committed together."""
        last = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        at = datetime.now(UTC).isoformat(timespec="milliseconds")
        detail_json = json.loads(json.dumps(detail, ensure_ascii=False, default=str))
        digest = entry_hash(prev, seq, at, actor, action, target, detail_json)
        conn.execute(
            "INSERT INTO audit_log (seq, at, actor, action, target, detail, prev_hash, hash)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (seq, at, actor, action, target, json.dumps(detail_json, ensure_ascii=False), prev,
             digest),
        )  # fmt: skip
        self._write_head(seq, digest)
        return seq

    def _write_head(self, seq: int, digest: str) -> None:
        # under the catalog's write lock: writers are serialised
        tmp = self.head_path.with_name(f".{self.head_path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"seq": seq, "hash": digest}), encoding="utf-8")
        tmp.replace(self.head_path)

    def entries(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        limit: int = 100,
        before: int | None = None,
    ) -> list[dict]:
        clauses, params = ["1=1"], []
        for column, value in (("actor", actor), ("action", action), ("target", target)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if before:
            clauses.append("seq < ?")
            params.append(before)
        rows = self.catalog.connection().execute(
            f"SELECT seq, at, actor, action, target, detail FROM audit_log"
            f" WHERE {' AND '.join(clauses)} ORDER BY seq DESC LIMIT ?",
            [*params, limit],
        )
        return [
            {**dict(r), "detail": json.loads(r["detail"]), "label": ACTIONS.get(r["action"], "")}
            for r in rows
        ]

    def verify(self) -> Verification:
        prev, expected_seq, count = GENESIS, 1, 0
        rows = self.catalog.connection().execute(
            "SELECT seq, at, actor, action, target, detail, prev_hash, hash"
            " FROM audit_log ORDER BY seq"
        )
        for row in rows:
            seq = row["seq"]
            if seq != expected_seq:
                return Verification(
                    False, count, f"第 {expected_seq} 条至第 {seq - 1} 条日志被删除。", expected_seq
                )
            if row["prev_hash"] != prev:
                return Verification(False, count, f"第 {seq} 条日志的前序哈希不符。", seq)
            digest = entry_hash(
                prev, seq, row["at"], row["actor"], row["action"], row["target"],
                json.loads(row["detail"]),
            )  # fmt: skip
            if digest != row["hash"]:
                return Verification(False, count, f"第 {seq} 条日志的内容被改动。", seq)
            prev, expected_seq, count = row["hash"], seq + 1, count + 1
        if self.head_path.is_file():
            head = json.loads(self.head_path.read_text(encoding="utf-8"))
            if head["seq"] != count or head["hash"] != prev:
                return Verification(
                    False,
                    count,
                    f"日志末尾被截断或替换：应有 {head['seq']} 条，现有 {count} 条。",
                    count + 1,
                )
        elif count:
            return Verification(False, count, "日志校验点文件 audit-head.json 缺失。", None)
        return Verification(True, count)
