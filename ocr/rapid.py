"""An OCRmyPDF OCR-engine plugin for RapidOCR (PP-OCRv4 detection and recognition
models on ONNX Runtime, shipped inside the `rapidocr-onnxruntime` wheel: nothing
is downloaded at run time).

OCRmyPDF keeps doing everything around the recognition: rasterising, the
`filter_ocr_image` conditioning (ocr/ocr_input.py), the invisible text layer,
PDF/A. This module only turns a page image into text lines with boxes.
Loaded with `ocrmypdf --plugin ocr.rapid` (ocr/tesseract.py does it when
DANGAN_OCR_ENGINE=rapidocr)."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from ocrmypdf import hookimpl
from ocrmypdf.hocrtransform import BoundingBox, OcrClass, OcrElement
from ocrmypdf.pluginspec import OcrEngine, OrientationConfidence
from PIL import Image

from ocr.tesseract import RAPID_THREADS_ENV


@cache
def _recognizer():
    from rapidocr_onnxruntime import RapidOCR

    threads = int(os.environ.get(RAPID_THREADS_ENV, "0") or 0)
    kwargs = {"print_verbose": False}
    if threads > 0:
        kwargs |= {"intra_op_num_threads": threads, "inter_op_num_threads": 1}
    return RapidOCR(**kwargs)


def _skew(quads) -> float:
    """The page's skew in radians: the median slope of the top edges of boxes
    that are clearly wider than tall (text lines, not single characters)."""
    import math
    import statistics

    angles = []
    for q in quads:
        (x0, y0), (x1, y1) = q[0], q[1]
        width, height = math.dist(q[0], q[1]), math.dist(q[1], q[2])
        if width > 3 * height:
            angles.append(math.atan2(y1 - y0, x1 - x0))
    return statistics.median(angles) if angles else 0.0


def group_lines(items: list[tuple[list, str]]) -> list[list[tuple]]:
    """Text boxes (quad, text) in reading order: lines top to bottom, boxes left
    to right, as (left, top, right, bottom, text). Positions are first turned by
    the page's skew, so the cells of one table row stay one line on a scan fed
    in at an angle."""
    import math
    import statistics

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
    for b in sorted(boxes, key=lambda b: b["v"]):
        if lines and abs(b["v"] - statistics.fmean(x["v"] for x in lines[-1])) <= tolerance:
            lines[-1].append(b)
        else:
            lines.append([b])
    return [[b["box"] for b in sorted(line, key=lambda b: b["u"])] for line in lines]


def _upside_down(engine, image, quads) -> bool:
    """Whether most text lines read upside down (RapidOCR's 0/180 classifier on
    the largest boxes): a page fed in head first."""
    import numpy as np

    def area(q):
        return abs((q[1][0] - q[0][0]) * (q[2][1] - q[1][1]))

    largest = sorted(quads, key=area, reverse=True)[:15]
    crops = engine.get_crop_img_list(image, np.array(largest, dtype=np.float32))
    _, labels, _ = engine.text_cls(crops)
    flipped = sum(1 for label, score in labels if label == "180" and score > 0.8)
    return flipped > len(labels) / 2


def recognise(image: Image.Image) -> list[list[tuple]]:
    """Reading-ordered lines of boxes (left, top, right, bottom, text) in the
    image's own coordinates."""
    import numpy as np

    engine = _recognizer()
    bgr = np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1])
    result, _ = engine(bgr)
    items = [(q, t.strip()) for q, t, _ in result or [] if t.strip()]
    if items and _upside_down(engine, bgr, [q for q, _ in items]):
        # Read the page turned upright, then put the boxes back where they are.
        height, width = bgr.shape[:2]
        result, _ = engine(np.ascontiguousarray(bgr[::-1, ::-1]))
        upright = [(q, t.strip()) for q, t, _ in result or [] if t.strip()]
        return [
            [(width - r, height - b, width - x, height - y, text) for x, y, r, b, text in line]
            for line in group_lines(upright)
        ]
    return group_lines(items)


def page_element(lines: list[list[tuple]], size: tuple[int, int], dpi: float, page_no: int):
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
        )
        for left, top, right, bottom, text in boxes:
            line.children.append(
                OcrElement(
                    ocr_class=OcrClass.WORD,
                    bbox=BoundingBox(left=left, top=top, right=right, bottom=bottom),
                    text=text,
                )
            )
        page.children.append(line)
    return page


def lines_text(lines: list[list[tuple]]) -> str:
    return "\n".join(" ".join(b[4] for b in boxes) for boxes in lines)


class RapidOcrEngine(OcrEngine):
    @staticmethod
    def version() -> str:
        from importlib.metadata import version

        return version("rapidocr-onnxruntime")

    @staticmethod
    def creator_tag(options) -> str:
        return f"RapidOCR {RapidOcrEngine.version()} (PP-OCRv4)"

    def __str__(self) -> str:
        return self.creator_tag(None)

    @staticmethod
    def languages(options) -> set[str]:
        # One model reads simplified and traditional Chinese, Latin letters and digits.
        return {"chi_sim", "chi_tra", "eng"}

    @staticmethod
    def get_orientation(input_file: Path, options) -> OrientationConfidence:
        # not offered: recognise() reads 180°-turned pages itself (README: DANGAN_OCR_PREPROCESS)
        return OrientationConfidence(angle=0, confidence=0.0)

    @staticmethod
    def get_deskew(input_file: Path, options) -> float:
        return 0.0

    @staticmethod
    def supports_generate_ocr() -> bool:
        return True

    @staticmethod
    def generate_ocr(input_file: Path, options, page_number: int = 0):
        with Image.open(input_file) as image:
            dpi = image.info.get("dpi", (300, 300))
            dpi = float(dpi[0] if isinstance(dpi, tuple) else dpi)
            size = image.size
            lines = recognise(image)
        return page_element(lines, size, dpi, page_number), lines_text(lines)

    @staticmethod
    def generate_hocr(input_file: Path, output_hocr: Path, output_text: Path, options) -> None:
        raise NotImplementedError("RapidOCR gives OcrElement trees (generate_ocr)")

    @staticmethod
    def generate_pdf(input_file: Path, output_pdf: Path, output_text: Path, options) -> None:
        raise NotImplementedError("RapidOCR gives OcrElement trees (generate_ocr)")


@hookimpl
def get_ocr_engine(options):
    return RapidOcrEngine()
