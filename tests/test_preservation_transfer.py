"""四性检测 at transfer: export writes the report, the 登记表 and a metadata
XML per record into the package; import refuses a failing package by item."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET

import pytest
from dangan.ingest.receive import import_package
from dangan.preservation.transfer import export_with_checks as export_package
from dangan.retention.transfer import TransferError, verify_package
from preservation_records import stored_record
from test_preservation import corrupt

from dangan.archive import Archive
from dangan.config import Settings


@pytest.fixture
def archive(tmp_path):
    env = {"DANGAN_HOME": str(tmp_path / "home"), "DANGAN_VERAPDF": "none"}
    archive = Archive.open(Settings.from_env(env))
    yield archive
    archive.close()


def test_export_carries_report_register_and_xml(archive, tmp_path):
    record = stored_record(archive, "t1")
    package = tmp_path / "pkg"
    export_package(archive, ["t1"], package, "tester")
    for name in ("check-report.pdf", "check-report.xlsx", "transfer-register.pdf"):
        assert (package / name).read_bytes()[:2] in (b"%P", b"PK"), name
    report = json.loads((package / "check-report.json").read_text("utf-8"))
    assert report["verdict"] == "pass" and report["records"] == 1
    xml = ET.parse(package / "records" / "t1" / "metadata.xml").getroot()
    assert xml.find("元数据/档号").text == record.archival_code
    assert xml.find("四性检测").get("结论") == "pass"
    assert {f.get("角色") for f in xml.find("文件数据")} == {"original", "archive_pdf"}
    # everything added is in the manifest: verifiable without dangan
    assert verify_package(package) == []
    check = subprocess.run(
        ["sha256sum", "-c", "manifest-sha256.txt"], cwd=package, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout


def test_import_refuses_a_package_whose_checks_fail(archive, tmp_path):
    record = stored_record(archive, "t2")
    corrupt(archive, record.file("page_image", 1).key)
    package = tmp_path / "pkg"
    export_package(archive, ["t2"], package, "tester")
    assert json.loads((package / "check-report.json").read_text("utf-8"))["verdict"] == "fail"
    other = Archive.open(
        Settings.from_env({"DANGAN_HOME": str(tmp_path / "other"), "DANGAN_VERAPDF": "none"})
    )
    try:
        with pytest.raises(TransferError) as err:
            import_package(other, package, "tester")
        assert "四性检测未通过" in err.value.message and "ZS-01" in err.value.message
        assert other.catalog.count() == 0
    finally:
        other.close()


def test_cli_and_clerk_desk_name_the_failing_item(archive, tmp_path):
    from conftest import login, run_cli
    from dangan.api.app import create_app
    from fastapi.testclient import TestClient

    record = stored_record(archive, "c1")
    corrupt(archive, record.file("original").key)
    home = archive.settings.home
    archive.close()
    proc = run_cli(home, "check", "record", "c1", env={"DANGAN_VERAPDF": "none"})
    assert proc.returncode == 1, proc.stderr
    assert "ZS-01 SHA-256 摘要值校验：不通过" in proc.stdout and "结论：不通过" in proc.stdout
    assert "AQ-01 病毒检测：未检测" in proc.stdout and "未配置" in proc.stdout
    out = tmp_path / "r.xlsx"
    run_cli(home, "check", "report", "1", "--format", "xlsx", "-o", str(out), check=True)
    assert out.read_bytes()[:2] == b"PK"
    with TestClient(create_app(Settings.from_env({"DANGAN_HOME": str(home)}))) as client:
        login(client, "clerk")
        body = client.get("/api/preservation/runs").json()
        assert body["alarms"][0]["failed_items"] == ["ZS-01", "ZS-02"]
        desk = client.get("/preservation").text
        assert "告警" in desk and "ZS-01 SHA-256 摘要值校验" in desk
        pdf = client.get("/api/preservation/runs/1/report.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        login(client, "caseworker")
        assert client.get("/api/preservation/runs").status_code == 403
