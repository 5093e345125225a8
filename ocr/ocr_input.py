"""An OCRmyPDF plugin that conditions the image Tesseract sees, never the page
the archive keeps (DA/T 31: the archival image keeps its original appearance).

- red seal suppression: a colour page is turned grey through its red channel,
  in which red ink is nearly as bright as the paper, so a seal stamped over text
  no longer hides the characters under it;
- binarisation: Otsu's threshold after a light median filter against speckle.

Which steps run is passed in the environment (DANGAN_OCR_INPUT_STEPS, set by
ocr/tesseract.py for the OCRmyPDF child process). Loaded with
`ocrmypdf --plugin ocr.ocr_input`."""

from __future__ import annotations

import os

import numpy as np
from ocrmypdf import hookimpl
from PIL import Image

from ocr.tesseract import STEPS_ENV


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


@hookimpl
def filter_ocr_image(page, image: Image.Image) -> Image.Image:
    steps = {s for s in os.environ.get(STEPS_ENV, "").split(",") if s}
    if not steps & {"seal", "binarize"}:
        return image
    return condition(image, steps)
