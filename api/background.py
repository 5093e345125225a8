"""Which web process runs the background work.

`dangan serve` may answer requests with several processes (DANGAN_WEB_PROCESSES):
one Python process searches on about one core. Only one of them runs the intake
workers, webhook deliveries and index catch-up, so that settings such as
DANGAN_INTAKE_WORKERS mean what they say and a webhook is not posted twice: the
one holding an exclusive lock on `web-background.lock` in the home. The lock
goes with its process, so the process started in place of a dead one takes it
over. The others only answer requests; their uploads are taken by the leader's
intake workers, which look at the queue every few seconds."""

from __future__ import annotations

import fcntl
from typing import IO

from dangan.config import Settings

LOCK_NAME = "web-background.lock"


class Standby:
    """Stands in for a background worker in a process that does not run one."""

    name = "standby"

    def start(self) -> None:
        pass

    def wake(self) -> None:
        pass

    def stop(self, timeout: float = 30) -> None:
        pass


def take_background(settings: Settings) -> IO | None:
    """The open lock file when this process is to run the background work,
    None when another process holds it. With one web process nothing is
    locked: tests and tools may open several apps on one home in one process."""
    handle = open(settings.home / LOCK_NAME, "a")  # noqa: SIM115 (held for the process's life)
    if settings.web_processes <= 1:
        return handle
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle
