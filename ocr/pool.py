"""Long-lived OCR processes (ocr/child.py), reused file after file.

Each process OCRs one file at a time. A caller takes an idle process or starts
a new one, so there are as many as files being OCR'd at once. A process that
overruns its time limit (CPU seconds of the process and all it started, so a
busy machine is not blamed on the scan; see `overrun`) is killed with
everything it started; the next file gets a fresh one. Processes are retired after `max_jobs` files, so that a slow
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

from dangan.ocr.cputime import CpuClock

from dangan.errors import OcrFailed

log = logging.getLogger(__name__)


# An OCR run may wait this many times its CPU limit on the clock: on a machine
# busy with other work a page computes slowly, but one that gets no CPU at
# all for that long is stuck, or the machine is overloaded.
BUSY_FACTOR = 4


def overrun(cpu: float, waited: float, limit: float) -> str | None:
    """None while an OCR run of `cpu` CPU seconds after `waited` seconds is
    within `limit` CPU seconds (and BUSY_FACTOR times that on the clock), else
    the message for the person who submitted the file."""
    if cpu > limit:
        return (
            f"文字识别计算量超过上限：已用 {int(cpu)} 秒处理器时间（上限 {int(limit)} 秒）。"
            "页面内容过于密集或分辨率过高时会这样。请确认扫描分辨率为 200–300 dpi，"
            "或把文件拆分成较少页数后重新上传；确属正常文件的，请系统管理员调大 DANGAN_OCR_TIMEOUT。"
        )
    if waited > BUSY_FACTOR * limit:
        return (
            f"服务器繁忙，文字识别未能完成：已等待 {int(waited)} 秒，"
            f"其间只得到 {int(cpu)} 秒处理器时间（本文件允许 {int(limit)} 秒）。"
            "文件本身未发现问题，请在服务器空闲时重新提交；"
            "经常出现时，请系统管理员减少同时运行的识别进程或其他占用处理器的任务。"
        )
    return None


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
        second. `timeout` is CPU seconds of this process and all it started
        (ocr/cputime.py): past it, or past BUSY_FACTOR times as many seconds
        of waiting, the process is killed and OcrFailed raised, saying which
        (a page too complex, or a machine too busy); so is it when this
        thread is interrupted."""
        answered = False
        try:
            clock = CpuClock(self.proc.pid)
            try:
                self.proc.stdin.write(json.dumps(request).encode() + b"\n")
                self.proc.stdin.flush()
            except OSError:
                raise ChildGone(self.proc.poll()) from None
            started = time.monotonic()
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
                waited = time.monotonic() - started
                cpu = clock.seconds() if clock.available else waited
                problem = overrun(cpu, waited, timeout)
                if problem is not None:
                    log.warning(
                        "OCR of %s stopped: %.0f s CPU, %.0f s waited, limit %.0f s CPU",
                        request.get("input"), cpu, waited, timeout,
                    )  # fmt: skip
                    raise OcrFailed(problem)
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
