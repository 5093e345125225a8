"""Volumes, the in-volume catalogue (卷内目录) and box labels."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from conftest import json_lines, login, run_cli
from dangan.api.app import create_app
from dangan.retention.volumes import box_labels_pdf, catalogue_pdf, list_volumes
from fastapi.testclient import TestClient
from records import file_record

from dangan.archive import Archive
from dangan.config import Settings


def _add(archive, rid, doc_type, day, unit="福州市测试有限公司", status_conf=1.0):
    fields = {"business_date": day, "unit_name": unit}
    file_record(archive, rid, doc_type, fields, pages=["x", "y"], confidence=status_conf)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "h"
    archive = Archive.open(Settings.from_env({"DANGAN_HOME": str(home)}))
    try:
        for i in range(3):
            _add(archive, f"e{i}", "employee_enrol", f"2024-0{i + 1}-10")
        _add(archive, "l0", "employee_leave", "2024-05-01")  # same class group and period
        _add(archive, "p0", "payment_proof", "2023-02-02")
        _add(archive, "r0", "payment_proof", "2023-02-03", status_conf=0.1)  # in review
    finally:
        archive.close()
    return home


def test_volumes_group_by_year_period_and_class_group_with_continuous_numbers(home):
    archive = Archive.open(Settings.from_env({"DANGAN_HOME": str(home)}))
    try:
        volumes = list_volumes(archive)
        assert [v.prefix for v in volumes] == ["Q001-YW·2023-D10-ZJ", "Q001-YW·2024-D100-GL"]
        gl = volumes[1]
        assert [i.number for i in gl.items] == [1, 2, 3, 4]
        assert {i.doc_type for i in gl.items} == {"employee_enrol", "employee_leave"}
        assert gl.pages == 8 and gl.items[0].responsible == "福州市测试有限公司"
        assert [v.prefix for v in list_volumes(archive, "2023")] == ["Q001-YW·2023-D10-ZJ"]
        assert [len(b) for b in gl.boxes(3)] == [3, 1]
        pdf = catalogue_pdf(gl, box_size=3)
        labels = box_labels_pdf(volumes, box_size=3)
    finally:
        archive.close()
    assert pdf.startswith(b"%PDF")
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True).stdout.decode()
    assert "卷内目录" in text and "Q001-YW·2024-D100-GL-0004" in text and "第 2 盒" in text
    text = subprocess.run(["pdftotext", "-", "-"], input=labels, capture_output=True).stdout
    assert "0001—0003" in text.decode() and "0004—0004" in text.decode()


def test_volumes_from_the_command_line_and_the_api(home, tmp_path):
    listed = json_lines(run_cli(home, "volumes", "list", "--json", check=True).stdout)[0]
    assert listed["total"] == 2 and listed["volumes"][1]["count"] == 4
    out = tmp_path / "cat.pdf"
    run_cli(home, "volumes", "catalogue", "Q001-YW·2024-D100-GL", "-o", str(out), check=True)
    assert out.read_bytes().startswith(b"%PDF")
    missing = run_cli(home, "volumes", "catalogue", "Q001-YW·1999-Y-GL", "-o", str(out))
    assert missing.returncode != 0 and "没有档号前缀" in missing.stderr
    settings = Settings.from_env({"DANGAN_HOME": str(home)})
    with TestClient(create_app(settings)) as client:
        login(client, "clerk")
        assert client.get("/api/volumes", params={"year": "2024"}).json()["total"] == 1
        pdf = client.get("/api/volumes/catalogue.pdf", params={"prefix": "Q001-YW·2023-D10-ZJ"})
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        assert client.get("/api/volumes/labels.pdf").content.startswith(b"%PDF")
        page = client.get("/volumes")
        assert page.status_code == 200 and "Q001-YW·2024-D100-GL" in page.text
