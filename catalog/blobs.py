"""Blob store seam: originals, archival PDFs and page images.

Keys are '/'-separated. Writes are atomic (temp file + rename), so a killed
process never leaves a half-written object under a real key."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from dangan.errors import DanganError

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class BlobInfo:
    key: str
    sha256: str
    size: int


class BlobCorrupt(DanganError):
    """An object's bytes no longer match the SHA-256 recorded when it was stored."""

    code = "blob_corrupt"


class BlobStore(Protocol):
    def put_file(self, key: str, source: Path) -> BlobInfo:
        """Store a copy of `source` under `key` (replacing it) and return its hash."""

    def put_bytes(self, key: str, data: bytes) -> BlobInfo: ...

    def open(self, key: str, sha256: str | None = None) -> BinaryIO:
        """Open for reading; raises FileNotFoundError if absent. Reading to the end
        checks the bytes against `sha256` (or the hash the store kept, where it
        keeps one) and raises BlobCorrupt on a mismatch."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the object, every version of it; absent keys are not an error."""

    def list(self, prefix: str = "") -> Iterator[str]: ...


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class VerifyingReader:
    """A read-only stream that hashes what passes through it and, at the end of
    the data, raises BlobCorrupt if the hash is not the expected one."""

    def __init__(self, raw, key: str, expected: str | None, on_close=None):
        self._raw = raw
        self._key = key
        self._expected = expected
        self._digest = hashlib.sha256()
        self._checked = expected is None
        self._on_close = on_close

    def read(self, size: int = -1) -> bytes:
        if size is None or size < 0:
            return b"".join(iter(lambda: self.read(CHUNK), b""))
        data = self._raw.read(size)
        if data:
            self._digest.update(data)
        elif not self._checked:
            self._checked = True
            if self._digest.hexdigest() != self._expected:
                raise BlobCorrupt(
                    f"存储的文件 {self._key} 与登记的 SHA-256 不符，可能已损坏。"
                    "请勿使用此副本，并报告系统管理员从备份恢复。"
                )
        return data

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            if self._on_close:
                self._on_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __iter__(self):
        while chunk := self.read(CHUNK):
            yield chunk


def check_key(key: str) -> list[str]:
    """The key's parts; raises ValueError for keys that could escape a root."""
    parts = [p for p in key.split("/") if p]
    if not parts or any(p in (".", "..") for p in parts):
        raise ValueError(f"bad blob key: {key!r}")
    return parts


class LocalBlobStore:
    """Embedded default: files under one root directory."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key))

    def _write(self, key: str, writer) -> BlobInfo:
        target = self._path(key)
        for attempt in range(5):
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
                break
            except FileNotFoundError:  # a delete pruned the empty folder meanwhile
                if attempt == 4:
                    raise
        digest = hashlib.sha256()
        size = 0
        try:
            with os.fdopen(fd, "wb") as out:
                for chunk in writer():
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return BlobInfo(key=key, sha256=digest.hexdigest(), size=size)

    def put_file(self, key: str, source: Path) -> BlobInfo:
        def chunks():
            with open(source, "rb") as fh:
                while chunk := fh.read(CHUNK):
                    yield chunk

        return self._write(key, chunks)

    def put_bytes(self, key: str, data: bytes) -> BlobInfo:
        return self._write(key, lambda: iter([data]))

    def open(self, key: str, sha256: str | None = None) -> BinaryIO:
        handle = open(self._path(key), "rb")
        return handle if sha256 is None else VerifyingReader(handle, key, sha256)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        """Remove the file and the folders it leaves empty: keys name folders
        after the content's SHA-256, and a destroyed record must leave no
        folder that says a file with that hash was here."""
        path = self._path(key)
        path.unlink(missing_ok=True)
        parent = path.parent
        while parent != self.root and self.root in parent.parents:
            try:
                parent.rmdir()
            except OSError:  # not empty (or already gone): stop here
                if parent.exists():
                    break
            parent = parent.parent

    def list(self, prefix: str = "") -> Iterator[str]:
        base = self._path(prefix) if prefix.strip("/") else self.root
        if base.is_file():
            yield prefix
            return
        if not base.is_dir():
            return
        for path in sorted(base.rglob("*")):
            if path.is_file() and not path.name.startswith(".tmp-"):
                yield path.relative_to(self.root).as_posix()
