"""The intake queue: uploaded files wait here, durable, until a worker ingests them.

A clerk's browser uploads a batch; each file is written under
`DANGAN_HOME/inbox/` and gets a job row in the catalog database in the same
step, then the web request returns at once. Workers claim queued jobs, run the
ingest pipeline and record each stage (queued → checking → ocr → storing →
done), so the desk can show live progress.

Workers may run in several processes (`dangan worker`) besides the threads in
`dangan serve`. A worker holds a lease on its job and renews it with a
heartbeat; a job whose heartbeat is older than the lease (its worker was
killed) is claimed by the next free worker. The pipeline's duplicate check
turns a job whose record was already committed into that record, never a
second copy, so a job is done exactly once whatever dies when.

Who runs the jobs is the task-runner seam (ingest/runners.py): the embedded
`ThreadWorker` claims jobs from this table; the procrastinate runner gets each
job id from a distributed queue on the PostgreSQL catalog and `take`s it here.
Either way this table keeps each job's stage for the desks."""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from dangan.catalog.stores.intake import IntakeRows

from dangan import workdirs
from dangan.errors import DiskFull, is_disk_full
from dangan.periodic import Periodic

if TYPE_CHECKING:
    from dangan.archive import Archive

log = logging.getLogger(__name__)

# procrastinate's queue and task for intake jobs (ingest/runners.py runs them)
QUEUE = "dangan-intake"
TASK = "dangan.intake.ingest"


def defer_in(conn, job_id: str) -> None:
    """Queue `job_id` for the procrastinate workers inside the caller's
    transaction (procrastinate's own SQL function, as its `defer` calls it)."""
    IntakeRows.defer_procrastinate(
        conn, QUEUE, TASK, f"intake-{job_id}", json.dumps({"job_id": job_id})
    )


BLOB_PREFIX = "blob:"  # a job path in the object store's inbox/ prefix
# An inbox entry without a job row at two sweeps this far apart was left by a
# submit that died between storing the file and committing its row.
INBOX_SWEEP_S = 3600.0

STAGES = {
    "queued": "排队中",
    "checking": "检查文件",
    "splitting": "识别封面、拆分",
    "ocr": "文字识别",
    "storing": "保存与分类",
    "done": "完成",
}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _job_id() -> str:
    """Ids that sort in the order jobs were taken in, so a batch lists its files
    in upload order even when two share a timestamp."""
    return f"{time.time_ns():016x}{secrets.token_hex(4)}"


def _ago(seconds: float) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Job:
    id: str
    batch: str
    filename: str
    path: str
    attempts: int = 1
    created_at: str = ""
    options: dict | None = None  # capture at the scanner (ingest/capture.py); None: a plain file


class IntakeQueue:
    """Jobs in the catalog database (SQLite: serialised writers, so a job is
    claimed by exactly one worker)."""

    def __init__(self, archive: Archive, lease_s: float | None = None):
        self.archive = archive
        self.rows = IntakeRows(archive.catalog)
        self.lease_s = lease_s if lease_s is not None else archive.settings.intake_lease
        self.inbox = archive.settings.home / "inbox"
        self.inbox.mkdir(parents=True, exist_ok=True)

    def submit(
        self, batch: str, filename: str, source: Path, submitted_by: str, *,
        job_id: str | None = None, options: dict | None = None, copy: bool = False,
    ) -> str:  # fmt: skip
        """Move (or `copy`) `source` into the inbox and queue it; returns the job
        id. With an object store the inbox is its `inbox/` prefix, so workers on
        any machine can read the file; else `DANGAN_HOME/inbox`."""
        job_id = job_id or _job_id()
        target = self.stage(job_id, source, copy=copy)
        with self.archive.catalog.transaction() as conn:
            self.insert(conn, job_id, batch, filename, target, submitted_by, options)
        return job_id

    @staticmethod
    def new_job_id() -> str:
        return _job_id()

    def stage(self, job_id: str, source: Path, *, copy: bool = False) -> str:
        """Put `source` in the inbox as job `job_id`'s file (an earlier copy is
        overwritten); its job path."""
        if self.archive.settings.s3_endpoint:
            key = f"inbox/{job_id}.bin"
            self.archive.blobs.put_file(key, source)
            if not copy:
                source.unlink()
            return f"{BLOB_PREFIX}{key}"
        target = self.inbox / f"{job_id}.bin"
        if copy:
            part = target.with_suffix(".part")
            shutil.copyfile(source, part)
            part.replace(target)
        else:
            shutil.move(str(source), str(target))
        return str(target)

    def insert(
        self, conn, job_id: str, batch: str, filename: str, target: str, submitted_by: str,
        options: dict | None = None,
    ) -> None:  # fmt: skip
        """The job's row (and its procrastinate entry) inside the caller's transaction."""
        opts = json.dumps(options, ensure_ascii=False) if options else None
        self.rows.insert_job(conn, job_id, batch, filename, target, submitted_by, _now(), opts)
        if self.archive.settings.task_runner == "procrastinate":
            defer_in(conn, job_id)  # the queue entry commits with the job, or neither

    def refuse(self, batch: str, filename: str, result: dict, submitted_by: str) -> str:
        """Record a file refused at upload (it failed the cheap checks): a job
        that is done at once, never queued behind OCR work."""
        job_id = _job_id()
        now = _now()
        with self.archive.catalog.transaction() as conn:
            self.rows.insert_refused(
                conn, job_id, batch, filename, submitted_by, result, json.dumps(result), now
            )
        return job_id

    def batches(self, limit: int = 30, submitted_by: str | None = None) -> list[dict]:
        """The latest upload batches, newest first, with their outcome counts."""
        return self.rows.batches(limit, submitted_by)

    def claim(self, worker: str) -> Job | None:
        """The oldest queued job, or one whose worker stopped renewing its lease."""
        return self._started(worker, self.rows.start_oldest(worker, _now(), _ago(self.lease_s)))

    def take(self, job_id: str, worker: str) -> Job | None:
        """Start the named job (a distributed runner handed it over): None when
        it is done already, or still held by a worker whose lease is alive."""
        return self._started(
            worker, self.rows.start_named(job_id, worker, _now(), _ago(self.lease_s))
        )

    @staticmethod
    def _started(worker: str, row: tuple | None) -> Job | None:
        if row is None:
            return None
        if row[4] > 1:
            log.warning("job %s (%s) taken over by %s, attempt %d", row[0], row[2], worker, row[4])
        return Job(*row[:6], options=json.loads(row[6]) if row[6] else None)

    def state(self, job_id: str) -> str | None:
        return self.rows.state(job_id)

    def heartbeat(self, job_id: str, worker: str) -> None:
        with self.archive.catalog.transaction() as conn:
            self.rows.heartbeat(conn, job_id, worker, _now())

    def progress(
        self, job_id: str, stage: str, pages: int | None = None, done: int | None = None
    ) -> None:
        with self.archive.catalog.transaction() as conn:
            self.rows.progress(conn, job_id, stage, pages, done, _now())

    def finish(self, job_id: str, result: dict, worker: str | None = None) -> bool:
        """Record the outcome; False if another worker has taken the job over
        (this worker's lease ran out) — its outcome stands."""
        now = _now()
        with self.archive.catalog.transaction() as conn:
            return self.rows.finish(
                conn,
                job_id,
                status=result["status"],
                record_id=result.get("record_id"),
                pages=result.get("pages"),
                result_json=json.dumps(result, ensure_ascii=False),
                error=result.get("error"),
                now=now,
                worker=worker,
            )

    def inbox_entries(self) -> dict[str, str]:
        """Every inbox entry by job id: a file under DANGAN_HOME/inbox, or an
        object under the store's inbox/ prefix (as a job path, `blob:` key)."""
        entries = {p.name.removesuffix(".bin"): str(p) for p in self.inbox.glob("*.bin")}
        if self.archive.settings.s3_endpoint:
            for key in self.archive.blobs.list("inbox/"):
                if key.endswith(".bin"):
                    entries[key.removeprefix("inbox/").removesuffix(".bin")] = BLOB_PREFIX + key
        return entries

    def sweep_inbox(self, suspects: set[str] | frozenset[str] = frozenset()) -> set[str]:
        """Delete inbox entries no job needs: those whose job is done (a worker
        died between recording the outcome and deleting the file), and those
        without a job row now that had none at the previous sweep either
        (`suspects`). Returns the entries without a job row, for the next sweep."""
        entries = self.inbox_entries()
        if not entries:
            return set()
        ids = list(entries)
        states = self.rows.states(ids)
        orphans = set()
        for job_id, path in entries.items():
            state = states.get(job_id)
            if state is None and job_id not in suspects:
                orphans.add(job_id)
            elif state in (None, "done"):
                log.warning("intake: inbox entry %s has no job waiting for it; deleted", path)
                _discard(self, Job(job_id, "", "", path))
        return orphans

    def batch(self, batch: str) -> list[dict]:
        out = []
        for item in self.rows.batch(batch):
            result = json.loads(item.pop("result") or "{}")
            item["stage_label"] = STAGES.get(item["stage"], item["stage"])
            item["doc_type"] = result.get("doc_type")
            item["archival_code"] = result.get("archival_code")
            item["needs_review"] = result.get("needs_review")
            if item["status"] == "split":  # a scanned stack: where each page went
                item["stack"] = {k: result.get(k) for k in ("records", "fates", "notes")}
            out.append(item)
        return out

    def pending(self) -> int:
        return self.rows.pending()


def run_job(queue: IntakeQueue, job: Job, worker: str) -> dict:
    """Ingest one claimed job, reporting its stages and renewing its lease;
    the inbox file goes once the outcome is recorded."""
    from dangan.ingest.pipeline import ingest_file

    def report(stage: str, pages: int | None = None, done: int | None = None) -> None:
        queue.progress(job.id, stage, pages, done)

    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(max(0.5, queue.lease_s / 3)):
            try:
                queue.heartbeat(job.id, worker)
            except Exception:
                log.exception("heartbeat for job %s failed", job.id)

    beater = threading.Thread(target=beat, name=f"heartbeat-{job.id}", daemon=True)
    beater.start()
    try:
        return _run(queue, job, worker, ingest_file, report)
    finally:
        stop.set()
        beater.join()


def process_job(queue: IntakeQueue, job: Job, worker: str) -> None:
    """Run a claimed job; an unexpected failure finishes it as rejected with a
    message for the clerk (the file is not archived) instead of leaving it hanging."""
    try:
        run_job(queue, job, worker)
    except Exception as exc:
        log.exception("intake job %s failed", job.id)
        if is_disk_full(exc):
            error, reason = DiskFull().message, DiskFull.code
        else:
            error = "处理文件时发生内部错误，文件未归档。请将此文件交给系统管理员检查。"
            reason = "internal_error"
        queue.finish(
            job.id,
            {"file": job.filename, "status": "rejected", "error": error, "reason": reason},
            worker,
        )


@contextmanager
def _local_copy(queue: IntakeQueue, job: Job) -> Iterator[Path | None]:
    """The job's file on this machine: the inbox file itself, or a copy of the
    object-store inbox entry in the work folder (None when it is gone)."""
    if not job.path.startswith(BLOB_PREFIX):
        yield Path(job.path) if Path(job.path).is_file() else None
        return
    key = job.path[len(BLOB_PREFIX) :]
    if not queue.archive.blobs.exists(key):
        yield None
        return
    copy = workdirs.make_file(queue.archive.settings.work_root, "inbox", ".bin")
    try:
        with queue.archive.blobs.open(key) as src, open(copy, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        yield copy
    finally:
        copy.unlink(missing_ok=True)


def _discard(queue: IntakeQueue, job: Job) -> None:
    """Remove the job's inbox entry once its outcome is recorded."""
    if job.path.startswith(BLOB_PREFIX):
        queue.archive.blobs.delete(job.path[len(BLOB_PREFIX) :])
    else:
        Path(job.path).unlink(missing_ok=True)


def _run(queue: IntakeQueue, job: Job, worker: str, ingest_file, report) -> dict:
    if (job.options or {}).get("split"):
        from dangan.ingest.capture import split_job

        with _local_copy(queue, job) as path:
            result, finished = split_job(queue, job, path, worker, report)
    else:
        with _local_copy(queue, job) as path:
            result = _ingest(queue, job, path, ingest_file, report)
        finished = queue.finish(job.id, result, worker)
    if finished:
        _discard(queue, job)
    return result


def _ingest(queue: IntakeQueue, job: Job, path: Path | None, ingest_file, report) -> dict:
    if path is None:
        result = {
            "file": job.filename,
            "status": "rejected",
            "error": "上传的文件在处理前丢失，请重新上传。",
            "reason": "missing",
        }
    else:
        record = (job.options or {}).get("record") or {}
        result = ingest_file(
            queue.archive, path, name=job.filename, progress=report,
            case=record.get("case"), capture=record or None,
        ).to_json()  # fmt: skip
        if result["status"] == "duplicate" and job.attempts > 1:
            # a worker that died after committing this job's record: it is ours
            record = queue.archive.catalog.get(result["record_id"])
            if record is not None and record.created_at >= job.created_at[:19]:
                result.update(status="archived", error=None, reason=None)
    return result


def longest_job_s(queue: IntakeQueue) -> float:
    """The longest one job may run: every page at its OCR time limit, waited
    for on a busy machine (ocr/pool.py BUSY_FACTOR), and an hour."""
    from dangan.ocr.pool import BUSY_FACTOR

    settings = queue.archive.settings
    return BUSY_FACTOR * settings.max_pages * settings.ocr_timeout + 3600.0


class InboxSweeper:
    """`IntakeQueue.sweep_inbox` and the work-root sweep (dangan/workdirs.py:
    folders of killed workers and servers, holding page images and OCR text):
    once when a runner starts, before new work, then every `every_s` seconds
    in a periodic worker of its own."""

    def __init__(self, queue: IntakeQueue, every_s: float = INBOX_SWEEP_S):
        from dangan.ingest.hotfolder import HotFolders

        self.queue = queue
        self._suspects: set[str] = set()
        self._lock = threading.Lock()
        self.periodic = Periodic("inbox-sweep", self.sweep, every_s)
        # the scanners' folders feeding this inbox (DANGAN_HOTFOLDERS), when set
        self.hotfolders = HotFolders.from_settings(queue)

    def sweep(self) -> None:
        with self._lock:
            try:
                self._suspects = self.queue.sweep_inbox(self._suspects)
            except Exception:  # a database or object store that blinked: next time
                log.exception("intake: inbox sweep failed")
            try:
                workdirs.sweep(self.queue.archive.settings.work_root, longest_job_s(self.queue))
            except OSError:
                log.exception("intake: work folder sweep failed")

    def start(self) -> None:
        self.sweep()  # what killed predecessors left, before new work
        self.periodic.start()
        if self.hotfolders is not None:
            self.hotfolders.start()

    def stop(self, timeout: float = 30) -> None:
        if self.hotfolders is not None:
            self.hotfolders.stop(timeout)
        self.periodic.stop(timeout)


class ThreadWorker:
    """The embedded task runner: `threads` periodic workers in this process,
    each taking jobs until none is left, woken when a job is submitted and
    every few seconds in any case."""

    def __init__(self, queue: IntakeQueue, threads: int = 1, poll_s: float = 3):
        self.queue = queue
        self.threads = threads
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.sweeper = InboxSweeper(queue)
        if self.sweeper.hotfolders is not None:
            self.sweeper.hotfolders.on_submit = self.wake
        self._stopping = threading.Event()
        self._workers = [
            Periodic(f"intake-{n}", self._drain, poll_s, run_at_start=True) for n in range(threads)
        ]

    def start(self) -> None:
        self._stopping.clear()
        self.sweeper.start()
        for worker in self._workers:
            worker.start()

    def wake(self) -> None:
        for worker in self._workers:
            worker.wake()

    def stop(self, timeout: float = 30) -> None:
        self._stopping.set()
        for worker in self._workers:
            worker.stop(timeout)
        self.sweeper.stop(timeout)

    def _drain(self) -> None:
        worker = f"{self.name}:{threading.current_thread().name}"
        while not self._stopping.is_set():
            try:
                job = self.queue.claim(worker)
            except Exception:  # a locked or closing database: try again at the next tick
                log.exception("intake worker could not claim a job")
                return
            if job is None:
                return
            process_job(self.queue, job, worker)
