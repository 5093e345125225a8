"""Tables sorted and paged on the server: the sort column, its direction and
the page live in the URL (`sort`, `dir`, `page`), so a sort holds across
every page of the result and survives a reload, a bookmark and 导出."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from dangan.catalog.stores.listing import SORT_COLUMNS, sort_key
from fastapi import Request

_OWN = ("sort", "dir", "page")


@dataclass
class Paging:
    base: list[tuple[str, str]]  # the rest of the query string
    sort: str | None
    descending: bool
    page: int
    size: int
    total: int = 0
    total_exact: bool = True  # False: `total` is a lower bound (search count limit)

    @classmethod
    def of(cls, request: Request, size: int, columns: dict[str, str] = SORT_COLUMNS) -> Paging:
        """From the URL; `columns`: the sort keys this table accepts."""
        params = request.query_params
        try:
            page = max(1, min(10_000, int(params.get("page", "1"))))
        except ValueError:
            page = 1
        return cls(
            base=[(k, v) for k, v in params.multi_items() if k not in _OWN and v],
            sort=sort_key(params.get("sort"), columns),
            descending=params.get("dir") == "desc",
            page=page,
            size=size,
        )

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.size

    @property
    def pages(self) -> int:
        return max(1, (self.total - 1) // self.size + 1) if self.total else 0

    def query(self, *, page: int | None = None, sort: str | None = None, desc=None) -> str:
        """The query string with this sort (or another) and this page (or another)."""
        sort = self.sort if sort is None else sort
        desc = self.descending if desc is None else desc
        own = []
        if sort:
            own.append(("sort", sort))
            if desc:
                own.append(("dir", "desc"))
        page = self.page if page is None else page
        if page > 1:
            own.append(("page", str(page)))
        return urlencode(self.base + own)

    def sort_query(self, key: str) -> str:
        """A column header's link: sort by it, the other way round if it is
        already the sort, from the first page."""
        desc = not self.descending if key == self.sort else False
        return self.query(page=1, sort=key, desc=desc)

    def aria_sort(self, key: str) -> str:
        if key != self.sort:
            return "none"
        return "descending" if self.descending else "ascending"

    def sort_params(self) -> str:
        """`&sort=…&dir=…` for links that keep the sort (export, view switch)."""
        if not self.sort:
            return ""
        return "&" + urlencode(
            [("sort", self.sort)] + ([("dir", "desc")] if self.descending else [])
        )
