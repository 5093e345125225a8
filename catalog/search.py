"""Search service: index hits joined with catalog rows and snippets."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from dangan.catalog.base import RecordFilter
from dangan.catalog.cjk import check_query, fold
from dangan.catalog.highlight import snippet, term_pattern
from dangan.catalog.index import SearchIndex
from dangan.catalog.sql import SqlCatalog
from dangan.catalog.stores.listing import ListingRows, sort_key

# hits ordered by a column are the first SORT_WINDOW in the index's order,
# ordered in the catalog; a result with more says so (SearchResult.sort_window)
SORT_WINDOW = 5000


@dataclass
class SearchHit:
    record_id: str
    score: float
    title: str
    filename: str
    page_count: int
    snippet: str
    pages: list[int] = field(default_factory=list)
    doc_type: str | None = None
    category: str | None = None
    retention: str | None = None
    business_date: str | None = None
    archival_code: str | None = None
    status: str = "filed"
    security_level: str = "internal"


@dataclass
class SearchResult:
    query: str
    total: int
    hits: list[SearchHit]
    sort_window: int = 0  # > 0: sorted among the first this many hits only
    total_exact: bool = True  # False: more than `total` match (the index's count limit)

    def to_json(self) -> dict:
        out = asdict(self)
        out.pop("sort_window")
        return out


def _find_pages(catalog: SqlCatalog, hits: list, query: str) -> None:
    """Pages of each hit whose text holds every term of the query, as the
    indexes match (for an index that does not say which pages matched)."""
    terms = [p for p in map(term_pattern, check_query(query)) if p is not None]
    if not terms:  # a listing by filters alone: no page matched anything
        for hit in hits:
            hit.pages = []
        return
    texts = catalog.page_texts([h.record_id for h in hits])
    for hit in hits:
        hit.pages = []
        for no, text in texts.get(hit.record_id, []):
            folded = fold(text)
            if all(p.search(folded) for p in terms):
                hit.pages.append(no)


def search_records(
    catalog: SqlCatalog,
    index: SearchIndex,
    query: str,
    *,
    filters: RecordFilter | None = None,
    limit: int = 20,
    offset: int = 0,
    redact: Callable[[str], str] | None = None,
    sort: str | None = None,
    descending: bool = False,
) -> SearchResult:
    """`redact` masks the text snippets are cut from, and titles and file names
    (ID numbers for roles that see them masked). `sort` (a key of
    catalog.stores.listing.SORT_COLUMNS) orders every hit, not one page, by
    that column before `offset` and `limit` apply."""
    shown = redact or (lambda text: text)
    window = 0
    if sort_key(sort):
        found = index.search(query, filters=filters, limit=SORT_WINDOW, offset=0)
        by_id = {h.record_id: h for h in found.hits}
        page = ListingRows(catalog).ordered_ids(list(by_id), sort, descending, limit, offset)
        found.hits = [by_id[i] for i in page]
        more = found.total > SORT_WINDOW or not found.total_exact
        window = SORT_WINDOW if more and len(by_id) >= SORT_WINDOW else 0
    else:
        found = index.search(query, filters=filters, limit=limit, offset=offset)
    rows = catalog.summaries([h.record_id for h in found.hits])
    pattern = term_pattern(query)
    _find_pages(catalog, [h for h in found.hits if h.pages is None], query)
    hits = []
    for hit in found.hits:
        row = rows.get(hit.record_id)
        if row is None:  # index ahead of catalog (record being removed)
            continue
        first = hit.pages[0] if hit.pages else None
        text = (catalog.page_text(hit.record_id, first) or "") if first else row["title"]
        hits.append(
            SearchHit(
                record_id=hit.record_id,
                score=hit.score,
                title=shown(row["title"]),
                filename=shown(row["filename"]),
                page_count=row["page_count"],
                snippet=snippet(text, pattern, redact=redact),
                pages=hit.pages,
                doc_type=row["doc_type"],
                category=row["category"],
                # a record waiting for review has no retention yet (issue 18)
                retention=None if row["status"] == "review" else row["retention"],
                business_date=row["formed_date"],
                archival_code=row["archival_code"],
                status=row["status"],
                security_level=row["security_level"],
            )
        )
    return SearchResult(
        query=query,
        total=found.total,
        hits=hits,
        sort_window=window,
        total_exact=found.total_exact,
    )
