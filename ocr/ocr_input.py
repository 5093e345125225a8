"""An OCRmyPDF plugin that conditions the image OCR sees, never the page the
archive keeps (DA/T 31: the archival image keeps its original appearance).

Steps (ocr/preprocess.py does the image work), in this order:
- red seal suppression (`seal`): round and oval red seals are found
  (ocr/seals.py) and a colour page is turned grey through its red channel
  inside them, in which red ink is nearly as bright as the paper, so a seal
  stamped over text no longer hides the characters under it; elsewhere by
  luminance, so red and white-on-red printed text stays readable;
- dark scanner borders (`border`): bands along the edges are made paper-white;
- blank pages (`blank`): a page with less ink than one small character (a
  separator sheet, an empty back) is reported and OCR is given an empty image,
  so no text is invented for it;
- denoising (`denoise`): a light Gaussian blur against grain, not on bilevel
  (1-bit) pages;
sizes in pixels follow the resolution the pixels really have
(preprocess.pixel_dpi), not a declared DPI that cannot be true;
- binarisation (`binarize`): Otsu's threshold (after a light median filter).

Options (OCRmyPDF plugin options, namespace `dangan`; ocrmypdf.ocr keywords,
or command line options with `ocrmypdf --plugin dangan.ocr.ocr_input`):
- `dangan_steps` (`--dangan-steps orient,seal,...`): the steps to run, names
  from dangan/ocr_steps.py; an unknown one stops OCRmyPDF with BadArgsError;
- `dangan_results` (`--dangan-results DIR`): where each page's results go (the
  image OCR read, blank or not) for the engine; ocr/results.py is the contract.
ocr/rapid.py, loaded together with this plugin, reads these options too."""

from __future__ import annotations

import argparse
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from dangan.ocr import preprocess, results, seals
from ocrmypdf import hookimpl
from ocrmypdf.exceptions import BadArgsError
from PIL import Image
from pydantic import BaseModel, field_validator

from dangan.errors import ConfigError
from dangan.ocr_steps import Step, Steps, parse_steps

CHANGING_STEPS = frozenset({Step.SEAL, Step.BORDER, Step.DENOISE, Step.BINARIZE})  # alter pixels
IMAGE_STEPS = CHANGING_STEPS | {Step.BLANK}
NAMESPACE = "dangan"  # options.dangan.steps; keywords dangan_steps, dangan_results
DEFAULT_DPI = 300.0  # what OCRmyPDF assumes when an image says nothing


@dataclass(frozen=True)
class Prepared:
    image: Image.Image  # the conditioned page
    blank: bool  # no writing on it: OCR should not read it
    seals: tuple[np.ndarray, ...] = ()  # the text round each seal found, straightened


def _dpi(image: Image.Image) -> float:
    dpi = image.info.get("dpi")
    if not dpi:
        return DEFAULT_DPI
    value = float(dpi[0] if isinstance(dpi, tuple) else dpi)
    return value if value >= 50 else DEFAULT_DPI


def _arrays(image: Image.Image, seal: bool) -> tuple[np.ndarray, np.ndarray, tuple]:
    """(what is conditioned, its grey view, the seals' text straightened): with
    `seal`, grey with the red seals found on it faded (ocr/seals.py), else the
    image as it is (colour stays colour) with a luminance view."""
    if image.mode in ("RGB", "RGBA", "P", "CMYK"):
        rgb = np.asarray(image.convert("RGB"))
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        if seal:
            found = seals.find_seals(rgb, preprocess.pixel_dpi(grey, _dpi(image)))
            grey = seals.fade(rgb, found)
            return grey, grey, tuple(seals.unwrap(rgb, s) for s in found)
        return rgb, grey, ()
    grey = np.asarray(image.convert("L"))
    return grey, grey, ()


def prepare(image: Image.Image, steps: Collection[str]) -> Prepared:
    """The page as OCR should read it, and whether it is blank."""
    steps = set(steps)
    if not steps & IMAGE_STEPS:
        return Prepared(image, False)
    work, grey, strips = _arrays(image, Step.SEAL in steps)
    dpi = preprocess.pixel_dpi(grey, _dpi(image))
    page_grey, band = grey, None
    if Step.BORDER in steps:
        band = preprocess.border_mask(grey, dpi)
        if band.any():
            work = work.copy()
            work[band] = 255
            grey = work if work.ndim == 2 else cv2.cvtColor(work, cv2.COLOR_RGB2GRAY)
    blank = Step.BLANK in steps and preprocess.is_blank(page_grey, dpi, band=band)
    if Step.DENOISE in steps:
        work = preprocess.denoise(work, dpi, grey=grey)
    if Step.BINARIZE in steps:
        grey = work if work.ndim == 2 else cv2.cvtColor(work, cv2.COLOR_RGB2GRAY)
        if Step.DENOISE not in steps:
            grey = cv2.medianBlur(grey, 3)
        _, work = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    if not steps & CHANGING_STEPS:
        out = image  # only looked at: OCR reads the page as it came
    else:
        out = Image.fromarray(work)
        out.info["dpi"] = image.info.get("dpi", (dpi, dpi))
    return Prepared(out, blank, strips)


def condition(image: Image.Image, steps: Collection[str]) -> Image.Image:
    return prepare(image, steps).image


def empty_like(image: Image.Image, shrink: int = 8) -> Image.Image:
    """A white page with the same aspect ratio, `shrink` times smaller (DPI scaled
    to match), for OCR to find nothing on quickly."""
    width, height = max(1, image.width // shrink), max(1, image.height // shrink)
    out = Image.new("L", (width, height), 255)
    dpi = _dpi(image)
    out.info["dpi"] = (dpi * width / image.width, dpi * height / image.height)
    return out


def keep_copy(image: Image.Image, folder: Path, page_no: int) -> str:
    """A half-resolution greyscale JPEG of what OCR reads, for the quality check;
    its file name in `folder`."""
    small = image.convert("L")
    small = small.resize((max(1, small.width // 2), max(1, small.height // 2)))
    name = results.image_name(page_no)
    tmp = folder / f"{name}.tmp"
    small.save(tmp, format="JPEG", quality=70)
    tmp.replace(folder / name)
    return name


def keep_seals(strips: tuple[np.ndarray, ...], folder: Path, page_no: int) -> list[str]:
    """The straightened text round each seal, saved for the engine to read
    (ocr/rapid.py); their file names in `folder`."""
    names = []
    for k, strip in enumerate(strips, start=1):
        name = results.seal_name(page_no, k)
        Image.fromarray(strip).save(folder / name)
        names.append(name)
    return names


class DanganOptions(BaseModel):
    """dangan's own OCRmyPDF options (namespace `dangan`)."""

    steps: Steps = ()
    results: Path | None = None

    @field_validator("steps", mode="before")
    @classmethod
    def _known_steps(cls, value):
        # a ConfigError (Chinese, naming the option) passes through pydantic as it is
        return parse_steps(value or (), "OCRmyPDF 选项 --dangan-steps")


@hookimpl
def register_options():
    return {NAMESPACE: DanganOptions}


@hookimpl
def add_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("dangan", "dangan's conditioning of the OCR input")
    group.add_argument(
        "--dangan-steps",
        dest="dangan_steps",
        metavar="STEPS",
        help="comma-separated preprocessing steps (dangan/ocr_steps.py), or none",
    )
    group.add_argument(
        "--dangan-results",
        dest="dangan_results",
        metavar="DIR",
        help="existing folder for each page's results (ocr/results.py)",
    )


@hookimpl
def check_options(options) -> None:
    try:
        ours = getattr(options, NAMESPACE)
    except ConfigError as exc:
        raise BadArgsError(exc.message) from None
    if ours.results is not None and not ours.results.is_dir():
        raise BadArgsError(f"OCRmyPDF 选项 --dangan-results 指定的文件夹不存在：{ours.results}")


@hookimpl
def filter_ocr_image(page, image: Image.Image) -> Image.Image:
    ours = getattr(page.options, NAMESPACE)
    prepared = prepare(image, ours.steps)
    if ours.results is not None:
        # the page as conditioned, also when blank: the clerk sees why
        name = keep_copy(prepared.image, ours.results, page.pageno + 1)
        strips = keep_seals(prepared.seals, ours.results, page.pageno + 1)
        extra = {"seal_images": strips} if strips else {}
        results.append(ours.results, page.pageno + 1, image=name, blank=prepared.blank, **extra)
    return empty_like(prepared.image) if prepared.blank else prepared.image
