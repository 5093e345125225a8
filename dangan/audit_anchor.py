"""Anchors of the audit chain, kept where the catalog's writer cannot rewrite
them: (seq, hash) of appended entries, each with an HMAC under the audit key.

- `FileAnchor`: one JSON line per anchored entry in a file opened with
  O_APPEND (DANGAN_AUDIT_ANCHOR_FILE). Deployments make it append-only for the
  service account (`chattr +a`), so lines can be added but never changed or cut.
- `S3Anchor`: with an object store, one object per anchor (every entry, or
  every DANGAN_AUDIT_ANCHOR_EVERY entries) in the bucket
  `<DANGAN_S3_BUCKET>-audit`, made with Object Lock and written under
  COMPLIANCE retention for DANGAN_AUDIT_LOCK_DAYS: nobody, the root account
  included, can delete or overwrite it before that date. The object's name
  carries the anchor, so verifying lists the bucket without reading objects.

`verify()` in dangan/audit.py reads both: an anchored entry that is missing or
different shows that rows were removed or the chain recomputed.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dangan.errors import ConfigError


@dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str
    kid: str
    mac: str
    where: str


def anchor_mac(key: bytes, seq: int, digest: str) -> str:
    return hmac.new(key, f"anchor:{seq}:{digest}".encode(), hashlib.sha256).hexdigest()


class FileAnchor:
    every = 1  # a line per entry: about 40 µs

    def __init__(self, path: Path):
        self.path = Path(path)
        self.where = f"锚点文件 {self.path}"

    def append(self, seq: int, digest: str, kid: str, mac: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"seq": seq, "hash": digest, "kid": kid, "mac": mac}) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())  # one write: lines of concurrent writers never mix
        finally:
            os.close(fd)

    def exists(self) -> bool:
        return self.path.is_file()

    def read(self) -> list[Anchor]:
        if not self.path.is_file():
            return []
        found = []
        with open(self.path, encoding="utf-8") as fh:
            for n, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    d = json.loads(line)
                    found.append(Anchor(int(d["seq"]), d["hash"], d["kid"], d["mac"], self.where))
                except (ValueError, KeyError, TypeError):
                    found.append(Anchor(0, "", "", "", f"{self.where} 第 {n} 行"))
        return found


_NAME = re.compile(r"^anchors/(\d{12})\.([0-9a-f]{64})\.(k\d+)\.([0-9a-f]{64})$")


class S3Anchor:
    def __init__(self, client, bucket: str, days: int, every: int = 1):
        self.every = max(1, every)  # an object per `every` entries: about 10 ms each
        self.client = client
        self.bucket = bucket
        self.days = days
        self.where = f"对象存储桶 {bucket}"
        self._ready = False

    def _prepare(self) -> None:
        if self._ready:
            return
        if not self.client.bucket_exists(self.bucket):
            self.client.make_bucket(self.bucket, object_lock=True)
        from minio.error import S3Error

        try:
            locked = self.client.get_object_lock_config(self.bucket) is not None
        except S3Error:
            locked = False
        if not locked:
            raise ConfigError(
                f"存储桶 {self.bucket} 没有开启对象锁定（Object Lock），不能保存审计锚点。"
                "请删除该桶让 dangan 重新建立，或换一个桶名。"
            )
        self._ready = True

    def append(self, seq: int, digest: str, kid: str, mac: str) -> None:
        from minio.commonconfig import COMPLIANCE
        from minio.retention import Retention

        self._prepare()
        body = json.dumps({"seq": seq, "hash": digest, "kid": kid, "mac": mac}).encode()
        until = datetime.now(UTC).replace(microsecond=0) + timedelta(days=self.days)
        self.client.put_object(
            self.bucket,
            f"anchors/{seq:012d}.{digest}.{kid}.{mac}",
            io.BytesIO(body),
            len(body),
            content_type="application/json",
            retention=Retention(COMPLIANCE, until),
        )

    def exists(self) -> bool:
        self._prepare()
        return any(True for _ in self.client.list_objects(self.bucket, prefix="anchors/"))

    def read(self) -> list[Anchor]:
        self._prepare()
        found = []
        for obj in self.client.list_objects(self.bucket, prefix="anchors/", recursive=True):
            m = _NAME.match(obj.object_name)
            if m:
                found.append(Anchor(int(m[1]), m[2], m[3], m[4], self.where))
            else:
                found.append(Anchor(0, "", "", "", f"{self.where} 对象 {obj.object_name}"))
        return found
