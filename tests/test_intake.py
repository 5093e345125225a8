"""Batch intake on the clerk desk: queued uploads, live progress, recovery, statistics."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import json_lines, login, minio_bucket, pg_database, run_cli
from dangan.api.app import create_app
from dangan.ingest.intake import IntakeQueue, ThreadWorker
from dangan.ingest.stats import intake_stats
from fastapi.testclient import TestClient

from dangan.archive import Archive
from dangan.config import Settings


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


def test_a_job_whose_worker_stopped_renewing_its_lease_is_taken_over(tmp_path: Path):
    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})
    archive = Archive.open(settings)
    try:
        queue = IntakeQueue(archive, lease_s=1)
        src = tmp_path / "empty.png"
        src.write_bytes(b"")
        job_id = queue.submit("b1", "empty.png", src, "clerk")
        claimed = queue.claim("dead-worker")
        assert claimed.id == job_id and queue.claim("other") is None  # leased
        # the first worker dies here; after the lease another worker takes over
        worker = ThreadWorker(queue)
        worker.start()
        deadline = time.monotonic() + 30
        while queue.pending() and time.monotonic() < deadline:
            time.sleep(0.2)
        worker.stop()
        (job,) = queue.batch("b1")
        assert job["state"] == "done" and job["status"] == "rejected"
        assert job["attempts"] == 2 and job["worker"] != "dead-worker"
        assert not queue.finish(job_id, {"status": "archived"}, "dead-worker")  # too late
        assert intake_stats(archive, 1)["reject_reasons"] == {"empty": 1}
    finally:
        archive.close()


@pytest.mark.parametrize(
    "runner,kill_at",
    [
        ("embedded", "after_ocr"),
        ("embedded", "after_commit"),
        ("procrastinate", "after_ocr"),
        ("procrastinate", "after_commit"),
        ("procrastinate+minio", "after_ocr"),
    ],
)
def test_worker_processes_share_a_batch_and_finish_a_killed_workers_job(
    request, tmp_path: Path, corpus, bad_files, runner, kill_at
):
    """The embedded runner on SQLite; procrastinate on PostgreSQL, with the
    inbox in MinIO in the last case (as for workers on several machines)."""
    home = tmp_path / "h"
    env = {"DANGAN_INTAKE_LEASE": "2", "DANGAN_OCR_JOBS": "1"}
    if runner.startswith("procrastinate"):
        env |= pg_database(request.getfixturevalue("postgres_env"))
        env["DANGAN_TASK_RUNNER"] = "procrastinate"
    if runner.endswith("+minio"):
        env |= minio_bucket(request.getfixturevalue("minio_env"))
    scans = [d.path for d in corpus if d.format in ("png", "jpeg")]
    paths = [*map(str, scans), str(bad_files["empty"]), str(bad_files["corrupt"])]
    submitted = json_lines(run_cli(home, "submit", "--json", *paths, env=env, check=True).stdout)
    batch = submitted[0]["batch"]
    # the first worker dies hard while ingesting the first scan
    dead = run_cli(home, "worker", "--until-empty", env={**env, "DANGAN_TEST_KILL_AT": kill_at})
    assert dead.returncode == -9
    # two more worker processes share what is left, including the dead worker's job
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "dangan", "worker", "--until-empty"],
            env={**_env(home), **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    for proc in procs:
        assert proc.wait(600) == 0, proc.stderr.read()
    out = run_cli(home, "batch", batch, "--json", env=env, check=True).stdout
    jobs = json_lines(out)[0]["jobs"]
    assert [j["state"] for j in jobs] == ["done"] * len(paths)
    by_name = {j["filename"]: j for j in jobs}
    for scan in scans:
        assert by_name[scan.name]["status"] == "archived", by_name[scan.name]
    # the job the first worker died on was done again, once (which job that was
    # depends on the claim order of files submitted within one millisecond)
    retried = [j["filename"] for j in jobs if j["attempts"] == 2]
    assert len(retried) == 1 and retried[0] in {s.name for s in scans}, jobs
    assert all(j["attempts"] in (1, 2) for j in jobs), jobs
    # the dead worker finished nothing; both others took jobs (names are host:pid:thread)
    assert len({j["worker"].split(":")[1] for j in jobs}) == 2, jobs
    archive = Archive.open(Settings.from_env({**env, "DANGAN_HOME": str(home)}))
    try:
        assert archive.catalog.count() == len(scans)  # each scan stored exactly once
        assert len({j["record_id"] for j in jobs if j["record_id"]}) == len(scans)
        pages = archive.catalog.connection().execute("SELECT count(*) FROM pages").fetchone()[0]
        stored = sum(archive.catalog.get(j["record_id"]).page_count for j in jobs if j["record_id"])
        assert pages == stored  # every page once
        assert not list(archive.blobs.list("inbox/")), "inbox entries left in the object store"
        assert not list((home / "inbox").glob("*.bin")), "inbox files left behind"
        if runner.startswith("procrastinate"):  # every entry ran and succeeded (then removed)
            left = archive.catalog.connection().execute("SELECT count(*) FROM procrastinate_jobs")
            assert left.fetchone()[0] == 0
    finally:
        archive.close()


def _env(home: Path) -> dict:
    import os

    out = {k: v for k, v in os.environ.items() if not k.startswith("DANGAN_")}
    out["DANGAN_HOME"] = str(home)
    return out


def test_ocr_reports_the_page_it_is_on(tmp_path: Path, corpus):
    """The clerk desk shows 'OCR page k of n': the pipeline hears of each page."""
    from dangan.ingest.pipeline import ingest_file

    doc = max((d for d in corpus if d.format != "pdf_text"), key=lambda d: len(d.pages))
    archive = Archive.open(Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")}))
    heard = []
    try:
        result = ingest_file(archive, doc.path, progress=lambda *a: heard.append(a))
    finally:
        archive.close()
    assert result.status == "archived"
    pages = len(doc.pages)
    done = [a[2] for a in heard if a[0] == "ocr" and len(a) > 2 and a[2]]
    assert done and done == sorted(done) and set(done) <= set(range(1, pages + 1))
    assert heard[-1][0] == "storing"


@pytest.mark.parametrize("store", ["local", "minio"])
def test_the_inbox_sweep_deletes_only_what_no_job_needs(request, tmp_path: Path, store):
    """An entry whose submit died before its job row committed goes at the second
    sweep that finds it without a row; one whose job is done goes at once; an
    entry of a queued job stays."""
    env = {"DANGAN_HOME": str(tmp_path / "h")}
    if store == "minio":
        env |= minio_bucket(request.getfixturevalue("minio_env"))
    with Archive.open(Settings.from_env(env)) as archive:
        queue = IntakeQueue(archive)
        ids = []
        for name in ("queued", "done"):
            (tmp_path / name).write_bytes(b"scan")
            ids.append(queue.submit("b1", name, tmp_path / name, "clerk"))
        queued, done = ids
        queue.finish(done, {"status": "rejected", "error": "x"})  # its delete was lost
        if store == "minio":
            archive.blobs.put_bytes("inbox/0123456789abcdef.bin", b"orphan")
        else:
            (queue.inbox / "0123456789abcdef.bin").write_bytes(b"orphan")
        assert set(queue.inbox_entries()) == {queued, done, "0123456789abcdef"}

        suspects = queue.sweep_inbox()
        assert suspects == {"0123456789abcdef"}
        assert set(queue.inbox_entries()) == {queued, "0123456789abcdef"}
        assert queue.sweep_inbox(suspects) == set()
        assert set(queue.inbox_entries()) == {queued}
        assert queue.state(queued) == "queued"


def test_a_batch_lists_its_files_in_the_order_they_were_taken_in(tmp_path: Path, monkeypatch):
    # Refusals in quick succession once shared a millisecond timestamp and were
    # then listed in the order of their random ids: the clock here never moves.
    monkeypatch.setattr("dangan.ingest.intake._now", lambda: "2026-12-01T08:00:00.000+00:00")
    archive = Archive.open(Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")}))
    try:
        queue = IntakeQueue(archive)
        names = [f"f{i:02d}.pdf" for i in range(30)]
        for name in names:
            queue.refuse("b1", name, {"status": "rejected", "error": "文件损坏"}, "u1")
        assert [job["filename"] for job in queue.batch("b1")] == names
    finally:
        archive.close()
