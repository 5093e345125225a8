"""Full-text search with exact filters."""

from __future__ import annotations

from dangan.api.auth import Reader, log_access, masked, redactor, visible_levels
from dangan.api.deps import ArchiveDep
from dangan.catalog.base import RecordFilter
from dangan.catalog.search import search_records
from fastapi import APIRouter, Query, Request

router = APIRouter(tags=["search"])


@router.get("/search", summary="全文检索（中文词语、姓名、身份证号），可精确筛选")
def search(
    request: Request,
    archive: ArchiveDep,
    user: Reader,
    q: str = Query("", description="检索词，空格分隔多个词；可为空（仅按筛选条件列出）"),
    person: str | None = Query(None, description="公民身份号码（精确）"),
    unit: str | None = Query(None, description="统一社会信用代码或单位编号（精确）"),
    doc_type: str | None = Query(None, description="类别代码"),
    category: str | None = Query(None, description="门类，如 管理类"),
    retention: str | None = Query(None, description="保管期限，如 永久、30年"),
    date_from: str | None = Query(None, alias="from", description="业务日期起 YYYY-MM-DD"),
    date_to: str | None = Query(None, alias="to", description="业务日期止 YYYY-MM-DD"),
    limit: int = Query(20, ge=1, le=200),
    offset: int = Query(0, ge=0),
) -> dict:
    filters = RecordFilter(
        person=person,
        unit=unit,
        doc_type=doc_type,
        category=category,
        retention=retention,
        date_from=date_from,
        date_to=date_to,
        levels=visible_levels(user),
    )
    result = search_records(
        archive.catalog,
        archive.index,
        q,
        filters=filters,
        limit=limit,
        offset=offset,
        redact=redactor(user),
    ).to_json()
    log_access(request, user, "search", None, q=q, filters=_given(filters), total=result["total"])
    return masked(result, user)


def _given(filters: RecordFilter) -> dict:
    return {k: v for k, v in vars(filters).items() if v is not None and k != "levels"}
