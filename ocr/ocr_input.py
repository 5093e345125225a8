"""An OCRmyPDF plugin that conditions the image Tesseract sees, never the page
the archive keeps (DA/T 31: the archival image keeps its original appearance).

- red seal suppression: a colour page is turned grey through its red channel,
  in which red ink is nearly as bright as the paper, so a seal stamped over text
  no longer hides the characters under it;
- binarisation: Otsu's threshold after a light median filter against speckle.

Which steps run is passed in the environment (DANGAN_OCR_INPUT_STEPS, set by
ocr/tesseract.py for the OCRmyPDF child process). With DANGAN_OCR_INPUT_SAVE set
to a folder, each conditioned page is also kept there, at half resolution, as
<page>.jpg: the clerk's quality check shows what Tesseract read. Loaded with
`ocrmypdf --plugin ocr.ocr_input`."""

from __future__ import annotations

import os

import numpy as np
from ocrmypdf import hookimpl
from PIL import Image

from ocr.tesseract import SAVE_ENV, STEPS_ENV


def condition(image: Image.Image, steps: set[str]) -> Image.Image:
    import cv2

    dpi = image.info.get("dpi")
    if image.mode in ("RGB", "RGBA", "P", "CMYK"):
        rgb = np.asarray(image.convert("RGB"))
        grey = rgb[:, :, 0].copy() if "seal" in steps else cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    elif image.mode in ("L", "I;16", "I"):
        grey = np.asarray(image.convert("L"))
    else:  # already bitonal
        return image
    if "binarize" in steps:
        grey = cv2.medianBlur(grey, 3)
        _, grey = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    out = Image.fromarray(grey)
    if dpi:
        out.info["dpi"] = dpi
    return out


def keep_copy(image: Image.Image, folder: str, page_no: int) -> None:
    """A half-resolution greyscale JPEG of what OCR reads, for the quality check."""
    from pathlib import Path

    small = image.convert("L")
    small = small.resize((max(1, small.width // 2), max(1, small.height // 2)))
    target = Path(folder) / f"{page_no:04d}.jpg"
    tmp = target.with_suffix(".tmp")
    small.save(tmp, format="JPEG", quality=70)
    tmp.replace(target)


@hookimpl
def filter_ocr_image(page, image: Image.Image) -> Image.Image:
    steps = {s for s in os.environ.get(STEPS_ENV, "").split(",") if s}
    out = condition(image, steps) if steps & {"seal", "binarize"} else image
    folder = os.environ.get(SAVE_ENV)
    if folder:
        keep_copy(out, folder, page.pageno + 1)
    return out
