"""The OCR time limit counts CPU time of the OCR process and everything it
started (ocr/cputime.py), not the clock: a busy machine is not blamed on the
scan (issue 18, defect 4)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from dangan.ocr.cputime import CpuClock
from dangan.ocr.pool import BUSY_FACTOR, overrun

# A process leading its own session (as ocr/pool.py starts the OCR process)
# that starts a child; the child either sleeps or burns CPU, then ends and is
# reaped, and the leader says so on its standard output and waits.
LEADER = """
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", sys.argv[1]])
child.wait()
print("done", flush=True)
sys.stdin.read()
"""
SLEEPER = "import time; time.sleep(1.5)"
BURNER = """
import time
while time.process_time() < 1.0:
    sum(range(10000))
"""


def _leader(child_code: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", LEADER, child_code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


@pytest.mark.parametrize("code, burns", [(SLEEPER, False), (BURNER, True)])
def test_cpu_of_the_ocr_process_and_its_ended_children_is_counted(code: str, burns: bool):
    proc = _leader(code)
    try:
        clock = CpuClock(proc.pid)
        assert clock.available
        assert proc.stdout.readline().strip() == "done"  # the child has ended
        used = clock.seconds()
        if burns:
            # the child's second of CPU, though it is gone
            assert used >= 0.9
        else:
            # a second and a half of waiting costs (almost) no CPU
            assert used < 0.5
    finally:
        proc.stdin.close()
        proc.wait()


def test_the_clock_never_goes_back():
    proc = _leader(BURNER)
    try:
        clock = CpuClock(proc.pid)
        readings = []
        while proc.stdout.readline().strip() != "done":
            pass
        for _ in range(3):
            readings.append(clock.seconds())
            time.sleep(0.05)
        assert readings == sorted(readings)
    finally:
        proc.stdin.close()
        proc.wait()


def test_a_busy_machine_is_not_blamed_on_the_scan():
    # 240 s waited for a page that needs 61 s of CPU, limit 240 s: goes on
    assert overrun(cpu=61, waited=240, limit=240) is None
    # CPU over the limit: the page is too complex, and the message says what to do
    heavy = overrun(cpu=241, waited=300, limit=240)
    assert heavy and "处理器时间" in heavy and "dpi" in heavy
    # waited far beyond the limit with little CPU: the machine is busy, not the scan
    busy = overrun(cpu=30, waited=BUSY_FACTOR * 240 + 1, limit=240)
    assert busy and "服务器繁忙" in busy and "文件本身未发现问题" in busy
    assert "扫描件是否异常" not in busy
