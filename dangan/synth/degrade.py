"""Make a clean page look scanned: skew, noise, blur, JPEG, light, borders, flips,
pages fed in sideways, empty backs with the front showing through, and binding
holes.

`degrade_page` returns the degraded image and a JSON-ready record of exactly
what was applied, which goes into the ground truth. All work is done with
numpy/OpenCV on whole arrays.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from PIL import Image

LEVELS = ("clean", "light", "medium", "heavy")
DEFAULT_ROTATE_PROB = 0.05
DEFAULT_SIDEWAYS_PROB = 0.0  # off by default: existing seeds keep their bytes
DEFAULT_HOLES_PROB = 0.0  # the same
EDGES = ("top", "bottom", "left", "right")


@dataclass(frozen=True)
class LevelSpec:
    """Ranges a degradation level draws from."""

    skew_min: float  # degrees, absolute
    skew_max: float
    noise_sigma: tuple[float, float]
    blur_sigma: tuple[float, float]
    jpeg_quality: tuple[int, int] | None
    brightness_amp: tuple[float, float]
    border_prob: float
    border_edges: tuple[int, int]
    border_mm: tuple[float, float]
    speckles: tuple[int, int]
    resample: tuple[float, float] | None  # scale factor down and back up


SPECS: dict[str, LevelSpec] = {
    "clean": LevelSpec(0, 0, (0, 0), (0, 0), None, (0, 0), 0.0, (0, 0), (0, 0), (0, 0), None),
    "light": LevelSpec(
        0.1, 0.5, (2, 4), (0, 0.4), (75, 85), (0.02, 0.05), 0.25, (1, 1), (2, 5), (0, 10), None
    ),
    "medium": LevelSpec(
        0.5, 1.5, (4, 8), (0.4, 0.8), (55, 75), (0.05, 0.10), 0.6, (1, 2), (3, 8), (10, 60), None
    ),
    "heavy": LevelSpec(
        1.5,
        3.0,
        (8, 14),
        (0.8, 1.3),
        (40, 55),
        (0.10, 0.20),
        0.9,
        (1, 4),
        (4, 12),
        (40, 200),
        (0.6, 0.8),
    ),
}


def _brightness_field(
    h: int, w: int, amp: float, rng: random.Random, gen: np.random.Generator
) -> np.ndarray:
    """A smooth multiplicative light field in [1 - amp, 1] (lamp falloff, paper shade)."""
    sh, sw = max(h // 16, 2), max(w // 16, 2)
    coarse = cv2.resize(
        gen.uniform(-1.0, 1.0, (4, 3)).astype(np.float32), (sw, sh), interpolation=cv2.INTER_CUBIC
    )
    angle = rng.uniform(0, 2 * math.pi)
    ys = np.linspace(-1.0, 1.0, sh, dtype=np.float32)[:, None]
    xs = np.linspace(-1.0, 1.0, sw, dtype=np.float32)[None, :]
    small = 0.5 * coarse + 0.5 * (math.cos(angle) * xs + math.sin(angle) * ys)
    small = 1.0 - amp * (0.5 + 0.5 * np.clip(small, -1.0, 1.0))
    return cv2.resize(small.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR)


def _skew(arr: np.ndarray, degrees: float) -> np.ndarray:
    h, w = arr.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(
        arr,
        matrix,
        (w, h),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(255, 255, 255),
    )


def _borders(
    arr: np.ndarray, spec: LevelSpec, rng: random.Random, dpi: int
) -> dict[str, Any] | None:
    if spec.border_prob <= 0 or rng.random() >= spec.border_prob:
        return None
    h, w = arr.shape[:2]
    edges = rng.sample(EDGES, rng.randint(*spec.border_edges))
    edges.sort(key=EDGES.index)
    shade = rng.randint(0, 90)
    widths: dict[str, list[int]] = {}
    px = dpi / 25.4
    for edge in edges:
        # Uneven band: its inner edge runs at a slight angle, like a skewed sheet.
        a = max(1, round(rng.uniform(*spec.border_mm) * px))
        b = max(1, round(rng.uniform(*spec.border_mm) * px))
        widths[edge] = [a, b]
        if edge == "top":
            poly = [(0, 0), (w, 0), (w, b), (0, a)]
        elif edge == "bottom":
            poly = [(0, h), (w, h), (w, h - b), (0, h - a)]
        elif edge == "left":
            poly = [(0, 0), (a, 0), (b, h), (0, h)]
        else:
            poly = [(w, 0), (w - a, 0), (w - b, h), (w, h)]
        cv2.fillPoly(arr, [np.array(poly, dtype=np.int32)], (shade, shade, shade))
    return {"edges": edges, "shade": shade, "width_px": widths}


def _speckles(arr: np.ndarray, count: int, rng: random.Random) -> None:
    h, w = arr.shape[:2]
    for _ in range(count):
        x, y = rng.randrange(w), rng.randrange(h)
        r = rng.choice((1, 1, 1, 2, 2, 3))
        g = rng.randint(20, 120)
        cv2.circle(arr, (x, y), r, (g, g, g), -1)


def jpeg_roundtrip(img: Image.Image, quality: int) -> Image.Image:
    """Encode as JPEG at `quality` and decode again (block artefacts, ringing)."""
    arr = cv2.cvtColor(np.asarray(img), cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(".jpg", arr, [cv2.IMWRITE_JPEG_QUALITY, int(quality)])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    out = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    return Image.fromarray(cv2.cvtColor(out, cv2.COLOR_BGR2RGB))


def empty_back(front: Image.Image, rng: random.Random) -> tuple[Image.Image, float]:
    """The empty back of `front` (a clean page): white paper, and in most cases the
    front's ink faintly showing through, mirrored. Returns the page and the
    show-through strength (0: a separator sheet)."""
    strength = 0.0 if rng.random() < 0.3 else round(rng.uniform(0.03, 0.10), 3)
    arr = np.asarray(front.convert("RGB"), dtype=np.float32)[:, ::-1]
    back = 255.0 - (255.0 - arr) * strength
    return Image.fromarray(np.clip(back, 0, 255).astype(np.uint8)), strength


def punch_holes(sheet: Image.Image, side: str, shade: int, dpi: int) -> Image.Image:
    """Two binding holes (ISO 838: 6 mm wide, 80 mm apart, centres 12 mm in from
    the edge) along `side` ("left" or "right"), as a scanner shows them: its lid
    seen through the paper, grey level `shade`."""
    arr = np.array(sheet.convert("RGB"))
    h, w = arr.shape[:2]
    px = dpi / 25.4
    x = round(12 * px) if side == "left" else w - round(12 * px)
    for dy in (-40, 40):
        cv2.circle(arr, (x, round(h / 2 + dy * px)), round(3 * px), (shade,) * 3, -1, cv2.LINE_AA)
    return Image.fromarray(arr)


def degrade_page(
    img: Image.Image,
    level: str,
    rng: random.Random,
    *,
    rotate_prob: float = DEFAULT_ROTATE_PROB,
    sideways_prob: float = DEFAULT_SIDEWAYS_PROB,
    dpi: int = 200,
    apply_jpeg: bool = True,
) -> tuple[Image.Image, dict[str, Any]]:
    """Degrade one RGB page; returns the image and what was applied.

    "clean" changes nothing (and never flips the page). With `apply_jpeg=False`
    the JPEG step is only chosen and recorded (`jpeg_quality`), so a caller that
    writes JPEG anyway can encode once at that quality. With `sideways_prob` > 0
    a page may also be turned a quarter (`info["sideways"]`: 90 or 270, degrees
    clockwise); at 0 no random number is drawn for it, so outputs stay as before.
    """
    if level not in SPECS:
        raise ValueError(f"unknown degradation level {level!r}; use one of {LEVELS}")
    spec = SPECS[level]
    info: dict[str, Any] = {
        "level": level,
        "skew_deg": 0.0,
        "rotated_180": False,
        "border": None,
        "noise_sigma": 0.0,
        "blur_sigma": 0.0,
        "brightness_amp": 0.0,
        "jpeg_quality": None,
        "speckles": 0,
        "resample": None,
    }
    if level == "clean":
        return img.convert("RGB"), info
    gen = np.random.default_rng(rng.getrandbits(64))
    arr = np.array(img.convert("RGB"))
    h, w = arr.shape[:2]

    if spec.resample is not None:
        factor = rng.uniform(*spec.resample)
        small = cv2.resize(
            arr, (round(w * factor), round(h * factor)), interpolation=cv2.INTER_AREA
        )
        arr = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        info["resample"] = round(factor, 3)

    sigma = rng.uniform(*spec.blur_sigma)
    if sigma >= 0.2:
        arr = cv2.GaussianBlur(arr, (0, 0), sigma)
        info["blur_sigma"] = round(sigma, 3)

    skew = rng.uniform(spec.skew_min, spec.skew_max) * rng.choice((-1, 1))
    if skew:
        arr = _skew(arr, skew)
        info["skew_deg"] = round(skew, 3)

    count = rng.randint(*spec.speckles)
    if count:
        _speckles(arr, count, rng)
        info["speckles"] = count

    info["border"] = _borders(arr, spec, rng, dpi)

    # Light and grain in one float pass (the slowest part, so done once).
    amp = rng.uniform(*spec.brightness_amp)
    noise = rng.uniform(*spec.noise_sigma)
    if amp > 0 or noise > 0:
        work = arr.astype(np.float32)
        if amp > 0:
            work *= _brightness_field(h, w, amp, rng, gen)[..., None]
            info["brightness_amp"] = round(amp, 4)
        if noise > 0:
            work += (gen.standard_normal((h, w), dtype=np.float32) * np.float32(noise))[..., None]
            info["noise_sigma"] = round(noise, 3)
        np.clip(work, 0, 255, out=work)
        arr = work.astype(np.uint8)

    if rng.random() < rotate_prob:
        arr = np.ascontiguousarray(arr[::-1, ::-1])
        info["rotated_180"] = True

    if sideways_prob > 0:
        info["sideways"] = 0
        if rng.random() < sideways_prob:
            clockwise = rng.choice((90, 270))
            arr = np.ascontiguousarray(np.rot90(arr, k=-clockwise // 90))
            info["sideways"] = clockwise

    out = Image.fromarray(arr)
    if spec.jpeg_quality is not None:
        quality = rng.randint(*spec.jpeg_quality)
        info["jpeg_quality"] = quality
        if apply_jpeg:
            out = jpeg_roundtrip(out, quality)
    return out, info
