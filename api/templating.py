"""The one Jinja2 environment of the web UI, with helpers the templates share."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from dangan.access.roles import ROLES, allowed

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def _can(principal, permission: str) -> bool:
    """Whether the logged-in person may use a desk (the server checks again)."""
    return bool(principal) and allowed(principal.roles, permission)


templates.env.globals["can"] = _can
templates.env.filters["role_names"] = lambda roles: "、".join(
    ROLES.get(r, r) for r in sorted(roles)
)
