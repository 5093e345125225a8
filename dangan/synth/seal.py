"""Round red seals (公章 / 业务专用章): name around the edge, a star, text below.

The seal is drawn as an ink-coverage mask in [0, 1] with an uneven, slightly
patchy texture like a real rubber stamp; callers colour and blend it.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from PIL import Image, ImageDraw

from dangan.synth.fonts import FontFace, pil_font
from dangan.synth.model import SealSpec

SEAL_RED = (220, 30, 30)


def _star(cx: float, cy: float, outer: float) -> list[tuple[float, float]]:
    inner = outer * 0.382
    points = []
    for k in range(10):
        r = outer if k % 2 == 0 else inner
        a = math.radians(-90 + 36 * k)
        points.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return points


def seal_mask(
    spec: SealSpec, diameter_px: int, face: FontFace, seed: int, angle: float = 0.0
) -> np.ndarray:
    """Ink coverage (float32, 0..1) of a seal `diameter_px` wide, turned by `angle` degrees."""
    size = diameter_px + 6
    img = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(img)
    c = size / 2
    radius = diameter_px / 2
    ring = max(2, round(diameter_px * 0.035))
    draw.ellipse([c - radius, c - radius, c + radius, c + radius], outline=255, width=ring)
    draw.polygon(_star(c, c, radius * 0.3), fill=255)

    text = spec.text
    if text:
        max_span = math.radians(250)
        char_px = radius * 0.27
        r_text = radius - ring - char_px * 0.65
        if len(text) * char_px * 1.02 > r_text * max_span:
            char_px = r_text * max_span / (len(text) * 1.02)
            r_text = radius - ring - char_px * 0.65
        span = min(max_span, len(text) * char_px * 1.08 / r_text)
        font = pil_font(face, max(int(char_px), 6))
        glyph_size = int(char_px * 1.7) + 2
        for i, ch in enumerate(text):
            theta = -math.pi / 2 - span / 2 + span * (i + 0.5) / len(text)
            glyph = Image.new("L", (glyph_size, glyph_size), 0)
            ImageDraw.Draw(glyph).text(
                (glyph_size / 2, glyph_size / 2), ch, fill=255, font=font, anchor="mm"
            )
            glyph = glyph.rotate(
                -math.degrees(theta + math.pi / 2), resample=Image.Resampling.BICUBIC
            )
            gx = round(c + r_text * math.cos(theta) - glyph_size / 2)
            gy = round(c + r_text * math.sin(theta) - glyph_size / 2)
            img.paste(255, (gx, gy), mask=glyph)
    if spec.bottom:
        bottom_px = max(int(radius * 0.2), 6)
        font = pil_font(face, bottom_px)
        draw.text((c, c + radius * 0.58), spec.bottom, fill=255, font=font, anchor="mm")
    if angle:
        img = img.rotate(angle, resample=Image.Resampling.BICUBIC)

    mask = np.asarray(img, dtype=np.float32) / 255.0
    rng = np.random.default_rng(seed)
    # Uneven inking: a smooth field of pressure, plus small dropouts.
    pressure = rng.uniform(0.45, 1.0, (5, 5)).astype(np.float32)
    pressure = cv2.resize(pressure, (size, size), interpolation=cv2.INTER_CUBIC)
    mask *= np.clip(pressure + 0.15, 0.35, 1.0)
    dropouts = (rng.random((size, size), dtype=np.float32) > 0.06).astype(np.float32)
    mask *= cv2.GaussianBlur(dropouts, (0, 0), 0.8)
    return np.clip(mask, 0.0, 1.0)


def seal_rgba(
    spec: SealSpec, diameter_px: int, face: FontFace, seed: int, angle: float = 0.0
) -> Image.Image:
    """The seal as a red RGBA image (alpha = ink), for embedding in a PDF."""
    mask = seal_mask(spec, diameter_px, face, seed, angle)
    h, w = mask.shape
    rgba = np.empty((h, w, 4), dtype=np.uint8)
    rgba[..., :3] = SEAL_RED
    rgba[..., 3] = np.round(mask * 235).astype(np.uint8)
    return Image.fromarray(rgba, "RGBA")


def stamp(page: np.ndarray, mask: np.ndarray, cx: float, cy: float, opacity: float = 0.9) -> None:
    """Multiply-blend a red seal `mask` onto RGB uint8 `page` in place, centred at (cx, cy) px."""
    h, w = mask.shape
    x0, y0 = round(cx - w / 2), round(cy - h / 2)
    px0, py0 = max(x0, 0), max(y0, 0)
    px1, py1 = min(x0 + w, page.shape[1]), min(y0 + h, page.shape[0])
    if px1 <= px0 or py1 <= py0:
        return
    alpha = mask[py0 - y0 : py1 - y0, px0 - x0 : px1 - x0, None] * opacity
    red = np.asarray(SEAL_RED, dtype=np.float32) / 255.0
    region = page[py0:py1, px0:px1].astype(np.float32)
    region *= 1.0 - alpha * (1.0 - red)
    page[py0:py1, px0:px1] = np.clip(region + 0.5, 0, 255).astype(np.uint8)
