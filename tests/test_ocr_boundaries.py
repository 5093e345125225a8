"""Which way imports go around the OCR room: the kernel (settings, text
normalisation) and the search index load nothing from ocr/, and OCR loads
nothing from the synthetic-form generator (dangan/synth), even while it runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _modules_after(code: str) -> list[str]:
    """The modules a fresh interpreter holds after running `code`."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(proc.stdout.splitlines()[-1])


def test_settings_and_the_search_index_load_nothing_from_ocr():
    loaded = _modules_after(
        "from dangan.config import Settings\n"
        "Settings.from_env({'DANGAN_HOME': '/tmp/x', 'DANGAN_OCR_PREPROCESS': 'seal,blank'})\n"
        "from dangan.catalog.cjk import tokens\n"
        "tokens('醫療保險 ＡＢ１２')\n"
    )
    assert not [m for m in loaded if m == "dangan.ocr" or m.startswith("dangan.ocr.")]


def test_ocr_warms_up_and_reads_without_the_form_generator():
    loaded = _modules_after(
        "import dangan.ocr.child, dangan.ocr.ocr_input, dangan.ocr.tesseract\n"
        "from dangan.ocr import rapid\nrapid.warm_up(1)\n"
    )
    # it did run: PP-OCRv4 on ONNX Runtime loads rapidocr_onnxruntime, the others rapidocr
    assert "dangan.ocr.rapid" in loaded and {"rapidocr", "rapidocr_onnxruntime"} & set(loaded)
    assert not [m for m in loaded if m.startswith("dangan.synth")]
