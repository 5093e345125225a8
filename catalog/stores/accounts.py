"""Accounts, sessions, login failures and API tokens (dangan/access/store.py)."""

from __future__ import annotations

from typing import Any

from dangan.catalog.db import Connection
from dangan.catalog.stores import Seam, placeholders


def _dict(row: Any) -> dict | None:
    return dict(row) if row is not None else None


class AccountRows:
    def __init__(self, seam: Seam):
        self.seam = seam

    # --- users ---------------------------------------------------------------

    def user(self, username: str, conn: Connection | None = None) -> dict | None:
        """The users row, or None; inside a transaction when `conn` is given."""
        if conn is None:
            conn = self.seam.connection()
        return _dict(conn.execute("SELECT * FROM users WHERE username = ?", (username,)).fetchone())

    def user_exists(self, conn: Connection, username: str) -> bool:
        return (
            conn.execute("SELECT 1 FROM users WHERE username = ?", (username,)).fetchone()
            is not None
        )

    def insert_user(
        self, conn: Connection, username: str, display_name: str, roles: str,
        password_hash: str, now: str, must_change: bool,
    ) -> None:  # fmt: skip
        conn.execute(
            "INSERT INTO users (username, display_name, roles, password_hash, created_at,"
            " password_changed_at, must_change_password) VALUES (?,?,?,?,?,?,?)",
            (username, display_name, roles, password_hash, now, now, int(must_change)),
        )

    def set_roles(self, conn: Connection, username: str, roles: str) -> None:
        conn.execute("UPDATE users SET roles = ? WHERE username = ?", (roles, username))

    def set_disabled(self, conn: Connection, username: str, disabled: bool) -> None:
        conn.execute("UPDATE users SET disabled = ? WHERE username = ?", (int(disabled), username))

    def set_password(
        self, conn: Connection, username: str, password_hash: str, changed_at: str,
        must_change: bool,
    ) -> None:  # fmt: skip
        conn.execute(
            "UPDATE users SET password_hash = ?, password_changed_at = ?,"
            " must_change_password = ? WHERE username = ?",
            (password_hash, changed_at, int(must_change), username),
        )

    def list_users(self) -> list[dict]:
        rows = self.seam.connection().execute(
            "SELECT username, display_name, roles, created_at, disabled, password_changed_at,"
            " must_change_password FROM users ORDER BY username"
        )
        return [dict(r) for r in rows]

    # --- login failures ------------------------------------------------------

    def clear_failures(self, conn: Connection, key: str) -> None:
        conn.execute("DELETE FROM login_failures WHERE key = ?", (key,))

    def locked_until(self, conn: Connection, keys: list[str], now: str) -> str | None:
        """The latest lock still running at `now` on any of `keys`, or None."""
        row = conn.execute(
            f"SELECT MAX(locked_until) FROM login_failures WHERE key IN ({placeholders(len(keys))})"
            " AND locked_until > ?",
            (*keys, now),
        ).fetchone()
        return row[0] if row and row[0] else None

    def count_failure(
        self, conn: Connection, key: str, *, now: str, window_start: str, limit: int,
        lock_until: str,
    ) -> bool:  # fmt: skip
        """Forget failures older than the window (unless locked), count one for
        `key`; when that reaches `limit`, lock `key` until `lock_until` and return True."""
        conn.execute(
            "DELETE FROM login_failures WHERE first_at < ?"
            " AND (locked_until IS NULL OR locked_until < ?)",
            (window_start, now),
        )
        failures = conn.execute(
            "INSERT INTO login_failures (key, failures, first_at) VALUES (?, 1, ?)"
            " ON CONFLICT (key) DO UPDATE SET failures = login_failures.failures + 1"
            " RETURNING failures",
            (key, now),
        ).fetchone()[0]
        locked = failures >= limit
        if locked:
            conn.execute(
                "UPDATE login_failures SET failures = 0, locked_until = ? WHERE key = ?",
                (lock_until, key),
            )
        return locked

    # --- sessions ------------------------------------------------------------

    def delete_sessions_of(self, conn: Connection, username: str) -> None:
        conn.execute("DELETE FROM sessions WHERE username = ?", (username,))

    def start_session(
        self, conn: Connection, token_hash: str, username: str, *, now: str, expires: str,
        idle_before: str,
    ) -> None:  # fmt: skip
        """Drop expired and idle sessions, then add this one."""
        conn.execute(
            "DELETE FROM sessions WHERE expires_at < ? OR last_seen_at < ?", (now, idle_before)
        )
        conn.execute(
            "INSERT INTO sessions (token_hash, username, expires_at, created_at, last_seen_at)"
            " VALUES (?,?,?,?,?)",
            (token_hash, username, expires, now, now),
        )

    def session_user(self, token_hash: str, *, now: str, idle_before: str) -> dict | None:
        """The enabled user of a live session (users row plus `last_seen`), or None."""
        row = (
            self.seam.connection()
            .execute(
                "SELECT u.*, s.last_seen_at AS last_seen FROM sessions s"
                " JOIN users u USING (username)"
                " WHERE s.token_hash = ? AND s.expires_at > ? AND s.last_seen_at > ?"
                " AND u.disabled = 0",
                (token_hash, now, idle_before),
            )
            .fetchone()
        )
        return _dict(row)

    def touch_session(self, conn: Connection, token_hash: str, now: str) -> None:
        conn.execute("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", (now, token_hash))

    def end_session(self, conn: Connection, token_hash: str) -> None:
        conn.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))

    # --- API tokens ----------------------------------------------------------

    def insert_token(
        self, conn: Connection, name: str, token_hash: str, role: str, created_by: str, at: str
    ) -> int:
        cur = conn.execute(
            "INSERT INTO api_tokens (name, token_hash, role, created_by, created_at)"
            " VALUES (?,?,?,?,?) RETURNING id",
            (name, token_hash, role, created_by, at),
        )
        return cur.fetchone()[0]

    def live_token(self, token_hash: str) -> dict | None:
        """The api_tokens row of a token not revoked, or None."""
        row = (
            self.seam.connection()
            .execute(
                "SELECT * FROM api_tokens WHERE token_hash = ? AND revoked_at IS NULL",
                (token_hash,),
            )
            .fetchone()
        )
        return _dict(row)

    def live_token_by_id(self, token_id: int) -> dict | None:
        """The api_tokens row of token `token_id` while it is not revoked."""
        row = (
            self.seam.connection()
            .execute("SELECT * FROM api_tokens WHERE id = ? AND revoked_at IS NULL", (token_id,))
            .fetchone()
        )
        return _dict(row)

    def revoke_token(self, conn: Connection, token_id: int, at: str) -> bool:
        """False when there is no live token with that id."""
        cur = conn.execute(
            "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            (at, token_id),
        )
        return cur.rowcount != 0

    def list_tokens(self) -> list[dict]:
        rows = self.seam.connection().execute(
            "SELECT id, name, role, created_by, created_at, revoked_at FROM api_tokens ORDER BY id"
        )
        return [dict(r) for r in rows]
