"""`dangan serve` with several processes (DANGAN_WEB_PROCESSES): requests are
answered by all of them with one login, and exactly one runs the background
work (intake workers, webhooks, index catch-up), also after it is killed."""

from __future__ import annotations

import os
import signal
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from browser import Server
from dangan.api.background import LOCK_NAME

pytestmark = pytest.mark.slow


def _children(pid: int) -> set[int]:
    out = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                out.add(int(entry.name))
    return out


def _lock_holders(path: Path) -> list[int]:
    """pids holding a flock on `path` (/proc/locks names the file by inode)."""
    inode = path.stat().st_ino
    holders = []
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if fields[1] == "FLOCK" and int(fields[5].rsplit(":", 1)[1]) == inode:
            holders.append(int(fields[4]))
    return holders


def _wait(predicate, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError("timed out")


def test_several_web_processes_share_logins_and_one_runs_the_background_work(tmp_path):
    server = Server(tmp_path / "home")
    server.env["DANGAN_WEB_PROCESSES"] = "2"
    server.add_user("clerk", "clerk", password="web-process-pass-1")
    server.start()
    try:
        workers = _wait(lambda: len(_children(server.proc.pid)) >= 2 and _children(server.proc.pid))
        lock = server.home / LOCK_NAME
        holders = _wait(lambda: _lock_holders(lock))
        assert len(holders) == 1 and holders[0] in workers

        jar = CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        opener.addheaders = [("Origin", server.url)]
        form = urllib.parse.urlencode(
            {"username": "clerk", "password": "web-process-pass-1"}
        ).encode()
        opener.open(server.url + "/login", data=form, timeout=10)
        for _ in range(20):  # answered by either process: the session is in the catalog
            with opener.open(
                server.url + "/api/search?q=" + urllib.parse.quote("医保"), timeout=10
            ) as response:
                assert response.status == 200

        os.kill(holders[0], signal.SIGKILL)  # the supervisor starts another in its place
        again = _wait(lambda: [p for p in _lock_holders(lock) if p != holders[0]])
        assert len(again) == 1 and again[0] in _children(server.proc.pid)
    finally:
        server.stop()
