"""Saved searches per user (table saved_searches, revision 0008): a name and
the search page's query string. The owner alone lists, runs and deletes them."""

from __future__ import annotations

from dangan.catalog.sql import utcnow

MAX_PER_USER = 50


def list_saved(catalog, username: str) -> list[dict]:
    rows = catalog.connection().execute(
        "SELECT id, name, query, created_at FROM saved_searches WHERE username = ? ORDER BY name",
        (username,),
    )
    return [dict(r) for r in rows]


def save(catalog, username: str, name: str, query: str) -> None:
    """Keep (or replace) the user's search under `name`."""
    with catalog.transaction() as conn:
        conn.execute(
            "INSERT INTO saved_searches (username, name, query, created_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (username, name) DO UPDATE SET query = excluded.query,"
            " created_at = excluded.created_at",
            (username, name, query, utcnow()),
        )


def count(catalog, username: str) -> int:
    row = (
        catalog.connection()
        .execute("SELECT COUNT(*) FROM saved_searches WHERE username = ?", (username,))
        .fetchone()
    )
    return int(row[0])


def delete(catalog, username: str, saved_id: int) -> bool:
    with catalog.transaction() as conn:
        cur = conn.execute(
            "DELETE FROM saved_searches WHERE id = ? AND username = ?", (saved_id, username)
        )
        return (cur.rowcount or 0) > 0
