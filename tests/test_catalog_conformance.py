"""The catalog contract, run unchanged on the embedded SQLite catalog and on a
real PostgreSQL server (scripts/services/postgres.sh): migrations, records,
档号 allocation, the index outbox, and concurrent ingest from several processes."""

from __future__ import annotations

import hashlib
import multiprocessing
from pathlib import Path

import pytest
from conftest import pg_database
from dangan.catalog.base import DuplicateRecord, FileRef, PageText, Record
from dangan.catalog.db import Database, PostgresDatabase, SqliteDatabase, to_pyformat
from dangan.catalog.migrate import current_revision, script_head, upgrade
from dangan.catalog.migrations import HEAD
from dangan.catalog.sql import SqlCatalog


def _open(locator: tuple[str, str]) -> SqlCatalog:
    kind, where = locator
    db: Database = SqliteDatabase(Path(where)) if kind == "sqlite" else PostgresDatabase(where)
    return SqlCatalog(db)


@pytest.fixture(params=["sqlite", "postgresql"])
def locator(request, tmp_path: Path) -> tuple[str, str]:
    if request.param == "sqlite":
        return ("sqlite", str(tmp_path / "catalog.sqlite3"))
    env = pg_database(request.getfixturevalue("postgres_env"))
    return ("postgresql", env["DANGAN_DATABASE_URL"])


@pytest.fixture
def catalog(locator):
    cat = _open(locator)
    yield cat
    cat.close()


def _record(rid: str, *, prefix: str | None = "Q001-YW-2024-D10", status: str = "filed", **kw):
    return Record(
        id=rid,
        sha256=kw.pop("sha256", hashlib.sha256(rid.encode()).hexdigest()),
        filename=f"{rid}.png",
        media_type="image/png",
        size=1234,
        page_count=2,
        title=f"城乡居民医保参保登记表 {rid}",
        ocr_mode="ocr",
        created_at=kw.pop("created_at", "2026-01-01T00:00:00+00:00"),
        metadata=kw.pop("metadata", {"batch": "b1"}),
        files=[FileRef("original", f"records/{rid}/original.png", "a" * 64, 1234, "image/png")],
        pages=[PageText(1, "姓名 张三 公民身份号码 11010519491231002X"), PageText(2, "第二页 %_?")],
        status=status,
        doc_type="enrolment",
        category="参保登记类",
        retention="30年",
        formed_date="2024-03-05",
        disposal_date="2055-01-01",
        confidence=0.8734,
        review_reasons=[] if status == "filed" else ["置信度低"],
        fields={"id_numbers": ["11010519491231002X"], "person_name": "张三", "serial": "YB001"},
        archival_prefix=prefix,
        security_level="internal",
        **kw,
    )


def test_migrations_reach_head_once(locator):
    assert HEAD == script_head(), "catalog/migrations/__init__.py HEAD must name the newest script"
    cat = _open(locator)
    assert current_revision(cat.db) == HEAD
    assert upgrade(cat.db) is False  # an up-to-date catalog is not migrated again
    cat.close()
    again = _open(locator)  # reopening keeps the data
    assert again.count() == 0
    again.close()


def test_the_migrate_command_checks_and_upgrades(locator, tmp_path: Path):
    from conftest import run_cli

    kind, where = locator
    env = {"DANGAN_DATABASE_URL": where if kind == "postgresql" else f"sqlite:///{where}"}
    home = tmp_path / "home"
    check = run_cli(home, "migrate", "--check", env=env)
    assert check.returncode == 1 and "当前版本 无" in check.stdout and HEAD in check.stdout
    assert "→ " + HEAD in run_cli(home, "migrate", env=env, check=True).stdout
    assert "已是最新" in run_cli(home, "migrate", "--check", env=env, check=True).stdout
    wrong = {"DANGAN_DATABASE_URL": "postgresql://nobody:x@127.0.0.1:1/none"}
    refused = run_cli(home, "migrate", env=wrong)
    assert refused.returncode == 3 and "DANGAN_DATABASE_URL" in refused.stderr


def test_a_record_comes_back_as_it_was_stored(catalog):
    record = _record("r1")
    catalog.add_record(record)
    got = catalog.get("r1")
    assert got == record  # archival_code was set on `record` by add_record
    assert got.archival_code == "Q001-YW-2024-D10-0001"
    assert got.confidence == 0.8734 and got.pages[1].text == "第二页 %_?"
    assert catalog.find_by_sha256(record.sha256).id == "r1"
    assert catalog.get("missing") is None and catalog.count() == 1
    assert catalog.page_text("r1", 2) == "第二页 %_?"
    summary = catalog.summaries(["r1", "missing"])
    assert list(summary) == ["r1"] and summary["r1"]["fields"]["person_name"] == "张三"


def test_records_read_many_at_a_time_are_the_ones_read_one_by_one(catalog):
    ids = [f"m{i:04d}" for i in range(1, 1203)]  # more than one IN chunk
    for rid in ids:
        rec = _record(rid)
        rec.files.append(
            FileRef("page_image", f"records/{rid}/p2.png", "b" * 64, 99, "image/png", page_no=2)
        )
        rec.files.append(
            FileRef("page_image", f"records/{rid}/p1.png", "c" * 64, 98, "image/png", page_no=1)
        )
        catalog.add_record(rec)
    asked = ["missing", *reversed(ids)]
    many = catalog.get_many(asked)
    assert set(many) == set(ids)
    for rid in ids[:3] + ids[-3:]:
        assert many[rid] == catalog.get(rid)
        assert [f.page_no for f in many[rid].files] == [None, 1, 2]  # same order as get
    assert catalog.get_many([]) == {}
    assert catalog.existing(["missing", ids[0], ids[-1]]) == {ids[0], ids[-1]}
    assert catalog.existing([]) == set()


def test_a_second_copy_of_a_file_is_refused_with_the_first_id(catalog):
    catalog.add_record(_record("r1"))
    with pytest.raises(DuplicateRecord) as caught:
        catalog.add_record(_record("r2", sha256=hashlib.sha256(b"r1").hexdigest()))
    assert caught.value.existing_id == "r1" and catalog.count() == 1


def test_archival_codes_count_up_per_prefix_and_never_change(catalog):
    for rid in ("a1", "a2", "a3"):
        catalog.add_record(_record(rid))
    catalog.add_record(_record("b1", prefix="Q001-YW-2024-D30"))
    catalog.add_record(_record("q1", status="review"))
    codes = {r: catalog.get(r).archival_code for r in ("a1", "a2", "a3", "b1", "q1")}
    assert codes == {
        "a1": "Q001-YW-2024-D10-0001",
        "a2": "Q001-YW-2024-D10-0002",
        "a3": "Q001-YW-2024-D10-0003",
        "b1": "Q001-YW-2024-D30-0001",
        "q1": None,
    }
    confirmed = catalog.get("q1")
    confirmed.status = "filed"
    assert catalog.update_filing(confirmed).archival_code == "Q001-YW-2024-D10-0004"
    again = catalog.get("q1")
    again.archival_prefix = "Q001-YW-2024-D30"  # a later correction keeps the 档号
    assert catalog.update_filing(again).archival_code == "Q001-YW-2024-D10-0004"
    filed = catalog.filed_in("Q001-YW-2024-D10%")
    assert [r["id"] for r in filed] == ["a1", "a2", "a3", "q1"]
    kinds = [r[0] for r in catalog.connection().execute("SELECT kind FROM events ORDER BY seq")]
    assert kinds == ["record.filed"] * 5


def test_the_outbox_holds_every_change_until_acknowledged(catalog):
    catalog.add_record(_record("r1"))
    catalog.add_record(_record("r2"))
    assert catalog.link_case("r1", "CASE-7") is True
    assert catalog.link_case("r1", "CASE-7") is False
    assert catalog.get("r1").fields["cases"] == ["CASE-7"]
    pending = catalog.pending_outbox()
    assert [(rid, action) for _, rid, action in pending] == [
        ("r1", "index"),
        ("r2", "index"),
        ("r1", "index"),
    ]
    catalog.ack_outbox([seq for seq, _, _ in pending[:2]])
    assert catalog.outbox_size() == 1
    catalog.queue_all_for_index()
    assert catalog.outbox_size() == 3


def test_a_failed_transaction_leaves_nothing(catalog):
    with pytest.raises(RuntimeError):
        with catalog.transaction() as conn:
            conn.execute(
                "INSERT INTO schedule_versions (version, loaded_at, source, csv) VALUES (?,?,?,?)",
                (9, "now", "test", "x"),
            )
            raise RuntimeError("boom")
    assert catalog.latest_schedule() is None


def test_schedule_versions_and_clerk_examples(catalog):
    assert catalog.add_schedule_version("default", "a,b") == 1
    assert catalog.add_schedule_version("local", "c,d") == 2
    assert catalog.latest_schedule() == (2, "c,d")
    assert [v["source"] for v in catalog.schedule_versions()] == ["default", "local"]
    catalog.add_record(_record("r1", metadata={"classified_by": "clerk"}))
    catalog.add_record(_record("r2", metadata={"classified_by": "model"}))
    assert catalog.confirmed_examples() == [
        ("姓名 张三 公民身份号码 11010519491231002X\n第二页 %_?", "enrolment")
    ]


def test_placeholders_inside_literals_are_left_alone():
    assert to_pyformat("SELECT '?', ? WHERE a LIKE '%x' AND b = ?") == (
        "SELECT '?', %s WHERE a LIKE '%%x' AND b = %s"
    )


def _ingest(locator: tuple[str, str], worker: int, count: int) -> list[str]:
    """One process's share: `count` records of one prefix, and one file that
    every process tries to add."""
    cat = _open(locator)
    outcomes = []
    for n in range(count):
        cat.add_record(_record(f"w{worker}-{n}"))
    try:
        cat.add_record(_record(f"shared-{worker}", sha256="shared".ljust(64, "0")))
        outcomes.append("added")
    except DuplicateRecord:
        outcomes.append("duplicate")
    cat.close()
    return outcomes


def test_concurrent_ingest_from_several_processes_has_no_duplicates_or_gaps(catalog, locator):
    workers, each = 4, 12
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers) as pool:
        outcomes = pool.starmap(_ingest, [(locator, w, each) for w in range(workers)])
    flat = [o for result in outcomes for o in result]
    assert sorted(flat) == ["added"] + ["duplicate"] * (workers - 1)
    assert catalog.count() == workers * each + 1
    codes = sorted(r["archival_code"] for r in catalog.filed_in("Q001-YW-2024-D10%"))
    assert codes == [f"Q001-YW-2024-D10-{n:04d}" for n in range(1, workers * each + 2)]
