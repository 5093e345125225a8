"""Query plans of the embedded index: a person's record list and class/date
filters must be index look-ups, not a scan of every record (at a million
records a scan costs hundreds of milliseconds a query)."""

from __future__ import annotations

from pathlib import Path

import pytest
from dangan.catalog.base import RecordFilter
from dangan.catalog.fts import FtsIndex
from dangan.catalog.index import IndexDoc

PERSON = "11010519491231002X"


@pytest.fixture
def index(tmp_path: Path):
    idx = FtsIndex(tmp_path / "index.sqlite3")
    idx.upsert_many(
        IndexDoc(f"r{i}", f"题名{i}", f"{i}.pdf", [(1, "医疗费用报销")], doc_type="reimbursement",
                 formed_date=f"20{10 + i % 10}-03-04",
                 keys=[("person", PERSON if i % 7 == 0 else f"11010519491231{i:04d}")])
        for i in range(200)
    )  # fmt: skip
    yield idx
    idx.close()


def _plans(index: FtsIndex, query: str, filters: RecordFilter) -> list[str]:
    """EXPLAIN QUERY PLAN of every statement a search runs."""
    conn = index._conn()
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        found = index.search(query, filters=filters)
    finally:
        conn.set_trace_callback(None)
    assert found.total > 0
    plans = []
    for sql in statements:
        if sql.lstrip().upper().startswith(("SELECT", "WITH")) and "docs d" in sql:
            plans += [row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql)]
    assert plans
    return plans


@pytest.mark.parametrize(
    "query,filters",
    [
        ("", RecordFilter(person=PERSON, levels=("internal", "public"))),
        ("医疗", RecordFilter(person=PERSON)),
        ("", RecordFilter(doc_type="reimbursement", date_from="2014-01-01", date_to="2014-12-31")),
        ("", RecordFilter(date_from="2014-01-01", date_to="2014-12-31")),
    ],
    ids=["person-list", "person-and-word", "class-and-year", "year"],
)
def test_filters_use_an_index_not_a_scan_of_docs(index, query, filters):
    plans = _plans(index, query, filters)
    assert not [p for p in plans if p.startswith("SCAN d")], plans
    assert not [p for p in plans if "CORRELATED" in p], plans


def test_person_list_is_complete_and_newest_first(index):
    found = index.search("", filters=RecordFilter(person=PERSON), limit=500)
    assert found.total == len(range(0, 200, 7))
    assert {h.record_id for h in found.hits} == {f"r{i}" for i in range(0, 200, 7)}
