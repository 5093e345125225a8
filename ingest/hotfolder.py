"""Hot folders (扫描仪输出文件夹): scanners write stacks into folders that
workers watch; a finished file goes into the durable intake queue as a stack
job (ingest/capture.py) and is removed from the folder.

Settings: DANGAN_HOTFOLDERS names a TOML file with one `[[folder]]` table per
folder:

    [[folder]]
    name = "一楼前台"            # shown on the clerk desk
    path = "/srv/scans/desk1"   # a local folder or a mounted network share
    mode = "cover"              # cover | separator | file
    duplex = "duplex"           # simplex | duplex | collate
    default_class = ""          # class code for records without one on a cover sheet
    stable_seconds = 5          # size and mtime unchanged this long: the scanner is done
    poll = false                # true: poll only (network shares send no events)

When is a file finished? When its size and modification time have not changed
for `stable_seconds` (most scanners write in place). Scanners that write under
a temporary name and rename when done (`x.pdf.part`, `x.tmp`, `~x.pdf`,
`.x.pdf`) are covered too: those names are never taken, and the renamed file
is stable from the start. Events come from watchfiles (inotify) and only wake
the scan; every folder is also rescanned every `stable_seconds / 2` seconds
(at least every 0.5 s), so a network share that sends no events (`poll = true`,
or any share where inotify sees nothing) is handled by the same scan.

Taking a file is crash safe and happens once even with several workers
watching: the file is first renamed into the folder's `.dangan/` subfolder
under a new job id (only one rename wins), then copied into the intake inbox
and its job row committed, then the renamed file is deleted. A claimed file
whose job row exists is deleted; one without a row (a worker died in between)
is put back after CLAIM_TIMEOUT_S."""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from dangan.ingest.capture import split_options
from dangan.ingest.stack import DUPLEX, MODES

from dangan.errors import ConfigError
from dangan.periodic import Periodic

if TYPE_CHECKING:
    from dangan.ingest.intake import IntakeQueue

log = logging.getLogger(__name__)

CLAIMS = ".dangan"
CLAIM_TIMEOUT_S = 600.0
SKIP_SUFFIXES = (".part", ".tmp", ".crdownload", ".partial", ".filepart")


@dataclass(frozen=True)
class Folder:
    name: str
    path: Path
    mode: str = "cover"
    duplex: str = "simplex"
    default_class: str = ""
    stable_seconds: float = 5.0
    poll: bool = False


def load_folders(path: Path) -> list[Folder]:
    """The folders of a DANGAN_HOTFOLDERS file, or ConfigError naming what is wrong."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"无法读取扫描文件夹设置 DANGAN_HOTFOLDERS={path}：{exc}") from exc
    out = []
    for n, raw in enumerate(data.get("folder") or [], start=1):
        where = f"DANGAN_HOTFOLDERS 第 {n} 个 [[folder]]"
        unknown = set(raw) - set(Folder.__dataclass_fields__)
        if unknown:
            raise ConfigError(f"{where} 有不认识的设置：{'、'.join(sorted(unknown))}。")
        if not raw.get("path"):
            raise ConfigError(f"{where} 缺少 path（扫描仪输出文件夹）。")
        folder = Folder(
            name=str(raw.get("name") or raw["path"]),
            path=Path(raw["path"]).expanduser(),
            mode=str(raw.get("mode", "cover")),
            duplex=str(raw.get("duplex", "simplex")),
            default_class=str(raw.get("default_class", "")),
            stable_seconds=float(raw.get("stable_seconds", 5.0)),
            poll=bool(raw.get("poll", False)),
        )
        if folder.mode not in MODES:
            raise ConfigError(f"{where} 的 mode 应为 {'、'.join(MODES)} 之一。")
        if folder.duplex not in DUPLEX:
            raise ConfigError(f"{where} 的 duplex 应为 {'、'.join(DUPLEX)} 之一。")
        out.append(folder)
    return out


def _finished_name(path: Path) -> bool:
    name = path.name
    return not (name.startswith((".", "~")) or name.lower().endswith(SKIP_SUFFIXES))


class HotFolders:
    """Watches the folders and submits finished files; one periodic worker
    (plus a watchfiles thread that only wakes it)."""

    def __init__(self, queue: IntakeQueue, folders: list[Folder], on_submit=None):
        self.queue = queue
        self.folders = folders
        self.on_submit = on_submit
        self._seen: dict[Path, tuple[int, int, float]] = {}
        self._lock = threading.Lock()
        every = max(0.5, min(f.stable_seconds for f in folders) / 2) if folders else 5.0
        self.periodic = Periodic("hot-folders", self.scan, every, run_at_start=True)
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    @classmethod
    def from_settings(cls, queue: IntakeQueue) -> HotFolders | None:
        path = queue.archive.settings.hotfolders
        return cls(queue, load_folders(path)) if path else None

    def start(self) -> None:
        for folder in self.folders:
            (folder.path / CLAIMS).mkdir(parents=True, exist_ok=True)
        self._stop.clear()
        watched = [str(f.path) for f in self.folders if not f.poll]
        if watched:
            self._watcher = threading.Thread(
                target=self._watch, args=(watched,), name="hot-folders-watch", daemon=True
            )
            self._watcher.start()
        self.periodic.start()

    def stop(self, timeout: float = 30) -> None:
        self._stop.set()
        self.periodic.stop(timeout)
        if self._watcher is not None:
            self._watcher.join(timeout)

    def _watch(self, paths: list[str]) -> None:
        import watchfiles

        try:
            for _changes in watchfiles.watch(*paths, stop_event=self._stop, rust_timeout=1000,
                                             yield_on_timeout=False):  # fmt: skip
                self.periodic.wake()
        except Exception:  # a share without events: the periodic scan still runs
            log.exception("hot folders: watching %s failed; polling only", paths)

    def scan(self) -> int:
        """Take every finished file; how many were submitted."""
        taken = 0
        with self._lock:
            for folder in self.folders:
                try:
                    self._recover(folder)
                    taken += self._scan(folder)
                except OSError:
                    log.exception("hot folder %s (%s) could not be read", folder.name, folder.path)
        return taken

    def _scan(self, folder: Folder) -> int:
        now = time.monotonic()
        taken = 0
        for path in sorted(folder.path.iterdir()):
            if not path.is_file() or not _finished_name(path):
                continue
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            seen = self._seen.get(path)
            stamp = (st.st_size, st.st_mtime_ns)
            if seen is None or seen[:2] != stamp:
                self._seen[path] = (*stamp, now)
                if folder.stable_seconds > 0 or st.st_size == 0:
                    continue
            elif now - seen[2] < folder.stable_seconds:
                continue
            if st.st_size == 0:
                continue
            self._seen.pop(path, None)
            taken += self.take(folder, path)
        return taken

    def take(self, folder: Folder, path: Path) -> int:
        job_id = self.queue.new_job_id()
        claim = folder.path / CLAIMS / f"{job_id}__{path.name}"
        try:
            os.rename(path, claim)
        except FileNotFoundError:
            return 0  # another worker took it
        options = {
            "split": split_options(folder.mode, folder.duplex, folder.default_class),
            "submitted_by": f"hotfolder:{folder.name}",
            "folder": folder.name,
        }
        batch = secrets.token_hex(6)
        self.queue.submit(batch, path.name, claim, f"hotfolder:{folder.name}",
                          job_id=job_id, options=options, copy=True)  # fmt: skip
        claim.unlink(missing_ok=True)
        log.info("hot folder %s: %s queued as job %s", folder.name, path.name, job_id)
        if self.on_submit:
            self.on_submit()
        return 1

    def _recover(self, folder: Folder) -> None:
        claims = folder.path / CLAIMS
        if not claims.is_dir():
            claims.mkdir(parents=True, exist_ok=True)
            return
        for claim in claims.iterdir():
            job_id, sep, name = claim.name.partition("__")
            if not sep or not claim.is_file():
                continue
            if self.queue.state(job_id) is not None:
                claim.unlink(missing_ok=True)  # queued: the inbox holds it
            elif time.time() - claim.stat().st_ctime > CLAIM_TIMEOUT_S:
                log.warning("hot folder %s: %s was claimed but never queued; put back",
                            folder.name, name)  # fmt: skip
                os.rename(claim, folder.path / name)
