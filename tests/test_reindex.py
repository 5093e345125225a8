"""`dangan reindex` walks the catalog in batches behind a checkpoint file, so a
reindex of millions of records that is killed resumes instead of starting over."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from records import file_record

from dangan.archive import Archive
from dangan.config import Settings

TOTAL = 300
BATCH = 50

# Run in a child process: reindex slowly (one batch every 0.3 s) until killed.
CHILD = """
import sys, time
from dangan.archive import Archive
from dangan.config import Settings
archive = Archive.open(Settings.from_env({"DANGAN_HOME": sys.argv[1]}))
upsert = archive.index.upsert_many
def slow(docs, refresh=True):
    time.sleep(0.3)
    return upsert(docs, refresh=refresh)
archive.index.upsert_many = slow
archive.reindex(batch=int(sys.argv[2]))
"""


def _archive(home: Path) -> Archive:
    return Archive.open(Settings.from_env({"DANGAN_HOME": str(home)}))


def test_a_killed_reindex_resumes_after_its_checkpoint(tmp_path: Path):
    home = tmp_path / "h"
    archive = _archive(home)
    for i in range(TOTAL):
        file_record(archive, f"r{i:04d}", "reimbursement", {"business_date": "2024-01-02"},
                    pages=[f"医疗费用报销 第{i}号"])  # fmt: skip
    archive.sync_index()
    archive.close()

    child = subprocess.Popen([sys.executable, "-c", CHILD, str(home), str(BATCH)])
    checkpoint = home / "reindex-checkpoint.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if checkpoint.exists() and json.loads(checkpoint.read_text())["done"] >= 2 * BATCH:
            break
        assert child.poll() is None, "the reindex ended before it could be killed"
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    state = json.loads(checkpoint.read_text())
    assert BATCH * 2 <= state["done"] < TOTAL

    archive = _archive(home)
    sent: list[str] = []
    upsert = archive.index.upsert_many

    def counting(docs, refresh=True):
        docs = list(docs)
        sent.extend(d.record_id for d in docs)
        return upsert(docs, refresh=refresh)

    archive.index.upsert_many = counting
    try:
        assert archive.reindex(batch=BATCH) == TOTAL
        # only the records after the checkpoint were indexed again
        assert sorted(sent) == [f"r{i:04d}" for i in range(state["done"], TOTAL)]
        assert not checkpoint.exists()
        assert archive.index.count() == TOTAL
        assert archive.index.search("医疗费用报销").total == TOTAL
    finally:
        archive.close()


def test_a_reindex_does_not_index_again_what_the_outbox_queued_before_it(tmp_path: Path):
    """A catalog filled without indexing (an import, a restored backup) has every
    record in the outbox; the reindex reads them all anyway and must not send
    them a second time. A change made while it runs still reaches the index."""
    home = tmp_path / "h"
    archive = Archive.open(Settings.from_env({"DANGAN_HOME": str(home)}), catch_up=False)
    for i in range(20):
        file_record(archive, f"r{i:04d}", "reimbursement", {"business_date": "2024-01-02"},
                    pages=[f"医疗费用报销 第{i}号"])  # fmt: skip
    assert archive.catalog.outbox_size() == 20
    sent: list[str] = []
    upsert = archive.index.upsert_many

    def counting(docs, refresh=True):
        docs = list(docs)
        sent.extend(d.record_id for d in docs)
        if len(sent) == 5:  # filed while the reindex runs, after its first batch
            file_record(archive, "late", "reimbursement", {"business_date": "2024-01-03"},
                        pages=["迟到的报销单"])  # fmt: skip
        return upsert(docs, refresh=refresh)

    archive.index.upsert_many = counting
    try:
        assert archive.reindex(batch=5) >= 20
        assert sorted(sent) == sorted({*sent}), "a record was indexed twice"
        assert "late" in sent and archive.catalog.outbox_size() == 0
        assert [h.record_id for h in archive.index.search("迟到").hits] == ["late"]
        assert archive.index.count() == 21
    finally:
        archive.close()
