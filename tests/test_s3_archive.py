"""The archive on a real MinIO server: settings checked at start-up, scans
ingested into the bucket, pages served back from it."""

from __future__ import annotations

import time

import pytest
from conftest import json_lines, login, minio_bucket, run_cli

from dangan.archive import Archive
from dangan.config import Settings
from dangan.errors import ConfigError


def test_endpoint_without_keys_is_refused_by_name(tmp_path):
    with pytest.raises(ConfigError) as err:
        Settings.from_env({"DANGAN_HOME": str(tmp_path), "DANGAN_S3_ENDPOINT": "http://x:9000"})
    assert "DANGAN_S3_ACCESS_KEY" in err.value.message
    assert "DANGAN_S3_SECRET_KEY" in err.value.message
    with pytest.raises(ConfigError) as err:
        Settings.from_env({"DANGAN_S3_BUCKET": "Bad_Bucket"})
    assert "DANGAN_S3_BUCKET" in err.value.message


def test_unreachable_or_refused_object_store_stops_start_up(tmp_path, minio_env):
    unreachable = {
        "DANGAN_HOME": str(tmp_path / "a"),
        "DANGAN_S3_ENDPOINT": "http://127.0.0.1:1",
        "DANGAN_S3_ACCESS_KEY": "k",
        "DANGAN_S3_SECRET_KEY": "s",
    }
    started = time.monotonic()
    with pytest.raises(ConfigError) as err:
        Archive.open(Settings.from_env(unreachable))
    assert "DANGAN_S3_ENDPOINT" in err.value.message
    assert time.monotonic() - started < 30  # fails promptly, not after a long retry
    refused = {**minio_env, "DANGAN_HOME": str(tmp_path / "b"), "DANGAN_S3_SECRET_KEY": "wrong"}
    with pytest.raises(ConfigError) as err:
        Archive.open(Settings.from_env(refused))
    assert "DANGAN_S3_SECRET_KEY" in err.value.message

    # `dangan serve` says so and exits before listening, without a traceback.
    proc = run_cli(tmp_path / "c", "serve", "--port", "18765", env=unreachable)
    assert proc.returncode == 3, proc.stderr
    assert "DANGAN_S3_ENDPOINT" in proc.stderr and "Traceback" not in proc.stderr


def test_scans_go_to_the_bucket_and_come_back_checked(tmp_path, corpus, minio_env):
    from dangan.api.app import create_app
    from fastapi.testclient import TestClient

    env = minio_bucket(minio_env)
    home = tmp_path / "home"
    proc = run_cli(home, "ingest", "--json", str(corpus[0].path), env=env)
    assert proc.returncode == 0, proc.stderr
    (result,) = json_lines(proc.stdout)
    rid = result["record_id"]
    blob_dir = home / "blobs"
    assert not blob_dir.exists() or not any(p.is_file() for p in blob_dir.rglob("*"))

    settings = Settings.from_env({"DANGAN_HOME": str(home), **env})
    archive = Archive.open(settings)
    try:
        record = archive.catalog.get(rid)
        keys = set(archive.blobs.list("records"))
        assert {f.key for f in record.files} == keys
        assert archive.blobs.locked
    finally:
        archive.close()

    with TestClient(create_app(settings)) as client:
        login(client, "caseworker")
        page = client.get(f"/api/records/{rid}/pages/1/image")
        assert page.status_code == 200 and page.content[:2] == b"\xff\xd8"
        pdf = client.get(f"/api/records/{rid}/pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
