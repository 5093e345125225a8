"""Roles and what each may do. Checked on the server for every action; the UI
only hides what a role cannot use."""

from __future__ import annotations

from dangan.identifiers import mask_id_numbers

ROLES: dict[str, str] = {
    "clerk": "档案管理员",
    "caseworker": "经办人员",
    "compliance": "鉴定小组（合规）",
    "head": "机构负责人",
    "auditor": "安全审计员",
    "admin": "系统管理员",
    "secadmin": "安全管理员",
    "system": "业务经办系统",
}

# 三员分立: the system administrator (accounts and tokens), the security
# administrator (roles, password resets, unlocking) and the security auditor
# (the audit log) are three different people; no one holds two of these roles,
# and API tokens hold none of them (each is a person's duty).
ADMINISTRATORS: tuple[str, ...] = ("admin", "secadmin", "auditor")

# permission -> roles that hold it
PERMISSIONS: dict[str, frozenset[str]] = {
    "records.read": frozenset(ROLES) - {"secadmin"},
    "records.download": frozenset({"clerk", "caseworker", "compliance", "head", "admin", "system"}),
    "records.ingest": frozenset({"clerk", "admin", "system"}),
    "review.confirm": frozenset({"clerk", "admin"}),
    "volumes.print": frozenset({"clerk", "admin"}),
    "retention.read": frozenset({"compliance", "head", "auditor", "admin"}),
    "retention.manage": frozenset({"compliance"}),
    "retention.approve": frozenset({"head"}),
    "audit.read": frozenset({"auditor"}),
    # create, disable and enable accounts; issue and revoke API tokens
    "users.manage": frozenset({"admin"}),
    # change roles, reset passwords, unlock accounts
    "roles.assign": frozenset({"secadmin"}),
    # full 公民身份号码; everyone else sees them masked
    "ids.full": frozenset({"clerk", "caseworker", "compliance", "system"}),
    # set a record's 密级
    "security.set": frozenset({"clerk", "compliance"}),
}

# 密级 each role may read, up to and including (catalog.base.SECURITY_LEVELS order).
# 受控 (restricted) records, audit and inspection files by default, stay with the
# archive, the compliance group, the agency head and the auditors.
CLEARANCE: dict[str, str] = {
    "clerk": "restricted",
    "caseworker": "internal",
    "compliance": "restricted",
    "head": "restricted",
    "auditor": "restricted",
    "admin": "internal",
    "secadmin": "public",
    "system": "internal",
}


def readable_levels(roles: frozenset[str] | set[str]) -> tuple[str, ...]:
    """The 密级 someone holding `roles` may read (their highest clearance)."""
    from dangan.catalog.base import SECURITY_LEVELS

    order = list(SECURITY_LEVELS)
    top = max((order.index(CLEARANCE[r]) for r in roles if r in CLEARANCE), default=0)
    return tuple(order[: top + 1])


def allowed(roles: frozenset[str] | set[str], permission: str) -> bool:
    return bool(PERMISSIONS[permission] & set(roles))


def administrator_conflict(roles: frozenset[str] | set[str]) -> str | None:
    """Why `roles` may not be held together (三员分立), or None."""
    held = [r for r in ADMINISTRATORS if r in roles]
    if len(held) > 1:
        return (
            f"{'、'.join(ROLES[r] for r in held)}须由不同人员担任（三员分立），同一账号不能兼任。"
        )
    return None


def role_names(roles: frozenset[str] | set[str]) -> str:
    return "、".join(ROLES.get(r, r) for r in sorted(roles))


def mask_ids_in(text: str) -> str:
    """Every 公民身份号码 the field extractor would recognise in `text`, masked
    (3501**********123X; spaced, OCR-misread and glued forms too). Works on
    plain text and on HTML: mask before inserting markup that could split a
    number (see catalog/highlight.py)."""
    return mask_id_numbers(text)
