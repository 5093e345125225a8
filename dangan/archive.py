"""The archive: backends chosen from settings, built at start-up and passed on."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from catalog.blobs import BlobStore, LocalBlobStore
from catalog.fts import FtsIndex
from catalog.index import IndexDoc, SearchIndex
from catalog.sqlite import SqliteCatalog
from dangan.config import Settings
from ocr.base import OcrEngine
from ocr.tesseract import TesseractEngine

log = logging.getLogger(__name__)


@dataclass
class Archive:
    settings: Settings
    catalog: SqliteCatalog
    blobs: BlobStore
    index: SearchIndex
    engine: OcrEngine

    @classmethod
    def open(cls, settings: Settings) -> Archive:
        settings.ensure_dirs()
        archive = cls(
            settings=settings,
            catalog=SqliteCatalog(settings.catalog_path),
            blobs=LocalBlobStore(settings.blob_root),
            index=FtsIndex(settings.index_path),
            engine=TesseractEngine(
                languages=settings.ocr_languages,
                jobs=settings.ocr_jobs,
                page_timeout=settings.ocr_timeout,
            ),
        )
        archive.sync_index()
        return archive

    def sync_index(self) -> int:
        """Apply pending outbox entries to the search index. Safe to repeat:
        an entry is removed only after the index has taken it."""
        applied = 0
        while batch := self.catalog.pending_outbox(200):
            done = []
            for seq, record_id, action in batch:
                record = self.catalog.get(record_id) if action == "index" else None
                if record is None:
                    self.index.delete(record_id)
                else:
                    self.index.upsert(
                        IndexDoc(
                            record_id=record.id,
                            title=record.title,
                            filename=record.filename,
                            pages=[(p.page_no, p.text) for p in record.pages],
                        )
                    )
                done.append(seq)
            self.catalog.ack_outbox(done)
            applied += len(done)
        if applied:
            log.info("search index: applied %d outbox entries", applied)
        return applied

    def close(self) -> None:
        self.catalog.close()
        self.index.close()
