"""The generator's two splits: one for choosing settings, one that tuning never touches.

- ``tuning``: the generator's templates as they are (schedule titles and the
  provincial variants of `content.ALT_TITLES`), the serif and sans fonts, the
  seeds 9001/5150 family, 200 dpi. Thresholds (review threshold, the
  classifier's coverage floor) are chosen on this split and on hand-written
  non-business texts.
- ``heldout``: other seeds, fonts the generator never draws otherwise (楷体 AR PL
  UKai and 明体 AR PL UMing, Debian's fonts-arphic-ukai / fonts-arphic-uming;
  WenQuanYi, with a warning, where neither is installed), 240 dpi, other
  degradation probabilities, and `dangan.synth.variation.HELDOUT`: title
  wordings found nowhere in the seed set or the tuning split
  (`HELDOUT_TITLES`), other field labels (身份证号码, 手机号码 …), field order
  shuffled, fields left out, no 业务流水号 line or no footer.

`text_split` evaluates the classifier and filing on the printed text of many
forms (with OCR-like noise on the Chinese characters) in seconds, without
rendering or OCR; `bench.real_docs` OCRs rendered scans of both splits.
"""

from __future__ import annotations

import random
import sys
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from dangan.synth.variation import HELDOUT, NONE, Variation


@dataclass(frozen=True)
class Split:
    name: str
    seed: int
    variation: Variation
    fonts: tuple[str, ...]
    dpi: int
    rotate_prob: float
    sideways_prob: float
    holes_prob: float
    noise: float  # share of Chinese characters dropped or doubled in the text split
    generator: dict[str, Any] = field(default_factory=dict)


SPLITS = {
    "tuning": Split("tuning", 9001, NONE, ("serif", "sans"), 200, 0.5, 0.0, 0.0, 0.03),
    "heldout": Split("heldout", 770077, HELDOUT, ("kai", "ming"), 240, 0.7, 0.1, 0.2, 0.05),
}
FALLBACK_FONTS = ("wqy",)  # held out from the tuning split, not from the OCR corpus


def scan_fonts(split: Split) -> tuple[str, ...]:
    """The fonts `split`'s scans are drawn in: its own where installed."""
    from dangan.synth.fonts import available_font_sets

    installed = tuple(f for f in split.fonts if f in available_font_sets())
    if installed:
        return installed
    print(
        f"warning: none of the {split.name} split's fonts {split.fonts} is installed"
        f" (apt-get install fonts-arphic-ukai fonts-arphic-uming); using {FALLBACK_FONTS}",
        file=sys.stderr,
    )
    return FALLBACK_FONTS


def _noisy(text: str, rng: random.Random, rate: float) -> str:
    """Drop or double Chinese characters only (digits and 年月日 stay: IDs and
    dates are the field extractor's business, measured on the OCR'd splits)."""
    out = []
    for ch in text:
        if "\u3400" <= ch <= "\u9fff" and ch not in "年月日":
            r = rng.random()
            if r < rate:
                continue
            if r > 1 - rate / 2:
                out.append(ch)
        out.append(ch)
    return "".join(out)


def split_texts(split: Split, count: int) -> list[tuple[str, list[str], dict]]:
    """(class code, page texts, truth fields) of `count` forms of `split`."""
    from dangan.synth.content import build_form
    from dangan.synth.fonts import Measurer, pdf_font_set
    from dangan.synth.layout import layout_form
    from dangan.synth.schedule import load_schedule
    from dangan.synth.variation import vary_form

    classes = load_schedule()
    measure = Measurer(pdf_font_set())
    out = []
    for i in range(count):
        rng = random.Random(f"bench.splits:{split.name}:{split.seed}:{i}")
        form = build_form(classes[i % len(classes)], rng, 1 + i % 2)
        form = vary_form(form, rng, split.variation)
        pages = [_noisy(p.text(), rng, split.noise) for p in layout_form(form, measure, rng)]
        out.append((form.doc_type, pages, form.fields))
    return out


def file_text(classifier, schedule, policy, pages: list[str]) -> dict[str, Any]:
    """Classify and file page texts as ingest does; the outcome, class,
    confidence and reasons (no catalog involved)."""
    from dangan.catalog.base import PageText, Record
    from dangan.ingest.fields import extract_fields
    from dangan.retention.filing import apply_filing

    result = classifier.classify(pages)
    fields = extract_fields(pages).to_json()
    record = Record(
        id="bench",
        sha256="0" * 64,
        filename="bench",
        media_type="application/pdf",
        size=0,
        page_count=len(pages),
        title="",
        ocr_mode="ocr",
        created_at="2026-01-01T00:00:00+00:00",
        pages=[PageText(i, t) for i, t in enumerate(pages, start=1)],
    )
    apply_filing(
        record,
        doc_type=result.code,
        confidence=result.confidence,
        fields=fields,
        schedule=schedule,
        policy=policy,
        today=date(2026, 1, 1),
        unknown_reason=result.reason,
    )
    return {
        "outcome": "filed" if record.status == "filed" else "review",
        "class": record.doc_type,
        "guess": result.candidates[0][0] if result.candidates else None,
        "confidence": round(result.confidence, 4),
        "coverage": result.coverage,
        "known": result.known,
        "class_doubt": record.doc_type is None or result.confidence < policy.review_threshold,
        "reasons": record.review_reasons,
        "business_date": fields.get("business_date"),
        "retention": record.retention,
        "disposal_date": record.disposal_date,
    }


def text_split(split: Split, count: int, classifier, schedule, policy) -> dict[str, Any]:
    """Class accuracy, review shares and wrong filings on `count` printed forms."""
    rows = []
    for code, pages, truth in split_texts(split, count):
        row = file_text(classifier, schedule, policy, pages)
        row["truth"] = code
        row["title_variant"] = bool(truth.get("title_variant"))
        row["date_ok"] = row["business_date"] == truth["business_date"]
        rows.append(row)
    return summarise(rows) | {"split": split.name, "mode": "text", "rows": rows}


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows) or 1
    truth = [r for r in rows if r.get("truth")]
    business = len(truth) or 1
    return {
        "files": len(rows),
        "filed": sum(r["outcome"] == "filed" for r in rows),
        "review": sum(r["outcome"] == "review" for r in rows),
        "refused": sum(r["outcome"] == "refused" for r in rows),
        "review_share": sum(r["outcome"] == "review" for r in rows) / n,
        "class_review_share": sum(bool(r.get("class_doubt")) for r in rows) / n,
        "right_class": sum((r.get("class") or r.get("guess")) == r["truth"] for r in truth)
        / business,
        "filed_wrong_class": sum(
            r["outcome"] == "filed" and r["class"] != r["truth"] for r in truth
        ),
        "non_business_filed": sum(
            r["outcome"] == "filed" for r in rows if "truth" in r and r["truth"] is None
        ),
    }
