"""One test suite for every search index: the embedded SQLite FTS5 index and
Elasticsearch on a real server started for the run."""

from __future__ import annotations

import uuid

import pytest
from dangan.catalog.base import RecordFilter
from dangan.catalog.fts import FtsIndex
from dangan.catalog.index import IndexDoc

DOCS = [
    IndexDoc(
        "r1",
        "参保人员增员申报表",
        "a.png",
        [(1, "福州市医保局\n姓名：王芳 35010219800101123X")],
        doc_type="enrolment",
        category="参保登记",
        retention="D30",
        formed_date="2019-05-01",
        keys=[("person", "35010219800101123X"), ("unit", "91350100MA2Y0X1234")],
    ),
    IndexDoc(
        "r2",
        "医疗费用报销审批表",
        "b.png",
        [(1, "保医 不是 医保"), (2, "王小芳 門診費用")],
        doc_type="reimbursement",
        category="待遇支付",
        retention="D10",
        formed_date="2021-03-02",
        keys=[("person", "110105194912310021"), ("serial", "BX2021-0042")],
    ),
    IndexDoc(
        "r3",
        "稽核通知书",
        "c.png",
        [(1, "医，保"), (2, "单位 王 先生")],
        doc_type="audit_notice",
        category="基金监管",
        retention="D30",
        formed_date="2020-07-07",
        keys=[("unit", "91350100MA2Y0X1234")],
    ),
]


@pytest.fixture(params=["fts", "elastic"])
def index(request, tmp_path):
    if request.param == "fts":
        idx = FtsIndex(tmp_path / "index.sqlite3")
    else:
        from dangan.catalog.elastic import ElasticIndex

        env = request.getfixturevalue("elastic_env")
        idx = ElasticIndex(env["DANGAN_SEARCH_URL"], f"test-{uuid.uuid4().hex[:12]}")
    assert idx.upsert_many(DOCS) == 3
    yield idx
    if request.param == "elastic":
        idx.client.indices.delete(index=idx.name, ignore_unavailable=True)
    idx.close()


def _ids(result) -> list[str]:
    return [h.record_id for h in result.hits]


def test_two_character_word_found_as_phrase_not_as_loose_characters(index):
    assert set(_ids(index.search("医保"))) == {"r1", "r2", "r3"}  # punctuation is no break
    assert _ids(index.search("王芳")) == ["r1"]  # 王小芳 is not 王芳
    assert index.search("局医").total == 0
    assert index.search("保人员增").total == 1


def test_one_character_word_and_all_terms_must_match(index):
    assert set(_ids(index.search("王"))) == {"r1", "r2", "r3"}
    assert _ids(index.search("王 先生")) == ["r3"]
    assert index.search("王芳 先生").total == 0


def test_words_are_found_inside_longer_words_and_next_to_numbers(index):
    index.upsert(
        IndexDoc(
            "r4",
            "门诊慢特病结算单",
            "d.png",
            [(1, "合计金额3000元整，X光片\n检查 费用")],
            doc_type="settlement",
            formed_date="2018-01-01",
        )
    )
    for query in ("3000元", "金额3000", "额3000元整", "X光片", "元整X", "光", "整", "片检查费"):
        assert _ids(index.search(query)) == ["r4"], query
    assert index.search("金额 检查").total == 1
    assert index.search("额3").total == 0  # a number is matched whole
    assert index.search("整光").total == 0  # X stands between them


def test_title_matches_first_then_newest_business_date(index):
    assert _ids(index.search("医")) == ["r2", "r3", "r1"]  # r2 by its title
    assert _ids(index.search("王")) == ["r2", "r3", "r1"]
    assert [h.score for h in index.search("医").hits] == [2.0, 1.0, 1.0]


def test_traditional_and_simplified_are_found_alike(index):
    assert _ids(index.search("门诊费用")) == ["r2"]
    assert _ids(index.search("醫保局")) == ["r1"]


def test_id_number_matches_exactly_and_by_prefix_only_when_asked(index):
    assert _ids(index.search("35010219800101123X")) == ["r1"]
    assert _ids(index.search("35010219800101123x")) == ["r1"]
    assert index.search("3501021980010112").total == 0
    assert index.search("3501021980*").total == 1


def test_hits_say_which_pages_matched_and_title_counts(index):
    """The index says which pages matched, or None (Elasticsearch): then the
    search service finds them (test_search_hits_name_the_pages_that_matched)."""
    says = not hasattr(index, "client")  # the embedded index: each page is a row
    hit = index.search("王小芳").hits[0]
    assert hit.record_id == "r2" and hit.pages == ([2] if says else None)
    assert index.search("稽核通知书").hits[0].pages == ([] if says else None)  # by its title
    assert index.search("医保").total == 3
    by_id = {h.record_id: h.pages for h in index.search("王").hits}
    pages = {"r1": [1], "r2": [2], "r3": [2]}
    assert by_id == (pages if says else dict.fromkeys(pages))


@pytest.fixture(params=["fts", "elastic"])
def archive(request, tmp_path):
    from records import file_record

    from dangan.archive import Archive
    from dangan.config import Settings

    env = {"DANGAN_HOME": str(tmp_path / "home")}
    if request.param == "elastic":
        env |= request.getfixturevalue("elastic_env")
        env["DANGAN_SEARCH_INDEX"] = f"test-{uuid.uuid4().hex[:12]}"
    archive = Archive.open(Settings.from_env(env))
    file_record(archive, "r1", "enrolment", {}, title="参保人员增员申报表",
                pages=["福州市医保局\n姓名：王芳 35010219800101123X"])  # fmt: skip
    file_record(archive, "r2", "reimbursement", {}, title="医疗费用报销审批表",
                pages=["保医 不是 医保", "王小芳 門診費用", "王小芳"])  # fmt: skip
    file_record(archive, "r3", "audit_notice", {}, title="稽核通知书",
                pages=["医，保", "单位 王 先生"])  # fmt: skip
    archive.sync_index()
    yield archive
    if hasattr(archive.index, "client"):
        archive.index.client.indices.delete(index=archive.index.name, ignore_unavailable=True)
    archive.close()


def test_search_hits_name_the_pages_that_matched(archive):
    from dangan.catalog.search import search_records

    def pages(query: str) -> dict[str, list[int]]:
        found = search_records(archive.catalog, archive.index, query)
        return {h.record_id: h.pages for h in found.hits}

    assert pages("王小芳") == {"r2": [2, 3]}
    assert pages("稽核通知书") == {"r3": []}  # found by its title
    assert pages("王") == {"r1": [1], "r2": [2, 3], "r3": [2]}
    assert pages("门诊费用") == {"r2": [2]}  # traditional on the page, simplified asked
    assert pages("王小芳 门诊") == {"r2": [2]}  # every term on one page


def test_exact_filters_and_listing_by_filter_alone(index):
    unit = RecordFilter(unit="91350100ma2y0x1234")
    assert _ids(index.search("", filters=unit)) == ["r3", "r1"]  # newest first
    assert _ids(index.search("医保", filters=RecordFilter(person="110105194912310021"))) == ["r2"]
    assert _ids(index.search("", filters=RecordFilter(serial="bx2021-0042"))) == ["r2"]
    assert _ids(index.search("王", filters=RecordFilter(doc_type="audit_notice"))) == ["r3"]
    span = RecordFilter(date_from="2020-01-01", date_to="2020-12-31")
    assert _ids(index.search("", filters=span)) == ["r3"]
    assert index.search("", filters=RecordFilter(retention="D30")).total == 2
    assert index.search("").total == 0  # no query, no filter: nothing


def test_paging(index):
    first = index.search("王", limit=2)
    second = index.search("王", limit=2, offset=2)
    assert first.total == second.total == 3
    assert len(first.hits) == 2 and len(second.hits) == 1
    assert not set(_ids(first)) & set(_ids(second))


def test_upsert_replaces_and_delete_removes(index):
    index.upsert(IndexDoc("r1", "新标题", "a.png", [(1, "内容已更正")]))
    assert index.search("福州").total == 0
    assert index.search("更正").total == 1
    assert index.count() == 3
    index.delete("r1")
    index.delete("r1")  # absent: not an error
    assert index.search("更正").total == 0
    index.optimize()
    assert index.count() == 2


def test_queries_without_tokens_find_nothing(index):
    assert index.search("  ").total == 0
    assert index.search('"OR*').total == 0
    assert index.search("，。！").total == 0


def test_an_embedded_index_of_the_old_layout_is_rebuilt_from_the_catalog(tmp_path):
    import sqlite3

    from dangan.archive import Archive
    from dangan.config import Settings

    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})
    archive = Archive.open(settings)
    archive.catalog.queue_all_for_index()  # no records yet: nothing queued
    archive.close()
    old = sqlite3.connect(settings.index_path)
    old.executescript(
        "DROP TABLE docs; CREATE TABLE docs (record_id TEXT PRIMARY KEY, status TEXT,"
        " doc_type TEXT, category TEXT, retention TEXT, formed_date TEXT);"
    )
    old.close()
    index = FtsIndex(settings.index_path)
    assert index.rebuilt and index.count() == 0
    index.close()
    assert not FtsIndex(settings.index_path).rebuilt


def test_an_embedded_index_of_single_characters_is_rebuilt_as_bigrams(tmp_path):
    import sqlite3

    path = tmp_path / "index.sqlite3"
    FtsIndex(path).upsert_many(DOCS)
    old = sqlite3.connect(path)
    old.execute("PRAGMA user_version = 0")  # what layout 1 left: it never set one
    old.close()
    index = FtsIndex(path)
    assert index.rebuilt and index.count() == 0
    index.upsert_many(DOCS)
    assert _ids(index.search("王芳")) == ["r1"]
    index.close()
    assert not FtsIndex(path).rebuilt


def test_an_archive_opening_an_older_index_indexes_every_record_again_and_says_so(tmp_path, caplog):
    import logging
    import sqlite3

    from records import file_record

    from dangan.archive import Archive
    from dangan.config import Settings

    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})
    archive = Archive.open(settings)
    for rid in ("r1", "r2", "r3"):
        file_record(archive, rid, "reimbursement", {}, pages=["住院 费用"])
    archive.sync_index()
    archive.close()
    old = sqlite3.connect(settings.index_path)
    old.execute("PRAGMA user_version = 2")  # bigrams without facets or the prefix index
    old.close()
    with caplog.at_level(logging.WARNING, logger="dangan.archive"):
        archive = Archive.open(settings)
    try:
        assert "indexing all 3 records again" in caplog.text
        assert "3 of 3 records indexed again" in caplog.text
        assert archive.index.search("住院").total == 3
    finally:
        archive.close()


def test_overlong_or_overwide_queries_are_refused_in_chinese_before_any_work(index):
    from dangan.errors import BadQuery

    with pytest.raises(BadQuery, match="最多 200 个字符"):
        index.search("医" * 201)
    with pytest.raises(BadQuery, match="最多 16 个"):
        index.search(" ".join(["医保"] * 17))
    # at the bounds a query is answered
    assert index.search(" ".join(["医保"] * 16)).total == 3
    assert index.search("医" * 200).total == 0


# --- the count limit (DANGAN_SEARCH_COUNT_LIMIT), with a limit of 5 ------------

LIMIT = 5
MANY = [
    IndexDoc(
        f"m{i:02d}",
        "医保报销审批表" if i % 4 == 0 else "登记表",
        f"m{i}.png",
        [(1, f"住院 医保 第{i}号"), (2, "门诊" if i % 2 else "")],
        doc_type="reimbursement" if i % 3 else "enrolment",
        formed_date=f"20{10 + i:02d}-01-01",
        security_level="restricted" if i in (1, 2) else "internal",
    )
    for i in range(14)
]  # "住院" matches 14 records, 12 of them "internal"; 4 match by their title too


@pytest.fixture(params=["fts", "elastic"])
def capped(request, tmp_path):
    if request.param == "fts":
        idx = FtsIndex(tmp_path / "index.sqlite3", count_limit=LIMIT)
    else:
        from dangan.catalog.elastic import ElasticIndex

        env = request.getfixturevalue("elastic_env")
        idx = ElasticIndex(
            env["DANGAN_SEARCH_URL"], f"test-{uuid.uuid4().hex[:12]}", count_limit=LIMIT
        )
    idx.upsert_many(MANY)
    yield idx
    if request.param == "elastic":
        idx.client.indices.delete(index=idx.name, ignore_unavailable=True)
    idx.close()


INTERNAL = RecordFilter(levels=("internal", "public"))


def test_up_to_the_limit_the_total_is_exact_and_the_order_documented(capped):
    found = capped.search("门诊", filters=RecordFilter(doc_type="enrolment"))
    assert found.total_exact and found.total == 2  # enrolment: every third; 门诊: odd ones
    assert _ids(found) == ["m09", "m03"]  # newest business date first
    since = RecordFilter(doc_type="reimbursement", date_from="2016-01-01")
    titled = capped.search("医保", filters=since)  # exactly the limit: still exact
    assert titled.total_exact and titled.total == LIMIT
    assert _ids(titled) == ["m08", "m13", "m11", "m10", "m07"]  # m08 by its title
    assert [h.score for h in titled.hits] == [2.0, 1.0, 1.0, 1.0, 1.0]


def test_above_the_limit_the_total_is_a_lower_bound(capped):
    found = capped.search("住院", filters=INTERNAL, limit=3)
    assert found.total == LIMIT and not found.total_exact
    assert len(found.hits) == 3
    listing = capped.search("", filters=RecordFilter(doc_type="reimbursement"))
    assert listing.total == LIMIT and not listing.total_exact
    assert len(listing.hits) == 9  # the listing itself is not cut at the limit


def test_above_the_limit_every_match_is_reachable_by_paging_and_filters_hold(capped):
    pages = [capped.search("住院", filters=INTERNAL, limit=4, offset=o) for o in (0, 4, 8, 12)]
    ids = [i for p in pages for i in _ids(p)]
    assert len(ids) == len(set(ids)) == 12  # no record twice, none missing
    assert "m01" not in ids and "m02" not in ids  # restricted: not for this reader
    every = capped.search("住院", filters=INTERNAL, limit=50)
    assert sorted(_ids(every)) == sorted(ids)
    typed = capped.search("住院", filters=RecordFilter(doc_type="enrolment", levels=("internal",)))
    assert set(_ids(typed)) == {"m00", "m03", "m06", "m09", "m12"} and typed.total_exact


def test_security_levels_are_applied_before_counting(capped):
    # 14 records match, 12 visible: a reader may not learn of the other 2, not even by count
    capped.count_limit = 12
    assert capped.search("住院", filters=INTERNAL).total_exact
    assert capped.search("住院", filters=INTERNAL).total == 12
    assert not capped.search("住院").total_exact
