"""Page conditioning for the OCR input, on whole numpy arrays (OpenCV).

- `border_mask`: dark scanner bands along the edges (the lid or the feeder
  seen around the sheet), found on a ~50 dpi copy as dark runs that start at an
  edge, smoothed along the edge so a table rule touching a band is not taken
  for it;
- `ink_area`: how much of the page is ink in marks larger than dust specks,
  at ~100 dpi against the local paper brightness (a blank page, an empty back
  with the front showing through faintly, has none); binding holes (dark round
  spots of a punch's size near an edge: the scanner lid seen through the
  sheet) are not ink;
- `denoise`: a light Gaussian blur (sigma 0.8 px at 200 dpi) against grain and
  JPEG artefacts, not on a bilevel (1-bit) page; `python -m bench.ocr_bench
  --study denoise` compared it with a 3x3 median, a bilateral filter and
  non-local means (docs/status.md);
- `pixel_dpi`: the resolution sizes in pixels are worked out at: the declared
  DPI unless it is implausible for the pixels (a 2400-dpi declaration on a
  page of ordinary pixels), then one from the width of the ink strokes.

Only the OCR input is changed this way (ocr/ocr_input.py); the archival page
keeps its original appearance."""

from __future__ import annotations

import cv2
import numpy as np

BORDER_DPI = 50  # resolution the border search works at
BORDER_DARK = 128  # grey level below which a pixel can belong to a scanner band
BORDER_MAX = 0.2  # a band wider than this share of the page is not a band
BLANK_DPI = 100  # resolution the ink measure works at
INK_CONTRAST = 60  # how much darker than the paper around it ink is
SPECK_AREA_MM2 = 1.0  # marks smaller than this are dust, not writing
BLANK_INK_MM2 = 8.0  # less ink than this (about one small character) is a blank page
EDGE_IGNORE = 0.02  # share of each edge left out of the ink measure
HOLE_MM = (3.5, 9.0)  # binding holes: diameters from small punches to 8 mm ones
HOLE_EDGE_MM = 30.0  # a binding hole's centre lies this close to an edge at most


def _factor(dpi: float, target: int) -> int:
    return max(1, round(dpi / target))


def _running_median(values: np.ndarray, window: int) -> np.ndarray:
    if window < 3 or values.size < window:
        return values
    half = window // 2
    padded = np.pad(values, half, mode="edge")
    views = np.lib.stride_tricks.sliding_window_view(padded, window)
    return np.median(views, axis=1)


def _edge_runs(dark: np.ndarray, longest: float) -> np.ndarray:
    """Per row: how many pixels from the left edge are dark without a break.
    A row dark for longer than `longest` crosses a band along the top or bottom
    edge (a corner) or a dark picture: it takes the run of the nearest row that
    does not."""
    runs = np.argmax(~dark, axis=1).astype(np.float32)
    runs[dark.all(axis=1)] = dark.shape[1]
    odd = runs > longest
    if odd.all():
        return np.zeros_like(runs)
    if odd.any():
        rows = np.arange(runs.size)
        runs[odd] = np.interp(rows[odd], rows[~odd], runs[~odd])
    return runs


def border_mask(grey: np.ndarray, dpi: float) -> np.ndarray:
    """True where a dark scanner band lies along one of the four edges."""
    f = _factor(dpi, BORDER_DPI)
    height, width = grey.shape
    small = cv2.resize(
        grey, (max(1, width // f), max(1, height // f)), interpolation=cv2.INTER_AREA
    )
    dark = (small < BORDER_DARK).astype(np.uint8)
    dark = cv2.morphologyEx(dark, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8)).astype(bool)
    mask = np.zeros_like(grey, dtype=bool)
    # each edge seen as "the left edge" of a turned view of the mask
    views = {
        "left": dark,
        "right": dark[:, ::-1],
        "top": dark.T,
        "bottom": dark[::-1, :].T,
    }
    for edge, view in views.items():
        along = view.shape[0]
        runs = _edge_runs(view, BORDER_MAX * view.shape[1])
        runs = _running_median(runs, max(3, (along // 25) | 1))
        if not runs.any():
            continue
        depth = np.where(runs > 0, (runs + 1) * f, 0).astype(np.int32)
        full = np.repeat(depth, f)
        size = height if edge in ("left", "right") else width
        full = np.pad(full, (0, max(0, size - full.size)), mode="edge")[:size]
        span = width if edge in ("left", "right") else height
        band = np.arange(span)[None, :] < full[:, None]
        if edge == "left":
            mask |= band
        elif edge == "right":
            mask |= band[:, ::-1]
        elif edge == "top":
            mask |= band.T
        else:
            mask |= band.T[::-1, :]
    return mask


def ink_area(grey: np.ndarray, dpi: float, *, band: np.ndarray | None = None) -> float:
    """Square millimetres of ink on the page in marks larger than a speck; dark
    scanner bands (`band`, found here when not given), binding holes and the
    outermost edges are left out."""
    f = _factor(dpi, BLANK_DPI)
    height, width = grey.shape
    size = (max(1, width // f), max(1, height // f))
    small = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    if band is None:
        band = border_mask(grey, dpi)
    band = cv2.resize(band.astype(np.uint8), size, interpolation=cv2.INTER_NEAREST).astype(bool)
    sdpi = dpi / f
    small[band | hole_mask(small, sdpi, band)] = 255
    # paper brightness around each pixel: the brightest value in a ~5 mm window
    k = max(3, round(5 / 25.4 * sdpi) | 1)
    paper = cv2.dilate(small, np.ones((k, k), np.uint8))
    ink = (paper.astype(np.int16) - small) > INK_CONTRAST
    ey, ex = round(EDGE_IGNORE * size[1]), round(EDGE_IGNORE * size[0])
    ink[:ey], ink[size[1] - ey :] = False, False
    ink[:, :ex], ink[:, size[0] - ex :] = False, False
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink.astype(np.uint8), connectivity=8)
    areas = stats[1:count, cv2.CC_STAT_AREA] * (25.4 / sdpi) ** 2
    return float(areas[areas >= SPECK_AREA_MM2].sum())


def hole_mask(grey: np.ndarray, dpi: float, band: np.ndarray | None = None) -> np.ndarray:
    """True on binding holes: solid dark spots of a punch's size whose centre
    lies near an edge of the page. Solid: what is left of the dark pixels after
    an opening with a disc wider than any pen stroke, so writing never counts.
    A hole that runs into a scanner band (`band`) is what lies outside it."""
    mm = 25.4 / dpi
    height, width = grey.shape
    dark = (grey < BORDER_DARK).astype(np.uint8)
    core = max(3, round(HOLE_MM[0] * 0.7 / mm) | 1)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (core, core))
    solid = cv2.morphologyEx(dark, cv2.MORPH_OPEN, disc)
    if band is not None:
        solid[band] = 0
    count, labels, stats, centres = cv2.connectedComponentsWithStats(solid, connectivity=8)
    holes = []
    for label in range(1, count):
        _, _, w, h, _ = stats[label]
        cx, cy = centres[label]
        edge = min(cx, cy, width - cx, height - cy) * mm
        if max(w, h) * mm <= HOLE_MM[1] and edge <= HOLE_EDGE_MM:
            holes.append(label)
    if not holes:
        return np.zeros(grey.shape, dtype=bool)
    # give back what the opening shaved off the spot, and its soft rim
    reach = core // 2 + max(1, round(0.5 / mm))
    grow = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * reach + 1, 2 * reach + 1))
    return cv2.dilate(np.isin(labels, holes).astype(np.uint8), grow) > 0


def is_blank(grey: np.ndarray, dpi: float, *, band: np.ndarray | None = None) -> bool:
    """A separator sheet or an empty back: less ink than one small character."""
    return ink_area(grey, dpi, band=band) < BLANK_INK_MM2


def is_bilevel(grey: np.ndarray) -> bool:
    """Whether the page is black and white only (a 1-bit scan: fax, CCITT,
    JBIG2), every other pixel looked at: BILEVEL of them pure black or white."""
    small = grey[::2, ::2]
    return bool(((small <= 10) | (small >= 245)).mean() >= BILEVEL)


BILEVEL = 0.995  # share of pure black and white pixels that makes a page bilevel


def stroke_width(grey: np.ndarray) -> float:
    """The median width in pixels of the ink strokes (twice the distance
    transform on the ridges of Otsu's ink), 0 without ink."""
    _, ink = cv2.threshold(grey, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    dist = cv2.distanceTransform(ink, cv2.DIST_L2, 3)
    ridge = (dist >= cv2.dilate(dist, np.ones((3, 3), np.uint8))) & (ink > 0)
    return 2 * float(np.median(dist[ridge])) if ridge.any() else 0.0


PLAUSIBLE_DPI = (50.0, 1200.0)  # scanning resolutions a declared DPI is believed in
SMALLEST_PAGE_MM = 30.0  # a declared DPI that makes the image a smaller page is not believed
STROKE_200 = 2.3  # median stroke width (px) of body text scanned at 200 dpi
CONTENT_DPI = (100.0, 600.0)  # bounds of a resolution estimated from the strokes


def pixel_dpi(grey: np.ndarray, declared: float) -> float:
    """The resolution the image's pixels really have, for every size measured
    in pixels (blur, seal and hole sizes): the declared DPI when it is a
    scanning resolution and makes the image a page of paper; else (a 2400-dpi
    declaration on a page of normal-sized pixels, a photo without one) what
    the width of the ink strokes says, as if body text."""
    height, width = grey.shape[:2]
    short_mm = min(height, width) / declared * 25.4 if declared else 0.0
    if PLAUSIBLE_DPI[0] <= declared <= PLAUSIBLE_DPI[1] and short_mm >= SMALLEST_PAGE_MM:
        return declared
    stroke = stroke_width(grey)
    if not stroke:
        return min(max(declared, CONTENT_DPI[0]), CONTENT_DPI[1])
    return min(max(200.0 * stroke / STROKE_200, CONTENT_DPI[0]), CONTENT_DPI[1])


DENOISERS = {
    "gauss": lambda a, dpi: cv2.GaussianBlur(a, (0, 0), 0.8 * dpi / 200),
    "median": lambda a, dpi: cv2.medianBlur(a, 3),
    "bilateral": lambda a, dpi: cv2.bilateralFilter(a, 5, 40, 5),
    "nlmeans": lambda a, dpi: cv2.fastNlMeansDenoising(a, None, 7, 7, 21),
}


def denoise(
    array: np.ndarray, dpi: float = 200.0, method: str = "gauss", grey: np.ndarray | None = None
) -> np.ndarray:
    """The page with grain smoothed (`method` from DENOISERS; the default won the
    benchmark), `dpi` being the resolution its pixels really have (pixel_dpi).
    A bilevel page (`is_bilevel` of `grey`, the page's grey view: a 1-bit
    scan) is left as it is: it has no grain, and the blur only thickens its
    hard strokes and closes the gaps between Latin words, which the recogniser
    then reads as one ("TheLinnSequencer")."""
    view = grey if grey is not None else array
    if view.ndim == 3:
        view = cv2.cvtColor(view, cv2.COLOR_RGB2GRAY)
    if is_bilevel(view):
        return array
    return DENOISERS[method](array, dpi)
