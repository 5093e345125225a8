"""The record viewer tells a reader which pages were found blank and not OCR'd."""

from __future__ import annotations

from pathlib import Path

from conftest import login
from dangan.api.app import create_app
from fastapi.testclient import TestClient
from records import file_record

from dangan.archive import Archive
from dangan.config import Settings

NOTICE = "本页检测为空白页"


def test_blank_pages_are_marked_in_the_page_list_and_explained(tmp_path: Path):
    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})
    with Archive.open(settings) as archive:
        fields = {"business_date": "2024-05-01", "id_numbers": []}
        file_record(
            archive,
            "v1",
            "reimbursement",
            fields,
            pages=["医疗费用报销", "", "附件"],
            metadata={"blank_pages": [2]},
        )
    with TestClient(create_app(settings)) as client:
        login(client, "caseworker")
        first = client.get("/records/v1?page=1").text
        assert "第 2 页（空白）" in first and "第 1 页（空白）" not in first
        assert NOTICE not in first
        assert NOTICE in client.get("/records/v1?page=2").text
