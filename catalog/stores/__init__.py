"""Per-subsystem stores: the SQL of the subsystems that keep their own tables in
the catalog database (accounts, audit log, webhooks, intake queue and statistics,
destruction, appraisal, 四性检测), one class each, over the catalog's connection seam (catalog/db.py).

A store is built on anything with `connection()` and `transaction()` (the
`SqlCatalog`). Methods named for what they do return plain values, dicts or
rows read by column name. A method that runs inside the caller's write
transaction takes that transaction's `conn` first: the domain module decides
where a transaction begins and ends, the store only says what is read and
written. SQL text is fixed here; the only variable parts are `?` placeholders
and table names from fixed allow-lists, never a value from a user."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from dangan.catalog.db import Connection


class Seam(Protocol):
    """What a store needs of the catalog: `SqlCatalog` provides both."""

    def connection(self) -> Connection: ...

    def transaction(self) -> AbstractContextManager[Connection]: ...


def placeholders(n: int) -> str:
    """`?,?,…` for an IN list of `n` values (n ≥ 1)."""
    if n < 1:
        raise ValueError("an IN list needs at least one value")
    return ",".join("?" * n)
