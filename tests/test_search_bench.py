"""The scale search benchmark at a tiny size (embedded index only): one run
writes the JSON the README's table comes from, and a second run resumes the
catalog instead of generating it again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import scale_load, search_bench

pytestmark = pytest.mark.slow  # about 20 s: two small catalogs, the web app, threads


def test_search_bench_writes_one_table_as_json_and_resumes(tmp_path: Path, capsys):
    out = tmp_path / "result.json"
    common = ["--backends", "embedded", "--searchers", "1,2", "--queries", "6",
              "--no-ocr-load", "--failover", "0", "--work", str(tmp_path / "w")]  # fmt: skip
    assert search_bench.main(["--records", "150,300", "--web-queries", "4", "--json", str(out),
                              *common]) == 0  # fmt: skip
    data = json.loads(out.read_text("utf-8"))
    assert data["records"] == [150, 300] and data["searchers"] == [1, 2]
    assert [r["records"] for r in data["runs"]] == [150, 300]
    for run in data["runs"]:
        assert run["backend"] == "embedded" and run["size_mb"] > 0
        assert run["build"]["added"] == 150 and run["build"]["index_per_s"] > 0
        for count in ("1", "2"):
            cells = run["load"]["idle"][count]
            assert set(cells) == set(scale_load.KINDS)
            for cell in cells.values():
                assert cell["errors"] == 0
                assert 0 <= cell["p50_ms"] <= cell["p95_ms"] <= cell["p99_ms"]
        assert run["web"]["html"]["p95_ms"] > 0 and run["web"]["api"]["p95_ms"] > 0
    (growth,) = data["growth"]
    assert growth["from"] == 150 and growth["to"] == 300 and growth["records_x"] == 2.0
    assert set(growth["p95_x"]) == {"idle/1", "idle/2"}
    printed = capsys.readouterr().out
    assert data["table"] in printed and "| embedded | 300 |" in printed

    again = tmp_path / "again.json"
    assert search_bench.main(["--records", "300", "--web-queries", "0", "--json", str(again),
                              "--processes", "2", *common]) == 0  # fmt: skip
    data = json.loads(again.read_text("utf-8"))
    (run,) = data["runs"]
    assert run["build"]["added"] == 0  # the catalog was kept, nothing made twice
    assert data["processes"] == 2  # searchers shared out among two processes
    for count in ("1", "2"):
        cells = run["load"]["idle"][count]
        assert all(c["errors"] == 0 and c["p95_ms"] > 0 for c in cells.values())
        assert cells["phrase"]["qps"] > 0


def test_records_made_in_several_processes_are_the_serial_ones_in_order(settings, monkeypatch):
    from bench import scale_data
    from dangan.archive import Archive

    monkeypatch.setattr(scale_data.os, "cpu_count", lambda: 2)
    archive = Archive.open(settings)
    try:
        serial = list(scale_data.records(3, 40, 5, archive))
        parallel = [r for chunk in scale_data.chunks(3, 40, 6, 5, archive) for r in chunk]
    finally:
        archive.close()
    assert [r.id for r in parallel] == [f"b{i:09d}" for i in range(3, 40)]
    assert parallel == serial  # record i depends only on (seed, i), wherever it was made
