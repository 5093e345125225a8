"""Typed records and the catalog interface every backend implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

# 密级 (confidentiality levels), lowest first. Who may read which: dangan.access.roles.
SECURITY_LEVELS: dict[str, str] = {"public": "公开", "internal": "内部", "restricted": "受控"}


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
    # classification and filing (see ingest/classify.py, retention/)
    status: str = "filed"  # "filed" | "review"
    doc_type: str | None = None  # retention-schedule class code
    category: str | None = None
    retention: str | None = None  # "永久" | "N年"
    formed_date: str | None = None  # ISO date the business record was formed
    disposal_date: str | None = None  # ISO; None for permanent or unknown
    confidence: float | None = None
    review_reasons: list[str] = field(default_factory=list)
    schedule_version: int | None = None
    fields: dict[str, Any] = field(default_factory=dict)  # extracted key fields
    archival_prefix: str | None = None  # 档号 without 件号; the catalog adds the 件号
    archival_code: str | None = None  # 档号, assigned when filed
    security_level: str = "internal"  # 密级, a key of SECURITY_LEVELS

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

    def get_many(self, record_ids: list[str]) -> dict[str, Record]:
        """The records of these ids that exist, by id (batched reads)."""

    def existing(self, record_ids: list[str]) -> set[str]:
        """Which of these ids the catalog holds."""

    def find_by_sha256(self, sha256: str) -> Record | None: ...

    def resolve_record_ref(self, text: str) -> str | None:
        """The id of the record a person named by 档案编号 or 档号, or None."""

    def count(self) -> int: ...

    def pending_outbox(self, limit: int = 100) -> list[tuple[int, str, str]]:
        """(seq, record_id, action) entries not yet applied to the search index."""

    def ack_outbox(self, seqs: list[int]) -> None: ...

    def outbox_last_seq(self) -> int: ...

    def drop_outbox_through(self, seq: int) -> int:
        """Remove the 'index' entries up to `seq` (a reindex carries them)."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class RecordFilter:
    """Exact filters for search and listings."""

    person: str | None = None  # 公民身份号码
    unit: str | None = None  # 统一社会信用代码 or 单位编号
    doc_type: str | None = None
    category: str | None = None
    retention: str | None = None
    date_from: str | None = None  # ISO, on formed_date
    date_to: str | None = None
    status: str | None = None
    serial: str | None = None  # 业务流水号 (read on the form or attached by the business system)
    levels: tuple[str, ...] | None = None  # 密级 the reader may see; None: all

    def is_empty(self) -> bool:
        """No filter that selects records (`levels` only narrows a selection)."""
        return all(v is None for k, v in vars(self).items() if k != "levels")


class DuplicateRecord(Exception):
    def __init__(self, existing_id: str):
        super().__init__(existing_id)
        self.existing_id = existing_id
