"""CPU time spent by an OCR process and everything it started.

The time limit of an OCR run counts this, not the clock: on a busy machine a
normal page waits for a core far longer than it computes, and that must not
be blamed on the scan. Read from /proc (Linux): the OCR process leads a
session of its own (ocr/pool.py starts it with start_new_session), so its
OCRmyPDF workers, Ghostscript and Tesseract are the processes of that session.
A process's own time plus the time of the children it has reaped
(utime, stime, cutime, cstime) covers those that already ended."""

from __future__ import annotations

import os
from pathlib import Path

PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(text: str) -> list[str]:
    # "pid (comm) state ppid pgrp session ..." where comm may hold spaces and ')'
    return text[text.rindex(")") + 2 :].split()


def session_cpu_seconds(session: int) -> float | None:
    """CPU seconds (user + system) of the live processes of `session` and of the
    children they have reaped; None where /proc cannot tell (not Linux)."""
    if not (PROC / str(session) / "stat").exists():
        return None
    ticks = 0
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = _stat_fields((entry / "stat").read_text())
        except (OSError, ValueError):
            continue  # ended while being read
        # after ")": state(0) ppid(1) pgrp(2) session(3) ... utime(11) stime(12) cutime(13) cstime(14)
        if int(fields[3]) != session:
            continue
        ticks += sum(int(v) for v in fields[11:15])
    return ticks / _TICKS


class CpuClock:
    """CPU seconds used by a session since this clock was started. Never goes
    back (a child that ended but is not yet reaped is missing for a moment)."""

    def __init__(self, session: int):
        self.session = session
        self._start = session_cpu_seconds(session)
        self._last = 0.0

    @property
    def available(self) -> bool:
        return self._start is not None

    def seconds(self) -> float:
        if self._start is None:
            return 0.0
        now = session_cpu_seconds(self.session)
        if now is not None:
            self._last = max(self._last, now - self._start)
        return self._last
