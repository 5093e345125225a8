"""Full-text search with exact filters: the API and the search desk (检索),
with its table view, 导出, and each person's saved searches."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Annotated
from urllib.parse import quote, urlencode

from dangan.api.auth import Reader, log_access, masked, redactor, visible_levels
from dangan.api.deps import ArchiveDep, load_record
from dangan.api.export import RECORD_COLUMNS, export_response, record_rows
from dangan.api.schemas.records import SearchOut
from dangan.api.tables import Paging
from dangan.api.templating import templates
from dangan.catalog import saved_searches
from dangan.catalog.base import RecordFilter
from dangan.catalog.search import search_records
from fastapi import APIRouter, Depends, Query, Request
from fastapi import Form as FormField
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup

from dangan.errors import DanganError, ExitCode, NotFound
from dangan.identifiers import is_valid_id_number

router = APIRouter(tags=["search"])


@router.get(
    "/search",
    summary="全文检索（中文词语、姓名、身份证号），可精确筛选",
    response_model=SearchOut,
)
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


# --- the search desk (检索) ---------------------------------------------------

ui = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
TABLE_PAGE_SIZE = 100
EXPORT_LIMIT = 2000
_PARTIAL_ID = re.compile(r"^\d{4,17}[\dXx]?$")
_CODE_PREFIX = re.compile(r"^[A-Za-z]\d{3}-[A-Za-z]{2}")


@dataclass
class SearchForm:
    """The search page's query string, read once for the page and its export."""

    q: str = ""
    doc_type: str = ""
    category: str = ""
    date_from: str = ""
    date_to: str = ""

    @classmethod
    def of(cls, q, doc_type, category, date_from, date_to) -> SearchForm:
        form = cls(q.strip(), doc_type, category, date_from, date_to)
        for value in (form.date_from, form.date_to):
            if value and not _is_date(value):
                raise BadSearch(f"业务日期“{value}”无效，请按 年-月-日 填写，如 2024-05-01。")
        return form

    def filters(self, user) -> RecordFilter:
        return RecordFilter(
            doc_type=self.doc_type or None,
            category=self.category or None,
            date_from=self.date_from or None,
            date_to=self.date_to or None,
            levels=visible_levels(user),
        )

    def query_string(self) -> str:
        params = {
            "q": self.q,
            "doc_type": self.doc_type,
            "category": self.category,
            "from": self.date_from,
            "to": self.date_to,
        }
        return urlencode({k: v for k, v in params.items() if v})


class BadSearch(DanganError):
    exit_code = ExitCode.INVALID_INPUT
    http_status = 422
    code = "search"


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _form(
    q: str = "",
    doc_type: str = "",
    category: str = "",
    date_from: Annotated[str, Query(alias="from")] = "",
    date_to: Annotated[str, Query(alias="to")] = "",
) -> SearchForm:
    return SearchForm.of(q, doc_type, category, date_from, date_to)


Form = Annotated[SearchForm, Depends(_form)]


def search_hint(query: str) -> str:
    """What to do when the words look like part of an identifier."""
    if _PARTIAL_ID.match(query) and not is_valid_id_number(query.upper()):
        return (
            f"“{query}”像是不完整的公民身份号码。按号码查找须输入完整的 18 位；"
            "只记得后几位时，请输入姓名，或用业务日期、类别缩小范围后在结果中查找。"
        )
    if _CODE_PREFIX.match(query):
        return (
            f"没有档号为“{query}”的档案。按档号查找须输入完整档号（如 Q001-YW·2024-D30-GL-0001，"
            "“·”也可输入“.”）；按年度、保管期限查看一组档号，请用“整理装盒”或上方的筛选条件。"
        )
    if query.endswith("*"):
        return "检索不支持“*”通配符：请输入完整的词语、姓名、号码或档号。"
    return ""


@ui.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    archive: ArchiveDep,
    user: Reader,
    form: Form,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    view: str = "",
    done: str = "",
):
    query = form.q
    if query and not form.doc_type and not form.category and not form.date_from:
        record_id = archive.catalog.resolve_record_ref(query)
        if record_id is not None:  # an exact 档号 or 档案编号 opens that record
            load_record(archive, record_id, user)
            return RedirectResponse(f"/records/{record_id}", status_code=303)
    filters = form.filters(user)
    table = view == "table"
    size = TABLE_PAGE_SIZE if table else PAGE_SIZE
    # the table view sorts every hit on the server, by the column in the URL
    paging = Paging.of(request, size) if table else None
    result = None
    if query or not filters.is_empty():
        log_access(request, user, "search", None, q=query, via="ui")
        result = search_records(
            archive.catalog,
            archive.index,
            query,
            filters=filters,
            limit=size,
            offset=(page - 1) * size,
            redact=redactor(user),
            sort=paging.sort if paging else None,
            descending=bool(paging and paging.descending),
        )
        if paging:
            paging.total, paging.total_exact = result.total, result.total_exact
    schedule = archive.schedule()
    return templates.TemplateResponse(
        request,
        "search.html",
        {
            "q": query,
            "person": query.upper() if is_valid_id_number(query.upper()) else None,
            "hint": search_hint(query),
            "f": filters,
            "qs": form.query_string(),
            "view": "table" if table else "list",
            "schedule": schedule,
            "categories": sorted({row.category for row in schedule.rows}),
            "result": result,
            "page": page,
            "paging": paging,
            "pages": ((result.total - 1) // size + 1) if result and result.total else 0,
            "total_records": archive.catalog.count(),
            "saved": saved_searches.list_saved(archive.catalog, user.name),
            "done": done,
            "Markup": Markup,
        },
    )


@ui.get("/search/export.xlsx")
def export(request: Request, archive: ArchiveDep, user: Reader, form: Form):
    """Every hit of the search (up to EXPORT_LIMIT), as the table shows them,
    in the table's order when it was sorted by a column."""
    paging = Paging.of(request, EXPORT_LIMIT)
    result = search_records(
        archive.catalog,
        archive.index,
        form.q,
        filters=form.filters(user),
        limit=EXPORT_LIMIT,
        redact=redactor(user),
        sort=paging.sort,
        descending=paging.descending,
    )
    return export_response(
        request,
        user,
        title="检索结果",
        subtitle=f"检索：{form.q or '（仅按筛选条件）'}",
        columns=RECORD_COLUMNS,
        rows=record_rows(request, result.hits),
        q=form.q,
    )


@ui.post("/search/saved")
def save_search(
    archive: ArchiveDep,
    user: Reader,
    name: Annotated[str, FormField()],
    query: Annotated[str, FormField()] = "",
):
    label = name.strip()[:40]
    if not label:
        raise BadSearch("请给这次检索起个名字。")
    if saved_searches.count(archive.catalog, user.name) >= saved_searches.MAX_PER_USER:
        raise BadSearch(f"每人最多保存 {saved_searches.MAX_PER_USER} 个检索，请先删除不用的。")
    saved_searches.save(archive.catalog, user.name, label, query.lstrip("?")[:1000])
    done = quote(f"已保存检索“{label}”。")
    return RedirectResponse(f"/?{query.lstrip('?')}&done={done}", status_code=303)


@ui.post("/search/saved/{saved_id}/delete")
def delete_search(saved_id: int, archive: ArchiveDep, user: Reader):
    if not saved_searches.delete(archive.catalog, user.name, saved_id):
        raise NotFound("没有这个保存的检索。")
    return RedirectResponse(f"/?done={quote('已删除保存的检索。')}", status_code=303)
