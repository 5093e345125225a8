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


# --- a common word costs the same in a big archive as in a small one ----------


def _day(i: int) -> str:
    """Record i's business date: one record a day from 2010 on, in shuffled order."""
    from datetime import date, timedelta

    return (date(2010, 1, 1) + timedelta(days=(i * 7919) % 5000)).isoformat()


def _build(path: Path, records: int, person_every: int = 0) -> FtsIndex:
    idx = FtsIndex(path, count_limit=20)
    idx.upsert_many(
        IndexDoc(f"r{i}", "报销审批表", f"{i}.pdf", [(1, "基本医疗保险 住院 费用")],
                 doc_type="reimbursement", formed_date=_day(i),
                 keys=[("person", PERSON if person_every and i % person_every == 0 else f"P{i}")])
        for i in range(records)
    )  # fmt: skip
    return idx


def _steps(index: FtsIndex, query: str, filters: RecordFilter | None = None, **page) -> int:
    """SQLite virtual-machine steps one search takes (a progress handler
    called every 100 steps): the cost of the plan, without timing anything."""
    from dangan.catalog import fts

    calls = [0]

    def count() -> int:
        calls[0] += 1
        return 0

    real = fts._deadline

    class Counting:
        def __init__(self, conn, seconds):
            self.conn = conn

        def __enter__(self):
            self.conn.set_progress_handler(count, 100)

        def __exit__(self, *exc):
            self.conn.set_progress_handler(None, 0)

    fts._deadline = Counting
    try:
        index.search(query, filters=filters, **page)
    finally:
        fts._deadline = real
    return calls[0]


@pytest.mark.parametrize(
    "query,filters",
    [
        ("基本医疗保险", None),
        ("住院", RecordFilter(levels=("internal",))),
        ("", RecordFilter(doc_type="reimbursement")),
        ("住院", RecordFilter(person=PERSON)),
    ],
    ids=["phrase", "word-with-levels", "class-listing", "person-and-word"],
)
def test_a_common_word_costs_the_same_in_a_ten_times_bigger_index(tmp_path, query, filters):
    small = _build(tmp_path / "small.sqlite3", 300, person_every=30)
    big = _build(tmp_path / "big.sqlite3", 3000, person_every=300)  # the same 10 person records
    try:
        found = big.search(query, filters=filters)
        person = filters is not None and filters.person is not None
        assert found.hits and found.total_exact == person  # a person's 10 records: all counted
        cost_small, cost_big = _steps(small, query, filters), _steps(big, query, filters)
    finally:
        small.close()
        big.close()
    # reading every match (the old plan) made the big index cost ~10 times as much
    assert cost_big < 1.5 * cost_small + 20, (cost_small, cost_big)


def test_above_the_count_limit_the_newest_indexed_matches_come_first_in_search_order(tmp_path):
    index = _build(tmp_path / "i.sqlite3", 100)
    try:
        first = index.search("住院", limit=30)
        assert first.total == 20 and not first.total_exact and len(first.hits) == 30
        window = [h.record_id for h in first.hits[:20]]
        # the 20 most recently indexed (r80..r99), newest business date first ...
        assert set(window) == {f"r{i}" for i in range(80, 100)}
        assert window == sorted(window, key=lambda r: _day(int(r[1:])), reverse=True)
        # ... then the older ones, most recently indexed first
        assert [h.record_id for h in first.hits[20:]] == [f"r{i}" for i in range(79, 69, -1)]
        assert [h.record_id for h in index.search("住院", limit=5, offset=20).hits] == [
            "r79", "r78", "r77", "r76", "r75"
        ]  # fmt: skip
    finally:
        index.close()


def test_the_words_are_read_newest_first_without_sorting_every_match(tmp_path):
    index = _build(tmp_path / "i.sqlite3", 400)  # more than DOCS_FIRST_MAX of the class
    conn = index._conn()
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        index.search("住院", filters=RecordFilter(levels=("internal",)))
        index.search("住院", filters=RecordFilter(doc_type="reimbursement"))
    finally:
        conn.set_trace_callback(None)
    plans = [
        row[3]
        for sql in statements
        if "pages_fts MATCH" in sql
        for row in conn.execute("EXPLAIN QUERY PLAN " + sql)
    ]
    assert plans and not [p for p in plans if "TEMP B-TREE" in p], plans
    index.close()


def test_a_class_and_year_filed_together_costs_what_it_holds(tmp_path):
    """A year's records indexed as one block (back-scanning, a migration) are
    searched within their rowids, not through every match in the archive."""

    def build(path: Path, others: int) -> FtsIndex:
        idx = FtsIndex(path, count_limit=2000)
        docs = [
            IndexDoc(f"o{i}", "登记表", "o.pdf", [(1, "住院 费用")], doc_type="reimbursement",
                     formed_date=f"20{11 + i % 8}-01-01")
            for i in range(others)
        ]  # fmt: skip
        docs[others // 2 : others // 2] = [
            IndexDoc(f"y{i}", "登记表", "y.pdf", [(1, "住院 费用" if i % 2 else "门诊")],
                     doc_type="reimbursement", formed_date="2010-05-05")
            for i in range(400)
        ]  # fmt: skip
        idx.upsert_many(docs)
        return idx

    year = RecordFilter(doc_type="reimbursement", date_from="2010-01-01", date_to="2010-12-31")
    small, big = build(tmp_path / "s.sqlite3", 400), build(tmp_path / "b.sqlite3", 4000)
    try:
        found = big.search("住院", filters=year)
        assert found.total == 200 and found.total_exact
        cost_small, cost_big = _steps(small, "住院", year), _steps(big, "住院", year)
    finally:
        small.close()
        big.close()
    assert cost_big < 1.5 * cost_small + 20, (cost_small, cost_big)


def test_a_word_within_class_and_year_walks_only_that_class_and_year(tmp_path):
    """A common word searched within class + year reads the rows of that class
    and year (facet tokens), not every row holding the word: a ten times bigger
    archive around the same class and year costs about the same."""

    def build(path: Path, others: int) -> FtsIndex:
        idx = FtsIndex(path, count_limit=2000)
        docs = [
            IndexDoc(f"o{i}", "审批表", "o.pdf", [(1, "住院 费用")],
                     doc_type=("reimbursement", "inpatient_bill")[i % 2],
                     formed_date=f"20{11 + i % 8}-01-01")
            for i in range(others)
        ]  # fmt: skip
        for i in range(400):  # spread over the whole archive, one year of one class
            docs.insert(i * others // 400, IndexDoc(
                f"t{i}", "结算单", "t.pdf", [(1, "住院 费用" if i % 10 == 0 else "门诊")],
                doc_type="inpatient_bill", formed_date=f"2015-{1 + i % 12:02d}-15"))  # fmt: skip
        idx.upsert_many(docs)
        return idx

    flt = RecordFilter(doc_type="inpatient_bill", date_from="2015-01-01", date_to="2015-12-31")
    small = build(tmp_path / "small.sqlite3", 300)
    big = build(tmp_path / "big.sqlite3", 3000)
    try:
        found = big.search("住院", filters=flt, limit=100)
        assert sorted(h.record_id for h in found.hits) == sorted(f"t{i}" for i in range(0, 400, 10))
        part = RecordFilter(doc_type="inpatient_bill", date_from="2015-06-01", date_to="2015-12-31")
        expected = {f"t{i}" for i in range(0, 400, 10) if 1 + i % 12 >= 6}
        assert {h.record_id for h in big.search("住院", filters=part, limit=100).hits} == expected
        cost_small, cost_big = _steps(small, "住院", flt), _steps(big, "住院", flt)
    finally:
        small.close()
        big.close()
    # walking every row holding the word made the big archive cost ~10 times as much
    assert cost_big < 1.5 * cost_small + 20, (cost_small, cost_big)


def test_facet_tokens_are_one_token_each_and_never_a_words_token():
    from dangan.catalog.cjk import tokens
    from dangan.catalog.fts import facet_tokens

    facets = facet_tokens("out-of_area.bill", "2015-03-04").split()
    assert facets == ["y_2015", "t_out_2d_of_5f_area_2e_bill", "ty_out_2d_of_5f_area_2e_bill_2015"]
    assert not any("_" in t for t in tokens("y_2015 t_reimbursement 住院_费用"))
    assert facet_tokens(None, None) == ""


def test_a_prefix_query_finds_words_never_facet_tokens(tmp_path):
    index = FtsIndex(tmp_path / "i.sqlite3")
    index.upsert_many([
        IndexDoc("r1", "住院结算单", "a.pdf", [(1, "住院")], doc_type="type_a", formed_date="2015-01-01"),
        IndexDoc("r2", "登记表", "b.pdf", [(1, "yes 住院")], doc_type="type_a", formed_date="2015-02-01"),
    ])  # fmt: skip
    try:
        for query in ("y*", "t*", "ty*"):
            assert [h.record_id for h in index.search(query).hits] in ([], ["r2"]), query
        assert [h.record_id for h in index.search("y*").hits] == ["r2"]
        class_year = RecordFilter(doc_type="type_a", date_from="2015-01-01", date_to="2015-12-31")
        assert {h.record_id for h in index.search("住院", filters=class_year).hits} == {"r1", "r2"}
    finally:
        index.close()


def test_one_character_words_read_a_prefix_index_not_every_bigram(tmp_path):
    """王 is a prefix query on the bigrams starting with it (王芳, 王小...): the
    index keeps one-character prefixes so that it reads one doclist."""
    index = FtsIndex(tmp_path / "i.sqlite3")
    try:
        sql = index._conn().execute("SELECT sql FROM sqlite_master WHERE name = 'pages_fts'")
        assert "prefix = '1'" in sql.fetchone()[0]
        index.upsert_many([IndexDoc("r1", "登记表", "a.pdf", [(1, "王芳 王小明 医疗")])])
        assert index.search("王 芳").total == 1 and index.search("疗 王").total == 1
    finally:
        index.close()
