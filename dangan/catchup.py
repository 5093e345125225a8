"""Keeps the search index caught up with the catalog's outbox in the background,
so records filed while the search server was down appear once it is back."""

from __future__ import annotations

import logging
import threading

log = logging.getLogger(__name__)


class IndexCatchUp:
    def __init__(self, archive, interval: float = 10.0):
        self.archive = archive
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="index-catch-up", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                if self.archive.catalog.outbox_size():
                    self.archive.sync_index(quiet=True)
            except Exception:  # noqa: BLE001 - keep trying; the outbox keeps the work
                log.exception("search index catch-up failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
