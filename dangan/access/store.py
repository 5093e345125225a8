"""Accounts, sessions and API tokens, kept in the catalog database.

Only hashes of passwords and tokens are stored. Every change is returned to the
caller so it can be written to the audit log.

Logins are throttled per account name and per client address (locked for a
while after too many failures, whether or not the name exists); an unknown name
costs the same scrypt work as a wrong password, so neither the answer nor its
timing tells whether an account exists. Sessions end after idle time and after
an absolute limit. 三员分立 is enforced here: no account holds two of the three
administrator roles, and no API token holds any of them."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from dangan.access.passwords import (
    dummy_hash,
    hash_password,
    new_secret,
    password_problem,
    token_hash,
    verify_password,
)
from dangan.access.roles import ADMINISTRATORS, ROLES, administrator_conflict
from dangan.catalog.stores.accounts import AccountRows
from dangan.errors import DanganError, ExitCode


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


class LoginFailed(DanganError):
    """Wrong name or password, or refused for now; `locked` is True when this
    attempt locked the account name or the client address."""

    exit_code = ExitCode.ACCESS
    http_status = 401
    code = "login_failed"

    def __init__(self, message: str, locked: bool = False, reason: str = "password"):
        super().__init__(message)
        self.locked = locked
        self.reason = reason  # password | locked | disabled


class PasswordChangeRequired(DanganError):
    exit_code = ExitCode.ACCESS
    http_status = 403
    code = "password_change_required"


@dataclass(frozen=True)
class AccountPolicy:
    max_failures: int = 5
    lock_minutes: int = 15
    ip_max_failures: int = 20
    idle_minutes: int = 30
    session_hours: int = 10
    password_max_age_days: int = 0  # 0: passwords do not expire

    @classmethod
    def from_settings(cls, settings) -> AccountPolicy:
        return cls(
            max_failures=settings.login_max_failures,
            lock_minutes=settings.login_lock_minutes,
            ip_max_failures=settings.login_ip_max_failures,
            idle_minutes=settings.session_idle_minutes,
            session_hours=settings.session_hours,
            password_max_age_days=settings.password_max_age_days,
        )


@dataclass(frozen=True)
class Principal:
    """Who is acting: a person (user) or a business system (API token)."""

    name: str
    display_name: str
    roles: frozenset[str]
    kind: str = "user"  # "user" | "token"
    must_change_password: bool = False


class AccountStore(Protocol):
    policy: AccountPolicy

    def add_user(
        self, username: str, display_name: str, roles: set[str], password: str
    ) -> None: ...

    def login(self, username: str, password: str, client: str = "") -> Principal: ...

    def new_session(self, username: str) -> str: ...

    def session_user(self, token: str) -> Principal | None: ...

    def end_session(self, token: str) -> None: ...

    def change_password(self, username: str, old: str, new: str) -> None: ...

    def issue_token(self, name: str, role: str, created_by: str) -> tuple[int, str]: ...

    def token_principal(self, token: str) -> Principal | None: ...

    def token_principal_by_id(self, token_id: int) -> Principal | None: ...

    def revoke_token(self, token_id: int) -> None: ...

    def list_users(self) -> list[dict]: ...

    def list_tokens(self) -> list[dict]: ...


def _now() -> datetime:
    return datetime.now(UTC)


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="seconds")


WRONG = "用户名或密码不正确。"


class SqliteAccountStore:
    def __init__(self, catalog, policy: AccountPolicy | None = None):
        self.catalog = catalog
        self.rows = AccountRows(catalog)
        self.policy = policy or AccountPolicy()

    # accounts

    def add_user(
        self,
        username: str,
        display_name: str,
        roles: set[str],
        password: str,
        *,
        must_change: bool = False,
    ) -> None:
        self._check_roles(roles)
        if not username.isidentifier() and not username.replace("-", "_").isalnum():
            raise AccessError(f"用户名“{username}”只能由字母、数字、下划线组成。")
        self._check_password(password, username)
        with self.catalog.transaction() as conn:
            if self.rows.user_exists(conn, username):
                raise AccessError(f"用户“{username}”已存在。")
            self.rows.insert_user(
                conn, username, display_name or username, ",".join(sorted(roles)),
                hash_password(password), _iso(_now()), must_change,
            )  # fmt: skip

    @staticmethod
    def _check_roles(roles: set[str]) -> None:
        unknown = set(roles) - set(ROLES)
        if not roles or unknown:
            raise AccessError(
                f"角色无效：{'、'.join(sorted(unknown)) or '（未指定）'}。可用角色："
                + "、".join(f"{k}（{v}）" for k, v in ROLES.items() if k != "system")
            )
        if "system" in roles:
            raise AccessError("业务系统请使用 API 令牌（dangan tokens issue），不要建用户账号。")
        conflict = administrator_conflict(set(roles))
        if conflict:
            raise AccessError(conflict)

    @staticmethod
    def _check_password(password: str, username: str) -> None:
        problem = password_problem(password, username)
        if problem:
            raise AccessError(problem)

    def _user(self, conn, username: str):
        row = self.rows.user(username, conn)
        if row is None:
            raise AccessError(f"没有用户“{username}”。")
        return row

    def set_roles(self, username: str, roles: set[str]) -> list[str]:
        """Replace the user's roles; returns the roles held before."""
        self._check_roles(roles)
        with self.catalog.transaction() as conn:
            before = self._user(conn, username)["roles"].split(",")
            self.rows.set_roles(conn, username, ",".join(sorted(roles)))
        return before

    def set_disabled(self, username: str, disabled: bool) -> None:
        """Disable (its sessions end at once) or enable an account."""
        with self.catalog.transaction() as conn:
            self._user(conn, username)
            self.rows.set_disabled(conn, username, disabled)
            if disabled:
                self.rows.delete_sessions_of(conn, username)

    def reset_password(self, username: str, password: str) -> None:
        """An administrator's reset: the user must change it at the next login,
        and sessions on the old password end."""
        self._set_password(username, password, must_change=True)

    def change_password(self, username: str, old: str, new: str) -> None:
        """The person's own change, proving the old password first."""
        with self.catalog.transaction() as conn:
            row = self._user(conn, username)
        if not verify_password(old, row["password_hash"]):
            raise AccessError("原密码不正确。")
        if new == old:
            raise AccessError("新密码不能与原密码相同。")
        self._set_password(username, new, must_change=False)

    def _set_password(self, username: str, password: str, *, must_change: bool) -> None:
        self._check_password(password, username)
        with self.catalog.transaction() as conn:
            self._user(conn, username)
            self.rows.set_password(
                conn, username, hash_password(password), _iso(_now()), must_change
            )
            self.rows.delete_sessions_of(conn, username)

    def unlock(self, username: str) -> None:
        with self.catalog.transaction() as conn:
            self.rows.clear_failures(conn, _user_key(username))

    def _principal(self, row) -> Principal:
        return Principal(
            row["username"],
            row["display_name"],
            frozenset(row["roles"].split(",")),
            must_change_password=bool(row["must_change_password"]) or self._expired(row),
        )

    def _expired(self, row) -> bool:
        days = self.policy.password_max_age_days
        changed = row["password_changed_at"]
        if not days or not changed:
            return False
        return datetime.fromisoformat(changed) + timedelta(days=days) < _now()

    # logging in

    def authenticate(self, username: str, password: str) -> Principal | None:
        """The account if the password is right and it is enabled (no throttling;
        `login` is what the web form uses). Unknown names cost the same work."""
        row = self.rows.user(username)
        ok = verify_password(password, row["password_hash"] if row else dummy_hash())
        if row is None or not ok or row["disabled"]:
            return None
        return self._principal(row)

    def login(self, username: str, password: str, client: str = "") -> Principal:
        """Check a login attempt against the lockout, then the password.
        Raises LoginFailed with a message that never says whether the account exists."""
        keys = [_user_key(username)] + ([f"ip:{client}"] if client else [])
        now = _now()
        with self.catalog.transaction() as conn:
            until = self._locked_until(conn, keys, now)
        if until is not None:
            raise LoginFailed(_locked_message(until, now), reason="locked")
        row = self.rows.user(username)
        ok = verify_password(password, row["password_hash"] if row else dummy_hash())
        if row is not None and ok:
            if row["disabled"]:
                raise LoginFailed("该账号已停用。如需使用，请联系系统管理员。", reason="disabled")
            with self.catalog.transaction() as conn:
                self.rows.clear_failures(conn, keys[0])
            return self._principal(row)
        limits = [self.policy.max_failures, self.policy.ip_max_failures]
        with self.catalog.transaction() as conn:
            locked = [
                self._count_failure(conn, k, lim, now) for k, lim in zip(keys, limits, strict=False)
            ]
        if any(locked):
            until = now + timedelta(minutes=self.policy.lock_minutes)
            raise LoginFailed(WRONG + _locked_message(until, now), locked=True)
        raise LoginFailed(WRONG)

    def _locked_until(self, conn, keys: list[str], now: datetime) -> datetime | None:
        until = self.rows.locked_until(conn, keys, _iso(now))
        return datetime.fromisoformat(until) if until else None

    def _count_failure(self, conn, key: str, limit: int, now: datetime) -> bool:
        """Count one failure for `key`; True when it reaches `limit` and locks."""
        lock = timedelta(minutes=self.policy.lock_minutes)
        return self.rows.count_failure(
            conn, key, now=_iso(now), window_start=_iso(now - lock), limit=limit,
            lock_until=_iso(now + lock),
        )  # fmt: skip

    # sessions

    def new_session(self, username: str) -> str:
        token = new_secret()
        now = _now()
        expires = _iso(now + timedelta(hours=self.policy.session_hours))
        idle = _iso(now - timedelta(minutes=self.policy.idle_minutes))
        with self.catalog.transaction() as conn:
            self.rows.start_session(
                conn, token_hash(token), username, now=_iso(now), expires=expires, idle_before=idle
            )
        return token

    def session_user(self, token: str) -> Principal | None:
        """The session's user, or None when it has ended, expired or been idle
        too long; a session in use is kept alive."""
        now = _now()
        row = self.rows.session_user(
            token_hash(token),
            now=_iso(now),
            idle_before=_iso(now - timedelta(minutes=self.policy.idle_minutes)),
        )
        if row is None:
            return None
        if datetime.fromisoformat(row["last_seen"]) < now - timedelta(seconds=30):
            with self.catalog.transaction() as conn:
                self.rows.touch_session(conn, token_hash(token), _iso(now))
        return self._principal(row)

    def end_session(self, token: str) -> None:
        with self.catalog.transaction() as conn:
            self.rows.end_session(conn, token_hash(token))

    # API tokens

    def issue_token(self, name: str, role: str, created_by: str) -> tuple[int, str]:
        if role not in ROLES:
            raise AccessError(f"角色“{role}”无效。")
        if role in ADMINISTRATORS:
            raise AccessError(
                f"{ROLES[role]}的职责只能由本人登录办理（三员分立），不能签发为 API 令牌。"
            )
        token = "dgn_" + new_secret()
        with self.catalog.transaction() as conn:
            token_id = self.rows.insert_token(
                conn, name, token_hash(token), role, created_by, _iso(_now())
            )
        return token_id, token

    def token_principal(self, token: str) -> Principal | None:
        row = self.rows.live_token(token_hash(token))
        if row is None:
            return None
        return Principal(f"token:{row['id']}", row["name"], frozenset({row["role"]}), "token")

    def token_principal_by_id(self, token_id: int) -> Principal | None:
        """The token's principal while it is not revoked (tickets it issued
        die with it)."""
        row = self.rows.live_token_by_id(token_id)
        if row is None:
            return None
        return Principal(f"token:{row['id']}", row["name"], frozenset({row["role"]}), "token")

    def revoke_token(self, token_id: int) -> None:
        with self.catalog.transaction() as conn:
            if not self.rows.revoke_token(conn, token_id, _iso(_now())):
                raise AccessError(f"没有编号为 {token_id} 的有效令牌。")

    def list_users(self) -> list[dict]:
        return self.rows.list_users()

    def list_tokens(self) -> list[dict]:
        return self.rows.list_tokens()


def _user_key(username: str) -> str:
    return f"user:{username.strip().lower()}"


def _locked_message(until: datetime, now: datetime) -> str:
    minutes = max(1, math.ceil((until - now).total_seconds() / 60))
    return f"登录失败次数过多，已暂停登录，请 {minutes} 分钟后再试。"
