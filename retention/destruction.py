"""Executing an approved destruction batch under supervision (监销), and the
documents it leaves: the register (销毁清册, PDF and CSV) and the certificate
(销毁证明). Register, certificate and tombstones are permanent.

Execution is resumable. Per record, one catalog transaction writes the
tombstone, removes the record with its pages, files and keys, queues the index
deletion, scrubs personal data from intake and event history, notes the blob
keys still to remove and writes the audit entry; the blobs are removed after
that commit. A run killed anywhere is finished by running it again: records
not yet committed are done from the start, committed ones only lose their
remaining blobs, and nothing outside the batch is touched."""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import signal
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from dangan.catalog.stores.disposal import DisposalRows
from dangan.catalog.thumbs import thumb_key
from dangan.retention.procedure import (
    RetentionError,
    get_batch,
    require,
    require_person,
)

from dangan.access.store import Forbidden, Principal
from dangan.pdf import TableSheet, tables_pdf

if TYPE_CHECKING:
    from dangan.archive import Archive

log = logging.getLogger(__name__)

METHODS = ("电子数据删除", "电子数据删除并粉碎纸质原件", "电子数据删除并焚毁纸质原件")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _fault(point: str) -> None:
    """Test hook: kill this process hard at a named point (DANGAN_TEST_KILL_AT)."""
    if os.environ.get("DANGAN_TEST_KILL_AT") == point:
        os.kill(os.getpid(), signal.SIGKILL)


def confirm_supervisors(
    archive: Archive, actor: Principal, batch_id: int, credentials: list[tuple[str, str]], accounts
) -> list[dict]:
    """The two supervisors (监销人), each confirmed by their own username and
    password: two different registered people, neither the one executing.
    Returns who confirmed and when; a refused confirmation is audited."""
    given = [(u.strip(), p) for u, p in credentials if u.strip()]
    if len(given) != 2 or len({u.casefold() for u, _ in given}) != 2:
        raise RetentionError("销毁必须有两名不同的监销人在场，并各自输入本人的用户名和口令确认。")
    confirmed = []
    for username, password in given:
        if username.casefold() == actor.name.casefold():
            raise Forbidden("执行销毁的人不能同时担任监销人（职责分离）。")
        person = accounts.authenticate(username, password or "")
        if person is None or person.kind != "user":
            archive.audit.append(
                actor.name, "batch.supervision_refused", f"batch:{batch_id}", supervisor=username
            )
            raise Forbidden(
                f"监销人“{username}”的确认未通过：须是本系统登记的用户，并由本人输入正确的口令。"
            )
        confirmed.append(
            {"username": person.name, "name": person.display_name, "confirmed_at": _now()}
        )
    names = [c["username"].casefold() for c in confirmed]
    if len(set(names)) != 2 or actor.name.casefold() in names:
        raise Forbidden("两名监销人必须是不同的人，且都不是执行销毁的人（职责分离）。")
    return confirmed


def execute(
    archive: Archive,
    actor: Principal,
    batch_id: int,
    supervisors: list[tuple[str, str]],
    method: str,
    accounts=None,
) -> dict:
    """Destroy what an approved batch says, with two supervisors who confirm
    with their own credentials (`supervisors`: (username, password) pairs,
    checked through `accounts`, by default the catalog's account store)."""
    from dangan.access.store import SqliteAccountStore

    require(actor, "retention.manage", "执行销毁")
    require_person(actor, "执行销毁")
    if not method.strip():
        raise RetentionError("请写明销毁方式。")
    batch = get_batch(archive, batch_id)
    if batch["status"] == "executed":
        raise RetentionError(f"批次 {batch_id} 已销毁完毕。")
    if batch["status"] not in ("approved", "executing"):  # in appraisal, returned, rejected
        raise RetentionError(f"批次 {batch_id} 尚未经机构负责人审批，不能销毁。")
    accounts = accounts or SqliteAccountStore(archive.catalog)
    confirmed = confirm_supervisors(archive, actor, batch_id, supervisors, accounts)
    resumed = batch["status"] == "executing"
    supervision = [*batch["supervision"], *({**c, "resumed": resumed} for c in confirmed)]
    rows = DisposalRows(archive.catalog)
    with archive.catalog.transaction() as conn:
        if batch["status"] == "approved":
            rows.start_execution(
                conn,
                batch_id,
                json.dumps([c["username"] for c in confirmed], ensure_ascii=False),
                method.strip(),
            )
        rows.set_supervision(conn, batch_id, json.dumps(supervision, ensure_ascii=False))
        archive.audit.append_in(
            conn, actor.name, "batch.execute", f"batch:{batch_id}",
            supervisors=confirmed, method=method, resumed=resumed,
        )  # fmt: skip
    destroyed = skipped = 0
    for item in batch["items"]:
        if item["decision"] != "destroy" or item["state"] in ("destroyed", "skipped"):
            continue
        if item["state"] == "pending":
            if _held(archive, item["record_id"]):
                _skip(archive, actor, batch_id, item["record_id"])
                skipped += 1
                continue
            _remove_record(archive, actor, batch_id, item["record_id"])
        _remove_blobs(archive, batch_id, item["record_id"])
        destroyed += 1
    archive.sync_index()
    archive.index.optimize()  # deleted text physically gone from the index files
    archive.catalog.compact()
    documents = _store_documents(archive, batch_id)
    with archive.catalog.transaction() as conn:
        rows.finish_execution(conn, batch_id, _now(), json.dumps(documents))
        archive.audit.append_in(
            conn, actor.name, "batch.executed", f"batch:{batch_id}",
            destroyed=destroyed, skipped=skipped, documents=documents,
        )  # fmt: skip
    return {"batch": batch_id, "destroyed": destroyed, "skipped": skipped, **documents}


def _held(archive: Archive, record_id: str) -> bool:
    return DisposalRows(archive.catalog).is_held(record_id)


def _skip(archive: Archive, actor: Principal, batch_id: int, record_id: str) -> None:
    with archive.catalog.transaction() as conn:
        DisposalRows(archive.catalog).mark_item_skipped(conn, batch_id, record_id)
        archive.audit.append_in(
            conn, actor.name, "record.destroy_skipped", record_id, batch=batch_id, why="held"
        )


def _remove_record(archive: Archive, actor: Principal, batch_id: int, record_id: str) -> None:
    record = archive.catalog.get(record_id)
    rows = DisposalRows(archive.catalog)
    with archive.catalog.transaction() as conn:
        if record is None:  # already gone: nothing of it is left in the catalog
            keys: list[str] = []
        else:
            keys = [f.key for f in record.files]
            # thumbnails made from its page images go with them
            keys += [thumb_key(f.key) for f in record.files if f.role == "page_image"]
            rows.write_tombstone(
                conn,
                record.id,
                archival_code=record.archival_code,
                title=record.title,
                doc_type=record.doc_type,
                formed_date=record.formed_date,
                retention=record.retention,
                disposal_date=record.disposal_date,
                pages=record.page_count,
                batch_id=batch_id,
                destroyed_at=_now(),
            )
            rows.delete_record(conn, record_id, _now())
            _scrub_history(conn, record_id)
            archive.catalog.emit_event(
                conn,
                "record.destroyed",
                record_id,
                {"record_id": record_id, "archival_code": record.archival_code, "batch": batch_id},
            )
        rows.mark_item_destroying(conn, batch_id, record_id, json.dumps(keys))
        archive.audit.append_in(
            conn, actor.name, "record.destroy", record_id,
            batch=batch_id, archival_code=record.archival_code if record else None,
        )  # fmt: skip
    _fault("after_record_commit")


def _scrub_history(conn, record_id: str) -> None:
    """Personal data copied into operational history goes with the record."""
    DisposalRows.scrub_history(conn, record_id, json.dumps({"record_id": record_id}))


def _remove_blobs(archive: Archive, batch_id: int, record_id: str) -> None:
    rows = DisposalRows(archive.catalog)
    for n, key in enumerate(json.loads(rows.item_blob_keys(batch_id, record_id) or "[]")):
        archive.blobs.delete(key)
        if n == 0:
            _fault("during_blob_removal")
    with archive.catalog.transaction() as conn:
        rows.mark_item_destroyed(conn, batch_id, record_id, _now())


# --- documents -------------------------------------------------------------

REGISTER_COLUMNS = [
    "序号",
    "档号",
    "题名",
    "类别",
    "年度",
    "保管期限",
    "页数",
    "鉴定意见",
    "鉴定人",
]


@dataclass(frozen=True)
class Labels:
    """What the printed documents name: people by 姓名 (login names as keys)
    and classes by their schedule name (class codes as keys)."""

    names: dict[str, str] = field(default_factory=dict)
    classes: dict[str, str] = field(default_factory=dict)

    def person(self, username: str | None) -> str:
        if not username:
            return ""
        name = self.names.get(username)
        return f"{name}（{username}）" if name and name != username else username


def labels_for(archive: Archive) -> Labels:
    from dangan.access.store import SqliteAccountStore

    users = SqliteAccountStore(archive.catalog).list_users()
    return Labels(
        names={u["username"]: u["display_name"] for u in users},
        classes={row.code: row.material for row in archive.schedule().rows},
    )


def _beijing(iso: str | None) -> str:
    """`YYYY-MM-DD HH:mm` Beijing time from a stored UTC ISO time."""
    if not iso:
        return ""
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")


def register_rows(batch: dict, labels: Labels | None = None) -> list[list[str]]:
    labels = labels or Labels()
    rows = []
    for n, item in enumerate((i for i in batch["items"] if i["decision"] == "destroy"), start=1):
        code = item["doc_type"] or ""
        rows.append(
            [
                str(n),
                item["archival_code"] or item["record_id"],
                item["title"],
                labels.classes.get(code, code),
                (item["formed_date"] or "")[:4],
                item["retention"] or "",
                str(item["pages"]),
                item["reason"] or "",
                "、".join(labels.names.get(a, a) for a in item["appraisers"]),
            ]
        )
    return rows


def register_csv(batch: dict, labels: Labels | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REGISTER_COLUMNS)
    writer.writerows(register_rows(batch, labels))
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # BOM: opens cleanly in Excel


SIGN = "签字：________________　日期：____年__月__日"


def _appraisers(batch: dict, labels: Labels) -> str:
    people = sorted({a for i in batch["items"] for a in i["appraisers"]})
    return "、".join(labels.names.get(a, a) for a in people) or "________________"


def register_pdf(batch: dict, labels: Labels | None = None) -> bytes:
    labels = labels or Labels()
    sheet = TableSheet(
        title="档案销毁清册",
        header_lines=[
            f"批次：{batch['id']}　{batch['title']}　建立人：{labels.person(batch['created_by'])}"
            f"　建立时间：{_beijing(batch['created_at'])}（北京时间）",
            f"审批人：{labels.person(batch['approved_by']) or '（未审批）'}"
            f"　审批时间：{_beijing(batch['approved_at'])}",
        ],
        columns=REGISTER_COLUMNS,
        widths=[4, 22, 20, 14, 6, 7, 5, 16, 10],
        rows=register_rows(batch, labels),
        footer_lines=[
            f"鉴定小组成员：{_appraisers(batch, labels)}　{SIGN}",
            f"机构负责人（审批）：{labels.person(batch['approved_by']) or '________'}　{SIGN}",
            f"监销人一：{_supervisor(batch, labels, 0)}　{SIGN}",
            f"监销人二：{_supervisor(batch, labels, 1)}　{SIGN}",
            "本清册永久保存，并报送主管部门备案。",
        ],
    )
    return tables_pdf([sheet], doc_title=f"档案销毁清册 批次{batch['id']}", landscape=True)


def _supervisor(batch: dict, labels: Labels, n: int) -> str:
    names = batch.get("supervisors") or []
    return labels.person(names[n]) if len(names) > n else "________________"


def certificate_pdf(batch: dict, labels: Labels | None = None) -> bytes:
    labels = labels or Labels()
    destroyed = sorted(
        (i for i in batch["items"] if i["state"] == "destroyed"),
        key=lambda i: i["archival_code"] or i["record_id"],
    )
    sheet = TableSheet(
        title="档案销毁证明",
        header_lines=[
            f"兹证明以下档案已按经审批的销毁清册（批次 {batch['id']}）销毁，共 {len(destroyed)} 件、"
            f"{sum(i['pages'] for i in destroyed)} 页。",
            f"审批人：{labels.person(batch['approved_by'])}"
            f"　审批时间：{_beijing(batch['approved_at'])}（北京时间）",
            f"销毁方式：{batch['method']}",
            *_supervisors(batch, labels),
        ],
        columns=["序号", "档号", "题名", "类别", "销毁时间（北京时间）"],
        widths=[1, 4, 5, 3, 3],
        rows=[
            [
                str(n),
                i["archival_code"] or i["record_id"],
                i["title"],
                labels.classes.get(i["doc_type"] or "", i["doc_type"] or ""),
                _beijing(i["destroyed_at"]),
            ]
            for n, i in enumerate(destroyed, start=1)
        ],
        footer_lines=[
            f"鉴定小组成员：{_appraisers(batch, labels)}　{SIGN}",
            f"机构负责人（审批）：{labels.person(batch['approved_by'])}　{SIGN}",
            f"监销人一：{_supervisor(batch, labels, 0)}　{SIGN}",
            f"监销人二：{_supervisor(batch, labels, 1)}　{SIGN}",
            "本证明永久保存。",
        ],
    )
    return tables_pdf([sheet], doc_title=f"档案销毁证明 批次{batch['id']}")


def _supervisors(batch: dict, labels: Labels) -> list[str]:
    """Who supervised, as confirmed with their own credentials, and when."""
    if not batch.get("supervision"):
        return [f"监销人：{'、'.join(labels.person(s) for s in batch['supervisors'])}"]
    return ["监销人（各自以本人用户名和口令确认）："] + [
        f"{c['name']}（{c['username']}）　确认时间 {_beijing(c['confirmed_at'])}（北京时间）"
        f"{'　（中断后续行销毁时确认）' if c.get('resumed') else ''}"
        for c in batch["supervision"]
    ]


def _store_documents(archive: Archive, batch_id: int) -> dict:
    batch = get_batch(archive, batch_id)
    labels = labels_for(archive)
    prefix = f"retention/batches/{batch_id:06d}"
    docs = {
        "register_pdf": archive.blobs.put_bytes(
            f"{prefix}/register.pdf", register_pdf(batch, labels)
        ),
        "register_csv": archive.blobs.put_bytes(
            f"{prefix}/register.csv", register_csv(batch, labels)
        ),
        "certificate_pdf": archive.blobs.put_bytes(
            f"{prefix}/certificate.pdf", certificate_pdf(batch, labels)
        ),
    }
    return {name: info.key for name, info in docs.items()}
