"""A scanned stack in the intake queue becomes one intake job per record.

A stack job (options `split`: folder mode, duplex, default class) is taken by
a worker like any job. The worker reads every page's barcodes (ingest/stack.py),
cuts the stack, writes each record's pages as a PDF into the inbox under a job
id derived from the stack's (`<stack job>-<n>`), and then, in one catalog
transaction, inserts those jobs (each carrying its cover sheet's data and
provenance) and finishes the stack job with the account of every page.

Crash safety: before that transaction commits nothing is visible; the stack
job's lease runs out and the next worker redoes the split, overwriting the
same inbox entries (same ids). After it commits the record jobs are ordinary
durable jobs, and the stack file is removed (or swept, its job being done)."""

from __future__ import annotations

import json
import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from dangan.ingest.stack import DUPLEX, MODES, Split, scan_pdf, split
from dangan.ingest.stats import record_outcome
from dangan.ingest.validate import check_file

from dangan import workdirs
from dangan.errors import RejectedFile

if TYPE_CHECKING:
    from dangan.ingest.intake import IntakeQueue, Job

log = logging.getLogger(__name__)


def split_options(mode: str = "cover", duplex: str = "simplex", default_class: str = "") -> dict:
    if mode not in MODES:
        raise ValueError(f"split mode {mode!r}: one of {MODES}")
    if duplex not in DUPLEX:
        raise ValueError(f"duplex mode {duplex!r}: one of {DUPLEX}")
    return {"mode": mode, "duplex": duplex, "default_class": default_class or ""}


def split_job(queue: IntakeQueue, job: Job, path: Path | None, worker: str, report):
    """Split a claimed stack job; (its result, whether this worker finished it)."""
    from dangan.ingest.pipeline import IngestResult

    archive = queue.archive
    settings = archive.settings
    if path is None:
        result = {"file": job.filename, "status": "rejected", "reason": "missing",
                  "error": "扫描文件在处理前丢失，请重新扫描。"}  # fmt: skip
        return result, queue.finish(job.id, result, worker)
    report("checking", None)
    try:
        checked = check_file(path, max_bytes=settings.max_file_bytes,
                             max_pages=settings.max_pages, name=job.filename)  # fmt: skip
    except RejectedFile as exc:
        rejected = IngestResult(job.filename, "rejected", error=exc.message, reason=exc.reason)
        record_outcome(archive, rejected)
        result = rejected.to_json()
        return result, queue.finish(job.id, result, worker)
    work = workdirs.make_dir(settings.work_root, "split")
    try:
        stack = path
        if checked.kind != "pdf":
            from dangan.ocr.images import images_to_pdf

            stack = work / "stack.pdf"
            images_to_pdf(checked.path, stack)
        key = archive.audit.keys.cover_key()
        opts = (job.options or {}).get("split") or {}
        need_blank = opts.get("duplex", "simplex") != "simplex" or opts.get("mode") == "separator"
        scans = scan_pdf(stack, key, blank=need_blank,
                         on_page=lambda k: report("splitting", checked.pages, k))  # fmt: skip
        cut = split(scans, opts.get("mode", "cover"), opts.get("duplex", "simplex"))
        report("storing", checked.pages)
        return _commit(queue, job, worker, stack, cut, opts, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _write_segments(stack: Path, cut: Split, work: Path) -> list[Path]:
    import pikepdf

    out = []
    with pikepdf.open(stack) as src:
        for n, seg in enumerate(cut.segments, start=1):
            pdf = pikepdf.new()
            for page in seg.pages:
                pdf.pages.append(src.pages[page - 1])
            target = work / f"record-{n}.pdf"
            pdf.save(target, deterministic_id=True)
            out.append(target)
    return out


def _commit(queue: IntakeQueue, job: Job, worker: str, stack: Path, cut: Split, opts, work):
    from dangan.catalog.blobs import sha256_file

    stack_sha = sha256_file(stack)
    stem = Path(job.filename).stem
    children = []
    for n, (seg, pdf) in enumerate(
        zip(cut.segments, _write_segments(stack, cut, work), strict=True), 1
    ):
        child = f"{job.id}-{n}"
        cover = seg.cover.to_json() if seg.cover else {}
        case = seg.cover.serial if seg.cover and seg.cover.serial and not seg.review else None
        record = {
            "case": case,
            "cover": cover,
            "default_class": opts.get("default_class") or "",
            "review": seg.review,
            "provenance": {
                "stack": job.filename,
                "stack_sha256": stack_sha,
                "stack_job": job.id,
                "pages": seg.pages,
                "cover_page": seg.cover_page,
                "cover": cover,
            },  # fmt: skip
        }
        name = f"{stem}-{n:02d}" + (f"-{case}" if case else "") + ".pdf"
        target = queue.stage(child, pdf)
        children.append((child, name, target, record, seg))
    result = {
        "file": job.filename,
        "status": "split",
        "pages": len(cut.order),
        "records": [
            {
                "job": c,
                "file": name,
                "pages": seg.pages,
                "serial": rec["case"],
                "cover_page": seg.cover_page,
                "review": seg.review,
            }  # fmt: skip
            for c, name, _, rec, seg in children
        ],
        "fates": {str(p): why for p, why in sorted(cut.fates.items())},
        "notes": cut.notes,
        "error": "；".join(cut.notes) or None,
    }
    by = (job.options or {}).get("submitted_by") or "capture"
    try:
        _insert_all(queue, job, worker, children, result, by)
    except _Lost:
        log.warning("stack %s: taken over by another worker; its split stands", job.filename)
        return result, False
    log.info("stack %s split into %d records", job.filename, len(children))
    return result, True


def _insert_all(queue: IntakeQueue, job: Job, worker: str, children, result: dict, by: str):
    """The record jobs and the stack job's outcome, in one transaction."""
    with queue.archive.catalog.transaction() as conn:
        for child, name, target, record, _ in children:
            queue.insert(conn, child, job.batch, name, target, by, {"record": record})
        finished = queue.rows.finish(
            conn, job.id, status="split", record_id=None, pages=result["pages"],
            result_json=json.dumps(result, ensure_ascii=False), error=result["error"],
            now=_now(), worker=worker,
        )  # fmt: skip
        if not finished:
            raise _Lost(job.id)


class _Lost(Exception):
    """Another worker took the stack job over: roll back this worker's jobs."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")  # as ingest/intake.py
