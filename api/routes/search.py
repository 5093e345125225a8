"""Full-text search."""

from __future__ import annotations

from fastapi import APIRouter, Query

from api.deps import ArchiveDep
from catalog.search import search_records

router = APIRouter(tags=["search"])


@router.get("/search", summary="全文检索（中文词语、姓名、身份证号）")
def search(
    archive: ArchiveDep,
    q: str = Query(..., description="检索词，空格分隔多个词"),
    limit: int = Query(20, ge=1, le=200),
    offset: int = Query(0, ge=0),
) -> dict:
    return search_records(archive.catalog, archive.index, q, limit=limit, offset=offset).to_json()
