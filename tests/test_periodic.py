"""The one periodic worker behind index catch-up, webhook delivery and sweeps."""

from __future__ import annotations

import threading

from dangan.periodic import Periodic


def test_it_ticks_again_after_a_failing_tick_and_stops_when_told():
    calls: list[int] = []
    done = threading.Event()

    def tick():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("the search server blinked")
        if len(calls) >= 3:
            done.set()

    worker = Periodic("test", tick, interval=0.01)
    worker.start()
    assert done.wait(5), calls
    worker.stop()
    assert not worker.running
    settled = len(calls)
    threading.Event().wait(0.05)
    assert len(calls) == settled


def test_wake_runs_the_next_tick_at_once_and_run_at_start_runs_one_first():
    ticked = threading.Event()
    worker = Periodic("test", ticked.set, interval=3600, run_at_start=True)
    worker.start()
    assert ticked.wait(5)
    ticked.clear()
    worker.wake()
    assert ticked.wait(5)
    worker.stop()
