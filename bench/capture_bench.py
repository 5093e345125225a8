"""Capture at the scanner: what splitting a scanned stack at cover sheets costs.

    python -m bench.capture_bench [--sheets 200] [--e2e-sheets 8] [--seed 7]

1. Composes a duplex stack of `--sheets` sheets as a scanner writes it (cases of
   one cover sheet and 1–4 form sheets; forms from dangan/synth at 200 dpi,
   a pool of distinct form pages reused so the stack is quick to make; cover
   sheets printed per case), then times the split on its own: barcode and
   blank reading of every page, cutting, writing each record's PDF
   (ingest/stack.py and the PDF step of ingest/capture.py). Sheets per minute.
2. Ingests a small stack of `--e2e-sheets` sheets twice into empty archives:
   as one plain file (`ingest_file`, OCR and all) and split into records
   (`split` then `ingest_file` per record, as the queue does), and reports the
   time per sheet of each and the splitting overhead in percent.

The CPU is shared with other work while measured: run it twice and take the
lower figures. The stack is cached under .dangan/capture_bench/."""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from capture_stack import DPI, _grey_jpeg, cover_image, form_pages  # noqa: E402
from dangan.ingest.coversheet import CoverData, SheetText, sheets_pdf  # noqa: E402

from dangan.config import Settings  # noqa: E402
from dangan.synth.degrade import degrade_page, empty_back  # noqa: E402

CACHE = Path(".dangan/capture_bench")


def compose(out: Path, key: bytes, sheets: int, seed: int, pool_pages: int = 8):
    """A duplex stack of `sheets` sheets; (path, [(serial, form pages)])."""
    rng = random.Random(seed)
    pool, _ = form_pages(out.parent, "pool", "employee_enrol", pool_pages, rng)
    backs = [empty_back(p, rng)[0] for p in pool[:3]]
    images, cases, used, n = [], [], 0, 0
    while used < sheets:
        n += 1
        serial = f"YW{seed:04d}{n:06d}"
        cover = cover_image(sheets_pdf(key, [(CoverData(serial), SheetText("测试中心"))]), DPI)
        scanned, _ = degrade_page(cover, "light", rng, rotate_prob=0.1, dpi=DPI)
        images += [scanned, backs[0]]
        used += 1
        count = min(rng.randint(1, 4), max(0, sheets - used))
        for _ in range(count):
            images += [rng.choice(pool), rng.choice(backs)]
        used += count
        cases.append((serial, count))
    small = [_grey_jpeg(i) for i in images]
    small[0].save(out, "PDF", save_all=True, append_images=small[1:], resolution=DPI)
    return out, cases


def time_split(stack: Path, key: bytes) -> dict:
    from dangan.ingest.capture import _write_segments
    from dangan.ingest.stack import scan_pdf, split

    work = Path(tempfile.mkdtemp(prefix="capture-bench-"))
    try:
        t0 = time.perf_counter()
        scans = scan_pdf(stack, key)
        t1 = time.perf_counter()
        cut = split(scans, "cover", "duplex")
        _write_segments(stack, cut, work)
        t2 = time.perf_counter()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    pages = len(scans)
    return {
        "pages": pages,
        "sheets": pages // 2,
        "records": len(cut.segments),
        "read_s_per_page": round((t1 - t0) / pages, 4),
        "cut_and_write_s": round(t2 - t1, 2),
        "split_s": round(t2 - t0, 2),
        "split_sheets_per_min": round(pages / 2 / (t2 - t0) * 60, 1),
    }


def time_e2e(stack: Path, home: Path) -> dict:
    from dangan.ingest.capture import _write_segments
    from dangan.ingest.pipeline import ingest_file
    from dangan.ingest.stack import scan_pdf, split

    from dangan.archive import Archive

    out = {}
    for how in ("plain", "split"):
        settings = Settings.from_env({"DANGAN_HOME": str(home / how)})
        archive = Archive.open(settings)
        archive.engine.process  # noqa: B018 - open the OCR engine before timing
        t0 = time.perf_counter()
        if how == "plain":
            result = ingest_file(archive, stack)
            assert result.status == "archived", result
        else:
            key = archive.audit.keys.cover_key()
            cut = split(scan_pdf(stack, key), "cover", "duplex")
            work = home / "segments"
            work.mkdir(exist_ok=True)
            t_split = time.perf_counter() - t0
            for seg, pdf in zip(cut.segments, _write_segments(stack, cut, work), strict=True):
                capture = {"cover": seg.cover.to_json(), "provenance": {"pages": seg.pages}}
                result = ingest_file(archive, pdf, case=seg.cover.serial, capture=capture)
                assert result.status == "archived", result
            out["split_only_s"] = round(t_split, 2)
        out[f"{how}_s"] = round(time.perf_counter() - t0, 2)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sheets", type=int, default=200)
    parser.add_argument("--e2e-sheets", type=int, default=8, help="0: leave out the OCR runs")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    CACHE.mkdir(parents=True, exist_ok=True)
    key = b"capture-bench-key" * 2
    report: dict = {}
    stack = CACHE / f"stack-{args.sheets}-{args.seed}.pdf"
    if not stack.is_file():
        t = time.perf_counter()
        compose(stack, key, args.sheets, args.seed)
        report["compose_s"] = round(time.perf_counter() - t, 1)
    report["split"] = time_split(stack, key)
    if args.e2e_sheets:
        home = Path(tempfile.mkdtemp(prefix="capture-bench-home-"))
        try:
            # the archive's own key signs the covers of the small stack
            settings = Settings.from_env({"DANGAN_HOME": str(home / "split")})
            from dangan.archive import Archive

            small_key = Archive.open(settings).audit.keys.cover_key()
            small = home / "small.pdf"
            compose(small, small_key, args.e2e_sheets, args.seed + 1, pool_pages=4)
            e2e = time_e2e(small, home)
            sheets = args.e2e_sheets
            e2e["plain_s_per_sheet"] = round(e2e["plain_s"] / sheets, 2)
            e2e["split_s_per_sheet"] = round(e2e["split_s"] / sheets, 2)
            e2e["split_only_s_per_sheet"] = round(e2e["split_only_s"] / sheets, 3)
            e2e["overhead_pct"] = round(100 * e2e["split_only_s"] / e2e["plain_s"], 2)
            report["e2e"] = {"sheets": sheets, **e2e}
        finally:
            shutil.rmtree(home, ignore_errors=True)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
