"""Typed records and the catalog interface every backend implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class PageText:
    page_no: int  # 1-based
    text: str


@dataclass(frozen=True)
class FileRef:
    """A stored object that belongs to a record."""

    role: str  # "original" | "archive_pdf" | "page_image"
    key: str
    sha256: str
    size: int
    media_type: str
    page_no: int | None = None


@dataclass
class Record:
    id: str
    sha256: str
    filename: str
    media_type: str
    size: int
    page_count: int
    title: str
    ocr_mode: str  # "ocr" | "text_layer"
    created_at: str
    metadata: dict[str, Any] = field(default_factory=dict)
    files: list[FileRef] = field(default_factory=list)
    pages: list[PageText] = field(default_factory=list)

    def file(self, role: str, page_no: int | None = None) -> FileRef | None:
        for ref in self.files:
            if ref.role == role and ref.page_no == page_no:
                return ref
        return None


class Catalog(Protocol):
    """Stores records atomically. Called by the ingest pipeline (writes) and by
    search/show/API (reads). The catalog also owns the index outbox: every
    committed change leaves an outbox entry in the same transaction, and the
    search index is brought up to date from it."""

    def add_record(self, record: Record) -> None:
        """Insert the record, its files and pages, and an outbox entry, all in one
        transaction. Raises DuplicateRecord if a record with the same sha256 exists."""

    def get(self, record_id: str) -> Record | None: ...

    def find_by_sha256(self, sha256: str) -> Record | None: ...

    def count(self) -> int: ...

    def pending_outbox(self, limit: int = 100) -> list[tuple[int, str, str]]:
        """(seq, record_id, action) entries not yet applied to the search index."""

    def ack_outbox(self, seqs: list[int]) -> None: ...

    def close(self) -> None: ...


class DuplicateRecord(Exception):
    def __init__(self, existing_id: str):
        super().__init__(existing_id)
        self.existing_id = existing_id
