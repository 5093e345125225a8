"""Running the checks: one record, the whole archive, at filing. Each run
is kept in the catalog with its failing results, and its report (PDF and
xlsx) is stored permanently; a run with failures raises an alarm (the
`preservation.failed` webhook event and the clerk desk)."""

from __future__ import annotations

import logging
import platform
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from importlib import metadata

from dangan.catalog.base import Record
from dangan.preservation import report
from dangan.preservation.archive_checks import archive_checks
from dangan.preservation.items import FAIL, NOT_RUN, CheckResult, count, summary_from_counts
from dangan.preservation.record_checks import Context, check_record, not_pdfa_tally, prefetch_vera
from dangan.preservation.store import PreservationStore
from dangan.preservation.virus import Scanner

from dangan.errors import NotFound

log = logging.getLogger(__name__)
VERA_BATCH = 100  # archival copies validated per veraPDF run


@lru_cache(maxsize=1)
def environment() -> dict[str, str]:
    """The software that forms and checks records (KY-05)."""
    env = {"Python": platform.python_version(), "系统": platform.platform(terse=True)}
    for dist in ("dangan", "ocrmypdf", "pikepdf", "pypdfium2", "Pillow", "opf-fido"):
        try:
            env[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return env


def scanner(archive) -> Scanner:
    return Scanner(archive.settings.clamd)


def context(archive, *, filing: bool = False, keys: list[str] | None = None) -> Context:
    """Shared state for a run; veraPDF is used where installed, except at
    filing (a JVM per record would slow intake: the structural check runs)."""
    from dangan.preservation.pdfa import VeraPdf

    store = PreservationStore(archive.catalog)
    vera = None if filing else VeraPdf(archive.settings.verapdf)
    return Context(archive, scanner(archive), store.fixity(keys), filing=filing, verapdf=vera)


def check_at_filing(archive, record: Record) -> list[CheckResult]:
    """The record's checks as part of intake, before it is committed: the
    environment and the SM3 register are recorded; a failing item sends the
    record to review, named in the review reasons."""
    record.metadata["environment"] = {**environment(), "识别引擎": archive.engine.name}
    ctx = context(archive, filing=True, keys=[f.key for f in record.files])
    results = check_record(ctx, record)
    PreservationStore(archive.catalog).register(ctx.register)
    failed = [r for r in results if r.outcome == FAIL]
    record.metadata["fourprop"] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "verdict": "fail" if failed else "pass",
        "failed": sorted({r.item for r in failed}),
        "not_run": sorted({r.item for r in results if r.outcome == NOT_RUN}),
    }
    if failed:
        for r in failed:
            record.review_reasons.append(f"四性检测未通过：{r.line()}")
        record.status = "review"
    return results


def finish(
    archive, store: PreservationStore, run_id: int, counts: dict, results: list, extra=None,
    report_results: list[CheckResult] | None = None,
):  # fmt: skip
    """Close a run: summary, the results not yet kept, reports stored (with
    `report_results`, else every kept result), alarm on failure."""
    summary = summary_from_counts(counts)
    # archival copies that are not PDF/A, and why (KY-03 warnings)
    # (over what the report lists: the results kept so far and these)
    listed = report_results if report_results is not None else store.results(run_id) + list(results)
    summary["not_pdfa"] = not_pdfa_tally(listed)
    summary["environment"] = {**environment(), "ClamAV": scanner(archive).version() or "未配置"}
    summary.update(extra or {})
    store.finish_run(run_id, summary, results)
    run = store.get_run(run_id)
    keys = report.store_reports(
        archive, run, store.results(run_id) if report_results is None else report_results
    )
    store.set_report_keys(run_id, keys)
    if summary["failed_items"]:
        store.emit_alarm(
            run_id,
            {"kind": run["kind"], "scope": run["scope"], "failed_items": summary["failed_items"]},
        )
        log.warning("四性检测 %s: failed items %s", run_id, summary["failed_items"])
    return store.get_run(run_id)


def check_one(archive, record_id: str, actor: str) -> tuple[dict, list[CheckResult]]:
    record = archive.catalog.get(record_id)
    if record is None:
        raise NotFound(f"没有编号为 {record_id} 的档案记录。")
    store = PreservationStore(archive.catalog)
    run_id = store.start_run("record", record_id, actor)
    results = check_record(context(archive, keys=[f.key for f in record.files]), record)
    run = finish(archive, store, run_id, count(results), results, report_results=results)
    return run, results


def check_all(
    archive, actor: str, progress: Callable[[int, int], None] | None = None
) -> tuple[dict, list[CheckResult]]:
    """Every record's checks plus the archive-wide ones. Results that pass
    are counted, not kept."""
    store = PreservationStore(archive.catalog)
    run_id = store.start_run("archive", "all", actor)
    ctx = context(archive)
    notable: list[CheckResult] = []
    counts: dict = {}
    found = archive_checks(archive, store, missing=False)
    count(found, counts)
    notable += [r for r in found if r.outcome != "pass"]
    ids = archive.catalog.list_ids()
    for start in range(0, len(ids), VERA_BATCH):
        records = [archive.catalog.get(rid) for rid in ids[start : start + VERA_BATCH]]
        records = [r for r in records if r is not None]  # destroyed meanwhile
        prefetch_vera(ctx, records)
        for n, record in enumerate(records, start=start + 1):
            found = check_record(ctx, record)
            count(found, counts)
            notable += [r for r in found if r.outcome != "pass"]
            if progress:
                progress(n, len(ids))
        ctx.vera.clear()
    run = finish(archive, store, run_id, counts, notable)
    return run, notable
