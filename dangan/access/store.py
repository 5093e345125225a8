"""Accounts, sessions and API tokens, kept in the catalog database.

Only hashes of passwords and tokens are stored. Every change is returned to the
caller so it can be written to the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from dangan.access.passwords import (
    MIN_LENGTH,
    hash_password,
    new_secret,
    token_hash,
    verify_password,
)
from dangan.access.roles import ROLES
from dangan.errors import DanganError, ExitCode

SESSION_HOURS = 10


class AccessError(DanganError):
    exit_code = ExitCode.ACCESS
    http_status = 422
    code = "access"


class NotAuthenticated(DanganError):
    exit_code = ExitCode.ACCESS
    http_status = 401
    code = "not_authenticated"


class Forbidden(DanganError):
    exit_code = ExitCode.ACCESS
    http_status = 403
    code = "forbidden"


@dataclass(frozen=True)
class Principal:
    """Who is acting: a person (user) or a business system (API token)."""

    name: str
    display_name: str
    roles: frozenset[str]
    kind: str = "user"  # "user" | "token"


class AccountStore(Protocol):
    def add_user(
        self, username: str, display_name: str, roles: set[str], password: str
    ) -> None: ...

    def authenticate(self, username: str, password: str) -> Principal | None: ...

    def new_session(self, username: str) -> str: ...

    def session_user(self, token: str) -> Principal | None: ...

    def end_session(self, token: str) -> None: ...

    def issue_token(self, name: str, role: str, created_by: str) -> tuple[int, str]: ...

    def token_principal(self, token: str) -> Principal | None: ...

    def revoke_token(self, token_id: int) -> None: ...

    def list_users(self) -> list[dict]: ...

    def list_tokens(self) -> list[dict]: ...


def _now() -> datetime:
    return datetime.now(UTC)


class SqliteAccountStore:
    def __init__(self, catalog):
        self.catalog = catalog

    def add_user(self, username: str, display_name: str, roles: set[str], password: str) -> None:
        unknown = set(roles) - set(ROLES)
        if not roles or unknown:
            raise AccessError(
                f"角色无效：{'、'.join(sorted(unknown)) or '（未指定）'}。可用角色："
                + "、".join(f"{k}（{v}）" for k, v in ROLES.items() if k != "system")
            )
        if "system" in roles:
            raise AccessError("业务系统请使用 API 令牌（dangan tokens issue），不要建用户账号。")
        if not username.isidentifier() and not username.replace("-", "_").isalnum():
            raise AccessError(f"用户名“{username}”只能由字母、数字、下划线组成。")
        if len(password) < MIN_LENGTH:
            raise AccessError(f"密码至少 {MIN_LENGTH} 个字符。")
        with self.catalog.transaction() as conn:
            if conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone():
                raise AccessError(f"用户“{username}”已存在。")
            conn.execute(
                "INSERT INTO users (username, display_name, roles, password_hash, created_at)"
                " VALUES (?,?,?,?,?)",
                (
                    username,
                    display_name or username,
                    ",".join(sorted(roles)),
                    hash_password(password),
                    _now().isoformat(timespec="seconds"),
                ),
            )

    def _principal(self, row) -> Principal:
        return Principal(row["username"], row["display_name"], frozenset(row["roles"].split(",")))

    def authenticate(self, username: str, password: str) -> Principal | None:
        row = (
            self.catalog.connection()
            .execute("SELECT * FROM users WHERE username = ? AND disabled = 0", (username,))
            .fetchone()
        )
        if row is None or not verify_password(password, row["password_hash"]):
            return None
        return self._principal(row)

    def new_session(self, username: str) -> str:
        token = new_secret()
        expires = (_now() + timedelta(hours=SESSION_HOURS)).isoformat(timespec="seconds")
        with self.catalog.transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE expires_at < ?", (_now().isoformat(),))
            conn.execute(
                "INSERT INTO sessions (token_hash, username, expires_at) VALUES (?,?,?)",
                (token_hash(token), username, expires),
            )
        return token

    def session_user(self, token: str) -> Principal | None:
        row = (
            self.catalog.connection()
            .execute(
                "SELECT u.* FROM sessions s JOIN users u USING (username)"
                " WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0",
                (token_hash(token), _now().isoformat(timespec="seconds")),
            )
            .fetchone()
        )
        return None if row is None else self._principal(row)

    def end_session(self, token: str) -> None:
        with self.catalog.transaction() as conn:
            conn.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash(token),))

    def issue_token(self, name: str, role: str, created_by: str) -> tuple[int, str]:
        if role not in ROLES:
            raise AccessError(f"角色“{role}”无效。")
        token = "dgn_" + new_secret()
        with self.catalog.transaction() as conn:
            cur = conn.execute(
                "INSERT INTO api_tokens (name, token_hash, role, created_by, created_at)"
                " VALUES (?,?,?,?,?) RETURNING id",
                (name, token_hash(token), role, created_by, _now().isoformat(timespec="seconds")),
            )
            token_id = cur.fetchone()[0]
        return token_id, token

    def token_principal(self, token: str) -> Principal | None:
        row = (
            self.catalog.connection()
            .execute(
                "SELECT * FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL",
                (token_hash(token),),
            )
            .fetchone()
        )
        if row is None:
            return None
        return Principal(f"token:{row['id']}", row["name"], frozenset({row["role"]}), "token")

    def revoke_token(self, token_id: int) -> None:
        with self.catalog.transaction() as conn:
            cur = conn.execute(
                "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (_now().isoformat(timespec="seconds"), token_id),
            )
            if cur.rowcount == 0:
                raise AccessError(f"没有编号为 {token_id} 的有效令牌。")

    def list_users(self) -> list[dict]:
        rows = self.catalog.connection().execute(
            "SELECT username, display_name, roles, created_at, disabled FROM users ORDER BY username"
        )
        return [dict(r) for r in rows]

    def list_tokens(self) -> list[dict]:
        rows = self.catalog.connection().execute(
            "SELECT id, name, role, created_by, created_at, revoked_at FROM api_tokens ORDER BY id"
        )
        return [dict(r) for r in rows]
