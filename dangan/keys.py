"""Secret keys kept outside the catalog: the audit chain's HMAC keys and the key
that turns personal identifiers into pseudonyms in the audit log.

The key directory (DANGAN_KEY_DIR, default DANGAN_HOME/keys) is made 0700 and
every key file 0600 on first use. Audit keys carry an id and are rotated
(`dangan audit rotate-key`): a new key becomes current, old ones stay to verify
the entries they signed. The pseudonym key is never rotated, so that a hash
computed today matches entries written years ago.

    keys/audit-k1.json   {"kid": "k1", "secret": hex, "created_at": ..., "legacy_until": n}
    keys/audit-current   k2
    keys/ident.json      {"secret": hex, "created_at": ...}

`legacy_until` (on the first audit key only) is the last sequence number that
was written before the chain was keyed: entries up to it verify as plain
SHA-256, every later one must carry a known key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

from dangan.errors import DanganError, ExitCode

KID = re.compile(r"^k\d+$")
ID_NUMBER = re.compile(r"^\d{17}[\dX]$|^\d{15}$")


class KeyStoreError(DanganError):
    exit_code = ExitCode.AUDIT
    http_status = 500
    code = "keys"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class KeyStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self._cache: dict[str, bytes] = {}
        self._current: tuple[int, str] | None = None

    # --- files ---------------------------------------------------------------

    def _dir(self) -> Path:
        if not self.root.is_dir():
            self.root.mkdir(parents=True, exist_ok=True)
            os.chmod(self.root, 0o700)
        return self.root

    def _create(self, name: str, data: dict) -> bool:
        """Write a new key file 0600; False when another process made it first."""
        path = self._dir() / name
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out)
            out.flush()
            os.fsync(out.fileno())
        return True

    def _read(self, name: str) -> dict | None:
        path = self.root / name
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise KeyStoreError(f"密钥文件 {path} 已损坏，无法读取。") from exc

    # --- audit keys ----------------------------------------------------------

    def audit_kids(self) -> list[str]:
        if not self.root.is_dir():
            return []
        kids = [p.stem.removeprefix("audit-") for p in self.root.glob("audit-k*.json")]
        return sorted((k for k in kids if KID.match(k)), key=lambda k: int(k[1:]))

    def current_kid(self) -> str | None:
        """Cached until the key directory changes (a rotation by another
        process renames a file into it, which changes its mtime)."""
        try:
            stamp = self.root.stat().st_mtime_ns
        except FileNotFoundError:
            return None
        if self._current is not None and self._current[0] == stamp:
            return self._current[1]
        kid = self._read_current_kid()
        if kid is not None:
            self._current = (stamp, kid)
        return kid

    def _read_current_kid(self) -> str | None:
        path = self.root / "audit-current"
        if path.is_file():
            kid = path.read_text(encoding="utf-8").strip()
            if KID.match(kid):
                return kid
        kids = self.audit_kids()
        return kids[-1] if kids else None

    def audit_key(self, kid: str) -> bytes | None:
        if kid in self._cache:
            return self._cache[kid]
        if not KID.match(kid or ""):
            return None
        data = self._read(f"audit-{kid}.json")
        if data is None:
            return None
        self._cache[kid] = secret = bytes.fromhex(data["secret"])
        return secret

    def legacy_until(self) -> int | None:
        """Entries up to this seq predate keying; None when no key exists yet."""
        kids = self.audit_kids()
        if not kids:
            return None
        return int((self._read(f"audit-{kids[0]}.json") or {}).get("legacy_until", 0))

    def ensure_audit_key(self, last_seq: int) -> str:
        """The current key id, making the first key (recording that entries up
        to `last_seq` were written unkeyed) when there is none. Call with the
        catalog's write lock held."""
        kid = self.current_kid()
        if kid is not None:
            return kid
        self.ident_key()  # both keys are made together, so they travel together
        self._create(
            "audit-k1.json",
            {"kid": "k1", "secret": secrets.token_hex(32), "created_at": _now(),
             "legacy_until": last_seq},
        )  # fmt: skip
        return "k1"

    def rotate_audit_key(self, last_seq: int) -> str:
        """A new current key; the old ones stay for verifying old entries."""
        kids = self.audit_kids()
        if not kids:
            return self.ensure_audit_key(last_seq)
        n = int(kids[-1][1:]) + 1
        while not self._create(
            f"audit-k{n}.json",
            {"kid": f"k{n}", "secret": secrets.token_hex(32), "created_at": _now()},
        ):
            n += 1
        tmp = self.root / f".audit-current.{os.getpid()}.tmp"
        tmp.write_text(f"k{n}\n", encoding="utf-8")
        os.chmod(tmp, 0o600)
        tmp.replace(self.root / "audit-current")
        return f"k{n}"

    # --- pseudonyms ----------------------------------------------------------

    def ident_key(self) -> bytes:
        if "ident" in self._cache:
            return self._cache["ident"]
        data = self._read("ident.json")
        if data is None:
            self._create("ident.json", {"secret": secrets.token_hex(32), "created_at": _now()})
            data = self._read("ident.json")
        self._cache["ident"] = secret = bytes.fromhex(data["secret"])
        return secret

    def ticket_key(self) -> bytes:
        """The key that signs embedded-view tickets (dangan/access/tickets.py)."""
        if "ticket" in self._cache:
            return self._cache["ticket"]
        data = self._read("ticket.json")
        if data is None:
            self._create("ticket.json", {"secret": secrets.token_hex(32), "created_at": _now()})
            data = self._read("ticket.json")
        self._cache["ticket"] = secret = bytes.fromhex(data["secret"])
        return secret

    def cover_key(self) -> bytes:
        """The key that signs cover sheets' QR codes (dangan/ingest/coversheet.py)."""
        return self._named_key("cover")

    def _named_key(self, name: str) -> bytes:
        if name in self._cache:
            return self._cache[name]
        data = self._read(f"{name}.json")
        if data is None:
            self._create(f"{name}.json", {"secret": secrets.token_hex(32), "created_at": _now()})
            data = self._read(f"{name}.json")
        self._cache[name] = secret = bytes.fromhex(data["secret"])
        return secret

    def pseudonym(self, value: str) -> str:
        """A keyed hash naming a person without keeping who: `pid:` + 16 hex for
        a 公民身份号码, `h:` + 16 hex for other text (names, search terms).
        The same input always gives the same pseudonym."""
        text = canonical(value)
        tag = "pid" if ID_NUMBER.match(text) else "h"
        digest = hmac.new(self.ident_key(), f"{tag}:{text}".encode(), hashlib.sha256)
        return f"{tag}:{digest.hexdigest()[:16]}"


def canonical(value: str) -> str:
    """Full-width forms folded, spaces removed, letters upper-cased: a name or
    ID number typed any of the usual ways hashes the same."""
    text = unicodedata.normalize("NFKC", str(value))
    return "".join(text.split()).upper()


def is_pseudonym(value) -> bool:
    return isinstance(value, str) and re.fullmatch(r"(pid|h):[0-9a-f]{16}", value) is not None
