"""四性检测: a deliberate fault for each check is found, on the embedded
backends (local files, SQLite) and on MinIO; the check at filing sends a
failing record to review; the sweep resumes; reports and alarms."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import pytest
from conftest import minio_bucket
from dangan.preservation.service import check_all, check_one
from dangan.preservation.storage import iter_objects
from dangan.preservation.store import PreservationStore
from dangan.preservation.sweep import sweep
from preservation_records import plain_pdf, stored_record

from dangan.archive import Archive
from dangan.config import Settings

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="session")
def verapdf_dir() -> str:
    """veraPDF from Maven Central (scripts/verapdf.sh; cached, a no-op once built)."""
    subprocess.run(["bash", str(ROOT / "scripts" / "verapdf.sh")], check=True, timeout=900)
    return str(Path("~/.cache/dangan/verapdf").expanduser())


@pytest.fixture(params=["local", "minio"])
def archive(request, tmp_path):
    # veraPDF (a JVM per check) only where the test is about PDF/A; elsewhere
    # the structural check stands in
    uses_vera = "pdfa" in request.node.name or "sound" in request.node.name
    env = {
        "DANGAN_HOME": str(tmp_path / "home"),
        "DANGAN_VERAPDF": request.getfixturevalue("verapdf_dir") if uses_vera else "none",
    }
    if request.param == "minio":
        env.update(minio_bucket(request.getfixturevalue("minio_env")))
    archive = Archive.open(Settings.from_env(env))
    yield archive
    archive.close()


def corrupt(archive, key: str) -> None:
    """Flip one byte of the stored object (on S3: a new version with the
    flipped byte that still carries the old SHA-256, as bit rot would)."""
    from dangan.preservation import storage

    data = bytearray(storage.read_bytes(archive.blobs, key))
    data[len(data) // 2] ^= 0x01
    if storage.is_s3(archive.blobs):
        from dangan.catalog.s3 import SHA_META, _meta

        stat = archive.blobs.client.stat_object(archive.blobs.bucket, key)
        archive.blobs.client.put_object(
            archive.blobs.bucket, key, io.BytesIO(bytes(data)), len(data),
            metadata={SHA_META: _meta(stat.metadata, SHA_META)},
            legal_hold=archive.blobs.locked,
        )  # fmt: skip
    else:
        archive.blobs.root.joinpath(*key.split("/")).write_bytes(bytes(data))


def failed(results, item: str, record_id: str | None = None) -> list:
    return [
        r
        for r in results
        if r.item == item
        and r.outcome == "fail"
        and (record_id is None or r.record_id == record_id)
    ]


def test_a_sound_record_passes_and_the_report_is_kept(archive):
    record = stored_record(archive, "ok1")
    assert record.status == "filed", record.review_reasons
    assert record.metadata["fourprop"]["verdict"] == "pass"
    run, results = check_one(archive, "ok1", "tester")
    assert run["summary"]["verdict"] == "pass", [r.line() for r in results if r.outcome == "fail"]
    items = {r.item for r in results}
    assert {"ZS-01", "ZS-02", "ZS-03", "ZS-04", "ZS-05", "ZS-06", "ZS-08"} <= items
    assert {"WZ-01", "WZ-03", "WZ-04", "KY-01", "KY-02", "KY-03", "KY-04", "KY-05"} <= items
    # no virus scanner configured: said so, never counted as passed
    scans = [r for r in results if r.item == "AQ-01"]
    assert scans and all(r.outcome == "not_run" and "未配置" in r.evidence for r in scans)
    assert run["summary"]["not_run_items"] == ["AQ-01"]
    (ky3,) = [r for r in results if r.item == "KY-03"]
    assert "veraPDF 校验通过：符合 PDF/A-2B" in ky3.evidence
    pdf = archive.blobs.open(run["report_keys"]["pdf"]).read()
    assert pdf.startswith(b"%PDF")
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(archive.blobs.open(run["report_keys"]["xlsx"]).read()))
    assert book.sheetnames == ["汇总", "检测项", "不通过和警告"]
    assert book["汇总"]["A1"].value == "电子档案四性检测报告"
    rows = [[c.value for c in row] for row in book["汇总"].iter_rows()]
    (head,) = [r for r in rows if r[0] == "四性"]
    assert head == ["四性", "通过", "不通过", "警告", "未检测", "结论"]
    assert ["真实性", "完整性", "可用性", "安全性"] == [r[0] for r in rows[rows.index(head) + 1 :]]


def test_flipped_byte_is_found_by_record_check_and_sweep(archive):
    record = stored_record(archive, "f1")
    page = record.file("page_image", 1).key
    corrupt(archive, page)
    run, results = check_one(archive, "f1", "tester")
    assert failed(results, "ZS-01") and failed(results, "ZS-02")
    assert failed(results, "ZS-01")[0].object_key == page
    assert "ZS-01" in run["summary"]["failed_items"]
    swept = sweep(archive, "tester", rate=0)
    bad = [r for r in PreservationStore(archive.catalog).results(swept["id"]) if r.item == "ZS-01"]
    assert bad and bad[0].object_key.startswith(page) and bad[0].outcome == "fail"
    assert "ZS-01" in swept["summary"]["failed_items"]
    # the alarm: a webhook event names the failing items
    events = (
        archive.catalog.connection()
        .execute("SELECT payload FROM events WHERE kind = 'preservation.failed'")
        .fetchall()
    )
    assert any('"ZS-01"' in e[0] for e in events)


def test_deleted_page_image_is_missing(archive):
    record = stored_record(archive, "d1")
    key = record.file("page_image", 2).key
    archive.blobs.delete(key)
    _, results = check_one(archive, "d1", "tester")
    assert failed(results, "WZ-06") and failed(results, "ZS-06")
    run, results = check_all(archive, "tester")
    assert [r.object_key for r in failed(results, "WZ-06")] == [key]
    swept = sweep(archive, "tester", rate=0)
    assert "WZ-06" in swept["summary"]["failed_items"]


def test_gap_in_item_numbers_is_found(archive):
    for rid in ("g1", "g2", "g3"):
        stored_record(archive, rid)
    run, results = check_all(archive, "tester")
    assert not failed(results, "WZ-02"), [r.line() for r in results]
    code = archive.catalog.get("g2").archival_code
    with archive.catalog.transaction() as conn:  # 0002 renumbered as 0005: 0002 and 0004 lack
        conn.execute("UPDATE records SET archival_code = ? WHERE id = 'g2'", (code[:-4] + "0005",))
    run, results = check_all(archive, "tester")
    (gap,) = failed(results, "WZ-02")
    assert "缺号 0002、0004" in gap.evidence


def test_metadata_out_of_range_is_found(archive):
    stored_record(archive, "m1")
    with archive.catalog.transaction() as conn:
        conn.execute("UPDATE records SET security_level = 'topsecret' WHERE id = 'm1'")
    _, results = check_one(archive, "m1", "tester")
    (bad,) = failed(results, "ZS-04")
    assert "密级 'topsecret'" in bad.evidence


def test_orphan_object_is_found(archive):
    record = stored_record(archive, "o1")
    folder = record.file("original").key.rsplit("/", 1)[0]
    archive.blobs.put_bytes(f"{folder}/stray.bin", b"left behind")
    archive.blobs.put_bytes("records/zz/unknown.bin", b"nobody's")
    _, results = check_one(archive, "o1", "tester")
    assert failed(results, "AQ-02")
    _, results = check_all(archive, "tester")
    assert {r.object_key for r in failed(results, "WZ-05")} == {
        f"{folder}/stray.bin",
        "records/zz/unknown.bin",
    }
    swept = sweep(archive, "tester", rate=0)
    found = PreservationStore(archive.catalog).results(swept["id"])
    assert {r.object_key.split("（")[0] for r in found if r.item == "WZ-05"} == {
        f"{folder}/stray.bin",
        "records/zz/unknown.bin",
    }


def test_non_pdfa_archival_copy(archive):
    # at filing: not PDF/A, so the reason is recorded and KY-03 warns
    record = stored_record(archive, "p1", archival_copy=plain_pdf(["p1 page 1", "p1 page 2"]))
    assert "OutputIntent" in record.metadata["pdfa_reason"]
    _, results = check_one(archive, "p1", "tester")
    (ky3,) = [r for r in results if r.item == "KY-03"]
    assert ky3.outcome == "warning" and "已记录原因" in ky3.evidence
    # without a recorded reason it fails
    record = archive.catalog.get("p1")
    del record.metadata["pdfa_reason"]
    archive.catalog.update_filing(record)
    _, results = check_one(archive, "p1", "tester")
    (ky3,) = failed(results, "KY-03")
    assert "没有 PDF/A 声明，veraPDF 校验未通过" in ky3.evidence


def test_failing_check_at_filing_sends_the_record_to_review(archive):
    record = stored_record(archive, "u1", archival_copy=b"%PDF-1.4 not really a pdf")
    assert record.status == "review" and record.archival_code is None
    named = [r for r in record.review_reasons if r.startswith("四性检测未通过：KY-01")]
    assert named, record.review_reasons
    assert "KY-01" in record.metadata["fourprop"]["failed"]


def test_audit_chain_tampering_is_found(archive):
    stored_record(archive, "a1")
    archive.audit.append("tester", "record.view", "a1")
    archive.audit.append("tester", "record.view", "a1")
    _, results = check_all(archive, "tester")
    assert not failed(results, "ZS-07")
    with archive.catalog.transaction() as conn:
        conn.execute("UPDATE audit_log SET actor = 'someone' WHERE seq = 1")
    _, results = check_all(archive, "tester")
    (bad,) = failed(results, "ZS-07")
    assert "第 1 条" in bad.evidence


def test_sweep_resumes_after_a_stop_and_reads_every_version(archive):
    record = stored_record(archive, "s1")
    key = record.file("archive_pdf").key
    archive.blobs.put_bytes(key, archive.blobs.open(key).read())  # same bytes, a 2nd version
    total = sum(1 for _ in iter_objects(archive.blobs))
    first = sweep(archive, "tester", rate=0, stop_after=2)
    assert first["state"] == "running" and first["objects"] == 2
    again = sweep(archive, "tester", rate=0)
    assert again["id"] == first["id"] and again["state"] == "done"
    assert again["objects"] == total
    if archive.settings.s3_endpoint:
        assert again["summary"]["versions"] >= 1
    assert again["summary"]["verdict"] == "pass", again["summary"]
    assert again["report_keys"]["pdf"].startswith("preservation/reports/")


def test_sweep_order_is_its_resume_order(archive):
    # "a-c" sorts before "a/b" as text but after it as a path: each object once
    archive.blobs.put_bytes("records/zz/a/b", b"1")
    archive.blobs.put_bytes("records/zz/a-c", b"2")
    run = sweep(archive, "tester", rate=0)
    assert run["objects"] == 2
    found = PreservationStore(archive.catalog).results(run["id"])
    assert sorted(r.object_key.split("（")[0] for r in found if r.item == "WZ-05") == [
        "records/zz/a-c",
        "records/zz/a/b",
    ]


def test_security_events_from_the_audit_log(archive):
    _, results = check_all(archive, "tester")
    (aq3,) = [r for r in results if r.item == "AQ-03"] or [None]
    assert aq3 is None  # passing, so not kept among the notable results
    archive.audit.append("someone", "login.failed", None)
    _, results = check_all(archive, "tester")
    (aq3,) = [r for r in results if r.item == "AQ-03"]
    assert aq3.outcome == "warning" and "login.failed 1 次" in aq3.evidence


@pytest.mark.parametrize("lossless", [False, True])
def test_a_webp_phone_photo_is_an_accepted_original_format(lossless):
    # intake accepts WebP (and HEIC) photos; the 四性 check must not then fail them
    from dangan.preservation.formats import identify
    from dangan.preservation.record_checks import PASS, _format_check
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "white").save(buffer, "WEBP", lossless=lossless)
    fmt = identify(buffer.getvalue())
    result = _format_check(fmt, "original", "r1", "k")
    assert result.outcome == PASS, result.evidence
