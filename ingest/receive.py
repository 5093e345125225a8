"""Receiving a transfer package (接收): verify its manifest and its 四性检测
report, then ingest each original and restore what the sending archive knew.
The package format is retention/transfer.py's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from dangan.ingest.pipeline import ingest_file
from dangan.ingest.review import confirm
from dangan.preservation.transfer import refuse_failing_package
from dangan.retention.transfer import TransferError, inside, verify_package

if TYPE_CHECKING:
    from dangan.archive import Archive


def import_package(archive: Archive, path: Path, actor: str) -> list[dict]:
    """Verify, then ingest each original and restore its class, date and ID
    numbers from the metadata (a new 档号 in this archive; the transferred one
    is kept in the record's metadata)."""
    problems = verify_package(path)
    if problems:
        raise TransferError("移交包校验未通过，未导入：" + "；".join(problems[:5]))
    refuse_failing_package(Path(path))  # names the failing 四性检测 items
    package = json.loads((Path(path) / "package.json").read_text(encoding="utf-8"))
    results = []
    for item in package["records"]:
        folder = inside(Path(path) / "records", item["record_id"])
        meta = json.loads(inside(folder, "metadata.json").read_text(encoding="utf-8"))
        original = inside(folder, meta["files"]["original"]["name"])
        result = ingest_file(archive, original, name=meta["filename"])
        if result.status == "rejected":
            results.append(
                {"record_id": item["record_id"], "status": "rejected", "error": result.error}
            )
            continue
        record = archive.catalog.get(result.record_id)
        record.metadata["transferred_from"] = {
            "fonds_code": package["fonds_code"],
            "archival_code": meta["archival_code"],
            "record_id": meta["record_id"],
        }
        archive.catalog.update_filing(record)
        if meta.get("doc_type") and meta.get("formed_date"):
            confirm(
                archive,
                result.record_id,
                doc_type=meta["doc_type"],
                business_date=meta["formed_date"],
                id_numbers=meta["fields"].get("id_numbers") or [],
                actor=actor,
            )
        results.append(
            {"record_id": result.record_id, "status": result.status, "from": meta["archival_code"]}
        )
    archive.audit.append(actor, "import", None, package=str(path), records=len(results))
    return results
