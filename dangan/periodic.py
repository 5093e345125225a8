"""One periodic worker: a daemon thread that calls `tick()` every `interval`
seconds (or sooner when woken) until stopped. Index catch-up, webhook delivery
and the inbox and work-folder sweeps are each one of these; a tick that fails
is logged and tried again at the next interval, since the work it would have
done stays in the catalog."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Periodic:
    def __init__(
        self,
        name: str,
        tick: Callable[[], object],
        interval: float,
        *,
        run_at_start: bool = False,
    ):
        self.name = name
        self.tick = tick
        self.interval = interval
        self.run_at_start = run_at_start
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Run the next tick now instead of at the end of the interval."""
        self._wake.set()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        if self.run_at_start:
            self._tick_once()
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                break
            self._tick_once()

    def _tick_once(self) -> None:
        try:
            self.tick()
        except Exception:  # noqa: BLE001 - keep going; the work stays in the catalog
            log.exception(
                "%s: periodic work failed; trying again in %s s", self.name, self.interval
            )
