"""One test suite for every blob store: the embedded LocalBlobStore and the
production S3BlobStore on a real MinIO server started for the run."""

from __future__ import annotations

import hashlib
import io
import uuid

import pytest
import services
from dangan.catalog.blobs import BlobCorrupt, LocalBlobStore


@pytest.fixture(scope="session")
def minio_env():
    return services.start("minio")


def _minio_store(env):
    from dangan.catalog.s3 import S3BlobStore, client_from_url

    client = client_from_url(
        env["DANGAN_S3_ENDPOINT"], env["DANGAN_S3_ACCESS_KEY"], env["DANGAN_S3_SECRET_KEY"]
    )
    return S3BlobStore(client, f"test-{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=["local", "minio"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    return _minio_store(request.getfixturevalue("minio_env"))


def _tamper(store, key: str, data: bytes) -> None:
    """Change an object's bytes behind the store's back (bit rot, a bad copy)."""
    if isinstance(store, LocalBlobStore):
        store._path(key).write_bytes(data)
    else:
        store.client.put_object(
            store.bucket, key, io.BytesIO(data), len(data), legal_hold=store.locked
        )


def test_roundtrip_hash_size_list_and_delete(store, tmp_path):
    info = store.put_bytes("records/ab/x/original.pdf", b"hello")
    assert info.sha256 == hashlib.sha256(b"hello").hexdigest() and info.size == 5
    source = tmp_path / "page.jpg"
    source.write_bytes(b"\xff\xd8" + b"p" * 3_000_000)
    big = store.put_file("records/ab/x/pages/0001.jpg", source)
    assert big.size == source.stat().st_size
    assert big.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    with store.open("records/ab/x/original.pdf", info.sha256) as fh:
        assert fh.read() == b"hello"
    with store.open("records/ab/x/pages/0001.jpg") as fh:
        assert hashlib.sha256(fh.read()).hexdigest() == big.sha256
    store.put_bytes("records/abc/y/original.pdf", b"other")
    assert list(store.list("records/ab")) == [
        "records/ab/x/original.pdf",
        "records/ab/x/pages/0001.jpg",
    ]
    assert store.exists("records/ab/x/original.pdf")
    store.delete("records/ab/x/original.pdf")
    store.delete("records/ab/x/original.pdf")  # absent: not an error
    assert not store.exists("records/ab/x/original.pdf")
    assert list(store.list("records/ab")) == ["records/ab/x/pages/0001.jpg"]
    with pytest.raises(FileNotFoundError):
        store.open("records/ab/x/original.pdf")


def test_keys_cannot_escape(store):
    for key in ("../outside", "a/../../b", "", "/"):
        with pytest.raises(ValueError):
            store.put_bytes(key, b"x")


def test_overwrite_reads_back_the_latest(store):
    store.put_bytes("disposal/b1/register.csv", b"v1")
    info = store.put_bytes("disposal/b1/register.csv", b"v2")
    with store.open("disposal/b1/register.csv", info.sha256) as fh:
        assert fh.read() == b"v2"


def test_damaged_bytes_are_caught_when_read(store):
    info = store.put_bytes("records/cd/z/archive.pdf", b"%PDF-1.7 original bytes")
    _tamper(store, "records/cd/z/archive.pdf", b"%PDF-1.7 damaged bytes!")
    with store.open("records/cd/z/archive.pdf", info.sha256) as fh:
        with pytest.raises(BlobCorrupt) as err:
            while fh.read(4):
                pass
    assert "SHA-256" in err.value.message and "records/cd/z/archive.pdf" in err.value.message


def test_minio_keeps_versions_under_hold_and_delete_removes_them_all(minio_env):
    from minio.error import S3Error

    store = _minio_store(minio_env)
    assert store.locked  # a bucket dangan makes has Object Lock on
    store.put_bytes("records/ef/r/original.pdf", b"first")
    store.put_bytes("records/ef/r/original.pdf", b"second")
    versions = store.versions("records/ef/r/original.pdf")
    assert len(versions) == 2
    # The first version is still there and no client can remove it past the hold.
    first = store.client.get_object(
        store.bucket, "records/ef/r/original.pdf", version_id=versions[1]
    )
    assert first.read() == b"first"
    first.close()
    with pytest.raises(S3Error) as err:
        store.client.remove_object(
            store.bucket, "records/ef/r/original.pdf", version_id=versions[1]
        )
    assert "WORM" in str(err.value)
    store.delete("records/ef/r/original.pdf")
    assert store.versions("records/ef/r/original.pdf") == []


def test_minio_object_metadata_hash_is_checked_without_a_catalog_hash(minio_env):
    store = _minio_store(minio_env)
    store.put_bytes("records/gh/s/original.png", b"scan bytes")
    # Bytes replaced by a client that copied the old hash metadata along.
    store.client.put_object(
        store.bucket,
        "records/gh/s/original.png",
        io.BytesIO(b"other bytes"),
        11,
        metadata={"sha256": hashlib.sha256(b"scan bytes").hexdigest()},
        legal_hold=True,
    )
    with pytest.raises(BlobCorrupt):
        with store.open("records/gh/s/original.png") as fh:
            fh.read()


def _minio_data_dir():
    """Where scripts/services/minio.sh keeps the test server's objects on disk."""
    import os
    from pathlib import Path

    cache = Path(os.environ.get("DANGAN_TEST_SERVICES_CACHE", Path.home() / ".cache/dangan"))
    return Path(os.environ.get("DANGAN_TEST_MINIO_DATA", cache / "minio" / "data"))


def test_deleting_a_records_files_leaves_no_folder_named_by_its_hash(store):
    """Issue 19: after destruction the file's SHA-256 stayed in folder names."""
    sha = hashlib.sha256(b"destroyed scan").hexdigest()
    other = sha[:2] + hashlib.sha256(b"kept scan").hexdigest()[2:]  # same shard folder
    keys = [f"records/{sha[:2]}/{sha}/{name}" for name in ("original.pdf", "archive.pdf",
            "pages/0001.jpg", "pages/0001.ocr.jpg")]  # fmt: skip
    for key in keys:
        store.put_bytes(key, b"bytes of " + key.encode())
    store.put_bytes(f"records/{sha[:2]}/{other}/original.pdf", b"kept")
    for key in keys:
        store.delete(key)
    assert list(store.list("records")) == [f"records/{sha[:2]}/{other}/original.pdf"]
    if isinstance(store, LocalBlobStore):
        left = [p for p in store.root.rglob("*") if sha in p.name]
        assert left == [], left
        assert (store.root / "records" / sha[:2] / other).is_dir()  # the neighbour stays
        store.delete(f"records/{sha[:2]}/{other}/original.pdf")
        assert [p for p in store.root.rglob("*")] == []
        store.put_bytes(f"records/{sha[:2]}/{sha}/original.pdf", b"again")  # folders come back
    else:
        names = [
            o.object_name
            for o in store.client.list_objects(
                store.bucket, prefix="records/", recursive=True, include_version=True
            )
        ]
        assert not [n for n in names if sha in n], names
        on_disk = _minio_data_dir() / store.bucket
        assert on_disk.is_dir() or not _minio_data_dir().is_dir(), on_disk
        if on_disk.is_dir():  # the server this test run started: look at its files too
            left = [p for p in on_disk.rglob("*") if sha in p.name]
            assert left == [], left
