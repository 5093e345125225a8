"""Synthetic scans of Chinese medical-insurance forms, with ground truth.

Used to test intake, OCR, classification and identifier extraction without
real personal data. Nothing is loaded at import time; fonts are located on
first use.

    from dangan.synth import generate_corpus
    docs = generate_corpus(Path("out"), 20, seed=1)

Command line: ``python -m dangan.synth OUT_DIR --count N --seed S``.
"""

from __future__ import annotations

from dangan.synth.badfiles import write_bad_files
from dangan.synth.content import build_form
from dangan.synth.corpus import (
    EXTENSIONS,
    FORMATS,
    SampleDoc,
    generate_corpus,
    generate_document,
    load_corpus,
)
from dangan.synth.degrade import LEVELS, degrade_page
from dangan.synth.fonts import FontNotFound
from dangan.synth.ids import (
    make_credit_code,
    make_id_number,
    make_person_name,
    make_serial,
    make_unit_code,
    make_unit_name,
)
from dangan.synth.layout import PageLayout, layout_form
from dangan.synth.render import render_page, write_text_pdf
from dangan.synth.schedule import load_schedule

__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "LEVELS",
    "FontNotFound",
    "PageLayout",
    "SampleDoc",
    "build_form",
    "degrade_page",
    "generate_corpus",
    "generate_document",
    "layout_form",
    "load_corpus",
    "load_schedule",
    "make_credit_code",
    "make_id_number",
    "make_person_name",
    "make_serial",
    "make_unit_code",
    "make_unit_name",
    "render_page",
    "write_bad_files",
    "write_text_pdf",
]
