"""The one Jinja2 environment of the web UI, with helpers the templates share:
`can(me, permission)` to leave out what a person may not use, and the filters
of api/labels.py (Beijing time, class names, audit actions, 姓名, 密级)."""

from __future__ import annotations

from pathlib import Path

from dangan.api import labels
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context

from dangan.access.roles import ROLES, allowed

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _can(principal, permission: str) -> bool:
    """Whether the logged-in person may use a desk (the server checks again)."""
    return bool(principal) and allowed(principal.roles, permission)


templates.env.globals["can"] = _can
templates.env.filters["role_names"] = lambda roles: "、".join(
    ROLES.get(r, r) for r in sorted(roles)
)
labels.register(templates.env)


@pass_context
def _record_rows(context, hits, query: str = ""):
    from dangan.api.export import record_rows

    return record_rows(context["request"], hits, query)


templates.env.globals["record_rows"] = _record_rows


def _columns():
    from dangan.api.export import RECORD_COLUMNS

    return RECORD_COLUMNS


templates.env.globals["record_columns"] = _columns


def _sort_label(key: str) -> str:
    from dangan.api.export import RECORD_COLUMNS

    return next((c.label for c in RECORD_COLUMNS if c.key == key), "")


templates.env.globals["sort_label"] = _sort_label


def _hit_count(result) -> str:
    """A search's number of hits as people read it: exact, or 超过 N when the
    index stopped counting at its limit (DANGAN_SEARCH_COUNT_LIMIT)."""
    if getattr(result, "total_exact", True):
        return str(result.total)
    return f"超过 {result.total:,}"


templates.env.globals["hit_count"] = _hit_count
