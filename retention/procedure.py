"""Appraisal and destruction (鉴定与销毁) by the rules of 3号令 (see
../shared/reference/domain.md): the due list, holds, appraisal batches,
approval with separation of duties, and the state the execution works from.

Every step checks the actor's role (dangan/access/roles.py) and is written to
the audit log in the same transaction as the change. Execution itself is in
retention/destruction.py."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from dangan.catalog.base import RecordFilter
from dangan.catalog.stores.retention import RetentionRows

from dangan.access.roles import ROLES, allowed
from dangan.access.store import Forbidden, Principal
from dangan.errors import DanganError, ExitCode, NotFound

if TYPE_CHECKING:
    from dangan.archive import Archive

HOLD_KINDS = {"audit": "稽核", "litigation": "诉讼", "petition": "信访", "other": "其他"}


class RetentionError(DanganError):
    exit_code = ExitCode.PROCEDURE
    http_status = 422
    code = "retention"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def require(actor: Principal, permission: str, what: str) -> None:
    if not allowed(actor.roles, permission):
        names = "、".join(ROLES.get(r, r) for r in sorted(actor.roles))
        raise Forbidden(f"{actor.display_name}（{names}）无权{what}。")


def require_person(actor: Principal, what: str) -> None:
    """Appraisal, approval and supervised destruction are acts of a person who
    answers for them: never of a business system's API token."""
    if actor.kind != "user":
        raise Forbidden(f"{what}必须由本人登录后办理，API 令牌（{actor.display_name}）不能{what}。")


# --- the due list ----------------------------------------------------------


@dataclass
class DueRecord:
    record_id: str
    archival_code: str | None
    title: str
    doc_type: str | None
    year: str
    disposal_date: str
    held: bool
    batch_id: int | None
    security_level: str = "internal"


def due_records(
    archive: Archive, as_of: date, levels: tuple[str, ...] | None = None
) -> list[DueRecord]:
    """Filed records due by `as_of`; with `levels`, only those of these 密级."""
    rows = RetentionRows(archive.catalog).due(as_of.isoformat())
    return [
        DueRecord(
            r["id"],
            r["archival_code"],
            r["title"],
            r["doc_type"],
            (r["formed_date"] or "")[:4],
            r["disposal_date"],
            bool(r["held"]),
            r["batch_id"],
            r["security_level"],
        )
        for r in rows
        if levels is None or r["security_level"] in levels
    ]


def due_summary(archive: Archive, as_of: date, levels: tuple[str, ...] | None = None) -> dict:
    """Due records grouped by class and year, with held and in-review ones apart;
    with `levels`, only records of these 密级 (the reader's clearance)."""
    groups: dict[tuple, list[DueRecord]] = defaultdict(list)
    held, in_review = [], []
    for rec in due_records(archive, as_of, levels):
        if rec.held:
            held.append(rec)
        elif rec.batch_id is not None:
            in_review.append(rec)
        else:
            groups[(rec.doc_type, rec.year)].append(rec)
    schedule = archive.schedule()
    return {
        "as_of": as_of.isoformat(),
        "groups": [
            {
                "doc_type": doc_type,
                "material": schedule.by_code[doc_type].material if doc_type in schedule else "",
                "year": year,
                "count": len(recs),
                "records": [vars(r) for r in recs],
            }
            for (doc_type, year), recs in sorted(groups.items(), key=lambda kv: kv[0])
        ],
        "held": [vars(r) for r in held],
        "in_review": [vars(r) for r in in_review],
        "total": sum(len(v) for v in groups.values()),
    }


# --- holds -----------------------------------------------------------------


def resolve_records(
    archive: Archive,
    *,
    record_ids: list[str] | None = None,
    person: str | None = None,
    unit: str | None = None,
    query: str | None = None,
) -> list[str]:
    """Record ids named directly (by 档案编号 or 档号), or found by person, unit
    or a full-text query."""
    found: list[str] = []
    for ref in record_ids or []:
        rid = archive.catalog.resolve_record_ref(ref)
        if rid is None:
            raise NotFound(f"没有档案编号或档号为 {ref} 的档案记录。")
        found.append(rid)
    if person or unit or query:
        filters = RecordFilter(person=person, unit=unit)
        offset = 0
        while True:
            page = archive.index.search(
                query or "",
                filters=None if filters.is_empty() else filters,
                limit=500,
                offset=offset,
            )
            found += [h.record_id for h in page.hits]
            offset += len(page.hits)
            if not page.hits or offset >= page.total:
                break
    return list(dict.fromkeys(found))


def place_hold(
    archive: Archive,
    actor: Principal,
    *,
    kind: str,
    reason: str,
    owner: str,
    record_ids: list[str],
) -> int:
    require(actor, "retention.manage", "冻结档案")
    if kind not in HOLD_KINDS:
        raise RetentionError(f"冻结类型“{kind}”无效，可用：{'、'.join(HOLD_KINDS)}。")
    if not reason.strip() or not owner.strip():
        raise RetentionError("冻结必须写明原因和负责人。")
    if not record_ids:
        raise RetentionError("没有找到要冻结的档案记录，请检查条件。")
    with archive.catalog.transaction() as conn:
        hold_id = RetentionRows(archive.catalog).add_hold(
            conn,
            kind=kind,
            reason=reason.strip(),
            owner=owner.strip(),
            created_by=actor.name,
            at=_now(),
            record_ids=record_ids,
        )
        archive.audit.append_in(
            conn, actor.name, "hold.place", f"hold:{hold_id}",
            kind=kind, reason=reason, owner=owner, records=record_ids,
        )  # fmt: skip
    return hold_id


def lift_hold(archive: Archive, actor: Principal, hold_id: int, reason: str) -> None:
    require(actor, "retention.manage", "解除冻结")
    if not reason.strip():
        raise RetentionError("解除冻结必须写明理由。")
    with archive.catalog.transaction() as conn:
        lifted = RetentionRows(archive.catalog).lift_hold(
            conn, hold_id, actor.name, _now(), reason.strip()
        )
        if not lifted:
            raise NotFound(f"没有编号为 {hold_id} 的有效冻结。")
        archive.audit.append_in(conn, actor.name, "hold.lift", f"hold:{hold_id}", reason=reason)


def list_holds(archive: Archive, active_only: bool = True) -> list[dict]:
    rows = RetentionRows(archive.catalog).holds(active_only)
    return [{**r, "kind_label": HOLD_KINDS.get(r["kind"], r["kind"])} for r in rows]


# --- batches ---------------------------------------------------------------


def create_batch(
    archive: Archive,
    actor: Principal,
    as_of: date,
    *,
    doc_type: str | None = None,
    year: str | None = None,
    title: str | None = None,
) -> int:
    """A review batch from the due list: held records and records already in an
    open batch never enter."""
    require(actor, "retention.manage", "建立鉴定批次")
    chosen = [
        r
        for r in due_records(archive, as_of)
        if not r.held
        and r.batch_id is None
        and (doc_type is None or r.doc_type == doc_type)
        and (year is None or r.year == year)
    ]
    if not chosen:
        raise RetentionError("没有符合条件的到期档案（已冻结或已在鉴定中的不计）。")
    with archive.catalog.transaction() as conn:
        batch_id = RetentionRows(archive.catalog).add_batch(
            conn,
            title=title or f"{as_of.isoformat()} 到期档案鉴定",
            as_of=as_of.isoformat(),
            created_by=actor.name,
            at=_now(),
            record_ids=[r.record_id for r in chosen],
        )
        archive.audit.append_in(
            conn, actor.name, "batch.create", f"batch:{batch_id}",
            as_of=as_of.isoformat(), records=len(chosen),
        )  # fmt: skip
    return batch_id


def get_batch(archive: Archive, batch_id: int, levels: tuple[str, ...] | None = None) -> dict:
    """The batch and its items; with `levels`, only items of these 密级 (the
    record's level while it exists, else the one it had in the batch) and
    `hidden_items` says how many were left out."""
    row, rows = RetentionRows(archive.catalog).batch(batch_id)
    if row is None:
        raise NotFound(f"没有编号为 {batch_id} 的鉴定批次。")
    items = [
        {**r, "appraisers": json.loads(r["appraisers"]), "security_level": r["level_now"]}
        for r in rows
    ]
    for item in items:
        item.pop("level_now")
    shown = [i for i in items if levels is None or i["security_level"] in levels]
    batch = dict(row)
    batch["supervisors"] = json.loads(batch["supervisors"] or "[]")
    batch["supervision"] = json.loads(batch.get("supervision") or "[]")
    batch["documents"] = json.loads(batch["documents"] or "{}")
    batch["items"] = shown
    batch["hidden_items"] = len(items) - len(shown)
    return batch


def list_batches(archive: Archive) -> list[dict]:
    return RetentionRows(archive.catalog).batches()


def appraise(
    archive: Archive,
    actor: Principal,
    batch_id: int,
    *,
    decision: str,
    reason: str,
    record_ids: list[str] | None = None,
    extend_years: int | None = None,
) -> int:
    """Record one appraiser's decision on some or all (`record_ids` None) records
    of a batch. Keeping extends the disposal date by `extend_years`."""
    require(actor, "retention.manage", "鉴定")
    require_person(actor, "鉴定")
    batch = get_batch(archive, batch_id)
    if batch["status"] not in ("appraisal", "returned"):
        raise RetentionError(f"批次 {batch_id} 已{_STATUS[batch['status']]}，不能再修改鉴定意见。")
    if decision not in ("destroy", "keep"):
        raise RetentionError("鉴定意见只能是“销毁”（destroy）或“继续保存”（keep）。")
    if not reason.strip():
        raise RetentionError("鉴定意见必须写明理由。")
    if decision == "keep" and (not extend_years or extend_years < 1):
        raise RetentionError("继续保存必须写明延长的年数（至少 1 年）。")
    items = {i["record_id"]: i for i in batch["items"]}
    targets = record_ids or list(items)
    missing = [rid for rid in targets if rid not in items]
    if missing:
        raise RetentionError(f"这些记录不在批次 {batch_id} 中：{'、'.join(missing)}。")
    with archive.catalog.transaction() as conn:
        rows = RetentionRows(archive.catalog)
        rows.reopen_returned(conn, batch_id)
        for rid in targets:
            appraisers = sorted({*items[rid]["appraisers"], actor.name})
            rows.set_decision(
                conn,
                batch_id,
                rid,
                decision=decision,
                extend_years=extend_years if decision == "keep" else None,
                reason=reason.strip(),
                appraisers_json=json.dumps(appraisers, ensure_ascii=False),
            )
            if decision == "keep":
                current = items[rid]["disposal_date"]
                new = _add_years(date.fromisoformat(current), extend_years).isoformat()
                rows.set_disposal_date(conn, rid, new)
        archive.audit.append_in(
            conn, actor.name, "batch.appraise", f"batch:{batch_id}",
            decision=decision, extend_years=extend_years, reason=reason, records=targets,
        )  # fmt: skip
    return len(targets)


def approve(archive: Archive, actor: Principal, batch_id: int, note: str = "") -> None:
    """The agency head approves; nobody who created or appraised the batch may."""
    require(actor, "retention.approve", "审批销毁")
    require_person(actor, "审批销毁")
    batch = get_batch(archive, batch_id)
    if batch["status"] != "appraisal":
        raise RetentionError(f"批次 {batch_id} 已{_STATUS[batch['status']]}。")
    if actor.name == batch["created_by"]:
        raise Forbidden("批次的建立人不能审批自己建立的批次（职责分离）。")
    appraisers = {a for i in batch["items"] for a in i["appraisers"]}
    if actor.name in appraisers:
        raise Forbidden("参加鉴定的人员不能审批该批次（职责分离）。")
    pending = [
        i["archival_code"] or i["record_id"] for i in batch["items"] if i["decision"] == "pending"
    ]
    if pending:
        raise RetentionError(f"还有 {len(pending)} 件没有鉴定意见（如 {pending[0]}），不能审批。")
    with archive.catalog.transaction() as conn:
        RetentionRows(archive.catalog).decide_batch(
            conn, batch_id, status="approved", by=actor.name, at=_now(), note=note
        )
        archive.audit.append_in(conn, actor.name, "batch.approve", f"batch:{batch_id}", note=note)


def send_back(
    archive: Archive, actor: Principal, batch_id: int, reason: str, *, reject: bool = False
) -> None:
    """The agency head returns a batch to the appraisers (退回重新鉴定: its
    appraisals stay, to be revised), or rejects it (不同意销毁: the batch is
    closed and its records go back to the due list). A reason is required;
    `approved_by` and `approval_note` then name who decided and why."""
    what = "不同意销毁" if reject else "退回鉴定批次"
    require(actor, "retention.approve", what)
    require_person(actor, what)
    if not reason.strip():
        raise RetentionError(f"{what}必须写明理由。")
    batch = get_batch(archive, batch_id)
    if batch["status"] != "appraisal":
        raise RetentionError(f"批次 {batch_id} 已{_STATUS[batch['status']]}。")
    status = "rejected" if reject else "returned"
    with archive.catalog.transaction() as conn:
        RetentionRows(archive.catalog).decide_batch(
            conn, batch_id, status=status, by=actor.name, at=_now(), note=reason.strip()
        )
        action = "batch.reject" if reject else "batch.return"
        archive.audit.append_in(conn, actor.name, action, f"batch:{batch_id}", reason=reason)


STATUS_LABELS = {
    "appraisal": "鉴定中",
    "returned": "已退回重新鉴定",
    "rejected": "未同意销毁（已关闭）",
    "approved": "已审批",
    "executing": "销毁中",
    "executed": "已销毁",
}

_STATUS = {
    "appraisal": "在鉴定中",
    "returned": "退回重新鉴定",
    "rejected": "被否决（不同意销毁）",
    "approved": "审批",
    "executing": "开始销毁",
    "executed": "销毁完毕",
}


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
