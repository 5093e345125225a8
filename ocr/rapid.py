"""An OCRmyPDF OCR-engine plugin for RapidOCR (PP-OCR detection and recognition
models shipped inside the `rapidocr` / `rapidocr-onnxruntime` wheels, on ONNX
Runtime or OpenVINO: ocr/recognizers.py; nothing is downloaded at run time).

OCRmyPDF keeps doing everything around the recognition: rasterising, the
`filter_ocr_image` conditioning (ocr/ocr_input.py), the invisible text layer,
PDF/A. This module only turns a page image into text lines with boxes.
Loaded with `ocrmypdf --plugin dangan.ocr.ocr_input --plugin dangan.ocr.rapid` (ocr/tesseract.py
does it when DANGAN_OCR_ENGINE=rapidocr).

Options, its own (namespace `rapidocr`): `rapidocr_threads` (`--rapidocr-threads N`):
threads per page, 0 for the runtime's default; `rapidocr_model` (`ppocr-v6` or
`ppocr-v4`) and `rapidocr_runtime` (`onnxruntime` or `openvino`). From ocr/ocr_input.py's
namespace `dangan`, loaded with it: the step `orient` in `dangan_steps` (read
pages turned sideways or upside down upright) and `dangan_results`, where a page
read turned is reported (ocr/results.py)."""

from __future__ import annotations

import argparse
import math
import statistics
import threading
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
from dangan.ocr import columns, results
from dangan.ocr.ocr_input import NAMESPACE as DANGAN
from dangan.ocr.recognizers import Recognizer
from ocrmypdf import hookimpl
from ocrmypdf.exceptions import BadArgsError
from ocrmypdf.hocrtransform import BoundingBox, OcrClass, OcrElement
from ocrmypdf.pluginspec import OcrEngine, OrientationConfidence
from PIL import Image, ImageDraw, ImageFont
from pydantic import BaseModel, Field, ValidationError, field_validator

from dangan.fonts import cjk_font
from dangan.ocr_models import (
    DEFAULT_MODEL,
    DEFAULT_RUNTIME,
    LABELS,
    MODELS,
    RUNTIME_LABELS,
    RUNTIMES,
)
from dangan.ocr_steps import Step
from dangan.text import chinese_punctuation, normalize_text

NAMESPACE = "rapidocr"  # options.rapidocr.threads; keyword rapidocr_threads

_idle: dict[tuple, list] = {}  # (model, runtime, threads) -> recognizers not in use
_idle_lock = threading.Lock()


@contextmanager
def _recognizer(threads: int = 0, model: str = DEFAULT_MODEL, runtime: str = DEFAULT_RUNTIME):
    """A recognizer for this thread alone (RapidOCR keeps per-call state on the
    detector), taken from those loaded earlier in this process when one is free:
    loading the models and the runtime's first run cost a second or more.
    `threads`: threads per page (0: the runtime's default)."""
    key = (model, runtime, threads)
    with _idle_lock:
        free = _idle.setdefault(key, [])
        engine = free.pop() if free else None
    if engine is None:
        # loads the runtime and the models: only once OCR is wanted
        engine = Recognizer(model, runtime, threads)
    try:
        yield engine
    finally:
        with _idle_lock:
            _idle[key].append(engine)


def warm_up(threads: int = 0, model: str = DEFAULT_MODEL, runtime: str = DEFAULT_RUNTIME) -> None:
    """Load the models and run them once on a made-up page, so that the first
    real page does not pay the runtime's first-run cost."""
    page = Image.new("RGB", (1240, 1754), "white")
    draw = ImageDraw.Draw(page)
    # without a CJK font, Latin only: still loads and runs the models
    font = cjk_font(48) or ImageFont.load_default(48)
    for row in range(6):
        draw.text((120, 160 + row * 90), "医疗保险参保登记表 2026 年", fill="black", font=font)
    read_page(page, orient=True, threads=threads, model=model, runtime=runtime)


FEW_BOXES = 5  # fewer boxes read than this: find the page's boxes unread to orient it


def _skew(quads) -> float:
    """The page's skew in radians: the median slope of the top edges of boxes
    that are clearly wider than tall (text lines, not single characters)."""
    angles = []
    for q in quads:
        (x0, y0), (x1, y1) = q[0], q[1]
        width, height = math.dist(q[0], q[1]), math.dist(q[1], q[2])
        if width > 3 * height:
            angles.append(math.atan2(y1 - y0, x1 - x0))
    return statistics.median(angles) if angles else 0.0


def group_lines(items: list[tuple[list, str]]) -> list[list[tuple]]:
    """Text boxes (quad, text) in reading order: lines top to bottom, boxes left
    to right, as (left, top, right, bottom, text); two columns of running text
    one after the other. Positions are first turned by
    the page's skew, so the cells of one table row stay one line on a scan fed
    in at an angle."""
    if not items:
        return []
    angle = _skew([q for q, _ in items])
    cos, sin = math.cos(angle), math.sin(angle)
    boxes = []
    for quad, text in items:
        xs = [p[0] for p in quad]
        ys = [p[1] for p in quad]
        cx, cy = sum(xs) / 4, sum(ys) / 4
        boxes.append(
            {
                "u": cx * cos + cy * sin,  # along the line
                "v": cy * cos - cx * sin,  # across lines
                "h": max(ys) - min(ys),
                "box": (min(xs), min(ys), max(xs), max(ys), text),
            }
        )
    tolerance = 0.5 * statistics.median(b["h"] for b in boxes)
    lines: list[list[dict]] = []
    # a page in two columns of running text is read column by column (ocr/columns.py)
    for block in columns.reading_blocks(boxes):
        rows: list[list[dict]] = []
        for b in sorted(block, key=lambda b: b["v"]):
            if rows and abs(b["v"] - statistics.fmean(x["v"] for x in rows[-1])) <= tolerance:
                rows[-1].append(b)
            else:
                rows.append([b])
        lines += rows
    return [[b["box"] for b in sorted(line, key=lambda b: b["u"])] for line in lines]


def _side(q) -> tuple[float, float]:
    """(width, height) of a detected box: along its top edge and down its side."""
    return math.dist(q[0], q[1]), math.dist(q[1], q[2])


def _labels(engine, image, quads, count: int = 15) -> list[str]:
    """The 0/180 classifier's confident labels for the `count` largest boxes,
    cropped as RapidOCR crops them (a box at least 1.5 times taller than wide is
    turned a quarter counter-clockwise first)."""

    def area(q):
        width, height = _side(q)
        return width * height

    largest = sorted(quads, key=area, reverse=True)[:count]
    return [label for label, score in engine.line_labels(image, largest) if score > 0.8]


def page_turn(engine, image, quads) -> int:
    """How far the page must be turned counter-clockwise to read upright: 0, 90,
    180 or 270. The text lines of a page fed in sideways are boxes taller than
    wide; the line classifier tells which way up lines read."""
    tall = [q for q in quads if _side(q)[1] > 1.5 * _side(q)[0]]
    wide = sum(1 for q in quads if _side(q)[0] > 1.5 * _side(q)[1])
    if len(tall) >= 3 and len(tall) > wide:
        labels = _labels(engine, image, tall)
        # a tall crop that reads upright once turned counter-clockwise: the page
        # lies turned clockwise and is turned back counter-clockwise
        return 90 if labels.count("0") >= labels.count("180") else 270
    labels = _labels(engine, image, quads)
    return 180 if labels and labels.count("180") > len(labels) / 2 else 0


def _turn(image, ccw: int):
    return np.ascontiguousarray(np.rot90(image, k=ccw // 90))


def box_back(box: tuple, ccw: int, width: int, height: int) -> tuple:
    """A box (left, top, right, bottom, text) on the page turned `ccw` degrees
    counter-clockwise, put back on the page as scanned (`width` x `height`)."""
    left, top, right, bottom, text = box
    if ccw == 90:  # upright (x, y) lies at (width - y, x) on the scan
        return (width - bottom, left, width - top, right, text)
    if ccw == 270:  # upright (x, y) lies at (y, height - x) on the scan
        return (top, height - right, bottom, height - left, text)
    if ccw == 180:
        return (width - right, height - bottom, width - left, height - top, text)
    return box


@dataclass(frozen=True)
class Reading:
    lines: list[list[tuple]]  # reading-ordered boxes (left, top, right, bottom, text)
    angle: int = 0  # direction the text runs on the scan, degrees counter-clockwise


def read_page(
    image: Image.Image,
    orient: bool = True,
    threads: int = 0,
    model: str = DEFAULT_MODEL,
    runtime: str = DEFAULT_RUNTIME,
) -> Reading:
    """The text lines of a page image, boxes in the image's own coordinates.
    With `orient`, a page fed in sideways or upside down is read turned upright.
    `threads`: threads per page (0: the runtime's default); `model` and
    `runtime`: ocr/recognizers.py."""
    with _recognizer(threads, model, runtime) as engine:
        bgr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])
        items = engine.read(bgr)
        quads = [q for q, _ in items]
        if orient and len(quads) < FEW_BOXES:
            # upside down (or sideways the wrong way), lines read as nothing
            # without the line classifier: the boxes found tell the way up
            quads = engine.find_boxes(bgr)
        ccw = page_turn(engine, bgr, quads) if orient and quads else 0
        if not ccw:
            return Reading(group_lines(items))
        # Read the page turned upright, then put the boxes back where they are.
        height, width = bgr.shape[:2]
        upright = engine.read(_turn(bgr, ccw))
    lines = [[box_back(box, ccw, width, height) for box in line] for line in group_lines(upright)]
    return Reading(lines, (360 - ccw) % 360)


def recognise(
    image: Image.Image,
    orient: bool = True,
    model: str = DEFAULT_MODEL,
    runtime: str = DEFAULT_RUNTIME,
) -> list[list[tuple]]:
    """Reading-ordered lines of boxes (left, top, right, bottom, text) in the
    image's own coordinates."""
    return read_page(image, orient, model=model, runtime=runtime).lines


def page_element(
    lines: list[list[tuple]], size: tuple[int, int], dpi: float, page_no: int, angle: int = 0
):
    page = OcrElement(
        ocr_class=OcrClass.PAGE,
        bbox=BoundingBox(left=0, top=0, right=size[0], bottom=size[1]),
        dpi=dpi,
        page_number=page_no,
    )
    for boxes in lines:
        line = OcrElement(
            ocr_class=OcrClass.LINE,
            bbox=BoundingBox(
                left=min(b[0] for b in boxes),
                top=min(b[1] for b in boxes),
                right=max(b[2] for b in boxes),
                bottom=max(b[3] for b in boxes),
            ),
            textangle=float(angle) if angle else None,
        )
        for left, top, right, bottom, text in boxes:
            line.children.append(
                OcrElement(
                    ocr_class=OcrClass.WORD,
                    bbox=BoundingBox(left=left, top=top, right=right, bottom=bottom),
                    # the text layer in the forms the page text has (dangan/text.py)
                    text=chinese_punctuation(text),
                )
            )
        page.children.append(line)
    return page


def _all_white(image: Image.Image) -> bool:
    extrema = image.getextrema()
    if isinstance(extrema[0], tuple):
        return all(low == 255 for low, _ in extrema)
    return extrema[0] == 255


def read_seals(
    strips: list, threads: int = 0, model: str = DEFAULT_MODEL, runtime: str = DEFAULT_RUNTIME
) -> list[str]:
    """The text round each seal (盖章单位), from its straightened image
    (ocr/seals.py unwrap; a path or an image), one line each."""
    texts = []
    for strip in strips:
        with Image.open(strip) if isinstance(strip, Path) else nullcontext(strip) as image:
            rgb = image.convert("RGB")
            lines = read_page(
                rgb, orient=False, threads=threads, model=model, runtime=runtime
            ).lines
        text = normalize_text("".join(b[4] for line in lines for b in line))
        if text:
            texts.append(text)
    return texts


def lines_text(lines: list[list[tuple]]) -> str:
    return "\n".join(" ".join(b[4] for b in boxes) for boxes in lines)


class RapidOcrEngine(OcrEngine):
    @staticmethod
    def version() -> str:
        return _version(DEFAULT_MODEL, DEFAULT_RUNTIME)

    @staticmethod
    def creator_tag(options) -> str:
        ours = getattr(options, NAMESPACE, None) if options is not None else None
        model = ours.model if ours is not None else DEFAULT_MODEL
        runtime = ours.runtime if ours is not None else DEFAULT_RUNTIME
        return f"RapidOCR {_version(model, runtime)} ({LABELS[model]}, {RUNTIME_LABELS[runtime]})"

    def __str__(self) -> str:
        return self.creator_tag(None)

    @staticmethod
    def languages(options) -> set[str]:
        # One model reads simplified and traditional Chinese, Latin letters and digits.
        return {"chi_sim", "chi_tra", "eng"}

    @staticmethod
    def get_orientation(input_file: Path, options) -> OrientationConfidence:
        # not offered: read_page() reads turned pages itself (step `orient`)
        return OrientationConfidence(angle=0, confidence=0.0)

    @staticmethod
    def get_deskew(input_file: Path, options) -> float:
        return 0.0

    @staticmethod
    def supports_generate_ocr() -> bool:
        return True

    @staticmethod
    def generate_ocr(input_file: Path, options, page_number: int = 0):
        ours = getattr(options, DANGAN)
        orient = Step.ORIENT in ours.steps
        mine = getattr(options, NAMESPACE)
        with Image.open(input_file) as image:
            dpi = image.info.get("dpi", (300, 300))
            dpi = float(dpi[0] if isinstance(dpi, tuple) else dpi)
            size = image.size
            if _all_white(image):
                reading = Reading([])  # a blank page (ocr/ocr_input.py): nothing to read
            else:
                reading = read_page(image, orient, mine.threads, mine.model, mine.runtime)
        if ours.results is not None and reading.angle:
            results.append(ours.results, page_number + 1, turn=reading.angle)
        if ours.results is not None:
            strips = results.seal_images(ours.results, page_number + 1)
            if texts := read_seals(strips, mine.threads, mine.model, mine.runtime):
                results.append(ours.results, page_number + 1, seals=texts)
        return (
            page_element(reading.lines, size, dpi, page_number, reading.angle),
            lines_text(reading.lines),
        )

    @staticmethod
    def generate_hocr(input_file: Path, output_hocr: Path, output_text: Path, options) -> None:
        raise NotImplementedError("RapidOCR gives OcrElement trees (generate_ocr)")

    @staticmethod
    def generate_pdf(input_file: Path, output_pdf: Path, output_text: Path, options) -> None:
        raise NotImplementedError("RapidOCR gives OcrElement trees (generate_ocr)")


class RapidOcrOptions(BaseModel):
    """This plugin's OCRmyPDF options (namespace `rapidocr`)."""

    threads: int = Field(default=0, ge=0)  # threads per page; 0: the runtime's default
    model: str = DEFAULT_MODEL  # ocr/recognizers.py MODELS
    runtime: str = DEFAULT_RUNTIME  # ocr/recognizers.py RUNTIMES

    @field_validator("model")
    @classmethod
    def _known_model(cls, value: str) -> str:
        if value not in MODELS:
            raise ValueError(value)
        return value

    @field_validator("runtime")
    @classmethod
    def _known_runtime(cls, value: str) -> str:
        if value not in RUNTIMES:
            raise ValueError(value)
        return value


@hookimpl
def register_options():
    return {NAMESPACE: RapidOcrOptions}


@hookimpl
def add_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("RapidOCR", "dangan's RapidOCR engine")
    group.add_argument(
        "--rapidocr-threads",
        dest="rapidocr_threads",
        type=int,
        metavar="N",
        help="threads per page (0: the runtime's default)",
    )
    group.add_argument("--rapidocr-model", dest="rapidocr_model", choices=MODELS)
    group.add_argument("--rapidocr-runtime", dest="rapidocr_runtime", choices=RUNTIMES)


@hookimpl
def check_options(options) -> None:
    try:
        getattr(options, NAMESPACE)
    except ValidationError:
        raise BadArgsError(
            "OCRmyPDF 的 RapidOCR 选项无效：--rapidocr-threads 须是不小于 0 的整数，"
            f"--rapidocr-model 可用 {'、'.join(MODELS)}，"
            f"--rapidocr-runtime 可用 {'、'.join(RUNTIMES)}。"
        ) from None
    try:
        getattr(options, DANGAN)
    except AttributeError:
        raise BadArgsError(
            "插件 dangan.ocr.rapid 须与 dangan.ocr.ocr_input 一同加载（读取其选项）。"
        ) from None


def _version(model: str, runtime: str) -> str:
    legacy = model == "ppocr-v4" and runtime == "onnxruntime"
    try:
        return metadata.version("rapidocr-onnxruntime" if legacy else "rapidocr")
    except metadata.PackageNotFoundError:
        return "?"


@hookimpl
def get_ocr_engine(options):
    return RapidOcrEngine()
