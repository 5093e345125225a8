"""Records for the scale benchmark, written in bulk to a real catalog.

Each record is its own synthetic form (dangan.synth.content.build_form: every
class of the retention schedule, fresh names, ID numbers, serials, amounts and
dates), its page text taken straight from the form's blocks in reading order,
without laying out or rendering pages (about 1 ms a record instead of seconds).
Record i depends only on (seed, i), so a catalog filled to n records is
continued to m > n by adding records n..m-1: the catalog's record count is the
checkpoint, each batch is one transaction, and a killed run resumes where the
last committed batch ended. Filing goes through the project's filing rules
(retention.filing.apply_filing: class, retention, disposal date, 档号), the
catalog's outbox queues every record for the index, and `Archive.sync_index`
(the same code path as ingest) feeds the search index.

Persons recur: a record's first 公民身份号码 is, more often than not, one that an
earlier record already named, so people have record lists of realistic
length (a few to a few hundred records).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import multiprocessing
import os
import random
import sys
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from dangan.catalog.base import PageText, Record
from dangan.retention.filing import apply_filing

from dangan.archive import Archive
from dangan.synth import ids
from dangan.synth.content import build_form
from dangan.synth.model import (
    Footer,
    Form,
    KVGrid,
    Meta,
    Opinion,
    PageBreak,
    Paragraphs,
    Signature,
    Subtitle,
    Table,
    Title,
)

TODAY = dt.date(2026, 6, 30)
REPEAT_PERSON = 0.6  # share of records whose person already has records


def form_pages(form: Form) -> list[str]:
    """The text of a form's pages, as OCR reads them: one line per printed line."""
    pages: list[list[str]] = [[]]
    for block in form.blocks:
        lines = pages[-1]
        if isinstance(block, Title | Subtitle):
            lines.append(block.text)
        elif isinstance(block, Meta):
            lines.append(f"{block.left}    {block.right}".strip())
        elif isinstance(block, KVGrid):
            lines += ["  ".join(f"{k} {v}" for k, v in row) for row in block.rows]
        elif isinstance(block, Table):
            if block.caption:
                lines.append(block.caption)
            lines.append(" ".join(block.columns))
            start = 0
            for count in block.page_rows or [len(block.rows)]:
                pages[-1] += [" ".join(row) for row in block.rows[start : start + count]]
                start += count
                if start < len(block.rows):
                    pages.append([" ".join(block.columns)])
            if block.total:
                pages[-1].append(" ".join(block.total))
        elif isinstance(block, Paragraphs):
            lines += block.texts
        elif isinstance(block, Signature):
            lines += block.lines
        elif isinstance(block, Opinion):
            lines += [block.heading, block.text, f"{block.signer}    {block.date}"]
        elif isinstance(block, Footer):
            lines.append("    ".join(block.parts))
        elif isinstance(block, PageBreak):
            pages.append([block.heading] if block.heading else [])
    return ["\n".join(lines) for lines in pages if lines]


def person_of(seed: int, k: int) -> str:
    """The k-th person of the synthetic population (a valid 公民身份号码)."""
    return ids.make_id_number(random.Random(seed * 7_919 + k))


def make_record(i: int, seed: int, schedule, policy) -> Record:
    """Record i of the synthetic archive `seed`, filed by `schedule` and `policy`
    (the archive's: `Archive.schedule()`, `Archive.filing_policy()`)."""
    rng = random.Random(seed * 1_000_003 + i)
    row = schedule.rows[rng.randrange(len(schedule.rows))]
    form = build_form(row, rng, rng.choice((1, 1, 1, 2)))
    fields = dict(form.fields)
    texts = form_pages(form)
    given = fields.get("id_numbers") or []
    if given and i and rng.random() < REPEAT_PERSON:  # someone with records already
        person = person_of(seed, rng.randrange(i))
        texts = [t.replace(given[0], person) for t in texts]
        fields["id_numbers"] = [person, *given[1:]]
    elif given:  # a new person: person_of(seed, i) names them from now on
        person = person_of(seed, i)
        texts = [t.replace(given[0], person) for t in texts]
        fields["id_numbers"] = [person, *given[1:]]
    record_id = f"b{i:09d}"
    record = Record(
        id=record_id,
        sha256=hashlib.sha256(f"{seed}:{record_id}".encode()).hexdigest(),
        filename=f"scan-{i:09d}.pdf",
        media_type="application/pdf",
        size=sum(len(t) for t in texts) * 3 + 40_000,
        page_count=len(texts),
        title=form.title,
        ocr_mode="ocr",
        created_at=f"{fields['business_date']}T09:00:00+00:00",
        pages=[PageText(n, t) for n, t in enumerate(texts, 1)],
    )
    apply_filing(
        record,
        doc_type=row.code,
        confidence=0.99,
        fields=fields,
        schedule=schedule,
        policy=policy,
        today=TODAY,
    )
    return record


def records(start: int, stop: int, seed: int, archive: Archive) -> Iterator[Record]:
    schedule, policy = archive.schedule(), archive.filing_policy()
    for i in range(start, stop):
        yield make_record(i, seed, schedule, policy)


_MAKER: tuple | None = None  # (seed, schedule, policy) in a generator process


def _start_maker(seed: int, schedule, policy) -> None:
    global _MAKER
    _MAKER = (seed, schedule, policy)


def _make_chunk(bounds: tuple[int, int]) -> list[Record]:
    seed, schedule, policy = _MAKER
    return [make_record(i, seed, schedule, policy) for i in range(*bounds)]


def chunks(
    start: int, stop: int, batch: int, seed: int, archive: Archive
) -> Iterator[list[Record]]:
    """Records start..stop-1 in lists of `batch`, made by one process per core
    while the caller writes the lists already made (a few ahead, in order):
    making a record costs about twice what writing it does, so filling a 10 M
    catalog takes one process's time for the writing only."""
    bounds = [(a, min(a + batch, stop)) for a in range(start, stop, batch)]
    workers = max(1, (os.cpu_count() or 1))
    if len(bounds) < 2 or workers < 2:
        for a, b in bounds:
            yield list(records(a, b, seed, archive))
        return
    init = (seed, archive.schedule(), archive.filing_policy())
    context = multiprocessing.get_context("spawn")  # the catalog's connections stay here
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_start_maker, initargs=init
    ) as pool:
        pending = deque()
        todo = iter(bounds)
        for b in itertools.islice(todo, workers * 2):
            pending.append(pool.submit(_make_chunk, b))
        while pending:
            chunk = pending.popleft().result()
            nxt = next(todo, None)
            if nxt is not None:
                pending.append(pool.submit(_make_chunk, nxt))
            yield chunk


def process_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) process `pid` has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fill(
    archive: Archive,
    total: int,
    seed: int,
    batch: int = 2000,
    server_pids=lambda: [],
    index: bool = True,
) -> dict:
    """Grow the catalog to `total` records and index them; returns the rates,
    and the CPU seconds the indexing took in this process and in the search
    servers (`server_pids`) against its wall time times the cores: the share
    of the machine it used, and who used it.
    Resumable: starts from the records the catalog already holds, and applies
    what the outbox still holds from an interrupted run. Without `index` the
    records only join the catalog (and its outbox): the bench then indexes them
    with `dangan reindex --rebuild`."""
    have = archive.catalog.count()
    waited = write = 0.0
    begun = time.perf_counter()
    done = have
    made = chunks(have, total, batch, seed, archive)
    while True:
        t = time.perf_counter()
        chunk = next(made, None)
        waited += time.perf_counter() - t
        if chunk is None:
            break
        t = time.perf_counter()
        archive.catalog.add_records(chunk)
        write += time.perf_counter() - t
        done += len(chunk)
        print(f"  catalog: {done}/{total}", file=sys.stderr, flush=True)
    added = total - have if total > have else 0
    took = time.perf_counter() - begun
    rates = {
        "added": added,
        "filled_per_s": round(added / took) if added and took else None,
        "catalog_per_s": round(added / write) if write else None,
        "waited_for_generator_s": round(waited, 1),
    }
    if not index:
        return rates
    t = time.perf_counter()

    def progress(done: int, of: int) -> None:
        if done % 20_000 < 500:
            print(f"  index: {done}/{of}", file=sys.stderr, flush=True)

    pids = server_pids()
    cpu0, servers0 = time.process_time(), sum(map(process_cpu_s, pids))
    applied = archive.sync_index(progress=progress)
    if hasattr(archive.index, "refresh"):
        archive.index.refresh()
    took = time.perf_counter() - t
    cpu = {
        "bench_s": round(time.process_time() - cpu0, 1),
        "servers_s": round(sum(map(process_cpu_s, pids)) - servers0, 1),
        "wall_s": round(took, 1),
        "cores": os.cpu_count(),
    }
    return {
        **rates,
        "indexed": applied,
        "index_per_s": round(applied / took) if applied and took else None,
        "index_cpu": cpu,
    }
