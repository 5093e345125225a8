"""Task runners for intake jobs: who picks a queued job and runs it.

- embedded (`dangan.ingest.intake.ThreadWorker`): threads in `dangan serve` and in
  `dangan worker` processes claim jobs from the catalog's intake table with
  leases. Works on SQLite and PostgreSQL, on one machine or several sharing
  the catalog.
- procrastinate (`ProcrastinateWorker`): a distributed queue on the PostgreSQL
  catalog (https://procrastinate.readthedocs.io). Submitting a file writes the
  intake row and the queue entry in one transaction (`ingest.intake.defer_in`); workers on
  any machine fetch entries with row locks, beat a heartbeat, and a job whose
  worker stopped beating for DANGAN_INTAKE_LEASE seconds is handed to another
  worker (`_retry_stalled`). The intake row still records each stage for the desk.

Both have start() / wake() / stop(); `runner_for` picks one from the settings."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from typing import Protocol

from dangan.ingest.intake import (
    QUEUE,
    TASK,
    InboxSweeper,
    IntakeQueue,
    ThreadWorker,
    process_job,
)

log = logging.getLogger(__name__)


class TaskRunner(Protocol):
    name: str

    def start(self) -> None: ...

    def wake(self) -> None:
        """A job was submitted in this process (runners that poll look now)."""

    def stop(self, timeout: float = 30) -> None: ...


def runner_for(queue: IntakeQueue, threads: int) -> TaskRunner:
    if queue.archive.settings.task_runner == "procrastinate":
        return ProcrastinateWorker(queue, threads)
    return ThreadWorker(queue, threads)


class JobBusy(Exception):
    """The job's previous worker still holds a live lease: try again later."""


class ProcrastinateWorker:
    """procrastinate's worker in a thread of this process, running `threads`
    intake jobs at a time."""

    def __init__(self, queue: IntakeQueue, threads: int = 1):
        self.queue = queue
        self.threads = threads
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.lease_s = queue.lease_s
        self.sweeper = InboxSweeper(queue)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._main: asyncio.Task | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()

    def app(self):
        import procrastinate
        from dangan.catalog.db import pg_dsn

        dsn = pg_dsn(self.queue.archive.settings.database_url or "")
        app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=dsn))
        retry = procrastinate.RetryStrategy(
            max_attempts=100, wait=max(1, int(self.lease_s // 2)), retry_exceptions={JobBusy}
        )

        @app.task(name=TASK, queue=QUEUE, retry=retry)
        def ingest(job_id: str) -> None:
            self.run(job_id)

        return app

    def run(self, job_id: str) -> None:
        worker = f"{self.name}:{threading.current_thread().name}"
        job = self.queue.take(job_id, worker)
        if job is None:
            if self.queue.state(job_id) in (None, "done"):
                return  # done by an earlier attempt, or the job was removed
            raise JobBusy(job_id)
        process_job(self.queue, job, worker)

    def start(self) -> None:
        if self.threads <= 0:
            return
        self.sweeper.start()
        self._thread = threading.Thread(target=self._serve, name="procrastinate", daemon=True)
        self._thread.start()
        self._started.wait(30)

    def wake(self) -> None:
        pass  # procrastinate's workers hear of new jobs by LISTEN/NOTIFY

    def stop(self, timeout: float = 30) -> None:
        if self._loop is not None and self._main is not None:
            self._loop.call_soon_threadsafe(self._main.cancel)
        if self._thread is not None:
            self._thread.join(timeout)
        self.sweeper.stop(timeout)

    def _serve(self) -> None:
        asyncio.run(self._run_async())

    async def _run_async(self) -> None:
        app = self.app()
        self._loop = asyncio.get_running_loop()
        self._main = asyncio.current_task()
        async with app.open_async():
            self._started.set()
            reaper = asyncio.create_task(self._retry_stalled(app))
            try:
                await app.run_worker_async(
                    queues=[QUEUE],
                    concurrency=self.threads,
                    name=self.name,
                    install_signal_handlers=False,
                    update_heartbeat_interval=max(0.5, self.lease_s / 4),
                    stalled_worker_timeout=self.lease_s,
                    delete_jobs="successful",
                    wait=True,
                )
            except asyncio.CancelledError:
                pass
            finally:
                reaper.cancel()

    async def _retry_stalled(self, app) -> None:
        """Hand the jobs of workers that stopped beating to the living ones."""
        while True:
            await asyncio.sleep(max(0.5, self.lease_s / 2))
            try:
                stalled = await app.job_manager.get_stalled_jobs(
                    queue=QUEUE, seconds_since_heartbeat=self.lease_s
                )
                for job in stalled:
                    log.warning("intake job %s: its worker stopped; queued again", job.id)
                    await app.job_manager.retry_job(job)
            except asyncio.CancelledError:
                raise
            except Exception:  # another worker retried it first, or the database blinked
                log.debug("retrying stalled jobs", exc_info=True)
