"""The audit log: who did what to which record, in a keyed hash chain.

Each entry carries an HMAC-SHA256, under a secret key kept outside the catalog
(dangan/keys.py), of the previous entry's hash and its own content, and the id
of that key. Changing, deleting or inserting an entry breaks the chain from
there on, and without the key nobody can compute a new chain that verifies.

Removing entries at the end, or emptying the table, leaves a shorter chain: to
see that too every appended entry is anchored where the catalog's writer
cannot rewrite it (dangan/audit_anchor.py: an append-only file, and with an
object store an object under Object Lock), and the newest (seq, hash) is kept
beside the database in `audit-head.json`. `verify()` checks all of it and names
the first bad entry.

Entries written before the chain was keyed (catalogs from older versions) have
no key id and verify as plain SHA-256 chains, up to the sequence number the
key store recorded when the first key was made; after it, every entry must be
keyed.

Personal identifiers are not kept in clear (issue 19): the person looked up,
search terms and ID numbers anywhere in an entry are stored as keyed hashes
(`pid:`/`h:` + 16 hex, KeyStore.pseudonym). An auditor who knows the ID or name
finds the entries with `subject=` (the same hash is computed for the search);
after a record is destroyed nothing in the log says whose it was.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dangan.audit_anchor import anchor_mac
from dangan.catalog.stores.audit import AuditRows
from dangan.errors import DanganError, ExitCode
from dangan.keys import ID_NUMBER, KeyStore, canonical

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
    "case.ticket": "签发嵌入查看链接",
    "record.confirm": "复核归档",
    "export": "导出",
    "login": "登录",
    "login.failed": "登录失败",
    "login.locked": "登录锁定",
    "logout": "退出登录",
    "user.add": "新建用户",
    "user.disable": "停用用户",
    "user.enable": "启用用户",
    "user.roles": "调整角色",
    "user.password_reset": "重置密码",
    "user.password_change": "修改本人密码",
    "user.unlock": "解除登录锁定",
    "token.issue": "签发令牌",
    "token.revoke": "吊销令牌",
    # reads of page content (one entry per person, record, page and view
    # within api/auth.py READ_LOG_WINDOW_S; every page read is in the log)
    "page.image": "查看页面图像",
    "page.thumb": "查看页面缩略图",
    "page.hits": "查看页面命中位置",
    "page.ocr_image": "查看识别底图",
    "register.download": "下载销毁清册或销毁证明",
    "volumes.catalogue": "打印卷内目录",
    "volumes.labels": "打印盒脊标签",
    "cover.print": "打印封面",
    "record.security": "调整密级",
    "import": "接收移交档案",
    "batch.supervision_refused": "监销人确认未通过",
    "batch.return": "退回鉴定批次",
    "batch.reject": "否决销毁批次",
}

# Actions whose target names a person; detail fields that hold names, ID
# numbers or free search text. These are stored as pseudonyms.
PERSON_TARGETS = {"person.view"}
PERSONAL_FIELDS = {"q", "query", "person", "id_number", "id_numbers", "name", "person_name"}
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


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


def entry_hash(
    prev_hash: str, seq: int, at: str, actor: str, action: str, target, detail,
    kid: str | None = None, key: bytes | None = None,
) -> str:  # fmt: skip
    """SHA-256 of the legacy chain (no key), HMAC-SHA256 under `key` otherwise."""
    fields = [seq, at, actor, action, target, detail]
    if kid is None:
        body = json.dumps(fields, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256((prev_hash + body).encode()).hexdigest()
    body = json.dumps([*fields, kid], ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, (prev_hash + body).encode(), hashlib.sha256).hexdigest()


class AuditLog:
    def __init__(self, catalog, head_path: Path, keys: KeyStore | None = None,
                 anchors: list | None = None):  # fmt: skip
        self.catalog = catalog
        self.rows = AuditRows(catalog)
        self.head_path = Path(head_path)
        self.keys = keys or KeyStore(self.head_path.parent / "keys")
        self.anchors = list(anchors or [])

    # --- writing -------------------------------------------------------------

    def append(self, actor: str, action: str, target: str | None = None, **detail) -> int:
        """Add one entry (its own transaction); returns its sequence number."""
        with self.catalog.transaction() as conn:
            return self.append_in(conn, actor, action, target, **detail)

    def append_in(self, conn, actor: str, action: str, target: str | None = None, **detail) -> int:
        """Add one entry inside the caller's write transaction, so the entry and
        the change it reports are committed together."""
        last = self.rows.last(conn)
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        if last and last[2] and self.keys.current_kid() is None:
            raise AuditError(
                f"审计日志已用密钥签名，但密钥目录 {self.keys.root} 中没有密钥。"
                "每个 dangan 进程必须使用同一个密钥目录（DANGAN_KEY_DIR）：请把它复制或挂载到本机。"
            )
        kid = self.keys.ensure_audit_key(seq - 1)  # under the write lock: made once
        key = self.keys.audit_key(kid)
        at = datetime.now(UTC).isoformat(timespec="milliseconds")
        detail_json = json.loads(json.dumps(detail, ensure_ascii=False, default=str))
        target, detail_json = self.protect(action, target, detail_json)
        digest = entry_hash(prev, seq, at, actor, action, target, detail_json, kid, key)
        self.rows.insert(
            conn, seq, at, actor, action, target, json.dumps(detail_json, ensure_ascii=False),
            prev, digest, kid,
        )  # fmt: skip
        mac = anchor_mac(key, seq, digest)
        self._write_head(seq, digest, kid, mac)
        for anchor in self.anchors:
            if seq % anchor.every == 0:
                anchor.append(seq, digest, kid, mac)
        return seq

    def _write_head(self, seq: int, digest: str, kid: str, mac: str) -> None:
        # under the catalog's write lock: writers are serialised
        tmp = self.head_path.with_name(f".{self.head_path.name}.{os.getpid()}.tmp")
        tmp.write_text(
            json.dumps({"seq": seq, "hash": digest, "kid": kid, "mac": mac}), encoding="utf-8"
        )
        tmp.replace(self.head_path)

    def rotate_key(self) -> str:
        """Make a new current audit key (`dangan audit rotate-key`) and record
        the rotation in the log, signed with the new key."""
        with self.catalog.transaction() as conn:
            last = self.rows.max_seq(conn)
            old = self.keys.current_kid()
            kid = self.keys.rotate_audit_key(last)
            self.append_in(conn, "system", "audit.rotate_key", None, previous=old, current=kid)
        return kid

    # --- pseudonyms ----------------------------------------------------------

    def pseudonym(self, value: str) -> str:
        return self.keys.pseudonym(value)

    def protect(self, action: str, target, detail):
        """Replace personal identifiers by their pseudonyms (see module doc)."""
        if target is not None and action in PERSON_TARGETS:
            target = self.pseudonym(target)
        elif isinstance(target, str):
            target = self._ids_in_text(target)
        return target, self._protect_value(detail, None)

    def _protect_value(self, value, field: str | None):
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                out[k] = self._protect_value(v, k)
                if k in ("q", "query") and isinstance(v, str) and len(v.split()) > 1:
                    out[f"{k}_terms"] = [self.pseudonym(t) for t in v.split()]
            return out
        if isinstance(value, list):
            return [self._protect_value(v, field) for v in value]
        if isinstance(value, str):
            if field in PERSONAL_FIELDS and value.strip():
                return self.pseudonym(value)
            return self._ids_in_text(value)
        return value

    def _ids_in_text(self, text: str) -> str:
        return _ID_IN_TEXT.sub(lambda m: self.pseudonym(m.group(0)), text)

    # --- reading -------------------------------------------------------------

    def entries(
        self,
        *,
        actor: str | None = None,
        action: str | None = None,
        target: str | None = None,
        subject: str | None = None,
        limit: int = 100,
        before: int | None = None,
        after: int | None = None,
        oldest_first: bool = False,
        since: str | None = None,
        until: str | None = None,
    ) -> list[dict]:
        """Newest first (or oldest first). `target` given as an ID number, and `subject` (an ID
        number or name, found in the target or anywhere in the detail), are
        looked up by their pseudonyms."""
        if target and ID_NUMBER.match(canonical(target)):
            target = self.pseudonym(target)
        equals = {
            column: value
            for column, value in (("actor", actor), ("action", action), ("target", target))
            if value
        }
        # the subject as its pseudonym: hex only, no LIKE wildcard from the user
        hashed = self.pseudonym(subject) if subject and subject.strip() else None
        rows = self.rows.newest(
            equals=equals,
            subject=hashed,
            before=before,
            after=after,
            oldest_first=oldest_first,
            since=since,
            until=until,
            limit=limit,
        )
        return [
            {**dict(r), "detail": json.loads(r["detail"]), "label": ACTIONS.get(r["action"], "")}
            for r in rows
        ]

    # --- verifying -----------------------------------------------------------

    def verify(self) -> Verification:
        anchored, bad = self._anchors()
        if bad:
            return Verification(False, 0, bad, None)
        legacy_until = self.keys.legacy_until()
        prev, expected_seq, count, keyed = GENESIS, 1, 0, 0
        for row in self.rows.chain():
            seq, kid = row["seq"], row["key_id"]
            if seq != expected_seq:
                return Verification(
                    False, count, f"第 {expected_seq} 条至第 {seq - 1} 条日志被删除。", expected_seq
                )
            if row["prev_hash"] != prev:
                return Verification(False, count, f"第 {seq} 条日志的前序哈希不符。", seq)
            key = None
            if kid is None:
                if legacy_until is not None and seq > legacy_until:
                    return Verification(
                        False, count,
                        f"第 {seq} 条日志没有密钥签名，而此前的日志已用密钥签名：日志被重写。", seq,
                    )  # fmt: skip
            else:
                key = self.keys.audit_key(kid)
                if key is None:
                    return Verification(
                        False, count,
                        f"第 {seq} 条日志的签名密钥 {kid} 不在密钥目录中，无法校验"
                        "（请恢复密钥目录 DANGAN_KEY_DIR）。", seq,
                    )  # fmt: skip
                keyed += 1
            digest = entry_hash(
                prev, seq, row["at"], row["actor"], row["action"], row["target"],
                json.loads(row["detail"]), kid, key,
            )  # fmt: skip
            if not hmac.compare_digest(digest, row["hash"]):
                return Verification(False, count, f"第 {seq} 条日志的内容被改动。", seq)
            if seq in anchored and row["hash"] not in anchored[seq]:
                return Verification(
                    False, count, f"第 {seq} 条日志与锚点记录不符：日志被删改后重新计算。", seq
                )
            prev, expected_seq, count = row["hash"], seq + 1, count + 1
        most = max(anchored, default=0)
        if most > count:
            return Verification(
                False, count, f"日志末尾被截断或清空：应有 {most} 条，现有 {count} 条。", count + 1
            )
        if keyed and self.anchors and not any(a.exists() for a in self.anchors):
            return Verification(False, count, "审计锚点缺失：锚点文件或锚点存储桶被删除。", None)
        return self._check_head(prev, count)

    def _anchors(self) -> tuple[dict[int, set[str]], str | None]:
        """seq -> hashes anchored for it (several only after a rolled-back
        append); or a problem when an anchor's own HMAC does not hold."""
        found: dict[int, set[str]] = {}
        for source in self.anchors:
            for a in source.read():
                key = self.keys.audit_key(a.kid) if a.kid else None
                if key is None and a.kid:
                    return {}, (
                        f"{a.where} 中第 {a.seq} 条锚点的签名密钥 {a.kid} 不在密钥目录中，"
                        "无法校验（请恢复密钥目录 DANGAN_KEY_DIR）。"
                    )
                if key is None or not hmac.compare_digest(anchor_mac(key, a.seq, a.hash), a.mac):
                    return {}, f"{a.where} 中第 {a.seq} 条的锚点校验码不符：锚点被伪造或改写。"
                found.setdefault(a.seq, set()).add(a.hash)
        return found, None

    def _check_head(self, prev: str, count: int) -> Verification:
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
