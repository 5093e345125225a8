"""Long-lived OCR processes (ocr/child.py), reused file after file.

Each process OCRs one file at a time. A caller takes an idle process or starts
a new one, so there are as many as files being OCR'd at once. A process that
overruns its time limit is killed with everything it started; the next file
gets a fresh one. Processes are retired after `max_jobs` files, so that a slow
leak in a library cannot grow for ever."""

from __future__ import annotations

import json
import logging
import os
import select
import shutil
import signal
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from dangan.errors import OcrFailed

log = logging.getLogger(__name__)


class ChildGone(Exception):
    """The OCR process ended without answering."""

    def __init__(self, returncode: int | None):
        super().__init__(f"OCR process ended (exit {returncode})")
        self.returncode = returncode


class OcrChild:
    def __init__(self, args: list[str]):
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "dangan.ocr.child", *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            start_new_session=True,  # its own group: a kill reaches Ghostscript and Tesseract
        )
        self.jobs = 0
        self.work_root = _work_root(args)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def request(self, request: dict, timeout: float, tick: Callable[[], None]) -> dict:
        """Send one file and wait for the reply, calling `tick` about once a
        second. Past `timeout` seconds the process is killed and OcrFailed
        raised; so is it when this thread is interrupted."""
        answered = False
        try:
            try:
                self.proc.stdin.write(json.dumps(request).encode() + b"\n")
                self.proc.stdin.flush()
            except OSError:
                raise ChildGone(self.proc.poll()) from None
            deadline = time.monotonic() + timeout
            while True:
                ready, _, _ = select.select([self.proc.stdout], [], [], 1.0)
                if ready:
                    line = self.proc.stdout.readline()
                    if not line:
                        raise ChildGone(self.proc.wait())
                    answered = True
                    self.jobs += 1
                    return json.loads(line)
                tick()
                if time.monotonic() > deadline:
                    raise OcrFailed(
                        f"文字识别超时（超过 {int(timeout)} 秒）。请检查扫描件是否异常，或稍后重试。"
                    )
        finally:
            if not answered:
                self.kill()

    def kill(self) -> None:
        if self.alive:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()
        self._close_pipes()
        if self.work_root is not None:  # its temporary files (page images, text) go now
            from dangan import workdirs

            for entry in self.work_root.glob(workdirs.owner_prefix("ocr", self.proc.pid) + "*"):
                shutil.rmtree(entry, ignore_errors=True)

    def close(self, grace: float = 5) -> None:
        """Let it finish (its input closes) and end; killed after `grace` seconds."""
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            self.kill()
        self._close_pipes()

    def _close_pipes(self) -> None:
        for pipe in (self.proc.stdin, self.proc.stdout):
            try:
                pipe.close()
            except OSError:
                pass


def _work_root(args: list[str]) -> Path | None:
    if "--work-root" in args:
        return Path(args[args.index("--work-root") + 1])
    return None


def _close_all(children: list[OcrChild]) -> None:
    while children:
        children.pop().close()


class ChildPool:
    def __init__(self, args: list[str], max_jobs: int = 200):
        self.args = args
        self.max_jobs = max_jobs
        self._idle: list[OcrChild] = []
        self._lock = threading.Lock()
        self._closed = False
        # children left when the pool is dropped without close() still end
        self._finalizer = weakref.finalize(self, _close_all, self._idle)

    @contextmanager
    def child(self) -> Iterator[OcrChild]:
        """An OCR process for this caller alone until the block ends."""
        child = None
        with self._lock:
            while self._idle and child is None:
                child = self._idle.pop()
                if not child.alive:
                    child.close()
                    child = None
        if child is None:
            child = OcrChild(self.args)
        keep = False
        try:
            yield child
            keep = True
        finally:
            with self._lock:
                keep = keep and child.alive and child.jobs < self.max_jobs and not self._closed
                if keep:
                    self._idle.append(child)
            if not keep:
                child.close()

    def start(self, count: int) -> None:
        """Have `count` processes started and warming up before the first file."""
        with self._lock:
            while len(self._idle) < count and not self._closed:
                self._idle.append(OcrChild(self.args))

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._finalizer()

    def pids(self) -> list[int]:
        with self._lock:
            return [c.proc.pid for c in self._idle]
