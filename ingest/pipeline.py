"""Ingest one file end to end.

Order of work (what makes a crash safe):
1. check the file; 2. hash it and stop if it is already archived;
3. OCR in a private work folder; 4. write every object under keys derived
from the original's SHA-256 (atomic writes, so a redo overwrites rather than
duplicates); 5. commit the record, its files, its pages and an index-outbox
entry in one catalog transaction; 6. apply the outbox to the search index.
A process killed before step 5 leaves no record; the next run redoes it."""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import signal
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from dangan.catalog.base import DuplicateRecord, FileRef, PageText, Record
from dangan.catalog.blobs import sha256_file
from dangan.catalog.record_json import filing_json
from dangan.ingest.stats import record_outcome
from dangan.ingest.titles import guess_title
from dangan.ingest.validate import CheckedFile, check_file
from dangan.ocr.images import images_to_pdf
from dangan.retention.filing import apply_filing

from dangan import workdirs
from dangan.errors import DanganError, DiskFull, RejectedFile, is_disk_full

if TYPE_CHECKING:
    from dangan.archive import Archive

log = logging.getLogger(__name__)

PAGE_IMAGE_DPI = 110
# the page image's longer side in pixels: at least an A4 page's at PAGE_IMAGE_DPI
# (a tiny page declared at 2400 dpi stays readable), at most what a screen needs
PAGE_IMAGE_PX = (1200, 4000)


@dataclass
class IngestResult:
    file: str
    status: str  # "archived" | "duplicate" | "rejected"
    record_id: str | None = None
    pages: int = 0
    error: str | None = None
    reason: str | None = None
    title: str | None = None
    sha256: str | None = None
    filing: dict = field(default_factory=dict)  # see dangan.catalog.record_json.filing_json

    def to_json(self) -> dict:
        out = asdict(self)
        out.update(out.pop("filing"))
        return out


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Files as given, folders walked recursively in name order; hidden files skipped."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        else:
            out.append(path)
    return out


def _fault(point: str) -> None:
    """Test hook: kill this process hard at a named point (DANGAN_TEST_KILL_AT)."""
    if os.environ.get("DANGAN_TEST_KILL_AT") == point:
        os.kill(os.getpid(), signal.SIGKILL)


def new_record_id() -> str:
    return f"{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(4)}"


def ingest_paths(archive: Archive, paths: Iterable[Path]) -> Iterator[IngestResult]:
    for path in expand_paths(paths):
        yield ingest_file(archive, path)


Progress = Callable[..., None]  # (stage, pages, done=None)


def _silent(stage: str, pages: int | None = None, done: int | None = None) -> None:
    return None


def ingest_file(
    archive: Archive,
    path: Path,
    name: str | None = None,
    progress: Progress = _silent,
    case: str | None = None,
    capture: dict | None = None,
) -> IngestResult:
    """Ingest one file; `progress(stage, pages, done)` is told "checking", "ocr"
    (with the page count, then the page OCR is on) and "storing" as the work goes on. Every outcome is counted
    in the intake statistics. `case` attaches the record to a business case
    (业务流水号), also when the same file was archived before. `capture`: a record
    cut from a scanned stack (ingest/capture.py): its cover sheet's data, which
    outranks OCR, and where its pages came from."""
    result = _ingest_file(archive, path, name, progress, case, capture)
    if case and result.status == "duplicate" and result.record_id:
        archive.catalog.link_case(result.record_id, case)
        archive.sync_index(quiet=True)
    try:
        record_outcome(archive, result)
    except Exception:  # statistics must never lose a record
        log.exception("could not count the intake outcome of %s", result.file)
    return result


def _ingest_file(
    archive: Archive,
    path: Path,
    name: str | None,
    progress: Progress,
    case: str | None = None,
    capture: dict | None = None,
) -> IngestResult:
    name = name or path.name
    progress("checking", None)
    display = str(path) if name == path.name else name
    settings = archive.settings
    try:
        checked = check_file(
            path, max_bytes=settings.max_file_bytes, max_pages=settings.max_pages, name=name
        )
    except RejectedFile as exc:
        log.info("rejected %s: %s", display, exc.reason)
        return IngestResult(file=display, status="rejected", error=exc.message, reason=exc.reason)
    sha = sha256_file(path)
    existing = archive.catalog.find_by_sha256(sha)
    if existing is not None:
        return _duplicate(display, existing.id, existing.page_count, sha)
    try:
        work = workdirs.make_dir(settings.work_root, "ingest")
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        return _disk_full(archive, display, sha, exc)
    try:
        progress("ocr", checked.pages)
        record = _build_record(archive, checked, name, sha, work, progress, case, capture)
        try:
            archive.catalog.add_record(record)
        except DuplicateRecord as dup:
            return _duplicate(display, dup.existing_id, checked.pages, sha)
        _fault("after_commit")
        archive.sync_index(quiet=True)
        return IngestResult(
            file=display,
            status="archived",
            record_id=record.id,
            pages=record.page_count,
            title=record.title,
            sha256=sha,
            filing=filing_json(record),
        )
    except DanganError as exc:
        if isinstance(exc, DiskFull):
            return _disk_full(archive, display, sha, exc)
        log.warning("failed %s: %s", display, exc.message)
        return IngestResult(
            file=display, status="rejected", error=exc.message, reason=exc.code, sha256=sha
        )
    except Exception as exc:  # one bad file must not stop the batch
        if is_disk_full(exc):
            return _disk_full(archive, display, sha, exc)
        log.exception("unexpected failure on %s", display)
        return IngestResult(
            file=display,
            status="rejected",
            error=f"处理文件时发生内部错误（{type(exc).__name__}），文件未归档。请将此文件交给系统管理员检查。",
            reason="internal_error",
            sha256=sha,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _disk_full(archive: Archive, display: str, sha: str, exc: Exception) -> IngestResult:
    """ENOSPC somewhere on the way: say so, and take back the objects already
    written for this file (no record holds them), so nothing half-stored stays."""
    log.error("disk full while ingesting %s: %s", display, exc)
    try:
        if archive.catalog.find_by_sha256(sha) is None:
            for key in list(archive.blobs.list(f"records/{sha[:2]}/{sha}/")):
                archive.blobs.delete(key)
    except Exception:  # the clean-up must not hide the message
        log.exception("could not remove the partial objects of %s", display)
    full = DiskFull()
    return IngestResult(
        file=display, status="rejected", error=full.message, reason=full.code, sha256=sha
    )


def _duplicate(display: str, record_id: str, pages: int, sha: str) -> IngestResult:
    return IngestResult(
        file=display,
        status="duplicate",
        record_id=record_id,
        pages=pages,
        error=f"与已归档的记录 {record_id} 内容完全相同，未重复保存。",
        reason="duplicate",
        sha256=sha,
    )


def _build_record(
    archive: Archive,
    checked: CheckedFile,
    name: str,
    sha: str,
    work: Path,
    progress: Progress = _silent,
    case: str | None = None,
    capture: dict | None = None,
) -> Record:
    if checked.kind == "pdf":
        source_pdf = checked.path
    else:
        source_pdf = work / "scan.pdf"
        images_to_pdf(checked.path, source_pdf)
    ocr = archive.engine.process(
        source_pdf,
        work,
        has_text=checked.has_text,
        on_page=lambda k: progress("ocr", checked.pages, k),
        # text layers that map to no characters are OCR'd, not kept as garbage
        force_pages=checked.force_ocr_pages,
    )
    _fault("after_ocr")
    progress("storing", len(ocr.pages))
    images = _render_pages(ocr.pdf, work / "pages")
    prefix = f"records/{sha[:2]}/{sha}"
    ext = {
        "pdf": ".pdf",
        "png": ".png",
        "jpeg": ".jpg",
        "tiff": ".tif",
        "webp": ".webp",
        "heic": ".heic",
    }[checked.kind]
    files: list[FileRef] = []
    info = archive.blobs.put_file(f"{prefix}/original{ext}", checked.path)
    if info.sha256 != sha:
        raise DanganError("原件在读取过程中发生变化，请确认文件未被其他程序修改后重新上传。")
    files.append(FileRef("original", info.key, info.sha256, info.size, checked.media_type))
    info = archive.blobs.put_file(f"{prefix}/archive.pdf", ocr.pdf)
    files.append(FileRef("archive_pdf", info.key, info.sha256, info.size, "application/pdf"))
    for page_no, image in enumerate(images, start=1):
        info = archive.blobs.put_file(f"{prefix}/pages/{page_no:04d}.jpg", image)
        files.append(FileRef("page_image", info.key, info.sha256, info.size, "image/jpeg", page_no))
    for page_no, image in sorted(ocr.ocr_images.items()):
        info = archive.blobs.put_file(f"{prefix}/pages/{page_no:04d}.ocr.jpg", image)
        files.append(FileRef("ocr_image", info.key, info.sha256, info.size, "image/jpeg", page_no))
    _fault("after_blobs")
    pages = [PageText(page_no=i, text=t) for i, t in enumerate(ocr.pages, start=1)]
    record = Record(
        id=new_record_id(),
        sha256=sha,
        filename=name,
        media_type=checked.media_type,
        size=checked.size,
        page_count=len(pages),
        title=guess_title(ocr.pages[0] if ocr.pages else "", Path(name).stem),
        ocr_mode=ocr.mode,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        metadata={
            "ocr_engine": archive.engine.name,
            # which model and runtime read it (RapidOCR), for later re-reads and audits
            **(
                {"ocr_model": archive.engine.model, "ocr_runtime": archive.engine.runtime}
                if archive.engine.name == "rapidocr" and hasattr(archive.engine, "model")
                else {}
            ),
            "source_kind": checked.kind,
            "pdfa": ocr.pdfa,
            # pdfa: the archival copy is PDF/A; not_pdfa: a plain PDF, pdfa_reason says why
            "pdfa_status": "pdfa" if ocr.pdfa else "not_pdfa",
            **({"pdfa_reason": ocr.pdfa_reason} if not ocr.pdfa and ocr.pdfa_reason else {}),
            # separator sheets and empty backs: reported, not OCR'd
            **({"blank_pages": ocr.blank_pages} if ocr.blank_pages else {}),
            # 盖章单位: the text read round each red seal, as read (not checked)
            **({"seals": _seals(ocr.seals)} if ocr.seals else {}),
            # pages whose own text layer mapped to no characters: OCR'd instead
            **(
                {"unmapped_text_pages": list(checked.unmapped_pages)}
                if checked.unmapped_pages
                else {}
            ),
            # cut from a scanned stack: its cover sheet and source pages (provenance)
            **({"capture": capture.get("provenance", {})} if capture else {}),
        },
        files=files,
        pages=pages,
    )
    classify_and_file(archive, record, case, capture)
    from dangan.preservation.service import check_at_filing

    check_at_filing(archive, record)  # 四性检测: a failing item sends the record to review
    return record


def classify_and_file(
    archive: Archive, record: Record, case: str | None = None, capture: dict | None = None
) -> None:
    """Class, key fields, retention, disposal date and 档号 prefix from the page
    text; a cover sheet's data (`capture`) outranks it, and where the two
    disagree the record goes to review."""
    from dangan.ingest.capture_fields import reconcile
    from dangan.ingest.fields import extract_fields

    texts = [p.text for p in record.pages]
    result = archive.classifier().classify(texts)
    fields = extract_fields(texts).to_json()
    if case:
        fields["cases"] = [case]
    if result.title:
        record.title = result.title
    record.metadata["classified_by"] = result.method
    record.metadata["candidates"] = [list(c) for c in result.candidates]
    record.metadata["vocabulary_coverage"] = result.coverage
    doc_type, confidence, reasons = result.code, result.confidence, []
    if capture:
        policy = archive.filing_policy()
        doc_type, confidence, reasons = reconcile(
            capture, fields, result.code, result.confidence, archive.schedule(),
            policy.review_threshold,
        )  # fmt: skip
    apply_filing(
        record,
        doc_type=doc_type,
        confidence=confidence,
        fields=fields,
        schedule=archive.schedule(),
        policy=archive.filing_policy(),
        today=date.today(),
        unknown_reason=result.reason,
    )
    if reasons:
        record.review_reasons = [*reasons, *record.review_reasons]
        record.status = "review"


def _seals(found: dict[int, list[str]]) -> list[dict]:
    return [{"page": page, "text": text} for page in sorted(found) for text in found[page]]


def page_image_scale(width_pt: float, height_pt: float) -> float:
    """Pixels per point for a page's image in the viewer: PAGE_IMAGE_DPI, unless
    that makes the longer side fall outside PAGE_IMAGE_PX."""
    longer = max(width_pt, height_pt, 1.0)
    scale = PAGE_IMAGE_DPI / 72
    return min(max(scale, PAGE_IMAGE_PX[0] / longer), PAGE_IMAGE_PX[1] / longer)


def _render_pages(pdf: Path, out_dir: Path) -> list[Path]:
    import pypdfium2 as pdfium

    out_dir.mkdir(parents=True, exist_ok=True)
    doc = pdfium.PdfDocument(str(pdf))
    paths = []
    try:
        for index in range(len(doc)):
            page = doc[index]
            image = page.render(scale=page_image_scale(*page.get_size())).to_pil().convert("RGB")
            target = out_dir / f"{index + 1:04d}.jpg"
            image.save(target, quality=82, optimize=True)
            paths.append(target)
            page.close()
    finally:
        doc.close()
    return paths
