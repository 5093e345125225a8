"""Real servers for the production-backend tests, started on this machine by the
project's own scripts (scripts/services/*.sh) when they are not already running.
A server that cannot be started fails the test run: these tests never skip."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).parent.parent


def _script(name: str, *args: str, timeout: int = 2700) -> str:
    proc = subprocess.run(
        ["bash", str(ROOT / "scripts" / "services" / f"{name}.sh"), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"scripts/services/{name}.sh {' '.join(args)} failed:\n{proc.stderr}")
    return proc.stdout


def start(name: str) -> dict[str, str]:
    """Start the server (building or downloading it the first time) and return
    the DANGAN_* settings that point at it."""
    _script(name, "start")
    env = {}
    for line in _script(name, "env").splitlines():
        key, _, value = line.partition("=")
        if key:
            env[key] = value
    return env
