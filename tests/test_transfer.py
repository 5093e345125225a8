"""Transfer (移交): a package verified on its own and imported elsewhere."""

from __future__ import annotations

import subprocess

from conftest import json_lines, run_cli


def test_export_verify_tamper_and_import_into_another_archive(tmp_path, corpus):
    source, target = tmp_path / "a", tmp_path / "b"
    docs = [d for d in corpus if d.format in ("png", "pdf_text")][:2]
    ingested = json_lines(run_cli(source, "ingest", "--json", *[str(d.path) for d in docs]).stdout)
    ids = [r["record_id"] for r in ingested]
    package = tmp_path / "pkg"
    args = ["export", str(package)] + [a for rid in ids for a in ("--record", rid)]
    run_cli(source, *args, check=True)

    # verifiable without dangan
    check = subprocess.run(
        ["sha256sum", "-c", "manifest-sha256.txt"], cwd=package, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert run_cli(source, "export-verify", str(package)).returncode == 0
    log = json_lines(run_cli(source, "audit", "log", "--json", check=True).stdout)[0]
    assert log["entries"][0]["action"] == "export"

    # a changed byte is found
    meta = package / "records" / ids[0] / "metadata.json"
    original = meta.read_text(encoding="utf-8")
    meta.write_text(original.replace('"title"', '"title" ', 1), encoding="utf-8")
    bad = run_cli(source, "export-verify", str(package))
    assert bad.returncode == 12 and "metadata.json" in bad.stderr
    refused = run_cli(target, "import-package", str(package))
    assert refused.returncode != 0 and "校验未通过" in refused.stderr
    meta.write_text(original, encoding="utf-8")

    imported = json_lines(run_cli(target, "import-package", str(package), "--json").stdout)[0]
    assert [r["status"] for r in imported["results"]] == ["archived", "archived"]
    for doc, result in zip(docs, imported["results"], strict=True):
        shown = json_lines(run_cli(target, "show", result["record_id"], "--json").stdout)[0]
        source_shown = json_lines(run_cli(source, "show", ids[docs.index(doc)], "--json").stdout)[0]
        assert shown["doc_type"] == source_shown["doc_type"]
        assert shown["business_date"] == source_shown["business_date"]
        assert shown["archival_code"] and not shown["needs_review"]
        assert shown["metadata"]["transferred_from"]["archival_code"] == result["from"]
