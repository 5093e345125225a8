"""Work folders (page images, OCR text: personal data) left by killed workers,
servers and OCR processes are swept: at worker start and periodically."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from dangan.ingest.intake import InboxSweeper, IntakeQueue, ThreadWorker
from dangan.ocr.pool import OcrChild

from dangan import workdirs
from dangan.archive import Archive
from dangan.config import Settings


def _entry(root: Path, name: str, age_s: float) -> Path:
    path = root / name
    path.mkdir(parents=True)
    (path / "sidecar.txt").write_text("姓名 张三 公民身份号码 11010519491231002X", "utf-8")
    old = time.time() - age_s
    os.utime(path, (old, old))
    return path


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_folders_of_dead_owners_are_swept_at_worker_start_and_live_ones_kept(tmp_path):
    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})
    archive = Archive.open(settings)
    root = settings.work_root
    day = 86_400 * 2
    dead = _entry(root, workdirs.owner_prefix("ingest", _dead_pid()) + "x1", 120)
    live = _entry(root, workdirs.owner_prefix("ingest", os.getpid()) + "x2", day)
    foreign_old = _entry(root, "4242@elsewhere+ingest-x3", 30 * day)
    foreign_new = _entry(root, "4242@elsewhere+ingest-x4", 60)
    legacy = _entry(root, "0123456789ab-k2j3h4", 30 * day)  # main's unowned names
    worker = ThreadWorker(IntakeQueue(archive))
    worker.start()
    try:
        remaining = {p.name for p in root.iterdir()}
    finally:
        worker.stop()
        archive.close()
    assert dead.name not in remaining and foreign_old.name not in remaining
    assert legacy.name not in remaining
    assert {live.name, foreign_new.name} <= remaining


def test_the_sweep_also_runs_periodically(tmp_path):
    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})
    archive = Archive.open(settings)
    try:
        sweeper = InboxSweeper(IntakeQueue(archive), every_s=0.05)
        sweeper.start()
        dead = _entry(settings.work_root, workdirs.owner_prefix("upload", _dead_pid()) + "y", 120)
        deadline = time.monotonic() + 10
        while dead.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        sweeper.stop()
        assert not dead.exists()
    finally:
        archive.close()


def test_a_killed_ocr_process_leaves_its_temporary_folder_under_the_work_root_for_the_sweep(
    tmp_path,
):
    root = tmp_path / "work"
    child = OcrChild(["--recognizer", "tesseract", "--work-root", str(root)])
    prefix = workdirs.owner_prefix("ocr", child.proc.pid)
    deadline = time.monotonic() + 60
    while not list(root.glob(prefix + "*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    [own] = list(root.glob(prefix + "*"))
    os.killpg(child.proc.pid, signal.SIGKILL)
    child.proc.wait()
    assert own.exists()  # killed from outside: nothing cleaned up
    old = time.time() - 120
    os.utime(own, (old, old))
    assert workdirs.sweep(root, stale_after_s=3600) == [own.name]
    child.kill()


def test_an_ocr_process_killed_by_the_pool_takes_its_folder_with_it(tmp_path):
    root = tmp_path / "work"
    child = OcrChild(["--recognizer", "tesseract", "--work-root", str(root)])
    prefix = workdirs.owner_prefix("ocr", child.proc.pid)
    deadline = time.monotonic() + 60
    while not list(root.glob(prefix + "*")) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert list(root.glob(prefix + "*"))
    child.kill()
    assert not list(root.glob(prefix + "*"))
