"""Search index seam. The index is derived data: the catalog is the truth and
the index is fed from the catalog's outbox (see dangan.archive.sync_index)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from dangan.catalog.base import RecordFilter

from dangan.errors import DanganError


class IndexUnavailable(DanganError):
    """The search server cannot be reached; what was not indexed stays queued."""

    http_status = 503
    code = "index_unavailable"


@dataclass(frozen=True)
class IndexDoc:
    record_id: str
    title: str
    filename: str
    pages: list[tuple[int, str]]  # (page_no, text)
    status: str = "filed"
    doc_type: str | None = None
    category: str | None = None
    retention: str | None = None
    formed_date: str | None = None
    keys: list[tuple[str, str]] = field(default_factory=list)  # (kind, value) exact keys
    security_level: str = "internal"


@dataclass
class IndexHit:
    record_id: str
    score: float
    # pages whose text matched; None: the index does not say (Elasticsearch),
    # the search service finds them in the catalog's page text
    pages: list[int] | None = field(default_factory=list)


@dataclass
class IndexResult:
    total: int
    hits: list[IndexHit]
    # False: more than `total` records match; the index counted up to its
    # count limit (DANGAN_SEARCH_COUNT_LIMIT) and stopped there
    total_exact: bool = True


class SearchIndex(Protocol):
    def upsert(self, doc: IndexDoc) -> None:
        """Replace everything indexed for doc.record_id."""

    def upsert_many(self, docs: Iterable[IndexDoc], refresh: bool = True) -> int:
        """upsert() for many documents at once (bulk); returns how many. With
        `refresh` they are searchable when it returns (bulk loads pass False and
        refresh once at the end: refreshing every batch slows Elasticsearch)."""

    def delete(self, record_id: str) -> None: ...

    def search(
        self,
        query: str,
        *,
        filters: RecordFilter | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> IndexResult:
        """Records matching all terms of `query` (phrases for Chinese words,
        exact tokens for ID numbers) and every filter, best first, with the
        pages that matched. An empty query lists the filtered records, newest
        business date first."""

    def count(self) -> int: ...

    def drop(self) -> None:
        """Remove everything indexed (`dangan reindex --rebuild`)."""

    def bulk_load(self, on: bool) -> None:
        """Around a rebuild of the whole index (`dangan reindex --rebuild`): on,
        the index may drop what only serves searches while loading (Elasticsearch:
        replicas and periodic refresh); off, it restores them and returns when
        they are back (replica copies made)."""

    def optimize(self) -> None:
        """Compact after deletions so that removed text is physically gone from
        the index files (called after a destruction batch)."""

    def close(self) -> None: ...
