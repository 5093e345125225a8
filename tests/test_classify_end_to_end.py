"""Classification, key fields and filing through the `dangan` command on OCR'd scans."""

from __future__ import annotations

import re

from conftest import json_lines, run_cli

ARCHIVAL_CODE = re.compile(r"^Q001-YW·(\d{4})-(Y|D\d+)-[A-Z]{2}-(\d{4})$")
FILING_KEYS = (
    "doc_type", "category", "retention", "disposal_date", "archival_code", "confidence",
    "needs_review", "id_numbers", "person_name", "credit_code", "unit_name", "unit_code",
    "serial", "business_date",
)  # fmt: skip


def _archived(ingested):
    return {r["file"]: r for r in ingested["results"] if r["status"] == "archived"}


def test_ingest_json_classifies_each_scan_and_files_it_with_an_archival_code(ingested, corpus):
    results = _archived(ingested)
    right = 0
    for doc in corpus:
        result = results[str(doc.path)]
        for key in FILING_KEYS:
            assert key in result, key
        right += result["doc_type"] == doc.doc_type
        if result["doc_type"] == doc.doc_type:
            assert result["category"] == doc.fields["category"]
            # a record waiting for review has no retention yet (issue 18)
            retention = None if result["needs_review"] else doc.fields["retention"]
            assert result["retention"] == retention
        if result["needs_review"]:
            assert result["archival_code"] is None and result["review_reasons"]
        else:
            m = ARCHIVAL_CODE.match(result["archival_code"])
            assert m, result["archival_code"]
            assert m.group(1) == result["business_date"][:4]
    assert right >= len(corpus) - 1, [(r["file"], r["doc_type"]) for r in results.values()]


def test_show_json_carries_the_fields_and_search_filters_by_person(ingested, corpus):
    home = ingested["home"]
    results = _archived(ingested)
    for doc in corpus:
        record_id = results[str(doc.path)]["record_id"]
        shown = json_lines(run_cli(home, "show", record_id, "--json", check=True).stdout)[0]
        for key in FILING_KEYS:
            assert key in shown, key
        found_ids = set(shown["id_numbers"] or [])
        person = next((i for i in doc.fields["id_numbers"] if i in found_ids), None)
        if person is None:
            continue
        hits = json_lines(run_cli(home, "search", "--person", person, "--json").stdout)[0]
        assert record_id in [h["record_id"] for h in hits["hits"]]
        none = json_lines(
            run_cli(home, "search", "--person", person, "--doc-type", "no_such", "--json").stdout
        )[0]
        assert none["total"] == 0


def test_review_list_and_schedule_show_answer(ingested):
    home = ingested["home"]
    queue = json_lines(run_cli(home, "review", "list", "--json", check=True).stdout)[0]
    assert queue["total"] == len(queue["items"])
    schedule = json_lines(run_cli(home, "schedule", "show", "--json", check=True).stdout)[0]
    assert schedule["version"] == 1 and len(schedule["rows"]) == 22
