"""The Elasticsearch index's layout: formed_date is a date, shard and replica
counts come from the settings, and an index made with an older mapping keeps
answering until `dangan reindex --rebuild` makes it anew."""

from __future__ import annotations

import copy
import uuid

import pytest
from dangan.catalog.base import RecordFilter
from dangan.catalog.index import IndexDoc
from records import file_record

from dangan.archive import Archive
from dangan.config import Settings

DOCS = [
    IndexDoc("a", "登记表", "a.png", [(1, "住院")], formed_date="2019-12-31"),
    IndexDoc("b", "登记表", "b.png", [(1, "住院")], formed_date="2020-06-01"),
    IndexDoc("c", "登记表", "c.png", [(1, "住院")], formed_date=None),
]


@pytest.fixture
def es(elastic_env):
    from dangan.catalog.elastic import ElasticIndex

    made: list[ElasticIndex] = []

    def open_index(name: str, **kw) -> ElasticIndex:
        idx = ElasticIndex(elastic_env["DANGAN_SEARCH_URL"], name, **kw)
        made.append(idx)
        return idx

    yield open_index
    for idx in made:
        idx.client.indices.delete(index=idx.name, ignore_unavailable=True)
        idx.close()


def _ids(result) -> list[str]:
    return [h.record_id for h in result.hits]


def test_business_dates_are_dates_and_filter_and_sort_as_such(es):
    idx = es(f"test-{uuid.uuid4().hex[:12]}")
    mapping = idx.client.indices.get_mapping(index=idx.name)[idx.name]["mappings"]
    assert mapping["properties"]["formed_date"]["type"] == "date"
    idx.upsert_many(DOCS)
    assert _ids(idx.search("住院")) == ["b", "a", "c"]  # newest first, no date last
    year = RecordFilter(date_from="2020-01-01", date_to="2020-12-31")
    assert _ids(idx.search("住院", filters=year)) == ["b"]
    assert _ids(idx.search("", filters=RecordFilter(date_to="2019-12-31"))) == ["a"]


def test_an_index_of_the_older_mapping_answers_until_rebuilt(es, caplog):
    from dangan.catalog import elastic

    name = f"test-{uuid.uuid4().hex[:12]}"
    old = copy.deepcopy(elastic.MAPPINGS)
    old["properties"]["formed_date"] = {"type": "keyword"}
    old.pop("_meta")
    first = es(name)
    first.client.indices.delete(index=name)
    first.client.indices.create(index=name, settings=first.settings, mappings=old)
    idx = es(name)
    assert idx.outdated and "reindex --rebuild" in caplog.text
    idx.upsert_many(DOCS)
    assert _ids(idx.search("住院", filters=RecordFilter(date_from="2020-01-01"))) == ["b"]
    idx.drop()  # what `dangan reindex --rebuild` does first
    assert not idx.outdated
    mapping = idx.client.indices.get_mapping(index=name)[name]["mappings"]
    assert mapping["properties"]["formed_date"]["type"] == "date"


def test_page_text_is_searched_but_not_kept_in_the_source(es):
    idx = es(f"test-{uuid.uuid4().hex[:12]}")
    idx.upsert_many([IndexDoc("p", "登记表", "p.png", [(2, "王芳 35010219800101123X 住院")])])
    assert _ids(idx.search("35010219800101123X")) == ["p"]
    assert _ids(idx.search("王芳")) == ["p"]
    source = idx.client.get(index=idx.name, id="p")["_source"]
    assert "王芳" not in str(source) and "title" not in source
    assert source["pages"] == [{"page_no": 2}]


def test_an_index_keeping_page_text_in_its_source_is_outdated(es, caplog):
    from dangan.catalog import elastic

    name = f"test-{uuid.uuid4().hex[:12]}"
    old = copy.deepcopy(elastic.MAPPINGS)
    old.pop("_source")
    first = es(name)
    first.client.indices.delete(index=name)
    first.client.indices.create(index=name, settings=first.settings, mappings=old)
    assert es(name).outdated and "_source" in caplog.text


def test_replicas_follow_the_setting_and_shards_are_set_at_creation(es):
    name = f"test-{uuid.uuid4().hex[:12]}"
    es(name, shards=2, replicas=0)
    again = es(name, shards=2, replicas=1)  # one node: the replica waits (yellow), no error
    index = again.client.indices.get_settings(index=name)[name]["settings"]["index"]
    assert (index["number_of_shards"], index["number_of_replicas"]) == ("2", "1")
    assert not again.outdated
    assert es(name, shards=3, replicas=1).outdated  # another shard count: rebuild


def test_shards_and_replicas_are_settings():
    plain = Settings.from_env({"DANGAN_HOME": "/tmp/x"})
    assert (plain.search_shards, plain.search_replicas) == (1, 0)
    two = Settings.from_env(
        {"DANGAN_HOME": "/tmp/x", "DANGAN_SEARCH_SHARDS": "2", "DANGAN_SEARCH_REPLICAS": "1"}
    )
    assert (two.search_shards, two.search_replicas) == (2, 1)


def test_reindex_rebuild_makes_the_embedded_index_anew_from_the_catalog(tmp_path):
    settings = Settings.from_env({"DANGAN_HOME": str(tmp_path / "h")})
    archive = Archive.open(settings)
    file_record(archive, "r1", "reimbursement", {"business_date": "2024-05-01"}, pages=["住院"])
    archive.sync_index()
    archive.index.upsert(IndexDoc("stray", "不在目录中", "x.png", [(1, "住院")]))
    assert archive.index.count() == 2
    assert archive.reindex(rebuild=True) == 1
    assert archive.index.count() == 1 and _ids(archive.index.search("住院")) == ["r1"]
    archive.close()


def _index_settings(idx) -> dict:
    return idx.client.indices.get_settings(index=idx.name)[idx.name]["settings"]["index"]


def test_a_bulk_load_indexes_one_copy_and_puts_the_replicas_back_at_the_end(es, caplog):
    from dangan.catalog import elastic

    name = f"test-{uuid.uuid4().hex[:12]}"
    idx = es(name, replicas=1)
    idx.bulk_load(True)
    index = _index_settings(idx)
    assert (index["number_of_replicas"], index["refresh_interval"]) == ("0", "-1")
    # a process opening the index meanwhile (a resumed rebuild, a web process)
    # leaves the load alone instead of putting the replica back
    other = es(name, replicas=1)
    assert _index_settings(other)["number_of_replicas"] == "0"
    assert "rebuild has not finished" in caplog.text
    idx.upsert_many(DOCS, refresh=False)
    idx.bulk_load(False)  # one node: the replica cannot be placed, not waited for
    index = _index_settings(idx)
    assert (index["number_of_replicas"], index["refresh_interval"]) == ("1", "1s")
    meta = idx.client.indices.get_mapping(index=name)[name]["mappings"]["_meta"]
    assert meta == {"layout": elastic.LAYOUT}
    assert idx.count() == 3 and _ids(idx.search("住院")) == ["b", "a", "c"]


def test_waiting_for_copies_outlasts_one_health_wait(es):
    """A 10 M replica copy takes minutes: each health wait that runs out (HTTP
    408) is waited again, not raised (it failed the 10 M rebuild at its end)."""
    import threading

    name = f"test-{uuid.uuid4().hex[:12]}"
    idx = es(name, replicas=0)
    idx.client.indices.delete(index=name)
    # a shard no node may hold: red until the filter is lifted
    idx.client.indices.create(
        index=name,
        settings={"number_of_replicas": 0, "index.routing.allocation.require._name": "nowhere"},
        wait_for_active_shards="0",
    )
    lift = threading.Timer(
        2.5,
        lambda: idx.client.indices.put_settings(
            index=name, settings={"index.routing.allocation.require._name": None}
        ),
    )
    lift.start()
    try:
        idx._wait_for_copies(most_s=60, wait="1s")
    finally:
        lift.join()
    assert idx.client.cluster.health(index=name)["status"] == "green"


def test_a_rebuild_loads_in_bulk_and_a_killed_one_resumes_in_bulk(tmp_path, elastic_env):
    name = f"test-{uuid.uuid4().hex[:12]}"
    env = {**elastic_env, "DANGAN_HOME": str(tmp_path / "h"), "DANGAN_SEARCH_INDEX": name}
    env["DANGAN_SEARCH_REPLICAS"] = "1"
    archive = Archive.open(Settings.from_env(env))
    try:
        for i in range(6):
            file_record(archive, f"r{i}", "reimbursement", {"business_date": "2024-05-01"},
                        pages=[f"住院 第{i}号"])  # fmt: skip
        archive.sync_index()
        seen: list[str] = []
        upsert = archive.index.upsert_many

        def watching(docs, refresh=True):
            seen.append(_index_settings(archive.index)["number_of_replicas"])
            if len(seen) == 2:
                raise KeyboardInterrupt  # killed in the middle of the rebuild
            return upsert(docs, refresh=refresh)

        archive.index.upsert_many = watching
        with pytest.raises(KeyboardInterrupt):
            archive.reindex(batch=2, rebuild=True)
        assert seen == ["0", "0"]
        archive.index.upsert_many = upsert
        assert archive.reindex(batch=2) == 6  # resumed: still a rebuild, in bulk
        assert _index_settings(archive.index)["number_of_replicas"] == "1"
        assert archive.index.count() == 6
    finally:
        archive.index.client.indices.delete(index=name, ignore_unavailable=True)
        archive.close()
