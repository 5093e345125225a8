"""Batch intake on the clerk desk: queued uploads, live progress, recovery, statistics."""

from __future__ import annotations

import time
from pathlib import Path

from conftest import login
from fastapi.testclient import TestClient

from api.app import create_app
from dangan.archive import Archive
from dangan.config import Settings
from ingest.intake import IntakeQueue, ThreadWorker
from ingest.stats import intake_stats


def _wait(client, batch: str, seconds: float = 300) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        data = client.get(f"/api/intake/{batch}").json()
        if data["done"] == data["total"]:
            return data
        time.sleep(0.5)
    raise AssertionError(f"batch {batch} not finished: {data}")


def test_a_batch_is_queued_processed_and_reported_file_by_file(tmp_path: Path, corpus, bad_files):
    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h"), "DANGAN_OCR_JOBS": "2"})
    good = next(d for d in corpus if d.format == "png")
    with TestClient(create_app(settings)) as client:
        login(client, "clerk")
        files = [
            ("files", (good.path.name, good.path.read_bytes(), "image/png")),
            ("files", ("空白.pdf", b"", "application/pdf")),
            ("files", ("加密.pdf", bad_files["encrypted"].read_bytes(), "application/pdf")),
        ]
        started = client.post("/api/intake", files=files)
        assert started.status_code == 200
        batch = started.json()["batch"]
        assert len(started.json()["jobs"]) == 3
        data = _wait(client, batch)
        by_name = {j["filename"]: j for j in data["jobs"]}
        assert by_name[good.path.name]["status"] == "archived"
        assert by_name[good.path.name]["record_id"]
        assert by_name[good.path.name]["doc_type"] == good.doc_type
        assert by_name["空白.pdf"]["status"] == "rejected" and "空" in by_name["空白.pdf"]["error"]
        assert by_name["加密.pdf"]["status"] == "rejected"
        # nothing is left in the inbox once the outcome is recorded
        assert not [p for p in (settings.home / "inbox").iterdir() if not p.name.startswith(".")]

        stats = client.get("/api/stats/intake", params={"days": 3}).json()
        today = stats["days"][0]
        assert today["records"] == 1 and today["rejected"] == 2
        assert today["pages"] == len(good.pages)
        assert stats["reject_reasons"] == {"empty": 1, "encrypted": 1}
        page = client.get("/stats")
        assert page.status_code == 200 and "收件统计" in page.text and "加密文件" in page.text
        assert client.get("/api/intake/nope").status_code == 404


def test_a_caseworker_cannot_upload(tmp_path: Path):
    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})
    with TestClient(create_app(settings)) as client:
        login(client, "caseworker")
        refused = client.post("/api/intake", files=[("files", ("a.pdf", b"x", "application/pdf"))])
        assert refused.status_code == 403


def test_a_job_left_running_by_a_dead_worker_is_finished_on_restart(tmp_path: Path):
    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})
    archive = Archive.open(settings)
    try:
        queue = IntakeQueue(archive)
        src = tmp_path / "empty.png"
        src.write_bytes(b"")
        job_id = queue.submit("b1", "empty.png", src, "clerk")
        claimed = queue.claim()
        assert claimed.id == job_id and queue.claim() is None  # claimed once only
        # the worker dies here; a new one recovers the job and finishes it
        worker = ThreadWorker(queue)
        worker.start()
        deadline = time.monotonic() + 30
        while queue.pending() and time.monotonic() < deadline:
            time.sleep(0.2)
        worker.stop()
        (job,) = queue.batch("b1")
        assert job["state"] == "done" and job["status"] == "rejected"
        assert intake_stats(archive, 1)["reject_reasons"] == {"empty": 1}
    finally:
        archive.close()
