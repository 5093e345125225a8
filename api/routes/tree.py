"""The archive's tree (分类目录): 全宗 → 年度 → 门类 → 保管期限 with the
number of records under each node, and each node's records as a table
(档号 first, sorted and paged on the server, 打印, 导出 Excel).

Counts and lists come from catalog/stores/listing.py and take the reader's
密级: a node never counts records the reader may not open."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Annotated
from urllib.parse import urlencode

from dangan.api.auth import Reader, log_access, masked, redactor, visible_levels
from dangan.api.deps import ArchiveDep
from dangan.api.export import RECORD_COLUMNS, export_response, record_rows
from dangan.api.schemas.tree import TreeNodeOut, TreeRecordsOut
from dangan.api.tables import Paging
from dangan.api.templating import templates
from dangan.catalog.stores.listing import ListingRows, TreeFilter, TreeNode
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from dangan.errors import DanganError, ExitCode

api = APIRouter(tags=["tree"])
ui = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
EXPORT_LIMIT = 5000
_YEAR = re.compile(r"^\d{4}$")


class BadNode(DanganError):
    exit_code = ExitCode.INVALID_INPUT
    http_status = 422
    code = "tree_node"


def _node(
    fonds: Annotated[str, Query(max_length=40, description="全宗号")] = "",
    year: Annotated[str, Query(max_length=4, description="年度，如 2024")] = "",
    category: Annotated[str, Query(max_length=40, description="门类，如 管理类")] = "",
    retention: Annotated[str, Query(max_length=20, description="保管期限，如 永久、30年")] = "",
) -> TreeFilter:
    if year and not _YEAR.match(year):
        raise BadNode(f"年度“{year}”无效，应为四位数字，如 2024。")
    return TreeFilter(fonds.strip(), year.strip(), category.strip(), retention.strip())


Node = Annotated[TreeFilter, Depends(_node)]


def node_label(node: TreeFilter) -> str:
    """The node as a path a person reads: 全宗 Q001 / 2024年度 / 管理类 / 永久."""
    parts = [
        f"全宗 {node.fonds}" if node.fonds else "",
        f"{node.year}年度" if node.year else "",
        node.category,
        node.retention,
    ]
    return " / ".join(p for p in parts if p) or "全部档案"


def node_href(node: TreeNode) -> str:
    return "/tree?" + urlencode({k: v for k, v in node.key().items() if v})


def _tree_json(node: TreeNode) -> dict:
    return {**node.key(), "label": node.label, "count": node.count,
            "children": [_tree_json(c) for c in node.children]}  # fmt: skip


def _hits(rows: list[dict], redact) -> list[SimpleNamespace]:
    """Catalog rows in the shape record_rows reads (that of a search hit)."""
    shown = redact or (lambda text: text)
    return [
        SimpleNamespace(
            record_id=r["id"],
            title=shown(r["title"]),
            archival_code=r["archival_code"],
            business_date=r["formed_date"],
            doc_type=r["doc_type"],
            category=r["category"],
            retention=r["retention"],
            page_count=r["page_count"],
            security_level=r["security_level"],
            status=r["status"],
            pages=[],
        )  # fmt: skip
        for r in rows
    ]


@api.get(
    "/tree",
    summary="分类目录树（全宗/年度/门类/保管期限）及各节点件数，只计调用者可查阅的密级",
    response_model=TreeNodeOut,
)
def api_tree(archive: ArchiveDep, user: Reader) -> dict:
    return _tree_json(ListingRows(archive.catalog).tree(visible_levels(user)))


@api.get(
    "/tree/records",
    summary="分类目录某一节点下的档案（按档号或指定列排序，分页）",
    response_model=TreeRecordsOut,
)
def api_tree_records(
    request: Request,
    archive: ArchiveDep,
    user: Reader,
    node: Node,
    sort: str | None = Query(None, description="排序列：archival_code、title、business_date…"),
    desc: bool = Query(False, description="降序"),
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> dict:
    total, rows = ListingRows(archive.catalog).in_node(
        node, visible_levels(user), sort=sort, descending=desc, limit=limit, offset=offset
    )
    log_access(request, user, "search", None, view="分类目录", filters=node_label(node))
    shown = redactor(user) or (lambda text: text)
    for row in rows:
        row["title"], row["filename"] = shown(row["title"]), shown(row["filename"])
    return masked({"total": total, "records": rows}, user)


@ui.get("/tree", response_class=HTMLResponse)
def tree_page(request: Request, archive: ArchiveDep, user: Reader, node: Node):
    levels = visible_levels(user)
    listing = ListingRows(archive.catalog)
    paging = Paging.of(request, PAGE_SIZE)
    rows: list[dict] = []
    if not node.is_root():
        paging.total, found = listing.in_node(
            node, levels, sort=paging.sort, descending=paging.descending,
            limit=paging.size, offset=paging.offset,
        )  # fmt: skip
        log_access(request, user, "search", None, via="ui", view="分类目录",
                   filters=node_label(node))  # fmt: skip
        rows = record_rows(request, _hits(found, redactor(user)))
    return templates.TemplateResponse(
        request,
        "tree.html",
        {
            "tree": listing.tree(levels),
            "node": node,
            "label": node_label(node),
            "rows": rows,
            "paging": paging,
            "columns": RECORD_COLUMNS,
            "node_href": node_href,
        },
    )


@ui.get("/tree/export.xlsx")
def tree_export(request: Request, archive: ArchiveDep, user: Reader, node: Node):
    """The node's records (up to EXPORT_LIMIT) in the table's order."""
    paging = Paging.of(request, EXPORT_LIMIT)
    _, found = ListingRows(archive.catalog).in_node(
        node, visible_levels(user), sort=paging.sort, descending=paging.descending,
        limit=EXPORT_LIMIT,
    )  # fmt: skip
    label = node_label(node)
    return export_response(
        request,
        user,
        title="分类目录",
        subtitle=f"分类目录：{label}",
        columns=RECORD_COLUMNS,
        rows=record_rows(request, _hits(found, redactor(user))),
        list="tree",
        filters=label,
    )
