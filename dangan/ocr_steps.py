"""The OCR preprocessing steps: their names, the default and the one check of a
list of them.

One definition for the setting DANGAN_OCR_PREPROCESS (dangan/config.py), the
OCRmyPDF plugin option `--dangan-steps` (ocr/ocr_input.py) and the OCR
benchmark. Kernel: imports nothing from ocr/."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from dangan.errors import ConfigError


class Step(StrEnum):
    """One preprocessing step (a `str`: "seal" == Step.SEAL)."""

    # RapidOCR: pages turned 90°, 180° or 270° read upright (box shapes and the line
    # classifier); boxes mapped back to the page as scanned
    ORIENT = "orient"
    # Tesseract: pages printed upside down or sideways turned upright (OSD)
    ROTATE = "rotate"
    # Tesseract: skewed pages straightened (kept in the archival copy: allowed by DA/T 31)
    DESKEW = "deskew"
    # read through red seals: round and oval red seals found and faded (grey from
    # the red channel inside them, luminance elsewhere, so red print stays); the
    # text round each is read (RapidOCR) into the record (OCR input only)
    SEAL = "seal"
    # dark scanner borders along the edges made white (OCR input only)
    BORDER = "border"
    # blank pages (separator sheets, empty backs) reported and not OCR'd
    BLANK = "blank"
    # light Gaussian blur against grain, not on bilevel (1-bit) pages, in the
    # pixels the image really has (OCR input only)
    DENOISE = "denoise"
    # Otsu binarisation after a median filter (OCR input only)
    BINARIZE = "binarize"


Steps = tuple[Step, ...]

# chosen with the OCR benchmark (python -m bench.ocr_bench, docs/status.md)
DEFAULT_STEPS: Steps = (Step.ORIENT, Step.SEAL, Step.BORDER, Step.BLANK, Step.DENOISE)


def parse_steps(value: str | Iterable[str], name: str) -> Steps:
    """Steps from a comma-separated text ("none" or nothing: no step) or from
    step names, in the order given, each once. An unknown step is a ConfigError
    naming `name` (where the value came from, e.g. "设置 DANGAN_OCR_PREPROCESS")."""
    if isinstance(value, str):
        value = () if value.strip().lower() == "none" else value.split(",")
    names = [str(s).strip() for s in value if str(s).strip()]
    known = {step.value for step in Step}
    unknown = [s for s in names if s not in known]
    if unknown:
        raise ConfigError(
            f"{name} 含未知步骤：{'、'.join(unknown)}。可用：{'、'.join(Step)}，或 none。"
        )
    return tuple(dict.fromkeys(Step(s) for s in names))


def steps_text(steps: Iterable[str]) -> str:
    """The steps as the setting writes them: "orient,seal,…", "none" for none."""
    return ",".join(steps) or "none"
