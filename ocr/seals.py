"""Red seals (公章, 业务专用章) found on a page, so that only they are faded from
the OCR input and red or white-on-red printed text elsewhere stays readable.

A seal is a red mark of a seal's size (SEAL_MM across) whose outline is a
circle or an oval: red ink (clearly more red than green and blue) is found on a
copy of about DETECT_DPI, strokes closed into one shape, and each shape whose
outer contour lies on the ellipse fitted to it (every point within a few per
cent of the ellipse's radius) and whose rim is inked nearly all the way round
is a seal. A red banner or a line of red text is a rectangle, a red heading a
ragged run of characters: neither fits an ellipse, and both are left as they
are.

`unwrap` straightens the text round a seal's edge (the name of the unit that
stamped it, 盖章单位) for the recogniser.

`fade` turns a colour page grey: through the red channel inside the seals,
brightened until the seal's ink is the paper's grey (black text under the seal
stays dark) and by luminance everywhere else (red print stays dark on white,
white text stays white on a dark red ground)."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

SEAL_MM = (15.0, 65.0)  # smallest and largest seal diameter (round and oval seals)
DETECT_DPI = 50  # resolution seals are looked for at
REDNESS = 40  # red minus the larger of green and blue, for a pixel to be red ink
FIT_TOLERANCE = 0.08  # contour points within this share of the radius of the ellipse
RIM_COVERAGE = 0.7  # share of the directions from the centre in which the rim is inked
MARGIN = 0.06  # the faded region reaches this share of the radius beyond the ellipse
INK_REDNESS = 60  # redness of the seal pixels whose red level sets the fading gain
MIN_INK_PIXELS = 50  # fewer clearly red pixels than this: the red channel as it is
BLACK_PRINT = 70  # luminance below which a pixel under a seal is black print
MIN_INK_LEVEL = 120.0  # the gain never exceeds 255 / this (dark red ink, dim scans)


@dataclass(frozen=True)
class Seal:
    """An ellipse in page pixels: centre, full axes (width, height) and angle
    in degrees, as cv2.fitEllipse gives it."""

    cx: float
    cy: float
    width: float
    height: float
    angle: float

    @property
    def diameter(self) -> float:
        return max(self.width, self.height)

    def scaled(self, factor: float) -> Seal:
        return Seal(
            self.cx * factor,
            self.cy * factor,
            self.width * factor,
            self.height * factor,
            self.angle,
        )


def redness(rgb: np.ndarray) -> np.ndarray:
    """How much redder than green and blue each pixel is (int16)."""
    r = rgb[:, :, 0].astype(np.int16)
    return r - np.maximum(rgb[:, :, 1], rgb[:, :, 2]).astype(np.int16)


def _fits_ellipse(contour: np.ndarray, ellipse) -> bool:
    (cx, cy), (w, h), angle = ellipse
    if min(w, h) <= 0:
        return False
    theta = np.radians(angle)
    pts = contour.reshape(-1, 2).astype(np.float64) - (cx, cy)
    u = pts[:, 0] * np.cos(theta) + pts[:, 1] * np.sin(theta)
    v = -pts[:, 0] * np.sin(theta) + pts[:, 1] * np.cos(theta)
    radius = np.sqrt((u / (w / 2)) ** 2 + (v / (h / 2)) ** 2)
    off = np.abs(radius - 1.0)
    return float(np.median(off)) < FIT_TOLERANCE / 2 and float(np.quantile(off, 0.9)) < (
        FIT_TOLERANCE
    )


def _rim_inked(red: np.ndarray, ellipse) -> bool:
    """Whether red ink lies near the ellipse in at least RIM_COVERAGE of 72
    directions from its centre (a seal's ring, or its text round the edge)."""
    (cx, cy), (w, h), angle = ellipse
    ys, xs = np.nonzero(red)
    if xs.size == 0:
        return False
    theta = np.radians(angle)
    dx, dy = xs - cx, ys - cy
    u = dx * np.cos(theta) + dy * np.sin(theta)
    v = -dx * np.sin(theta) + dy * np.cos(theta)
    radius = np.sqrt((u / (w / 2)) ** 2 + (v / (h / 2)) ** 2)
    near = (radius > 0.75) & (radius < 1.1)
    bins = np.unique((np.degrees(np.arctan2(v[near], u[near])) // 5).astype(int))
    return bins.size >= RIM_COVERAGE * 72


def find_seals(rgb: np.ndarray, dpi: float) -> list[Seal]:
    """The round and oval red seals on a colour page (RGB uint8), `dpi` being
    the pixels per inch the page really has."""
    factor = max(1, round(dpi / DETECT_DPI))
    height, width = rgb.shape[:2]
    small = cv2.resize(
        rgb, (max(1, width // factor), max(1, height // factor)), interpolation=cv2.INTER_AREA
    )
    sdpi = dpi / factor
    red = (redness(small) > REDNESS).astype(np.uint8)
    if not red.any():
        return []
    px_mm = sdpi / 25.4
    close = max(3, round(1.5 * px_mm) | 1)
    shapes = cv2.morphologyEx(
        red, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (close, close))
    )
    contours, _ = cv2.findContours(shapes, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
    seals = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        if max(w, h) < SEAL_MM[0] * px_mm or min(w, h) > 2 * SEAL_MM[1] * px_mm:
            continue
        ellipse = cv2.fitEllipse(contour) if len(contour) >= 12 else None
        lone = (
            max(w, h) <= SEAL_MM[1] * px_mm
            and min(w, h) >= 0.5 * max(w, h)
            and ellipse is not None
            and _fits_ellipse(contour, ellipse)
        )
        found = [ellipse] if lone else _touching_circles(contour, (x, y, w, h), px_mm)
        for (cx, cy), (ew, eh), angle in found:
            if _rim_inked(red, ((cx, cy), (ew, eh), angle)):
                seals.append(Seal(cx, cy, ew, eh, angle).scaled(factor))
    return seals


def _touching_circles(contour: np.ndarray, box: tuple, px_mm: float) -> list:
    """Round seals stamped so close that their ink runs into one shape (two
    seals side by side, a seal over a red line): the circles in the shape's
    outline (OpenCV's HoughCircles), as ellipses."""
    x, y, w, h = box
    pad = 4
    shape = np.zeros((h + 2 * pad, w + 2 * pad), np.uint8)
    cv2.drawContours(shape, [contour - (x - pad, y - pad)], -1, 255, thickness=-1)
    low, high = (round(d * px_mm / 2) for d in SEAL_MM)
    circles = cv2.HoughCircles(
        cv2.GaussianBlur(shape, (5, 5), 1.5),
        cv2.HOUGH_GRADIENT_ALT,
        dp=1,
        minDist=low,
        param1=100,
        param2=0.75,
        minRadius=low,
        maxRadius=high,
    )
    if circles is None:
        return []
    return [((cx + x - pad, cy + y - pad), (2 * r, 2 * r), 0.0) for cx, cy, r in circles[0]]


def seal_region(shape: tuple[int, int], seals: list[Seal]) -> np.ndarray:
    """True inside the seals (each a little enlarged), on a page of `shape`."""
    mask = np.zeros(shape[:2], np.uint8)
    for s in seals:
        grow = 1.0 + 2 * MARGIN
        cv2.ellipse(
            mask,
            ((s.cx, s.cy), (s.width * grow, s.height * grow), s.angle),
            1,
            thickness=-1,
        )
    return mask.astype(bool)


def _ring_free_red(rgb: np.ndarray, grey: np.ndarray, red_ink: np.ndarray) -> np.ndarray:
    """The red channel without the dark rim JPEG leaves inside red strokes: its
    halved chroma makes a stroke's edge pixels less red but keeps their
    luminance, so their red channel dips (a recogniser reads those outlines).
    Next to red ink, a pixel that is not black takes the brightest red level
    round it; black print (dark in luminance) keeps its own."""
    red = rgb[:, :, 0]
    near_ink = cv2.dilate((red_ink > REDNESS).astype(np.uint8), np.ones((3, 3), np.uint8))
    lifted = cv2.dilate(red, np.ones((3, 3), np.uint8))
    use = near_ink.astype(bool) & (grey > BLACK_PRINT)
    return np.where(use, lifted, red)


def fade(rgb: np.ndarray, seals: list[Seal]) -> np.ndarray:
    """The page grey (uint8): luminance, and inside each of `seals` the red
    channel brightened so that the seal's own ink reaches the paper's grey.

    In the red channel red ink is only nearly as bright as the paper (about
    200 against 240 on a scan), and a recogniser still reads that faint trace
    (业务专用章 in the page text). So each seal's red channel is scaled by
    255 / the median red level of its clearly red ink, capped at the paper's
    grey: the ink becomes paper, while black print under the seal, dark in
    every channel, stays dark."""
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if not seals:
        return grey
    red_ink = redness(rgb)
    red_channel = _ring_free_red(rgb, grey, red_ink)
    paper = float(np.percentile(grey, 90))  # the faded seal takes the paper's grey
    for s in seals:
        inside = seal_region(grey.shape, [s])
        ink = inside & (red_ink > INK_REDNESS)
        level = float(np.median(red_channel[ink])) if ink.sum() >= MIN_INK_PIXELS else 255.0
        gain = 255.0 / max(level, MIN_INK_LEVEL)
        brightened = np.minimum(red_channel[inside].astype(np.float32) * gain, paper)
        grey[inside] = brightened.astype(np.uint8)
    return grey


TEXT_BAND = (0.6, 0.98)  # share of the radius the text round a seal's edge lies between
BOTTOM_GAP = 45  # degrees either side of 6 o'clock left out (the seal's bottom line)


def unwrap(rgb: np.ndarray, seal: Seal) -> np.ndarray:
    """The text round the top of `seal` as a straight line (grey, dark on white):
    the seal's red ink alone (black print under it left out), unrolled by
    OpenCV's warpPolar so that the characters stand upright side by side, the
    gap at the bottom of the seal at both ends."""
    ink = np.clip((redness(rgb).astype(np.float32) - 20) * 4, 0, 255).astype(np.uint8)
    radius = (seal.width + seal.height) / 4
    count = max(64, round(2 * np.pi * radius * 0.75))  # pixels round the circle
    polar = cv2.warpPolar(
        ink,
        (round(radius), count),
        (seal.cx, seal.cy),
        radius,
        cv2.INTER_LINEAR + cv2.WARP_POLAR_LINEAR,
    )
    strip = np.rot90(polar)  # columns: clockwise from 3 o'clock; rows: outside first
    strip = np.roll(strip, -count // 4, axis=1)  # start at 6 o'clock
    top, bottom = (round(radius * (1 - f)) for f in TEXT_BAND[::-1])
    gap = round(count * BOTTOM_GAP / 360)
    return np.ascontiguousarray(255 - strip[top:bottom, gap : count - gap])
