"""An OCRmyPDF plugin that conditions the image OCR sees, never the page the
archive keeps (DA/T 31: the archival image keeps its original appearance).

Steps (ocr/preprocess.py does the image work), in this order:
- red seal suppression (`seal`): a colour page is turned grey through its red
  channel, in which red ink is nearly as bright as the paper, so a seal stamped
  over text no longer hides the characters under it;
- dark scanner borders (`border`): bands along the edges are made paper-white;
- blank pages (`blank`): a page with less ink than one small character (a
  separator sheet, an empty back) is reported and OCR is given an empty image,
  so no text is invented for it;
- denoising (`denoise`): a light Gaussian blur against grain;
- binarisation (`binarize`): Otsu's threshold (after a light median filter).

Which steps run is passed in the environment (DANGAN_OCR_INPUT_STEPS, set by
ocr/tesseract.py for the OCRmyPDF child process). With DANGAN_OCR_INPUT_SAVE set
to a folder, each conditioned page is also kept there, at half resolution, as
<page>.jpg (the clerk's quality check shows what OCR read), and a blank page
leaves <page>.blank beside it for the parent process. Loaded with
`ocrmypdf --plugin ocr.ocr_input`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from ocrmypdf import hookimpl
from PIL import Image

from ocr.tesseract import SAVE_ENV, STEPS_ENV

CHANGING_STEPS = frozenset({"seal", "border", "denoise", "binarize"})  # alter the pixels
IMAGE_STEPS = CHANGING_STEPS | {"blank"}
DEFAULT_DPI = 300.0  # what OCRmyPDF assumes when an image says nothing


@dataclass(frozen=True)
class Prepared:
    image: Image.Image  # the conditioned page
    blank: bool  # no writing on it: OCR should not read it


def _dpi(image: Image.Image) -> float:
    dpi = image.info.get("dpi")
    if not dpi:
        return DEFAULT_DPI
    value = float(dpi[0] if isinstance(dpi, tuple) else dpi)
    return value if value >= 50 else DEFAULT_DPI


def _arrays(image: Image.Image, seal: bool) -> tuple[np.ndarray, np.ndarray]:
    """(what is conditioned, its grey view): grey from the red channel with
    `seal`, else the image as it is (colour stays colour) with a luminance view."""
    import cv2

    if image.mode in ("RGB", "RGBA", "P", "CMYK"):
        rgb = np.asarray(image.convert("RGB"))
        if seal:
            grey = rgb[:, :, 0].copy()
            return grey, grey
        return rgb, cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    grey = np.asarray(image.convert("L"))
    return grey, grey


def prepare(image: Image.Image, steps: set[str]) -> Prepared:
    """The page as OCR should read it, and whether it is blank."""
    import cv2

    from ocr import preprocess

    if not steps & IMAGE_STEPS:
        return Prepared(image, False)
    dpi = _dpi(image)
    work, grey = _arrays(image, "seal" in steps)
    page_grey, band = grey, None
    if "border" in steps:
        band = preprocess.border_mask(grey, dpi)
        if band.any():
            work = work.copy()
            work[band] = 255
            grey = work if work.ndim == 2 else cv2.cvtColor(work, cv2.COLOR_RGB2GRAY)
    blank = "blank" in steps and preprocess.is_blank(page_grey, dpi, band=band)
    if "denoise" in steps:
        work = preprocess.denoise(work, dpi)
    if "binarize" in steps:
        grey = work if work.ndim == 2 else cv2.cvtColor(work, cv2.COLOR_RGB2GRAY)
        if "denoise" not in steps:
            grey = cv2.medianBlur(grey, 3)
        _, work = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if not steps & CHANGING_STEPS:
        out = image  # only looked at: OCR reads the page as it came
    else:
        out = Image.fromarray(work)
        out.info["dpi"] = image.info.get("dpi", (dpi, dpi))
    return Prepared(out, blank)


def condition(image: Image.Image, steps: set[str]) -> Image.Image:
    return prepare(image, steps).image


def empty_like(image: Image.Image, shrink: int = 8) -> Image.Image:
    """A white page with the same aspect ratio, `shrink` times smaller (DPI scaled
    to match), for OCR to find nothing on quickly."""
    width, height = max(1, image.width // shrink), max(1, image.height // shrink)
    out = Image.new("L", (width, height), 255)
    dpi = _dpi(image)
    out.info["dpi"] = (dpi * width / image.width, dpi * height / image.height)
    return out


def keep_copy(image: Image.Image, folder: str, page_no: int) -> None:
    """A half-resolution greyscale JPEG of what OCR reads, for the quality check."""
    small = image.convert("L")
    small = small.resize((max(1, small.width // 2), max(1, small.height // 2)))
    target = Path(folder) / f"{page_no:04d}.jpg"
    tmp = target.with_suffix(".tmp")
    small.save(tmp, format="JPEG", quality=70)
    tmp.replace(target)


def mark_blank(folder: str, page_no: int) -> None:
    (Path(folder) / f"{page_no:04d}.blank").touch()


def mark_turn(folder: str, page_no: int, clockwise: int) -> None:
    """The page was read turned: shown upright once turned `clockwise` degrees."""
    (Path(folder) / f"{page_no:04d}.turn").write_text(str(clockwise))


def steps_from_env() -> set[str]:
    return {s for s in os.environ.get(STEPS_ENV, "").split(",") if s}


@hookimpl
def filter_ocr_image(page, image: Image.Image) -> Image.Image:
    prepared = prepare(image, steps_from_env())
    folder = os.environ.get(SAVE_ENV)
    if folder:
        if prepared.blank:
            mark_blank(folder, page.pageno + 1)
        # the page as conditioned, also when blank: the clerk sees why
        keep_copy(prepared.image, folder, page.pageno + 1)
    return empty_like(prepared.image) if prepared.blank else prepared.image
