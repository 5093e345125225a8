"""Keeps the search index caught up with the catalog's outbox in the background,
so records filed while the search server was down appear once it is back."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dangan.periodic import Periodic

if TYPE_CHECKING:
    from dangan.archive import Archive


def index_catch_up(archive: Archive, interval: float = 10.0) -> Periodic:
    """A periodic worker that indexes what the outbox still holds."""

    def tick() -> None:
        if archive.catalog.outbox_size():
            archive.sync_index(quiet=True)

    return Periodic("index-catch-up", tick, interval)
