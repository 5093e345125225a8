"""四性检测 at transfer: export writes the report, the 登记表 and a metadata
XML per record into the package; import refuses a failing package by item."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET

import pytest
from preservation_records import stored_record
from test_preservation import corrupt

from dangan.archive import Archive
from dangan.config import Settings
from retention.transfer import TransferError, export_package, import_package, verify_package


@pytest.fixture
def archive(tmp_path):
    archive = Archive.open(Settings.from_env({"DANGAN_HOME": str(tmp_path / "home")}))
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
    other = Archive.open(Settings.from_env({"DANGAN_HOME": str(tmp_path / "other")}))
    try:
        with pytest.raises(TransferError) as err:
            import_package(other, package, "tester")
        assert "四性检测未通过" in err.value.message and "ZS-01" in err.value.message
        assert other.catalog.count() == 0
    finally:
        other.close()
