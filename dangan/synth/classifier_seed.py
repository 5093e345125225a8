"""Write the classifier's committed seed set from the generator's printed forms.

    python -m dangan.synth.classifier_seed [--out ingest/data/classifier_seed.jsonl.gz]

Development tooling, run once when the generator's templates or the schedule's
classes change (and the result reviewed and committed): the archive itself
never imports the generator, it reads the file this writes
(`dangan.ingest.classify.seed_examples`).

Each class of the default schedule gets `PER_CLASS` forms as printed (no OCR: the
layout's text lines), a third of them with a light or heavier OCR-like noise of
dropped and doubled characters. A further `PER_CLASS` *generic* forms (a person's
application with a material list, the builder for classes the generator has no
template of) are stored without their title line: the classifier puts a class's
own titles on them for a class an agency adds to its schedule.

Only the runs of Chinese characters are kept, one printed line per line (runs
separated by a space): the body model reads nothing else, so the file trains
exactly the model the forms themselves would, in a tenth of the size.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import random
import sys
from pathlib import Path

from dangan.retention.schedule import ScheduleRow, default_schedule
from dangan.synth.content import build_form
from dangan.synth.fonts import Measurer, pdf_font_set
from dangan.synth.layout import layout_form

SEED_FORMAT = 1
PER_CLASS = 40
SEED = 20240601
GENERIC_CODE = "_generic"  # not a class: stored with code "" and no title
DEFAULT_OUT = Path(__file__).resolve().parents[2] / "ingest" / "data" / "classifier_seed.jsonl.gz"


def ocr_noise(text: str, rng: random.Random, rate: float) -> str:
    """Drop or duplicate a few characters, as OCR does on a poor scan."""
    out = []
    for ch in text:
        r = rng.random()
        if r < rate:
            continue
        out.append(ch)
        if r > 1 - rate / 2:
            out.append(ch)
    return "".join(out)


def chinese_lines(text: str) -> str:
    """The text's runs of Chinese characters, one line per line that has any."""
    from dangan.ingest.classify import cjk_runs

    lines = (" ".join(cjk_runs(line)) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _forms(row: ScheduleRow, rng: random.Random, measure: Measurer, per_class: int, strip: bool):
    for i in range(per_class):
        form = build_form(row, rng, 1 + (i % 3 == 0), alt_titles=False)
        text = "\n".join(page.text() for page in layout_form(form, measure, rng))
        if strip:
            text = text.split("\n", 1)[1]  # the title line: the class's own titles go there
        text = ocr_noise(text, rng, 0.04 * (i % 3))
        yield form.fields["base_title"], chinese_lines(text)


def seed_records(per_class: int = PER_CLASS, seed: int = SEED) -> list[dict]:
    """The header and one record per form: {"code", "title", "text"}."""
    fonts = pdf_font_set()
    measure = Measurer(fonts)
    schedule = default_schedule()
    records: list[dict] = [
        {
            "format": SEED_FORMAT,
            "made_by": "python -m dangan.synth.classifier_seed",
            "per_class": per_class,
            "seed": seed,
            "font": fonts.regular.path.name,
            "classes": schedule.codes,
        }
    ]
    rng = random.Random(seed)
    for row in schedule.rows:
        for title, text in _forms(row, rng, measure, per_class, strip=False):
            records.append({"code": row.code, "title": title, "text": text})
    generic = ScheduleRow(GENERIC_CODE, "", "", "", ("申请表",), "10年")
    for _, text in _forms(generic, random.Random(seed + 1), measure, per_class, strip=True):
        records.append({"code": "", "title": "", "text": text})
    return records


def encode(records: list[dict]) -> bytes:
    """JSON lines, gzip-compressed reproducibly (no name, no time stamp)."""
    text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dangan.synth.classifier_seed")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--per-class", type=int, default=PER_CLASS)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    records = seed_records(args.per_class, args.seed)
    data = encode(records)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"{len(records) - 1} forms, {len(data) // 1024} KiB -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
