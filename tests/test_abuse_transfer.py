"""A transfer package may only name files inside itself: absolute paths, `..`
and symbolic links leaving the package are refused, naming the entry."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from dangan.ingest.receive import import_package
from dangan.retention.transfer import FORMAT, MANIFEST, TransferError, verify_package

from dangan.archive import Archive
from dangan.config import Settings


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _package(root: Path, original_name: str, extra_manifest: dict[str, bytes] | None = None):
    """A package of one record whose metadata names its original `original_name`."""
    folder = root / "records" / "r1"
    folder.mkdir(parents=True)
    secret = root.parent / "secret.txt"
    secret.write_bytes(b"server secret: DANGAN_S3_SECRET_KEY=...\n")
    meta = {
        "record_id": "r1",
        "archival_code": "Q001-YW-2024-Y-GL-0001",
        "filename": "scan.png",
        "files": {"original": {"name": original_name, "sha256": _sha(secret.read_bytes())}},
        "fields": {},
    }
    (folder / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    package = {"format": FORMAT, "fonds_code": "Q001", "records": [{"record_id": "r1"}]}
    (root / "package.json").write_text(json.dumps(package), encoding="utf-8")
    lines = [
        f"{_sha(p.read_bytes())}  {p.relative_to(root).as_posix()}"
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    ]
    lines += [f"{_sha(data)}  {name}" for name, data in (extra_manifest or {}).items()]
    (root / MANIFEST).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return secret


@pytest.fixture
def archive(tmp_path):
    archive = Archive.open(Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")}))
    yield archive
    archive.close()


def _refused(archive, package: Path, entry: str) -> None:
    with pytest.raises(TransferError) as err:
        import_package(archive, package, "tester")
    assert f"“{entry}”" in err.value.message, err.value.message
    assert archive.catalog.connection().execute("SELECT count(*) FROM records").fetchone()[0] == 0


def test_a_metadata_path_climbing_out_of_the_package_is_refused(tmp_path, archive):
    package = tmp_path / "pkg"
    _package(package, "../../../secret.txt")
    assert any("../../../secret.txt" in p for p in verify_package(package))
    _refused(archive, package, "../../../secret.txt")


def test_an_absolute_path_in_the_manifest_is_refused(tmp_path, archive):
    package = tmp_path / "pkg"
    hostname = Path("/etc/hostname")
    _package(package, "original.png", {str(hostname): hostname.read_bytes()})
    problems = verify_package(package)
    assert any(f"“{hostname}”" in p and "绝对路径" in p for p in problems), problems


def test_a_symbolic_link_leaving_the_package_is_refused(tmp_path, archive):
    package = tmp_path / "pkg"
    (package / "records" / "r1").mkdir(parents=True)
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"server secret: DANGAN_S3_SECRET_KEY=...\n")
    _package_with_link(package, secret)  # manifest and metadata agree with the linked file
    assert any("original.png" in p and "符号链接" in p for p in verify_package(package))
    _refused(archive, package, "records/r1/original.png")


def _package_with_link(root: Path, secret: Path) -> None:
    folder = root / "records" / "r1"
    meta = {
        "record_id": "r1",
        "archival_code": "Q001-YW-2024-Y-GL-0001",
        "filename": "scan.png",
        "files": {"original": {"name": "original.png", "sha256": _sha(secret.read_bytes())}},
        "fields": {},
    }
    (folder / "metadata.json").write_text(json.dumps(meta), encoding="utf-8")
    (folder / "original.png").symlink_to(secret)
    package = {"format": FORMAT, "fonds_code": "Q001", "records": [{"record_id": "r1"}]}
    (root / "package.json").write_text(json.dumps(package), encoding="utf-8")
    lines = [
        f"{_sha(p.read_bytes())}  {p.relative_to(root).as_posix()}"
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    ]
    (root / MANIFEST).write_text("\n".join(lines) + "\n", encoding="utf-8")
