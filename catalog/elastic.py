"""Production search index: Elasticsearch 8.

One document per record: record-level fields for filters, exact keyword fields
for ID numbers, unit codes and serials, and the pages as nested objects so that
every term of a query must be on one page (which pages: catalog.search finds
them in the catalog's page text; inner hits doubled a search's cost). Text is
brought to one normal form in Python first (catalog.cjk: full-width and
traditional characters folded, the same tokens the embedded index makes its
bigrams from), then analysed twice: the standard tokenizer's single CJK
characters (`text`) and CJK bigrams (`text.bigram`).
Each query term is a phrase: one-character terms on `text`, longer ones on the
far more selective bigrams. So one- and two-character words and names are found
as exact phrases, as in the embedded index.

The index is derived data: the catalog's outbox feeds it (dangan.archive), and
an outage raises IndexUnavailable so the outbox keeps what was not applied.
So the text is indexed but left out of `_source`: searches never read it
(snippets come from the catalog's page text), and a document read back from the
search servers shows no page text. Elasticsearch still keeps an internal
recovery copy of the full source for a while (pruned by later merges), so the
index is not smaller right after indexing: 20,000 bench records took 37.7 MB
against 36.6 MB with the text kept, merged to one segment.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable
from typing import Any

from dangan.catalog.base import RecordFilter
from dangan.catalog.cjk import fold, from_index_text, query_terms
from dangan.catalog.index import IndexDoc, IndexHit, IndexResult, IndexUnavailable

from dangan.errors import ConfigError

log = logging.getLogger(__name__)

KEY_KINDS = ("person", "unit", "serial")
# 2: formed_date is a date (it was a keyword); 3: title and page text are not
# kept in _source. An index of an older layout keeps working (ISO dates compare
# the same as text) until `dangan reindex --rebuild`.
LAYOUT = 3
SOURCE_EXCLUDES = ["title", "pages.text"]
_TEXT = {
    "type": "text",
    "analyzer": "cjk_unigram",
    "fields": {"bigram": {"type": "text", "analyzer": "cjk_bigram_only"}},
}
SETTINGS = {
    "number_of_shards": 1,
    "number_of_replicas": 0,
    "refresh_interval": "1s",
    # listings for holds and disposal page deep (the catalog, not users, asks)
    "max_result_window": 200_000,
    "analysis": {
        "filter": {
            "bigrams": {"type": "cjk_bigram", "output_unigrams": False},
        },
        "analyzer": {
            "cjk_unigram": {"tokenizer": "standard", "filter": ["cjk_width", "lowercase"]},
            "cjk_bigram_only": {
                "tokenizer": "standard",
                "filter": ["cjk_width", "lowercase", "bigrams"],
            },
        },
    },
}
MAPPINGS = {
    "dynamic": "strict",
    "_meta": {"layout": LAYOUT},
    "_source": {"excludes": SOURCE_EXCLUDES},
    "properties": {
        "record_id": {"type": "keyword"},
        "status": {"type": "keyword"},
        "doc_type": {"type": "keyword"},
        "category": {"type": "keyword"},
        "retention": {"type": "keyword"},
        # a date, not a keyword: ranges are point queries and "newest first" sorts
        # skip what cannot compete; a malformed value leaves the field empty
        # rather than failing the whole bulk request (the outbox would stall)
        "formed_date": {"type": "date", "ignore_malformed": True},
        "security_level": {"type": "keyword"},
        **{kind: {"type": "keyword"} for kind in KEY_KINDS},
        "title": _TEXT,
        "pages": {
            "type": "nested",
            "properties": {"page_no": {"type": "integer"}, "text": _TEXT},
        },
    },
}


_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_SEPARATORS = re.compile(f"[^0-9a-z{_CJK}]+")
_SPACE_IN_CJK = re.compile(f"(?<=[{_CJK}]) (?=[{_CJK}])")


def normal_form(text: str) -> str:
    """What is indexed and queried: the tokens of dangan.catalog.cjk (folded text,
    ASCII letter/digit runs and CJK characters), CJK characters run together
    (so bigrams form across OCR's stray spaces and line breaks, as the embedded
    index's phrases do), other tokens separated by one space."""
    spaced = _SEPARATORS.sub(" ", fold(text).lower())
    return _SPACE_IN_CJK.sub("", spaced).strip()


def _phrase(field: str, phrase: str, prefix: bool) -> dict:
    """One query term as a phrase. Bigrams are far more selective than single
    characters, so a term whose CJK runs are all two characters or longer is
    matched on `.bigram`; a lone CJK character only exists on the unigram field."""
    text = from_index_text(phrase)
    if prefix:
        return {"match_phrase_prefix": {field: text}}
    runs = _CJK_RUN.findall(text)
    target = f"{field}.bigram" if runs and all(len(r) >= 2 for r in runs) else field
    return {"match_phrase": {target: text}}


class ElasticIndex:
    def __init__(
        self,
        url: str,
        name: str = "dangan-records",
        client=None,
        time_limit: float = 10.0,
        shards: int = 1,
        replicas: int = 0,
        count_limit: int = 1_000,
    ):
        """`url` may name several nodes of one cluster, comma-separated: requests
        go to each in turn, and one that stops answering is skipped (retried on
        the others). `shards` and `replicas` apply when the index is created.
        `count_limit`: hits counted exactly (track_total_hits); above it the
        total is a lower bound (IndexResult.total_exact False)."""
        from elasticsearch import Elasticsearch

        self.name = name
        self.url = url
        self.time_limit = time_limit  # seconds one search may run (DANGAN_SEARCH_TIMEOUT)
        self.count_limit = max(1, count_limit)  # DANGAN_SEARCH_COUNT_LIMIT
        self.settings = {**SETTINGS, "number_of_shards": shards, "number_of_replicas": replicas}
        hosts = [u.strip() for u in url.split(",") if u.strip()]
        self.client = client or Elasticsearch(hosts, request_timeout=30, retry_on_timeout=True)
        self._prepare()

    def _prepare(self) -> None:
        self.outdated = False  # an older layout (LAYOUT): rebuild to get the new one
        try:
            if not self.client.indices.exists(index=self.name):
                self.client.indices.create(
                    index=self.name, settings=self.settings, mappings=MAPPINGS
                )
            else:
                self._update_existing()
        except Exception as exc:  # connection refused, auth, bad URL ...
            if _is_already_exists(exc):
                return
            raise ConfigError(
                f"无法连接检索服务（DANGAN_SEARCH_URL={self.url}）：{exc.__class__.__name__}。"
                "请确认 Elasticsearch 已启动、地址正确。"
            ) from exc

    def _update_existing(self) -> None:
        """Bring an index made earlier up to date where that is allowed in place:
        fields added since (adding is always allowed) and the replica count.
        A field whose type changed, or another primary shard count, needs a new
        index: `dangan reindex --rebuild`."""
        mapping = self.client.indices.get_mapping(index=self.name)[self.name]["mappings"]
        have = mapping.get("properties", {})
        changed = {
            name
            for name, field in MAPPINGS["properties"].items()
            if name in have and have[name].get("type") != field.get("type")
        }
        if sorted(mapping.get("_source", {}).get("excludes", [])) != sorted(SOURCE_EXCLUDES):
            changed.add("_source")  # set when an index is made, never changed in place
        self.outdated = bool(changed)
        properties = {k: v for k, v in MAPPINGS["properties"].items() if k not in changed}
        # put_mapping adds new fields only; it cannot set _source on an index made earlier
        self.client.indices.put_mapping(index=self.name, properties=properties)
        settings = self.client.indices.get_settings(index=self.name)[self.name]["settings"]
        index = settings["index"]
        loading = mapping.get("_meta", {}).get("bulk_load", False)
        if loading:
            log.warning(
                "search index %s: a rebuild has not finished (no replicas until it does);"
                " `dangan reindex` resumes it",
                self.name,
            )
        elif int(index["number_of_replicas"]) != self.settings["number_of_replicas"]:
            self.client.indices.put_settings(
                index=self.name,
                settings={"number_of_replicas": self.settings["number_of_replicas"]},
            )
        shards = int(index["number_of_shards"])
        if shards != self.settings["number_of_shards"]:
            self.outdated = True
        if self.outdated:
            log.warning(
                "search index %s: made with %d primary shards and %s; `dangan reindex"
                " --rebuild` makes it anew with %d shards and the current mapping",
                self.name,
                shards,
                f"an older mapping ({', '.join(sorted(changed))})" if changed else "this mapping",
                self.settings["number_of_shards"],
            )

    # --- writing -------------------------------------------------------------

    def _body(self, doc: IndexDoc) -> dict[str, Any]:
        body: dict[str, Any] = {
            "record_id": doc.record_id,
            "status": doc.status,
            "doc_type": doc.doc_type,
            "category": doc.category,
            "retention": doc.retention,
            "formed_date": doc.formed_date,
            "security_level": doc.security_level,
            "title": normal_form(f"{doc.title}\n{doc.filename}"),
            "pages": [{"page_no": no, "text": normal_form(text)} for no, text in doc.pages],
        }
        for kind in KEY_KINDS:
            body[kind] = sorted({v.upper() for k, v in doc.keys if k == kind})
        return body

    def upsert(self, doc: IndexDoc) -> None:
        self.upsert_many([doc])

    def upsert_many(self, docs: Iterable[IndexDoc], refresh: bool = True) -> int:
        from elasticsearch import helpers

        actions = (
            {"_index": self.name, "_id": d.record_id, "_source": self._body(d)} for d in docs
        )
        ok = 0
        with _unavailable():
            # Two sender threads: the next chunk is prepared while one is in flight.
            for success, _item in helpers.parallel_bulk(
                self.client, actions, thread_count=2, chunk_size=500, raise_on_error=True
            ):
                ok += bool(success)
            if refresh:
                self.client.indices.refresh(index=self.name)
        return ok

    def delete(self, record_id: str) -> None:
        with _unavailable():
            self.client.options(ignore_status=404).delete(
                index=self.name, id=record_id, refresh=True
            )

    # --- reading -------------------------------------------------------------

    def search(
        self,
        query: str,
        *,
        filters: RecordFilter | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> IndexResult:
        terms = query_terms(query)
        flt = _filters(filters)
        if not terms:
            if filters is None or filters.is_empty():
                return IndexResult(total=0, hits=[])
            body = {
                "query": {"bool": {"filter": flt}},
                "sort": [{"formed_date": {"order": "desc", "missing": "_last"}}, "record_id"],
            }
        else:
            # No relevance scoring (as the embedded index): title matches first,
            # then the newest business date. dis_max of two constant scores.
            pages = {
                "nested": {
                    "path": "pages",
                    "query": {"bool": {"must": [_phrase("pages.text", t, p) for t, p in terms]}},
                    # no inner_hits: they doubled a search's cost; the search
                    # service finds the matching pages in the catalog (IndexHit.pages)
                }
            }
            title = {"bool": {"must": [_phrase("title", t, p) for t, p in terms]}}
            body = {
                "query": {
                    "bool": {
                        "filter": flt,
                        "must": {
                            "dis_max": {
                                "queries": [
                                    {"constant_score": {"filter": pages, "boost": 1.0}},
                                    {"constant_score": {"filter": title, "boost": 2.0}},
                                ]
                            }
                        },
                    }
                },
                "sort": [
                    {"_score": "desc"},
                    {"formed_date": {"order": "desc", "missing": "_last"}},
                    "record_id",
                ],
            }
        with _unavailable():
            # the server stops the search at `timeout`; the client gives up a little later
            res = self.client.options(request_timeout=self.time_limit + 5).search(
                index=self.name,
                **body,
                from_=offset,
                size=limit,
                track_total_hits=self.count_limit,
                source=False,
                timeout=f"{int(self.time_limit * 1000)}ms",
            )
        if res.get("timed_out"):
            from dangan.catalog.fts import timeout_error

            raise timeout_error(self.time_limit)
        hits = []
        for h in res["hits"]["hits"]:
            hits.append(
                IndexHit(h["_id"], round(h["_score"] or 0.0, 4), pages=None if terms else [])
            )
        total = res["hits"]["total"]
        return IndexResult(
            total=min(total["value"], self.count_limit),
            hits=hits,
            total_exact=total["relation"] == "eq",
        )

    def count(self) -> int:
        with _unavailable():
            return int(self.client.count(index=self.name)["count"])

    def refresh(self) -> None:
        with _unavailable():
            self.client.indices.refresh(index=self.name)

    def bulk_load(self, on: bool) -> None:
        """A rebuild indexes every document on one copy, without refreshing, and
        the replicas are copied from it at the end as segment files: each
        document is analysed once instead of once per copy (the CPU is what
        limits indexing). The index's _meta says a load is under way, so that a
        process opening it meanwhile does not put the replicas back."""
        replicas = self.settings["number_of_replicas"]
        with _unavailable():
            if on:
                self.client.indices.put_mapping(
                    index=self.name, meta={"layout": LAYOUT, "bulk_load": True}
                )
                self.client.indices.put_settings(
                    index=self.name,
                    settings={"number_of_replicas": 0, "refresh_interval": "-1"},
                )
                return
            self.client.indices.put_settings(
                index=self.name,
                settings={
                    "number_of_replicas": replicas,
                    "refresh_interval": self.settings["refresh_interval"],
                },
            )
            self.client.indices.refresh(index=self.name)
            self._wait_for_copies()
            self.client.indices.put_mapping(index=self.name, meta={"layout": LAYOUT})

    def _wait_for_copies(self, most_s: float = 3600, wait: str = "60s") -> None:
        """Until every replica copy the cluster can hold is made (the replicas a
        bulk load left out): green where there are more data nodes than
        replicas, else yellow (a replica with no node to go to is not waited for)."""
        nodes = self.client.cluster.health()["number_of_data_nodes"]
        status = "green" if nodes > self.settings["number_of_replicas"] else "yellow"
        deadline = time.monotonic() + most_s
        while time.monotonic() < deadline:
            # a wait that runs out is answered 408, with the health in the body
            health = self.client.options(request_timeout=90, ignore_status=408).cluster.health(
                index=self.name, wait_for_status=status, timeout=wait
            )
            if not health["timed_out"]:
                return
            log.info("search index %s: copying replicas (%s)", self.name, health["status"])
        log.warning("search index %s: replicas still being copied", self.name)

    def optimize(self) -> None:
        """Merge away deleted documents so their text leaves the segment files."""
        with _unavailable():
            self.client.indices.refresh(index=self.name)
            self.client.indices.forcemerge(index=self.name, only_expunge_deletes=True)

    def drop(self) -> None:
        """Remove the whole index (tests, and `dangan reindex --rebuild`)."""
        with _unavailable():
            self.client.indices.delete(index=self.name, ignore_unavailable=True)
        self._prepare()

    def close(self) -> None:
        self.client.close()


def _filters(filters: RecordFilter | None) -> list[dict]:
    if filters is None:
        return []
    out: list[dict] = []
    for column in ("doc_type", "category", "retention", "status"):
        value = getattr(filters, column)
        if value:
            out.append({"term": {column: value}})
    if filters.levels is not None:
        out.append({"terms": {"security_level": list(filters.levels)}})
    if filters.date_from or filters.date_to:
        rng = {}
        if filters.date_from:
            rng["gte"] = filters.date_from
        if filters.date_to:
            rng["lte"] = filters.date_to
        out.append({"range": {"formed_date": rng}})
    for kind in KEY_KINDS:
        value = getattr(filters, kind)
        if value:
            out.append({"term": {kind: value.strip().upper()}})
    return out


def _is_already_exists(exc: Exception) -> bool:
    return "resource_already_exists_exception" in str(exc)


class _unavailable:
    """Turn transport failures into IndexUnavailable (the outbox keeps the work)."""

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is None:
            return False
        from elasticsearch import ApiError, TransportError

        if isinstance(exc, TransportError) or (
            isinstance(exc, ApiError) and getattr(exc, "status_code", 0) >= 500
        ):
            raise IndexUnavailable(
                f"检索服务暂时不可用（{exc.__class__.__name__}），稍后自动补齐索引。"
            ) from exc
        return False
