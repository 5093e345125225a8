"""The scheduled fixity sweep (长期保存): every stored object, and on MinIO
every version of every object, read back and checked against the catalog
(SHA-256), the fixity register (SM3) and the store's own record of it.

The sweep runs at a configurable rate (DANGAN_FIXITY_RATE objects/s) and keeps
its resume point in the catalog every BATCH objects, so a sweep stopped by a
restart goes on where it was (`dangan check sweep` again)."""

from __future__ import annotations

import time
from collections.abc import Callable

from dangan.preservation import storage
from dangan.preservation.digests import Digests
from dangan.preservation.items import FAIL, PASS, WARNING, CheckResult, count
from dangan.preservation.service import finish
from dangan.preservation.store import PreservationStore

BATCH = 100


def sweep(
    archive,
    actor: str,
    *,
    rate: float | None = None,
    stop_after: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict:
    """Run (or resume) a sweep; returns the run. `stop_after` objects ends
    this call early with the run left resumable (as a restart would)."""
    store = PreservationStore(archive.catalog)
    rate = archive.settings.fixity_rate if rate is None else rate
    run = store.running("sweep")
    if run is None:
        run_id = store.start_run("sweep", "all", actor)
        cursor, objects, nbytes, counts = None, 0, 0, {}
    else:
        run_id, cursor = run["id"], run["cursor"]
        objects, nbytes, counts = run["objects"], run["bytes"], run["summary"].get("counts", {})
    registered = store.registered_files()
    fixity = store.fixity()
    pending: list[CheckResult] = []
    baseline: list[dict] = []
    checked: list[str] = []
    started, done_here = time.monotonic(), 0
    listing = list(storage.iter_objects(archive.blobs))
    resume_after = cursor
    for obj in listing:
        if resume_after is not None and obj.cursor <= resume_after:
            continue
        if (stop_after is not None and done_here >= stop_after) or (should_stop and should_stop()):
            _save(store, run_id, cursor, objects, nbytes, pending, counts, baseline, checked)
            return store.get_run(run_id)
        found, entry = _check_object(archive.blobs, obj, registered, fixity)
        count(found, counts)
        pending += [r for r in found if r.outcome != PASS]
        if entry:
            baseline.append(entry)
        elif obj.key in fixity:
            checked.append(obj.key)
        objects, nbytes, cursor, done_here = (
            objects + 1,
            nbytes + obj.size,
            obj.cursor,
            done_here + 1,
        )
        if progress:
            progress(objects, len(listing))
        if done_here % BATCH == 0:
            _save(store, run_id, cursor, objects, nbytes, pending, counts, baseline, checked)
            pending, baseline, checked = [], [], []
        if rate:
            delay = started + done_here / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    _save(store, run_id, cursor, objects, nbytes, pending, counts, baseline, checked)
    # objects the catalog lists that the store does not have (any version)
    present = {o.key for o in listing}
    missing = [
        CheckResult("WZ-06", FAIL, "目录登记的对象在存储中不存在。", rid, key)
        for key, (rid, _s, _n) in sorted(registered.items())
        if key not in present
    ] or [CheckResult("WZ-06", PASS, f"目录登记的 {len(registered)} 个对象都在存储中。")]
    count(missing, counts)
    return finish(
        archive,
        store,
        run_id,
        counts,
        [r for r in missing if r.outcome != PASS],  # the rest are kept already
        {"objects": objects, "bytes": nbytes, "versions": sum(1 for o in listing if not o.latest)},
    )


def _save(store, run_id, cursor, objects, nbytes, pending, counts, baseline, checked) -> None:
    store.register(baseline)
    store.touch(checked)
    store.progress(run_id, cursor, objects, nbytes, pending, {"counts": counts})


def _check_object(blobs, obj, registered: dict, fixity: dict):
    """Results for one stored object (version), and a new fixity entry when
    the object had none and its SHA-256 is confirmed."""
    digests = Digests()
    try:
        for chunk in storage.read_chunks(blobs, obj.key, obj.version_id):
            digests.update(chunk)
    except FileNotFoundError:
        return [CheckResult("WZ-06", FAIL, "对象在清点后消失。", None, obj.key)], None
    sha, sm3 = digests.finish()
    where = obj.key + (f"（版本 {obj.version_id}）" if obj.version_id else "")
    owner = registered.get(obj.key)
    rid = owner[0] if owner else None
    out = []
    known = fixity.get(obj.key)
    # the SHA-256 the object must have: the catalog's for the current version,
    # else what the store recorded when it was written, else the register
    expected = (owner[1] if owner and obj.latest else None) or storage.stored_sha256(blobs, obj)
    expected = expected or (known["sha256"] if known and obj.latest else None)
    if expected is None and obj.latest:
        # first sight of an object nobody registered a digest for (a register
        # kept before this check existed): registered now, compared from then on
        entry = {"key": obj.key, "sha256": sha, "sm3": sm3, "size": digests.size}
        out.append(CheckResult("ZS-01", PASS, "首次登记 SHA-256 和 SM3。", rid, where))
        return out + _orphan(obj, owner, rid, where), entry
    if expected is None:
        out.append(CheckResult("ZS-01", WARNING, "没有可比对的 SHA-256 登记值。", rid, where))
    elif expected != sha:
        out.append(
            CheckResult(
                "ZS-01", FAIL,
                f"SHA-256 为 {sha[:16]}…，登记值 {expected[:16]}…：内容被改动或损坏。", rid, where,
            )
        )  # fmt: skip
    else:
        out.append(CheckResult("ZS-01", PASS, "SHA-256 相符。", rid, where))
    entry = None
    if known is not None and obj.latest:
        if known["sm3"] != sm3:
            out.append(
                CheckResult(
                    "ZS-02", FAIL, f"SM3 为 {sm3[:16]}…，登记值 {known['sm3'][:16]}…。", rid, where
                )
            )
        else:
            out.append(CheckResult("ZS-02", PASS, "SM3 相符。", rid, where))
    elif obj.latest and expected == sha:
        entry = {"key": obj.key, "sha256": sha, "sm3": sm3, "size": digests.size}
        out.append(CheckResult("ZS-02", PASS, "首次登记 SM3。", rid, where))
    return out + _orphan(obj, owner, rid, where), entry


def _orphan(obj, owner, rid, where) -> list[CheckResult]:
    if obj.latest and owner is None and not storage.known_prefix(obj.key):
        return [CheckResult("WZ-05", FAIL, "存储中有目录不认识的对象（孤立对象）。", None, where)]
    return []
