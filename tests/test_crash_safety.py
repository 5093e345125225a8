"""A record is either fully stored or not at all, whenever the process dies."""

from __future__ import annotations

import pytest
from conftest import json_lines, run_cli

from dangan.archive import Archive
from dangan.config import Settings


def _open(home):
    return Archive.open(Settings.from_env({"DANGAN_HOME": str(home)}))


def _assert_consistent(archive: Archive) -> None:
    """Every catalogued record has all its files, intact, and all its pages."""
    import hashlib

    for record_id in archive.catalog.list_ids():
        record = archive.catalog.get(record_id)
        assert len(record.pages) == record.page_count
        roles = [f.role for f in record.files]
        assert roles.count("original") == 1 and roles.count("archive_pdf") == 1
        assert roles.count("page_image") == record.page_count
        for ref in record.files:
            with archive.blobs.open(ref.key) as fh:
                assert hashlib.sha256(fh.read()).hexdigest() == ref.sha256


@pytest.mark.parametrize("point", ["after_ocr", "after_blobs"])
def test_kill_before_commit_leaves_no_record_and_rerun_archives(tmp_path, corpus, point):
    home = tmp_path / "home"
    doc = corpus[0]
    proc = run_cli(home, "ingest", "--json", str(doc.path), env={"DANGAN_TEST_KILL_AT": point})
    assert proc.returncode == -9
    archive = _open(home)
    try:
        assert archive.catalog.count() == 0
        assert archive.index.search(doc.title).total == 0
    finally:
        archive.close()
    rerun = json_lines(run_cli(home, "ingest", "--json", str(doc.path)).stdout)
    assert rerun[0]["status"] == "archived"
    archive = _open(home)
    try:
        assert archive.catalog.count() == 1
        _assert_consistent(archive)
        # the redo overwrote the same objects instead of leaving copies behind
        keys = list(archive.blobs.list("records"))
        (record_id,) = archive.catalog.list_ids_where()
        assert sorted(keys) == sorted(f.key for f in archive.catalog.get(record_id).files)
        assert len(keys) == 2 + 2 * len(doc.pages)  # page images and what OCR read
    finally:
        archive.close()


def test_kill_after_commit_is_indexed_on_next_start(tmp_path, corpus):
    home = tmp_path / "home"
    doc = corpus[1]
    proc = run_cli(
        home, "ingest", "--json", str(doc.path), env={"DANGAN_TEST_KILL_AT": "after_commit"}
    )
    assert proc.returncode == -9
    # the record is committed; the index catches up from the outbox on next open
    found = json_lines(run_cli(home, "search", doc.fields["id_numbers"][0], "--json").stdout)[0]
    assert found["total"] == 1
    archive = _open(home)
    try:
        assert archive.catalog.pending_outbox() == []
        _assert_consistent(archive)
    finally:
        archive.close()


def test_kill_at_a_random_moment_mid_batch(tmp_path, corpus):
    """A real SIGKILL while a batch is being OCR'd; the rerun finishes the batch."""
    import os
    import signal
    import subprocess
    import sys
    import time

    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DANGAN_")}
    env["DANGAN_HOME"] = str(home)
    paths = [str(d.path) for d in corpus]
    proc = subprocess.Popen(
        [sys.executable, "-m", "dangan", "ingest", "--json", *paths],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
    )
    first = proc.stdout.readline()  # one record done, the next one in progress
    time.sleep(1.0)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert first
    archive = _open(home)
    try:
        _assert_consistent(archive)
        done_before = archive.catalog.count()
    finally:
        archive.close()
    assert 1 <= done_before < len(corpus)
    rerun = json_lines(run_cli(home, "ingest", "--json", *paths).stdout)
    assert {r["status"] for r in rerun} <= {"archived", "duplicate"}
    assert sum(r["status"] == "duplicate" for r in rerun) == done_before
    archive = _open(home)
    try:
        assert archive.catalog.count() == len(corpus)
        _assert_consistent(archive)
    finally:
        archive.close()
