"""Uploads are limited while they stream in, a part without a file name is
reported for itself, and a full disk is named as such, with nothing half-written."""

from __future__ import annotations

import io
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import login
from dangan.api.app import create_app
from dangan.ingest.pipeline import ingest_file
from fastapi.testclient import TestClient
from PIL import Image

from dangan.archive import Archive
from dangan.config import Settings


def _png(size=(800, 1000)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "white").save(out, format="PNG")
    return out.getvalue()


def _noise_png(side: int) -> bytes:
    """A PNG that does not compress (about 3 bytes a pixel)."""
    pixels = np.random.default_rng(1).integers(0, 255, (side, side, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels).save(out, format="PNG")
    return out.getvalue()


def _leftovers(settings: Settings) -> list[str]:
    return [
        p.name
        for root in (settings.work_root, settings.home / "inbox")
        if root.is_dir()
        for p in root.iterdir()
    ]


@pytest.fixture
def app_settings(tmp_path) -> Settings:
    return Settings.from_env({"DANGAN_HOME": str(tmp_path / "h"), "DANGAN_MAX_FILE_MB": "1"})


@pytest.mark.parametrize("route", ["/api/intake", "/api/records"])
def test_an_upload_over_the_size_limit_is_stopped_with_a_chinese_413(app_settings, route):
    with TestClient(create_app(app_settings)) as client:
        login(client, "clerk")
        files = [
            ("files", ("ok.png", _png(), "image/png")),
            ("files", ("big.pdf", b"%PDF-1.4\n" + bytes(3 * 1024 * 1024), "application/pdf")),
        ]
        response = client.post(route, files=files)
        assert response.status_code == 413, response.text
        assert "big.pdf" in response.json()["error"] and "1 MB" in response.json()["error"]
        assert _leftovers(app_settings) == []
        if route == "/api/intake":
            assert client.app.state.intake.pending() == 0


def _multipart(parts: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    """A multipart body written by hand: (Content-Disposition options, data)."""
    boundary = "dangan-test-boundary"
    body = b""
    for options, data in parts:
        body += f"--{boundary}\r\nContent-Disposition: form-data; {options}\r\n\r\n".encode()
        body += data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_part_without_file_name_gets_its_own_chinese_error(app_settings):
    body, content_type = _multipart(
        [
            ('name="files"; filename=""', _png()),
            ('name="files"', b"not a file"),
            ('name="files"; filename="scan.png"', b""),  # refused later, quickly: no OCR
        ]
    )
    with TestClient(create_app(app_settings)) as client:
        login(client, "clerk")
        response = client.post("/api/intake", content=body, headers={"content-type": content_type})
        assert response.status_code == 200, response.text
        data = response.json()
        assert [j["filename"] for j in data["jobs"]] == ["scan.png"]
        assert len(data["rejected"]) == 2
        assert all("没有文件名" in r["error"] for r in data["rejected"])
        sync = client.post("/api/records", content=body, headers={"content-type": content_type})
        assert sync.status_code == 200, sync.text
        assert [r["reason"] for r in sync.json()[:2]] == ["no_filename", "no_filename"]
        assert "没有文件名" in sync.json()[0]["error"]


@pytest.fixture
def tiny_work_root(tmp_path):
    """DANGAN_HOME/work on a 1 MiB tmpfs (the CI runs as root)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (the CI runs as root)")
    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})
    settings.work_root.mkdir(parents=True)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(settings.work_root)], check=True
    )
    yield settings
    subprocess.run(["umount", "-l", str(settings.work_root)], check=True)


def test_an_upload_that_does_not_fit_on_the_disk_is_refused_as_disk_full(tiny_work_root):
    settings = tiny_work_root
    with TestClient(create_app(settings)) as client:
        login(client, "clerk")
        files = [("files", ("scan.png", _noise_png(700), "image/png"))]
        declared = client.post("/api/intake", files=files)
        assert declared.status_code == 507, declared.text
        assert "磁盘空间已满" in declared.json()["error"]
        assert "联系管理员" in declared.json()["error"]
        # without a declared length the disk fills while the file streams in
        body, content_type = _multipart([('name="files"; filename="scan.png"', _noise_png(700))])
        streamed = client.post(
            "/api/intake",
            content=iter([body[i : i + 65536] for i in range(0, len(body), 65536)]),
            headers={"content-type": content_type},
        )
        assert streamed.status_code == 507, streamed.text
        assert "磁盘空间已满" in streamed.json()["error"]
        assert _leftovers(settings) == []
        assert client.app.state.intake.pending() == 0


def test_a_file_that_fills_the_disk_while_ingested_is_reported_as_disk_full(tiny_work_root):
    settings = tiny_work_root
    source = settings.home / "scan.png"
    source.write_bytes(_noise_png(700))  # ~1.5 MB: its PDF does not fit in the work folder
    archive = Archive.open(settings)
    try:
        result = ingest_file(archive, source)
    finally:
        archive.close()
    assert result.status == "rejected" and result.reason == "disk_full"
    assert "磁盘空间已满" in result.error
    assert list(settings.work_root.iterdir()) == []
    assert not [p for p in settings.blob_root.rglob("*") if p.is_file()]
    assert Path(source).exists()
