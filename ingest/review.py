"""The review queue: records the machine was unsure of, confirmed or corrected
by a clerk. A confirmation files the record (档号 assigned) and becomes
training data for the classifier."""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING

from dangan.catalog.base import Record
from dangan.catalog.stores.listing import ListingRows
from dangan.retention.filing import apply_filing

from dangan.errors import DanganError, ExitCode, NotFound
from dangan.identifiers import is_valid_id_number

if TYPE_CHECKING:
    from dangan.archive import Archive

log = logging.getLogger(__name__)


class ReviewError(DanganError):
    exit_code = ExitCode.REVIEW
    http_status = 422
    code = "review"


def review_queue(archive: Archive, levels: tuple[str, ...] | None = None) -> list[Record]:
    """Records waiting for review; with `levels`, only those of these 密级."""
    records = [archive.catalog.get(i) for i in archive.catalog.list_ids_where("status = 'review'")]
    return [r for r in records if r is not None and (levels is None or r.security_level in levels)]


def review_queue_page(
    archive: Archive,
    levels: tuple[str, ...] | None,
    *,
    sort: str | None = None,
    descending: bool = False,
    limit: int = 20,
    offset: int = 0,
) -> tuple[int, list[Record]]:
    """One page of the review queue, sorted in the catalog over the whole
    queue (catalog.stores.listing.REVIEW_SORT_COLUMNS), and its size."""
    total, ids = ListingRows(archive.catalog).review_ids(
        levels, sort=sort, descending=descending, limit=limit, offset=offset
    )
    records = [archive.catalog.get(i) for i in ids]
    return total, [r for r in records if r is not None]


def set_security_level(
    archive: Archive, record_id: str, level: str, reason: str, *, actor: str
) -> Record:
    """Change a record's 密级. The reason is required and logged; the person's
    choice then stands when the record is re-filed."""
    from dangan.catalog.base import SECURITY_LEVELS

    if level not in SECURITY_LEVELS:
        names = "、".join(f"{k}（{v}）" for k, v in SECURITY_LEVELS.items())
        raise ReviewError(f"密级“{level}”无效。可用：{names}。")
    if not reason.strip():
        raise ReviewError("请写明调整密级的理由（将记入审计日志）。")
    record = archive.catalog.get(record_id)
    if record is None:
        raise NotFound(f"没有编号为 {record_id} 的档案记录。")
    before = record.security_level
    record.security_level = level
    record.metadata["security_set_by"] = actor
    archive.catalog.update_filing(record)
    archive.sync_index(quiet=True)
    archive.audit.append(
        actor, "record.security", record.id, before=before, after=level, reason=reason.strip()
    )
    return record


def confirm(
    archive: Archive,
    record_id: str,
    *,
    doc_type: str | None = None,
    business_date: str | None = None,
    id_numbers: list[str] | None = None,
    person_name: str | None = None,
    unit_name: str | None = None,
    serial: str | None = None,
    actor: str = "cli",
) -> Record:
    """Confirm the machine's reading, correcting what the clerk gives."""
    record = archive.catalog.get(record_id)
    if record is None:
        raise NotFound(f"没有编号为 {record_id} 的档案记录。")
    schedule = archive.schedule()
    doc_type = doc_type or record.doc_type
    if doc_type is None:
        raise ReviewError("请选择档案类别（--doc-type）后再确认。")
    if doc_type not in schedule:
        raise ReviewError(
            f"类别代码“{doc_type}”不在保管期限表中。可用：{'、'.join(schedule.codes)}。"
        )
    fields = dict(record.fields)
    if business_date is not None:
        try:
            date.fromisoformat(business_date)
        except ValueError as exc:
            raise ReviewError(f"业务日期“{business_date}”格式不正确，应为 YYYY-MM-DD。") from exc
        fields["business_date"] = business_date
    if id_numbers is not None:
        bad = [n for n in id_numbers if not is_valid_id_number(n.upper())]
        if bad:
            raise ReviewError(f"公民身份号码校验不通过：{'、'.join(bad)}。请核对原件。")
        fields["id_numbers"] = [n.upper() for n in id_numbers]
        fields["invalid_id_numbers"] = []
    for key, value in (("person_name", person_name), ("unit_name", unit_name)):
        if value is not None:
            fields[key] = value.strip() or None
    if serial is not None:
        fields["serial"] = serial.strip().upper() or None
    if fields.get("invalid_id_numbers") and id_numbers is None:
        raise ReviewError(
            "该记录有校验不通过的公民身份号码："
            + "、".join(fields["invalid_id_numbers"])
            + "。请核对原件后用 --id-number 给出正确号码。"
        )
    if not fields.get("business_date") and business_date is None:
        raise ReviewError("未识别到业务办理日期，请用 --business-date 补录（YYYY-MM-DD）。")
    corrected_class = doc_type != record.doc_type
    apply_filing(
        record,
        doc_type=doc_type,
        confidence=1.0,
        fields=fields,
        schedule=schedule,
        policy=archive.filing_policy(),
        today=date.today(),
        confirmed=True,
    )
    record.metadata["classified_by"] = "clerk"
    archive.catalog.update_filing(record)
    if corrected_class:
        # the correction is new training data: retrain on next use
        (archive.settings.model_dir / "classifier.json").unlink(missing_ok=True)
        archive.forget_cached()
    archive.sync_index(quiet=True)
    archive.audit.append(
        actor,
        "record.confirm",
        record.id,
        doc_type=doc_type,
        corrected_class=corrected_class,
        archival_code=record.archival_code,
    )
    log.info("record %s confirmed as %s (%s)", record.id, doc_type, record.archival_code)
    return record


def confirm_each(
    archive: Archive, record_ids: list[str], *, actor: str, allowed=None
) -> tuple[list[Record], dict[str, str]]:
    """Bulk confirmation of the machine's reading: each record on its own, so
    one that needs a correction does not hold back the others. `allowed` (a
    callable raising for records the caller may not see) is checked first.
    Returns the records filed and, by id, why the others were not."""
    filed: list[Record] = []
    errors: dict[str, str] = {}
    for record_id in dict.fromkeys(record_ids):
        try:
            if allowed is not None:
                allowed(record_id)
            filed.append(confirm(archive, record_id, actor=actor))
        except DanganError as exc:
            errors[record_id] = exc.message
    return filed, errors
