"""The archive: backends chosen from settings, built at start-up and passed on."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dangan.catalog.base import Record
from dangan.catalog.blobs import BlobStore, LocalBlobStore
from dangan.catalog.fts import FtsIndex
from dangan.catalog.index import IndexDoc, IndexUnavailable, SearchIndex
from dangan.catalog.sql import SqlCatalog, SqliteCatalog, record_keys
from dangan.config import Settings
from dangan.ocr.base import OcrEngine
from dangan.ocr.tesseract import OcrmypdfEngine

log = logging.getLogger(__name__)


def _check_recognizer(settings: Settings) -> None:
    from dangan.ocr.recognizers import missing

    if settings.ocr_engine != "rapidocr":
        return
    lacking = missing(settings.ocr_model, settings.ocr_runtime)
    if lacking:
        from dangan.errors import ConfigError

        names = "、".join(name.replace("_", "-") for name in lacking)
        raise ConfigError(
            f"DANGAN_OCR_ENGINE=rapidocr（DANGAN_OCR_MODEL={settings.ocr_model}，"
            f"DANGAN_OCR_RUNTIME={settings.ocr_runtime}），但没有安装 {names}。"
            "请运行 scripts/setup.sh，或换用已安装的模型与运行时，或设 DANGAN_OCR_ENGINE=tesseract。"
        )


def open_catalog(settings: Settings) -> SqlCatalog:
    """PostgreSQL when DANGAN_DATABASE_URL names it (connected and migrated now,
    so a wrong setting fails at start-up), else the SQLite file under DANGAN_HOME."""
    if not settings.database_url:
        return SqliteCatalog(settings.catalog_path)
    from dangan.catalog.db import open_database

    db = open_database(settings.database_url, settings.catalog_path)
    with database_errors():
        return SqlCatalog(db)


@contextmanager
def database_errors() -> Iterator[None]:
    """The database driver's errors (unreachable server, refused login) as a
    ConfigError that names the setting."""
    from dangan.errors import ConfigError

    try:
        yield
    except Exception as exc:
        if type(exc).__module__.split(".")[0] not in ("psycopg", "sqlalchemy", "sqlite3"):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(
            f"无法使用 DANGAN_DATABASE_URL 指定的目录数据库：{first}。"
            "请检查地址、用户名、密码和数据库名，以及数据库服务是否在运行。"
        ) from exc


def open_blobs(settings: Settings) -> BlobStore:
    """The object store the settings name: MinIO/S3 when DANGAN_S3_ENDPOINT is
    set (checked now, so a wrong setting fails at start-up), else local files."""
    if not settings.s3_endpoint:
        return LocalBlobStore(settings.blob_root)
    from dangan.catalog.s3 import S3BlobStore, client_from_url

    client = client_from_url(
        settings.s3_endpoint, settings.s3_access_key, settings.s3_secret_key, settings.s3_region
    )
    return S3BlobStore(client, settings.s3_bucket)


def open_index(settings: Settings) -> SearchIndex:
    """Elasticsearch when DANGAN_SEARCH_URL is set (checked now), else the
    embedded SQLite FTS5 index."""
    if not settings.search_url:
        return FtsIndex(
            settings.index_path,
            time_limit=settings.search_timeout,
            count_limit=settings.search_count_limit,
        )
    from dangan.catalog.elastic import ElasticIndex

    return ElasticIndex(
        settings.search_url,
        settings.search_index,
        time_limit=settings.search_timeout,
        count_limit=settings.search_count_limit,
        shards=settings.search_shards,
        replicas=settings.search_replicas,
    )


def _index_progress(step: int):
    """A sync_index progress callback that logs every `step` records (the
    whole archive is indexed again when the index's layout changed)."""
    logged = [0]

    def progress(done: int, total: int) -> None:
        if done - logged[0] >= step or done == total:
            logged[0] = done
            log.warning("search index: %d of %d records indexed again", done, total)

    return progress


# Records sent to the index at a time: several bulk requests (ElasticIndex sends
# 500 a request, two in flight), so the search servers never wait for the sender.
BATCH = 2000


@dataclass
class Archive:
    settings: Settings
    catalog: SqlCatalog
    blobs: BlobStore
    index: SearchIndex
    engine: OcrEngine
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, settings: Settings, *, catch_up: bool = True) -> Archive:
        """`catch_up`: apply the index outbox before returning (`dangan reindex`
        passes False: it reads every record anyway and settles the outbox)."""
        settings.ensure_dirs()
        _check_recognizer(settings)
        archive = cls(
            settings=settings,
            catalog=open_catalog(settings),
            blobs=open_blobs(settings),
            index=open_index(settings),
            engine=OcrmypdfEngine(
                languages=settings.ocr_languages,
                jobs=settings.ocr_jobs,
                page_timeout=settings.ocr_timeout,
                preprocess=settings.ocr_preprocess,
                recognizer=settings.ocr_engine,
                model=settings.ocr_model,
                runtime=settings.ocr_runtime,
                work_root=settings.work_root,
            ),
        )
        progress = None
        if getattr(archive.index, "rebuilt", False):
            total = archive.catalog.count()
            log.warning(
                "search index: made anew in a new layout; indexing all %d records again"
                " before starting (about 10 minutes a million records on two cores)",
                total,
            )
            archive.catalog.queue_all_for_index()
            progress = _index_progress(max(total // 10, 1))
        if catch_up or progress:
            archive.sync_index(quiet=True, progress=progress)
        return archive

    def sync_index(self, *, quiet: bool = False, progress=None) -> int:
        """Apply pending outbox entries to the search index. Safe to repeat:
        an entry is removed only after the index has taken it. With `quiet`, an
        unreachable search server is logged and the entries wait for the next
        call (ingest must not fail because the derived index is down)."""
        applied = 0
        total = self.catalog.outbox_size() if progress else 0
        try:
            while batch := self.catalog.pending_outbox(BATCH):
                docs, gone = [], []
                found = self.catalog.get_many(
                    [record_id for _seq, record_id, action in batch if action == "index"]
                )
                for _seq, record_id, action in batch:
                    record = found.get(record_id) if action == "index" else None
                    if record is None:
                        gone.append(record_id)
                    else:
                        docs.append(index_doc(record))
                if docs:
                    self.index.upsert_many(docs, refresh=False)
                    # Another process may have destroyed one of these records (and
                    # applied its delete) while we read it: the catalog decides.
                    alive = self.catalog.existing([d.record_id for d in docs])
                    gone += [d.record_id for d in docs if d.record_id not in alive]
                for record_id in gone:
                    self.index.delete(record_id)
                self.catalog.ack_outbox([seq for seq, _, _ in batch])
                applied += len(batch)
                if progress:
                    progress(applied, max(total, applied))
            if applied:
                self.index.upsert_many([], refresh=True)  # searchable when this returns
        except IndexUnavailable as exc:
            if not quiet:
                raise
            log.warning(
                "search index: %s (%d entries wait in the outbox)",
                exc.message,
                self.catalog.outbox_size(),
            )
        if applied:
            log.info("search index: applied %d outbox entries", applied)
        return applied

    @property
    def reindex_checkpoint(self) -> Path:
        return self.settings.home / "reindex-checkpoint.json"

    def reindex(self, progress=None, batch: int = BATCH, rebuild: bool = False) -> int:
        """Index every record again from the catalog (`dangan reindex`), in record-id
        order and in batches. After each batch the last record id done is written
        to a checkpoint file, so a reindex that was killed resumes after it instead
        of starting over (10 M records take hours); the file is removed at the end.
        Outbox entries queued before it started are carried by what it reads and
        are dropped at the end without being indexed twice; changes made meanwhile
        reach the index through the outbox, applied last.
        `rebuild` (`--rebuild`) first removes the index and makes it anew with the
        current mapping and shard count, and loads it in bulk (`bulk_load`: on
        Elasticsearch one copy, the replicas copied at the end); until the
        reindex ends, searches find only what it has reached. A resumed rebuild
        does not remove it again."""
        if self.reindex_checkpoint.exists():
            state = json.loads(self.reindex_checkpoint.read_text("utf-8"))
            log.info(
                "search index: reindex resumes after %s (%d done)", state["after"], state["done"]
            )
        else:
            state = {"after": "", "done": 0, "outbox": self.catalog.outbox_last_seq()}
            state["rebuild"] = rebuild
            if rebuild:
                self.index.drop()
        after, done = state["after"], state["done"]
        if state.get("rebuild"):
            self.index.bulk_load(True)
        total = self.catalog.count()

        def read(after: str) -> tuple[list[str], list[IndexDoc]]:
            ids = self.catalog.ids_after(after, batch)
            found = self.catalog.get_many(ids)
            return ids, [index_doc(found[i]) for i in ids if i in found]

        # One thread reads the next batch from the catalog while the index takes
        # this one: neither waits for the other (the CPU is shared, not idle).
        with ThreadPoolExecutor(1, thread_name_prefix="reindex-read") as pool:
            ahead = pool.submit(read, after)
            while True:
                ids, docs = ahead.result()
                if not ids:
                    break
                ahead = pool.submit(read, ids[-1])
                self.index.upsert_many(docs, refresh=False)
                # A record destroyed meanwhile (and its delete applied) must not come back.
                alive = self.catalog.existing([d.record_id for d in docs])
                for doc in docs:
                    if doc.record_id not in alive:
                        self.index.delete(doc.record_id)
                after, done = ids[-1], done + len(ids)
                tmp = self.reindex_checkpoint.with_suffix(".tmp")
                tmp.write_text(json.dumps({**state, "after": after, "done": done}), "utf-8")
                os.replace(tmp, self.reindex_checkpoint)
                if progress:
                    progress(done, max(total, done))
        dropped = self.catalog.drop_outbox_through(state.get("outbox", 0))
        if dropped:
            log.info("search index: %d outbox entries were carried by the reindex", dropped)
        self.sync_index()
        if state.get("rebuild"):
            self.index.bulk_load(False)
        self.index.upsert_many([], refresh=True)
        self.reindex_checkpoint.unlink(missing_ok=True)
        return done

    # --- retention schedule and classifier ----------------------------------

    def schedule(self):
        """The schedule in force: the latest version loaded into the catalog
        (version 1 is the shipped default, stored on first use)."""
        from dangan.retention.schedule import Schedule, default_schedule, parse_csv

        cached = self._cache.get("schedule")
        if cached is not None:
            return cached
        latest = self.catalog.latest_schedule()
        if latest is None:
            from importlib import resources

            text = resources.files("dangan.retention").joinpath("data/retention_schedule.csv")
            self.catalog.add_schedule_version("default", text.read_text("utf-8"))
            latest = self.catalog.latest_schedule()
        version, csv_text = latest
        rows = parse_csv(csv_text, f"v{version}") if csv_text else list(default_schedule().rows)
        schedule = Schedule(rows=tuple(rows), version=version, source=f"v{version}")
        self._cache["schedule"] = schedule
        return schedule

    def filing_policy(self):
        from dangan.retention.filing import FilingPolicy

        return FilingPolicy(
            fonds_code=self.settings.fonds_code,
            archive_type_code=self.settings.archive_type_code,
            review_threshold=self.settings.review_threshold,
        )

    def classifier(self):
        """The record classifier, trained on first use (see ingest/classify.py)
        from the committed seed set plus every class a clerk confirmed."""
        cached = self._cache.get("classifier")
        if cached is not None:
            return cached
        from dangan.ingest.classify import Classifier, load_or_train

        schedule = self.schedule()
        model = load_or_train(
            self.settings.model_dir / "classifier.json",
            schedule,
            extra_examples=self.catalog.confirmed_examples(),
        )
        classifier = Classifier(schedule, model)
        self._cache["classifier"] = classifier
        return classifier

    @property
    def audit(self):
        """The hash-chained audit log (dangan/audit.py), in the catalog database."""
        cached = self._cache.get("audit")
        if cached is None:
            from dangan.audit import AuditLog
            from dangan.audit_anchor import FileAnchor, S3Anchor
            from dangan.keys import KeyStore

            anchors: list = [FileAnchor(self.settings.anchor_path)]
            if self.settings.s3_endpoint and hasattr(self.blobs, "client"):
                anchors.append(
                    S3Anchor(
                        self.blobs.client,
                        f"{self.settings.s3_bucket}-audit"[:63],
                        self.settings.audit_lock_days,
                        self.settings.audit_anchor_every,
                    )
                )
            cached = self._cache["audit"] = AuditLog(
                self.catalog,
                self.settings.home / "audit-head.json",
                keys=KeyStore(self.settings.keys_path),
                anchors=anchors,
            )
        return cached

    def forget_cached(self) -> None:
        """Drop the schedule and classifier so they are read again."""
        for key in ("schedule", "classifier"):
            self._cache.pop(key, None)

    def close(self) -> None:
        self.engine.close()
        self.catalog.close()
        self.index.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def index_doc(record: Record) -> IndexDoc:
    return IndexDoc(
        record_id=record.id,
        title=record.title,
        filename=record.filename,
        pages=[(p.page_no, p.text) for p in record.pages],
        status=record.status,
        doc_type=record.doc_type,
        category=record.category,
        retention=record.retention,
        formed_date=record.formed_date,
        keys=record_keys(record),
        security_level=record.security_level,
    )
