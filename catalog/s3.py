"""Production blob store: one bucket on MinIO (or any S3 server).

Bucket layout: the same '/'-separated keys as the local store
(`records/<id[:2]>/<id>/original.pdf`, `.../archive.pdf`, `.../pages/0001.jpg`,
`disposal/<batch>/register.pdf`, ...). Each object carries its SHA-256 as user
metadata and reads are checked against it.

A bucket that dangan creates has Object Lock on (which turns versioning on), and
every object is written under a legal hold: an overwrite only adds a version, and
no client can remove a version while the hold stands. `delete` is the retention
procedure's door: it lifts the hold and removes every version of the key.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from dangan.catalog.blobs import CHUNK, BlobInfo, VerifyingReader, check_key, sha256_file

from dangan.errors import ConfigError

SHA_META = "sha256"


def client_from_url(endpoint: str, access_key: str, secret_key: str, region: str | None = None):
    import urllib3
    from minio import Minio

    url = urlsplit(endpoint if "://" in endpoint else f"http://{endpoint}")
    if not url.hostname:
        raise ConfigError(f"DANGAN_S3_ENDPOINT 不是有效的地址：{endpoint!r}")
    return Minio(
        url.netloc,
        access_key=access_key,
        secret_key=secret_key,
        secure=url.scheme == "https",
        region=region,
        http_client=urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=5, read=120),
            maxsize=16,
            retries=urllib3.Retry(
                total=3, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]
            ),
        ),
    )


class S3BlobStore:
    def __init__(self, client, bucket: str, create: bool = True):
        self.client = client
        self.bucket = bucket
        self.locked = False
        self._prepare(create)

    def _prepare(self, create: bool) -> None:
        from minio.error import S3Error

        try:
            exists = self.client.bucket_exists(self.bucket)
        except S3Error as exc:
            raise ConfigError(
                f"对象存储拒绝访问存储桶 {self.bucket}（{exc.code}）。"
                "请检查 DANGAN_S3_ACCESS_KEY / DANGAN_S3_SECRET_KEY。"
            ) from exc
        except Exception as exc:  # connection refused, DNS, TLS ...
            raise ConfigError(
                f"无法连接对象存储（DANGAN_S3_ENDPOINT）：{exc.__class__.__name__}。"
                "请确认 MinIO 已启动、地址和端口正确。"
            ) from exc
        if not exists:
            if not create:
                raise ConfigError(f"对象存储中没有存储桶 {self.bucket}（DANGAN_S3_BUCKET）。")
            self.client.make_bucket(self.bucket, object_lock=True)
        try:
            config = self.client.get_object_lock_config(self.bucket)
            self.locked = config is not None
        except S3Error:
            self.locked = False  # a bucket made without Object Lock: versions only
            self._enable_versioning()

    def _enable_versioning(self) -> None:
        from minio.commonconfig import ENABLED
        from minio.versioningconfig import VersioningConfig

        try:
            self.client.set_bucket_versioning(self.bucket, VersioningConfig(ENABLED))
        except Exception:  # noqa: BLE001 - a server without versioning still stores
            pass

    # --- writing -------------------------------------------------------------

    def _put(self, key: str, stream: BinaryIO, size: int, sha: str) -> BlobInfo:
        check_key(key)
        self.client.put_object(
            self.bucket,
            key,
            stream,
            size,
            metadata={SHA_META: sha},
            legal_hold=self.locked,
        )
        return BlobInfo(key=key, sha256=sha, size=size)

    def put_file(self, key: str, source: Path) -> BlobInfo:
        sha = sha256_file(source)
        size = Path(source).stat().st_size
        with open(source, "rb") as fh:
            return self._put(key, fh, size, sha)

    def put_bytes(self, key: str, data: bytes) -> BlobInfo:
        return self._put(key, io.BytesIO(data), len(data), hashlib.sha256(data).hexdigest())

    # --- reading -------------------------------------------------------------

    def open(self, key: str, sha256: str | None = None) -> BinaryIO:
        from minio.error import S3Error

        check_key(key)
        try:
            stat = self.client.stat_object(self.bucket, key)
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NoSuchVersion"):
                raise FileNotFoundError(key) from exc
            raise
        expected = sha256 or _meta(stat.metadata, SHA_META)
        response = self.client.get_object(self.bucket, key, version_id=stat.version_id)
        raw = _Body(response)
        return VerifyingReader(raw, key, expected, on_close=raw.release)

    def exists(self, key: str) -> bool:
        from minio.error import S3Error

        check_key(key)
        try:
            self.client.stat_object(self.bucket, key)
            return True
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NoSuchVersion"):
                return False
            raise

    def list(self, prefix: str = "") -> Iterator[str]:
        prefix = prefix.strip("/")
        names = set()
        for obj in self.client.list_objects(self.bucket, prefix=prefix or None, recursive=True):
            if obj.is_delete_marker or obj.is_dir:
                continue
            name = obj.object_name
            if not prefix or name == prefix or name.startswith(prefix + "/"):
                names.add(name)
        yield from sorted(names)

    def versions(self, key: str) -> list[str]:
        """Version ids kept for `key` (newest first), delete markers included."""
        check_key(key)
        return [
            obj.version_id
            for obj in self.client.list_objects(
                self.bucket, prefix=key, recursive=True, include_version=True
            )
            if obj.object_name == key
        ]

    # --- removing ------------------------------------------------------------

    def delete(self, key: str) -> None:
        from minio.error import S3Error

        for version in self.versions(key):
            if self.locked:
                try:
                    self.client.disable_object_legal_hold(self.bucket, key, version)
                except S3Error:
                    pass  # a delete marker has no hold
            self.client.remove_object(self.bucket, key, version_id=version)


def _meta(metadata, name: str) -> str | None:
    if not metadata:
        return None
    wanted = f"x-amz-meta-{name}"
    for k, v in metadata.items():
        if k.lower() == wanted:
            return v
    return None


class _Body:
    """The object's HTTP response as a file: read(n) and close."""

    def __init__(self, response):
        self._response = response

    def read(self, size: int = CHUNK) -> bytes:
        return self._response.read(size)

    def close(self) -> None:
        self._response.close()

    def release(self) -> None:
        self._response.release_conn()
