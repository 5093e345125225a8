"""python -m dangan.synth OUT_DIR --count N --seed S [--formats png tiff ...]"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from dangan.synth.corpus import DEFAULT_BLANK_PROB, FORMATS, generate_corpus
from dangan.synth.degrade import (
    DEFAULT_HOLES_PROB,
    DEFAULT_ROTATE_PROB,
    DEFAULT_SIDEWAYS_PROB,
    LEVELS,
)


def _flag(page: dict) -> str:
    """R: turned 180°, S: sideways, B: empty back, H: punched, .: none of these."""
    if page.get("blank"):
        return "B"
    if page.get("sideways"):
        return "S"
    if page.get("rotated_180"):
        return "R"
    return "H" if page.get("holes") else "."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dangan.synth",
        description="Generate synthetic scans of medical-insurance forms with ground truth.",
    )
    parser.add_argument("out_dir", type=Path, help="output folder (created if missing)")
    parser.add_argument("--count", type=int, default=10, help="number of documents (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--formats", nargs="+", choices=FORMATS, help="formats to cycle through")
    parser.add_argument("--doc-types", nargs="+", help="class codes from the retention schedule")
    parser.add_argument("--levels", nargs="+", choices=LEVELS, default=list(LEVELS))
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--max-pages", type=int, default=2)
    parser.add_argument("--schedule", type=Path, help="retention schedule CSV")
    parser.add_argument("--rotate-prob", type=float, default=DEFAULT_ROTATE_PROB)
    parser.add_argument(
        "--sideways-prob",
        type=float,
        default=DEFAULT_SIDEWAYS_PROB,
        help="chance that a degraded page is fed in turned 90 or 270 degrees",
    )
    parser.add_argument(
        "--blank-prob",
        type=float,
        default=DEFAULT_BLANK_PROB,
        help="chance that a page of a TIFF or image PDF is followed by its empty back",
    )
    parser.add_argument(
        "--holes-prob",
        type=float,
        default=DEFAULT_HOLES_PROB,
        help="chance that a sheet is punched for binding (two holes, dark in the scan)",
    )
    parser.add_argument("--bad-files", action="store_true", help="also write problem files")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    logging.getLogger("pikepdf").setLevel(logging.WARNING)

    docs = generate_corpus(
        args.out_dir,
        args.count,
        seed=args.seed,
        formats=args.formats,
        doc_types=args.doc_types,
        levels=args.levels,
        dpi=args.dpi,
        max_pages=args.max_pages,
        schedule_csv=args.schedule,
        rotate_prob=args.rotate_prob,
        sideways_prob=args.sideways_prob,
        blank_prob=args.blank_prob,
        holes_prob=args.holes_prob,
    )
    out = sys.stdout
    for doc in docs:
        flags = "".join(_flag(p) for p in doc.degradation["pages"])
        out.write(
            f"{doc.path.name}\t{doc.format}\t{doc.doc_type}\t{len(doc.pages)}p\t"
            f"{doc.degradation['level']}\t{flags}\t{doc.title}\n"
        )
    if args.bad_files:
        from dangan.synth.badfiles import write_bad_files

        for kind, path in write_bad_files(args.out_dir / "bad").items():
            out.write(f"bad/{path.name}\t{kind}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
