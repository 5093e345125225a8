"""One work root for everything temporary (DANGAN_HOME/work), and its sweep.

Upload spools, ingest work folders (OCR output, page images, OCR text) and the
OCR processes' own temporary folders all live under the work root. Each entry
is named after the process that owns it, `<pid>@<host>+<tag>-<random>`, so an
entry whose owner was killed (kill -9, OOM, power loss) can be recognised and
removed: it holds personal data (page images, recognised text) that nothing
else would ever delete. Entries of a live process are never touched; entries
of another host (a shared home) or without an owner go when older than the
longest a job may take."""

from __future__ import annotations

import logging
import os
import re
import shutil
import socket
import tempfile
import time
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

_OWNER = re.compile(r"^(\d+)@([A-Za-z0-9.-]+)\+")
DEAD_OWNER_GRACE_S = 60.0  # an entry of a dead process is left this long (clock skew, NFS)


@cache
def _host() -> str:
    return re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname()) or "host"


def owner_prefix(tag: str, pid: int | None = None) -> str:
    return f"{pid or os.getpid()}@{_host()}+{tag}-"


def make_dir(root: Path, tag: str) -> Path:
    """A new folder under `root`, owned by this process."""
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=owner_prefix(tag), dir=root))


def make_file(root: Path, tag: str, suffix: str = "") -> Path:
    """A new empty file under `root`, owned by this process."""
    root.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=owner_prefix(tag), suffix=suffix, dir=root)
    os.close(fd)
    return Path(name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, someone else's
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def sweep(root: Path, stale_after_s: float) -> list[str]:
    """Remove the entries under `root` left by processes that are gone:
    on this host, those whose owner process no longer runs; else (another
    host, no owner in the name) those untouched for `stale_after_s` seconds.
    Returns the names removed."""
    if not root.is_dir():
        return []
    now = time.time()
    removed = []
    for entry in root.iterdir():
        try:
            age = now - entry.lstat().st_mtime
        except FileNotFoundError:
            continue
        match = _OWNER.match(entry.name)
        if match and match.group(2) == _host():
            pid = int(match.group(1))
            stale = age > DEAD_OWNER_GRACE_S and pid != os.getpid() and not _alive(pid)
        else:
            stale = age > stale_after_s
        if stale:
            _remove(entry)
            removed.append(entry.name)
    if removed:
        log.warning("work folder: removed %d entries left by stopped processes", len(removed))
    return removed
