"""Blob store seam: originals, archival PDFs and page images.

Keys are '/'-separated. Writes are atomic (temp file + rename), so a killed
process never leaves a half-written object under a real key."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

CHUNK = 1024 * 1024


@dataclass(frozen=True)
class BlobInfo:
    key: str
    sha256: str
    size: int


class BlobStore(Protocol):
    def put_file(self, key: str, source: Path) -> BlobInfo:
        """Store a copy of `source` under `key` (replacing it) and return its hash."""

    def put_bytes(self, key: str, data: bytes) -> BlobInfo: ...

    def open(self, key: str) -> BinaryIO:
        """Open for reading; raises FileNotFoundError if absent."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove the object; absent keys are not an error."""

    def list(self, prefix: str = "") -> Iterator[str]: ...


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class LocalBlobStore:
    """Embedded default: files under one root directory."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        parts = [p for p in key.split("/") if p]
        if not parts or any(p in (".", "..") for p in parts):
            raise ValueError(f"bad blob key: {key!r}")
        return self.root.joinpath(*parts)

    def _write(self, key: str, writer) -> BlobInfo:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
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

    def open(self, key: str) -> BinaryIO:
        return open(self._path(key), "rb")

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> None:
        path = self._path(prefix)
        if path.is_dir():
            shutil.rmtree(path)

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
