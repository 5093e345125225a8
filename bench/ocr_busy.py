"""An OCR worker kept busy: OCRs one synthetic scan again and again with the
project's engine (OCRmyPDF, one job), as an intake worker on the same machine
would, until killed. `python -m bench.ocr_busy` (search_bench starts it)."""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path


def main() -> int:
    from dangan.ocr.tesseract import OcrmypdfEngine

    from dangan.synth.corpus import generate_document
    from dangan.synth.schedule import load_schedule

    work = Path(tempfile.mkdtemp(prefix="ocr-busy-"))
    cls = next(c for c in load_schedule() if c.code == "reimbursement")
    doc = generate_document(work, "page", cls, "pdf_image", "clean", random.Random(3))
    engine = OcrmypdfEngine(jobs=1, work_root=work)
    engine.start()
    n = 0
    while True:
        out = work / f"run{n % 2}"
        out.mkdir(exist_ok=True)
        engine.process(doc.path, out, has_text=False)
        n += 1
        print(f"ocr pages: {n}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
