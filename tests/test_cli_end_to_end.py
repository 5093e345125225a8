"""Scans in, searchable records out, through the `dangan` command."""

from __future__ import annotations

from conftest import json_lines, run_cli


def _by_file(ingested):
    out = {}
    for result in ingested["results"]:
        out.setdefault(result["file"], []).append(result)
    return out


def test_every_good_format_is_archived_and_bad_files_rejected_while_batch_goes_on(
    ingested, corpus, bad_files
):
    results = _by_file(ingested)
    for doc in corpus:
        (result,) = results[str(doc.path)]
        assert result["status"] == "archived", result
        assert result["record_id"]
        assert result["pages"] == len(doc.pages)
        assert result["error"] is None
    for kind, path in bad_files.items():
        statuses = [r["status"] for r in results[str(path)]]
        assert set(statuses) == {"rejected"}, (kind, results[str(path)])
        for r in results[str(path)]:
            assert r["record_id"] is None
            assert r["error"] and any("\u4e00" <= ch <= "\u9fff" for ch in r["error"])
    # a rejected file anywhere in the batch makes the exit status say so
    assert ingested["returncode"] == 4


def test_rejection_reasons_name_the_problem(ingested, bad_files):
    results = _by_file(ingested)
    expected = {
        "empty": "empty",
        "corrupt": "corrupt",
        "encrypted": "encrypted",
        "unsupported": "unsupported",
        "mislabelled_png_as_pdf": "mislabelled",
        "mislabelled_text_as_jpg": "unsupported",
    }
    for kind, reason in expected.items():
        assert results[str(bad_files[kind])][0]["reason"] == reason, kind


def test_find_by_chinese_phrase_two_character_word_and_id_number(ingested, corpus):
    home = ingested["home"]
    ids = {r["file"]: r["record_id"] for r in ingested["results"] if r["status"] == "archived"}
    for doc in corpus:
        record_id = ids[str(doc.path)]
        # the form title, as a phrase
        hits = json_lines(run_cli(home, "search", doc.title, "--json", "--limit", "50").stdout)[0]
        assert record_id in [h["record_id"] for h in hits["hits"]], doc.title
        # an 18-character ID number printed on the page: exact match, highlighted
        id_number = doc.fields["id_numbers"][0]
        found = json_lines(run_cli(home, "search", id_number, "--json").stdout)[0]
        assert record_id in [h["record_id"] for h in found["hits"]], (doc.path, id_number)
        hit = next(h for h in found["hits"] if h["record_id"] == record_id)
        assert f"<mark>{id_number}</mark>" in hit["snippet"]
        assert hit["pages"] and all(1 <= p <= len(doc.pages) for p in hit["pages"])
        # a two-character word taken from the printed title
        word = doc.title[-4:-2]
        found = json_lines(run_cli(home, "search", word, "--json", "--limit", "50").stdout)[0]
        assert record_id in [h["record_id"] for h in found["hits"]], (doc.title, word)
        assert all("<mark>" in h["snippet"] for h in found["hits"] if h["pages"])


def test_id_number_must_match_exactly(ingested, corpus):
    home = ingested["home"]
    id_number = corpus[0].fields["id_numbers"][0]
    altered = id_number[:-2] + ("0" if id_number[-2] != "0" else "1") + id_number[-1]
    found = json_lines(run_cli(home, "search", altered, "--json").stdout)[0]
    assert all(altered.lower() not in h["snippet"].lower() for h in found["hits"])
    shorter = json_lines(run_cli(home, "search", id_number[:17], "--json").stdout)[0]
    assert shorter["total"] == 0


def test_person_name_is_findable(ingested, corpus):
    home = ingested["home"]
    found_any = 0
    for doc in corpus:
        name = doc.fields.get("person_name")
        if not name:
            continue
        found = json_lines(run_cli(home, "search", name, "--json").stdout)[0]
        found_any += found["total"] > 0
    assert found_any >= 1


def test_duplicate_is_reported_not_stored_again(ingested, corpus):
    home = ingested["home"]
    first = next(r for r in ingested["results"] if r["file"] == str(corpus[0].path))
    again = json_lines(run_cli(home, "ingest", "--json", str(corpus[0].path)).stdout)
    assert again[0]["status"] == "duplicate"
    assert again[0]["record_id"] == first["record_id"]


def test_show_gives_metadata_and_per_page_text_without_spaces_between_chinese(ingested, corpus):
    home = ingested["home"]
    record_id = ingested["results"][0]["record_id"]
    shown = json_lines(run_cli(home, "show", record_id, "--json", check=True).stdout)[0]
    assert shown["record_id"] == record_id
    assert len(shown["sha256"]) == 64
    assert shown["pages"] and shown["pages"][0]["text"]
    import re

    for page in shown["pages"]:
        assert not re.search(r"[\u4e00-\u9fff] [\u4e00-\u9fff]", page["text"])


def test_born_digital_pdf_keeps_its_text_layer(ingested, corpus):
    home = ingested["home"]
    doc = next(d for d in corpus if d.format == "pdf_text")
    result = next(r for r in ingested["results"] if r["file"] == str(doc.path))
    shown = json_lines(run_cli(home, "show", result["record_id"], "--json").stdout)[0]
    assert shown["ocr_mode"] == "text_layer"
    assert doc.fields["id_numbers"][0] in shown["pages"][0]["text"]


def test_original_bytes_are_kept_unchanged(ingested, corpus):
    import hashlib

    from dangan.archive import Archive
    from dangan.config import Settings

    archive = Archive.open(Settings.from_env({"DANGAN_HOME": str(ingested["home"])}))
    try:
        for doc in corpus:
            data = doc.path.read_bytes()
            record = archive.catalog.find_by_sha256(hashlib.sha256(data).hexdigest())
            assert record is not None
            with archive.blobs.open(record.file("original").key) as fh:
                assert fh.read() == data
    finally:
        archive.close()


def test_unknown_record_gives_a_clear_error(tmp_path):
    proc = run_cli(tmp_path / "home", "show", "no-such-record")
    assert proc.returncode == 6
    assert "没有编号为" in proc.stderr
