"""What is really in the blob store, read without the store's own hash check
(a mismatch is a finding to report, not an error to raise): every object, and
on MinIO/S3 every version of every object."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dangan.catalog.blobs import CHUNK, LocalBlobStore, check_key

# key prefixes that hold objects the files table does not list, and who keeps them
KNOWN_PREFIXES = {
    "retention/batches/": "销毁清册和销毁证明",
    "disposal/": "销毁清册（旧位置）",
    "inbox/": "等待识别的上传文件",
    "preservation/": "四性检测报告",
}


def known_prefix(key: str) -> bool:
    return any(key.startswith(p) for p in KNOWN_PREFIXES)


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    version_id: str | None = None  # S3 version; None on local files
    latest: bool = True

    @property
    def cursor(self) -> str:
        """A sortable resume point for the sweep."""
        return f"{self.key}\t{self.version_id or ''}"


def is_s3(blobs) -> bool:
    return hasattr(blobs, "client") and hasattr(blobs, "bucket")


def iter_objects(blobs, prefix: str = "") -> Iterator[StoredObject]:
    """Every stored object (every version on S3), in key order."""
    if is_s3(blobs):
        yield from _s3_objects(blobs, prefix)
        return
    assert isinstance(blobs, LocalBlobStore)
    objects = [
        StoredObject(key=key, size=blobs.root.joinpath(*check_key(key)).stat().st_size)
        for key in blobs.list(prefix)
    ]
    yield from sorted(objects, key=lambda o: o.cursor)  # the sweep resumes by this order


def _s3_objects(blobs, prefix: str) -> Iterator[StoredObject]:
    listed = blobs.client.list_objects(
        blobs.bucket, prefix=prefix or None, recursive=True, include_version=True
    )
    found = [o for o in listed if not o.is_delete_marker and not o.is_dir]
    latest = {id(o): str(o.is_latest).lower() == "true" for o in found}  # "true"/"false"
    objects = [
        StoredObject(key=o.object_name, size=o.size, version_id=o.version_id, latest=latest[id(o)])
        for o in found
    ]
    yield from sorted(objects, key=lambda o: o.cursor)  # the sweep resumes by this order


def stored_sha256(blobs, obj: StoredObject) -> str | None:
    """The SHA-256 the store kept with this object version (S3 metadata), asked
    only where the catalog has none to compare with: one request less per object."""
    if not is_s3(blobs):
        return None
    from dangan.catalog.s3 import SHA_META, _meta

    stat = blobs.client.stat_object(blobs.bucket, obj.key, version_id=obj.version_id)
    return _meta(stat.metadata, SHA_META)


def read_chunks(blobs, key: str, version_id: str | None = None) -> Iterator[bytes]:
    """The object's bytes as stored; FileNotFoundError when absent."""
    if is_s3(blobs):
        from minio.error import S3Error

        try:
            response = blobs.client.get_object(blobs.bucket, key, version_id=version_id)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NoSuchVersion"):
                raise FileNotFoundError(key) from exc
            raise
        try:
            while chunk := response.read(CHUNK):
                yield chunk
        finally:
            response.close()
            response.release_conn()
        return
    with open(blobs.root.joinpath(*check_key(key)), "rb") as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


def read_bytes(blobs, key: str) -> bytes:
    return b"".join(read_chunks(blobs, key))


def location(blobs, key: str) -> str | None:
    """Where the object really is (a path or s3://bucket/key), None if absent."""
    if is_s3(blobs):
        return f"s3://{blobs.bucket}/{key}" if blobs.exists(key) else None
    path = blobs.root.joinpath(*check_key(key))
    resolved = path.resolve()
    if not path.is_file() or not resolved.is_relative_to(Path(blobs.root).resolve()):
        return None
    return str(resolved)
