"""Appraisal and destruction (鉴定与销毁) end to end on generated records."""

from __future__ import annotations

import json
import subprocess
import uuid
from datetime import date
from pathlib import Path

import pytest
from conftest import minio_bucket, pg_database, run_cli
from dangan.catalog.base import FileRef
from dangan.retention.destruction import execute
from dangan.retention.procedure import (
    RetentionError,
    appraise,
    approve,
    create_batch,
    due_summary,
    get_batch,
    lift_hold,
    place_hold,
    resolve_records,
)
from records import file_record

from dangan.access.store import Forbidden, Principal, SqliteAccountStore
from dangan.archive import Archive
from dangan.config import Settings

AS_OF = date(2026, 1, 1)
ZHOU = Principal("zhou", "周", frozenset({"compliance"}))
WU = Principal("wu", "吴", frozenset({"compliance"}))
BOSS = Principal("boss", "郑", frozenset({"compliance", "head"}))
CHEN = Principal("chen", "陈", frozenset({"head"}))
CLERK = Principal("wang", "王", frozenset({"clerk"}))
PASSWORD = "password-12345"
# two registered supervisors (监销人), each confirming with their own password
SUPERVISORS = [("wu", PASSWORD), ("lin", PASSWORD)]


def _register_people(archive: Archive) -> None:
    accounts = SqliteAccountStore(archive.catalog)
    for username, name, roles in (
        ("zhou", "周", {"compliance"}),
        ("wu", "吴", {"compliance"}),
        ("lin", "林", {"auditor"}),
        ("chen", "陈", {"head"}),
    ):
        accounts.add_user(username, name, roles, PASSWORD)


# record id -> (class, business date, person ID, name)
RECORDS = {
    "p1": ("payment_proof", "2010-03-01", "11010519491231002X", "赵一"),
    "p2": ("payment_proof", "2010-07-01", "110105195001010017", "钱二"),
    "r1": ("reimbursement", "2012-05-05", "110105195203030018", "孙三"),
    "b1": ("inpatient_bill", "1990-02-02", "110105196004040012", "李四"),
    "s1": ("annual_statistics", "2000-01-05", None, None),  # permanent
    "n1": ("reimbursement", "2024-01-01", "110105197005050016", "周五"),  # not due
}


def _add(archive: Archive, rid: str) -> None:
    doc_type, day, person, name = RECORDS[rid]
    text = (
        f"档案{rid} 姓名 {name} 公民身份号码 {person} 罕见词{rid}甲乙" if person else f"统计{rid}"
    )
    files = []
    for role, key, data in (
        ("original", f"records/{rid}/original.png", b"png " + rid.encode()),
        ("archive_pdf", f"records/{rid}/archive.pdf", b"%PDF " + rid.encode()),
        ("page_image", f"records/{rid}/pages/0001.jpg", b"jpg " + rid.encode()),
    ):
        info = archive.blobs.put_bytes(key, data)
        files.append(FileRef(role, info.key, info.sha256, info.size, "application/octet-stream", 1))
    fields = {"business_date": day, "id_numbers": [person] if person else [], "person_name": name}
    file_record(archive, rid, doc_type, fields, pages=[text], files=files, today=AS_OF)


@pytest.fixture(params=["embedded", "postgresql+minio+elasticsearch"])
def archive(request, tmp_path: Path):
    """The procedure on the embedded backends and on PostgreSQL, MinIO and
    Elasticsearch."""
    env = {"DANGAN_HOME": str(tmp_path / "h")}
    if request.param != "embedded":
        env |= pg_database(request.getfixturevalue("postgres_env"))
        env |= minio_bucket(request.getfixturevalue("minio_env"))
        env |= request.getfixturevalue("elastic_env")
        env["DANGAN_SEARCH_INDEX"] = f"test-{uuid.uuid4().hex[:12]}"
    archive = Archive.open(Settings.from_env(env))
    for rid in RECORDS:
        _add(archive, rid)
    archive.sync_index()
    _register_people(archive)
    yield archive
    if hasattr(archive.index, "client"):
        archive.index.client.indices.delete(index=archive.index.name, ignore_unavailable=True)
    archive.close()


def _ids(summary) -> set[str]:
    return {r["record_id"] for g in summary["groups"] for r in g["records"]}


def test_the_whole_procedure_destroys_exactly_what_was_approved(archive):
    assert _ids(due_summary(archive, AS_OF)) == {"p1", "p2", "r1", "b1"}

    # a 信访 hold on one person's records: never in a batch, never destroyed
    held = resolve_records(archive, person="110105195203030018")
    assert held == ["r1"]
    with pytest.raises(Forbidden):
        place_hold(archive, CLERK, kind="petition", reason="信访", owner="周", record_ids=held)
    place_hold(archive, ZHOU, kind="petition", reason="信访件 2025-17", owner="周", record_ids=held)
    due = due_summary(archive, AS_OF)
    assert [r["record_id"] for r in due["held"]] == ["r1"] and "r1" not in _ids(due)

    batch = create_batch(archive, BOSS, AS_OF)
    assert {i["record_id"] for i in get_batch(archive, batch)["items"]} == {"p1", "p2", "b1"}
    due = due_summary(archive, AS_OF)
    assert {r["record_id"] for r in due["in_review"]} == {"p1", "p2", "b1"}

    appraise(archive, ZHOU, batch, decision="destroy", reason="保管期满，无保存价值")
    with pytest.raises(RetentionError, match="延长"):
        appraise(archive, WU, batch, decision="keep", reason="仍有查考价值", record_ids=["p2"])
    appraise(
        archive,
        WU,
        batch,
        decision="keep",
        reason="仍有查考价值",
        record_ids=["p2"],
        extend_years=10,
    )
    assert archive.catalog.get("p2").disposal_date == "2031-01-01"
    assert "p2" not in _ids(due_summary(archive, AS_OF)) | {
        r["record_id"] for r in due_summary(archive, AS_OF)["in_review"]
    }

    with pytest.raises(RetentionError, match="尚未经机构负责人审批"):
        execute(archive, ZHOU, batch, SUPERVISORS, "电子数据删除")
    with pytest.raises(Forbidden, match="职责分离"):
        approve(archive, BOSS, batch)  # the creator
    with pytest.raises(Forbidden):
        approve(archive, ZHOU, batch)  # no head role
    approve(archive, CHEN, batch, "同意销毁")
    with pytest.raises(RetentionError, match="两名不同的监销人"):
        execute(archive, ZHOU, batch, [("wu", PASSWORD), ("wu", PASSWORD)], "电子数据删除")

    result = execute(archive, ZHOU, batch, SUPERVISORS, "电子数据删除")
    assert result["destroyed"] == 2 and result["skipped"] == 0

    for rid in ("p1", "b1"):
        assert archive.catalog.get(rid) is None
        assert list(archive.blobs.list(f"records/{rid}")) == []
        if hasattr(archive.blobs, "versions"):  # MinIO: no version left behind the hold
            for name in ("original.png", "archive.pdf", "pages/0001.jpg"):
                assert archive.blobs.versions(f"records/{rid}/{name}") == []
    for term in ("罕见词p1甲乙", "11010519491231002X", "赵一", "李四"):
        assert archive.index.search(term).total == 0, term
    for rid in ("p2", "r1", "b1"):
        if rid != "b1":
            assert archive.catalog.get(rid) is not None
            assert len(list(archive.blobs.list(f"records/{rid}"))) == 3
    conn = archive.catalog.connection()
    tomb = conn.execute("SELECT * FROM tombstones WHERE record_id = 'p1'").fetchone()
    assert tomb["archival_code"].startswith("Q001-YW·2010-D10-ZJ-") and tomb["batch_id"] == batch
    assert not conn.execute("SELECT 1 FROM pages WHERE record_id IN ('p1', 'b1')").fetchall()
    kinds = [r[0] for r in conn.execute("SELECT kind FROM events WHERE record_id = 'p1'")]
    assert kinds == ["record.filed", "record.destroyed"]
    assert "11010519491231002X" not in str(
        conn.execute("SELECT payload FROM events WHERE record_id = 'p1'").fetchall()
    )

    done = get_batch(archive, batch)
    assert done["status"] == "executed" and done["supervisors"] == ["wu", "lin"]
    assert [(c["username"], c["name"]) for c in done["supervision"]] == [
        ("wu", "吴"),
        ("lin", "林"),
    ]
    register = _pdf_text(archive, done["documents"]["register_pdf"])
    assert tomb["archival_code"] in register and "档案销毁清册" in register
    certificate = _pdf_text(archive, done["documents"]["certificate_pdf"])
    assert "档案销毁证明" in certificate and "本人用户名和口令确认" in certificate
    assert "吴（wu）" in certificate and "林（lin）" in certificate
    with archive.blobs.open(done["documents"]["register_csv"]) as fh:
        assert tomb["archival_code"] in fh.read().decode("utf-8-sig")
    assert archive.audit.verify().ok
    actions = [e["action"] for e in archive.audit.entries(limit=100)]
    assert {
        "hold.place",
        "batch.create",
        "batch.appraise",
        "batch.approve",
        "record.destroy",
    } <= set(actions)

    # lifting a hold is the compliance role's, logged
    with pytest.raises(Forbidden):
        lift_hold(archive, CHEN, 1, "结案")
    lift_hold(archive, ZHOU, 1, "信访已办结")
    assert "r1" in _ids(due_summary(archive, AS_OF))


def _pdf_text(archive, key: str) -> str:
    with archive.blobs.open(key) as fh:
        data = fh.read()
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True).stdout.decode()


@pytest.mark.parametrize("kill_at", ["after_record_commit", "during_blob_removal"])
def test_a_killed_execution_is_finished_by_running_it_again(tmp_path: Path, kill_at):
    home = tmp_path / "h"
    archive = Archive.open(Settings.from_env({"DANGAN_HOME": str(home)}))
    try:
        for rid in RECORDS:
            _add(archive, rid)
        archive.sync_index()
        _register_people(archive)
    finally:
        archive.close()
    assert (
        run_cli(home, "retention", "batch", "--actor", "zhou", "--as-of", "2026-01-01").returncode
        == 0
    )
    run_cli(home, "retention", "appraise", "1", "--actor", "zhou", "--decision", "destroy",
            "--reason", "期满", check=True)  # fmt: skip
    refused = run_cli(home, "retention", "approve", "1", "--actor", "zhou")
    assert refused.returncode != 0 and "无权审批销毁" in refused.stderr
    run_cli(home, "retention", "approve", "1", "--actor", "chen", check=True)
    args = [
        "retention",
        "execute",
        "1",
        "--actor",
        "zhou",
        "--supervisor",
        "wu",
        "--supervisor",
        "lin",
        "--passwords-stdin",
    ]
    passwords = f"{PASSWORD}\n{PASSWORD}\n"
    killed = run_cli(home, *args, env={"DANGAN_TEST_KILL_AT": kill_at}, input=passwords)
    assert killed.returncode == -9
    again = run_cli(home, *args, "--json", input=passwords)
    assert again.returncode == 0, again.stderr
    archive = Archive.open(Settings.from_env({"DANGAN_HOME": str(home)}))
    try:
        gone = {"p1", "p2", "r1", "b1"}
        for rid in RECORDS:
            present = archive.catalog.get(rid) is not None
            blobs = list(archive.blobs.list(f"records/{rid}"))
            assert present == (rid not in gone), rid
            assert len(blobs) == (0 if rid in gone else 3), (rid, blobs)
        assert archive.index.search("罕见词").total == 1  # only n1 is left with that word
        assert get_batch(archive, 1)["status"] == "executed"
        assert archive.audit.verify().ok
    finally:
        archive.close()
    due = run_cli(home, "retention", "due", "--as-of", "2026-01-01", "--json", check=True)
    assert '"total": 0' in due.stdout


def _approved_batch(archive: Archive) -> int:
    batch = create_batch(archive, BOSS, AS_OF)
    appraise(archive, ZHOU, batch, decision="destroy", reason="保管期满")
    approve(archive, CHEN, batch, "同意")
    return batch


def test_supervisors_are_two_registered_people_confirming_with_their_own_passwords(tmp_path):
    """Issue 19: free-text supervisors let one person supervise alone."""
    archive = Archive.open(Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")}))
    try:
        for rid in RECORDS:
            _add(archive, rid)
        archive.sync_index()
        _register_people(archive)
        batch = _approved_batch(archive)
        refused = {
            "the same person twice, differently cased": (
                [("wu", PASSWORD), ("WU", PASSWORD)], "两名不同的监销人"),
            "the executor himself": ([("zhou", PASSWORD), ("wu", PASSWORD)], "不能同时担任监销人"),
            "a wrong password": ([("wu", PASSWORD), ("lin", "not-her-password")], "确认未通过"),
            "somebody not registered": ([("wu", PASSWORD), ("u_compliance", PASSWORD)], "确认未通过"),
            "only one": ([("wu", PASSWORD)], "两名不同的监销人"),
        }  # fmt: skip
        for why, (credentials, message) in refused.items():
            with pytest.raises((RetentionError, Forbidden), match=message):
                execute(archive, ZHOU, batch, credentials, "电子数据删除")
            assert get_batch(archive, batch)["status"] == "approved", why
        assert archive.catalog.get("p1") is not None
        refusals = archive.audit.entries(action="batch.supervision_refused")
        assert {e["detail"]["supervisor"] for e in refusals} == {"lin", "u_compliance"}

        execute(archive, ZHOU, batch, SUPERVISORS, "电子数据删除")
        assert archive.catalog.get("p1") is None
        (entry,) = archive.audit.entries(action="batch.execute")
        assert [s["username"] for s in entry["detail"]["supervisors"]] == ["wu", "lin"]
        assert all(s["confirmed_at"] for s in entry["detail"]["supervisors"])
        assert archive.audit.verify().ok
    finally:
        archive.close()


def test_procedural_steps_are_never_done_by_api_tokens(tmp_path):
    """Issue 19: a token issued with role `head` approved a destruction batch."""
    archive = Archive.open(Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")}))
    try:
        for rid in RECORDS:
            _add(archive, rid)
        archive.sync_index()
        _register_people(archive)
        accounts = SqliteAccountStore(archive.catalog)
        head = accounts.token_principal(accounts.issue_token("OA", "head", "admin")[1])
        officer = accounts.token_principal(accounts.issue_token("OA", "compliance", "admin")[1])
        batch = create_batch(archive, BOSS, AS_OF)
        with pytest.raises(Forbidden, match="API 令牌"):
            appraise(archive, officer, batch, decision="destroy", reason="期满")
        appraise(archive, ZHOU, batch, decision="destroy", reason="期满")
        with pytest.raises(Forbidden, match="API 令牌"):
            approve(archive, head, batch)
        approve(archive, CHEN, batch)
        with pytest.raises(Forbidden, match="API 令牌"):
            execute(archive, officer, batch, SUPERVISORS, "电子数据删除")
        assert get_batch(archive, batch)["status"] == "approved"
    finally:
        archive.close()


def test_command_line_supervision_checks_each_password(tmp_path):
    home = tmp_path / "h"
    archive = Archive.open(Settings.from_env({"DANGAN_HOME": str(home)}))
    try:
        for rid in RECORDS:
            _add(archive, rid)
        archive.sync_index()
        _register_people(archive)
        _approved_batch(archive)
    finally:
        archive.close()
    base = ["retention", "execute", "1", "--actor", "zhou", "--passwords-stdin"]
    wrong = run_cli(home, *base, "--supervisor", "wu", "--supervisor", "lin", input="x\ny\n")
    assert wrong.returncode == 9 and "监销人“wu”的确认未通过" in wrong.stderr, wrong.stderr
    himself = run_cli(home, *base, "--supervisor", "zhou", "--supervisor", "wu",
                      input=f"{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    assert himself.returncode == 9 and "不能同时担任监销人" in himself.stderr
    no_tty = run_cli(home, *base[:-1], "--supervisor", "wu", "--supervisor", "lin", input="")
    assert no_tty.returncode != 0 and "本人输入口令" in no_tty.stderr, no_tty.stderr
    ok = run_cli(home, *base, "--supervisor", "wu", "--supervisor", "lin", "--json",
                 input=f"{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    assert ok.returncode == 0, ok.stderr


def test_after_destruction_neither_the_log_nor_folder_names_say_whose_it_was(tmp_path):
    """Issue 19: the audit log kept the person's ID number and the names
    searched for, and the file's SHA-256 stayed in folder names."""
    import hashlib

    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})
    archive = Archive.open(settings)
    try:
        sha = hashlib.sha256(b"p1").hexdigest()  # what file_record records for p1
        files = []
        for role, name in (("original", "original.png"), ("archive_pdf", "archive.pdf"),
                           ("page_image", "pages/0001.jpg")):  # fmt: skip
            info = archive.blobs.put_bytes(f"records/{sha[:2]}/{sha}/{name}", name.encode())
            files.append(FileRef(role, info.key, info.sha256, info.size, "image/png", 1))
        fields = {"business_date": "2010-03-01", "id_numbers": ["11010519491231002X"],
                  "person_name": "赵一"}  # fmt: skip
        file_record(archive, "p1", "payment_proof", fields, pages=["赵一 11010519491231002X"],
                    files=files, today=AS_OF)  # fmt: skip
        archive.sync_index()
        _register_people(archive)
        # what the routes write when a caseworker looks the person up
        archive.audit.append("li", "person.view", "11010519491231002X", total=1)
        archive.audit.append("li", "search", None, q="赵一", filters={"person": None})
        archive.audit.append("li", "search", None, q="赵一 11010519491231002X")
        execute(archive, ZHOU, _approved_batch(archive), SUPERVISORS, "电子数据删除")
        assert archive.catalog.get("p1") is None

        left = [p for p in (settings.home / "blobs").rglob("*") if sha in p.name]
        assert left == [], left
        assert not (settings.home / "blobs" / "records" / sha[:2]).exists()
        conn = archive.catalog.connection()
        log = json.dumps(
            [list(r) for r in conn.execute("SELECT * FROM audit_log")], ensure_ascii=False
        )
        for clear in ("11010519491231002X", "赵一", sha):
            assert clear not in log, clear
        # the auditor who knows the number or the name still finds every look-up
        assert len(archive.audit.entries(subject="11010519491231002X")) == 2
        assert len(archive.audit.entries(subject="赵一")) == 2
        assert archive.audit.verify().ok
    finally:
        archive.close()
