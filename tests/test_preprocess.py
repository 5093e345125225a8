"""Preprocessing of the OCR input: dark scanner borders, blank pages, denoising;
the synthetic scans that exercise them (sideways pages, empty backs)."""

from __future__ import annotations

import random
from pathlib import Path

import cv2
import numpy as np
import pytest
from dangan.ocr.ocr_input import empty_like, prepare
from dangan.ocr.preprocess import border_mask, denoise, ink_area, is_blank
from PIL import Image, ImageDraw

from dangan.synth import generate_corpus, load_schedule
from dangan.synth.corpus import generate_document
from dangan.synth.degrade import degrade_page, empty_back
from dangan.synth.fonts import image_font_sets, pil_font

DPI = 200
A4 = (1654, 2339)  # A4 at 200 dpi


def _page(text_rows: int = 12) -> Image.Image:
    """White A4 with rows of Chinese text inside 20 mm margins and a table rule."""
    page = Image.new("RGB", A4, "white")
    draw = ImageDraw.Draw(page)
    font = pil_font(image_font_sets()[0].regular, 30)
    for row in range(text_rows):
        draw.text(
            (200, 250 + row * 60),
            "参保人员信息变更登记表 公民身份号码",
            font=font,
            fill=(24, 24, 24),
        )
    draw.line((160, 1200, 1494, 1200), fill=(24, 24, 24), width=3)
    return page


def _grey(image: Image.Image) -> np.ndarray:
    return np.asarray(image.convert("L")).copy()


def _with_bands(page: Image.Image, shade: int = 40) -> tuple[Image.Image, np.ndarray]:
    """The page with a slanted dark band on the left and one along the bottom
    (as a scanner lid leaves them), and the band pixels."""
    arr = np.array(page)
    width, height = page.size
    left = np.array([(0, 0), (70, 0), (40, height), (0, height)], np.int32)
    bottom = np.array([(0, height), (width, height), (width, height - 90), (0, height - 60)])
    band = np.zeros((height, width), np.uint8)
    for poly in (left, bottom):
        cv2.fillPoly(arr, [poly.astype(np.int32)], (shade, shade, shade))
        cv2.fillPoly(band, [poly.astype(np.int32)], 1)
    noise = np.random.default_rng(3).normal(0, 8, arr.shape[:2])[..., None]
    arr = np.clip(arr + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(arr), band.astype(bool)


def test_dark_scanner_bands_are_found_and_text_is_not():
    clean = _page()
    scanned, band = _with_bands(clean)
    mask = border_mask(_grey(scanned), DPI)
    assert mask[band].mean() > 0.97  # the bands, up to their slanted inner edge
    text = _grey(clean) < 128
    assert not (mask & text).any()  # not one pixel of writing or of the rule
    assert mask.mean() < band.mean() + 0.01  # and little paper beside the bands
    assert not border_mask(_grey(clean), DPI).any()  # no band, nothing found


def test_a_rule_touching_a_band_is_not_taken_for_it():
    clean = _page()
    draw = ImageDraw.Draw(clean)
    draw.line((0, 1500, 1654, 1500), fill=(20, 20, 20), width=4)  # runs into both edges
    scanned, band = _with_bands(clean)
    mask = border_mask(_grey(scanned), DPI)
    assert not mask[1500, 200:1400].any()
    assert mask[band].mean() > 0.97


def test_border_step_whitens_the_bands_in_the_ocr_input_only():
    scanned, band = _with_bands(_page())
    before = np.asarray(scanned).copy()
    out = np.asarray(prepare(scanned, {"border"}).image)
    assert out.shape == before.shape  # same size: OCR boxes stay on the page
    assert (out[band] > 200).mean() > 0.97
    assert np.array_equal(np.asarray(scanned), before)  # the page itself is untouched
    kept = np.asarray(prepare(scanned, {"seal"}).image)
    assert (kept[band] < 100).mean() > 0.9  # without the step the bands stay


@pytest.mark.parametrize("level", ["clean", "medium", "heavy"])
def test_empty_backs_are_blank_and_written_pages_are_not(level: str):
    rng = random.Random(f"blank-{level}")
    front = _page()
    shown = 0.0
    for _ in range(4):  # separator sheets and backs showing the front through
        back, strength = empty_back(front, rng)
        back, _ = degrade_page(back, level, rng, rotate_prob=0.0)
        shown = max(shown, strength)
        assert is_blank(_grey(back), DPI), ink_area(_grey(back), DPI)
    assert shown > 0  # at least one back had the front showing through
    written, _ = degrade_page(front, level, rng, rotate_prob=0.0)
    assert not is_blank(_grey(written), DPI)


def test_one_short_word_is_not_a_blank_page():
    page = Image.new("RGB", A4, "white")
    font = pil_font(image_font_sets()[0].regular, 30)  # about 10.5 pt at 200 dpi
    ImageDraw.Draw(page).text((800, 1100), "同意", font=font, fill=(24, 24, 24))
    assert not is_blank(_grey(page), DPI)
    assert is_blank(_grey(Image.new("RGB", A4, "white")), DPI)


def test_dust_and_dark_bands_alone_leave_a_page_blank():
    blank, _ = _with_bands(Image.new("RGB", A4, "white"))
    arr = np.array(blank)
    rng = np.random.default_rng(1)
    for x, y in zip(rng.integers(100, 1500, 150), rng.integers(100, 2200, 150), strict=True):
        cv2.circle(arr, (int(x), int(y)), 2, (60, 60, 60), -1)  # specks of dust
    assert is_blank(_grey(Image.fromarray(arr)), DPI)


@pytest.mark.parametrize("level", ["light", "heavy"])
def test_binding_holes_leave_an_empty_back_blank_but_not_a_dot_mid_page(level: str):
    from dangan.synth.degrade import punch_holes

    rng = random.Random(f"holes-{level}")
    back, _ = empty_back(_page(), rng)
    for side in ("left", "right"):
        punched, _ = degrade_page(punch_holes(back, side, 20, DPI), level, rng, rotate_prob=0.0)
        grey = _grey(punched)
        # nothing left, also where a hole runs into a dark scanner band (heavy)
        assert ink_area(grey, DPI) < 1.0, (side, ink_area(grey, DPI))
    # the same discs in the middle of the page are marks, and a word beside the
    # holes still makes a written page
    arr = np.array(back)
    cv2.circle(arr, (A4[0] // 2, A4[1] // 2), 24, (20, 20, 20), -1)
    assert not is_blank(_grey(Image.fromarray(arr)), DPI)
    word = punch_holes(back, "left", 20, DPI)
    ImageDraw.Draw(word).text(
        (300, 1100), "同意", font=pil_font(image_font_sets()[0].regular, 30), fill=(24, 24, 24)
    )
    assert not is_blank(_grey(word), DPI)


def test_blank_step_reports_and_the_engine_gets_an_empty_image():
    back, _ = empty_back(_page(), random.Random(2))
    back.info["dpi"] = (DPI, DPI)
    prepared = prepare(back, {"seal", "blank"})
    assert prepared.blank
    assert not prepare(back, {"seal"}).blank  # the step can be switched off
    empty = empty_like(prepared.image)
    assert empty.getextrema() == (255, 255)
    assert abs(empty.width / empty.height - back.width / back.height) < 0.01
    assert empty.info["dpi"][0] == pytest.approx(DPI * empty.width / back.width)


def test_denoising_smooths_grain_and_keeps_strokes():
    clean = _grey(_page())
    rng = np.random.default_rng(4)
    noisy = np.clip(clean + rng.normal(0, 20, clean.shape), 0, 255).astype(np.uint8)
    out = denoise(noisy, DPI)
    paper = cv2.erode((clean > 250).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    assert out[paper].std() < noisy[paper].std() / 2  # grain on the paper halved at least
    strokes = cv2.erode((clean < 100).astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    assert (out[strokes] < 128).mean() > 0.95  # stroke cores stay ink


# --- synthetic scans ------------------------------------------------------------


def _tiff(folder: Path, name: str, level: str, seed: int, pages: int, **chances):
    """A generated TIFF scan of an enrolment form at 100 dpi."""
    cls = next(c for c in load_schedule() if c.code == "employee_enrol")
    rng = random.Random(seed)
    return generate_document(folder, name, cls, "tiff", level, rng, dpi=100, pages=pages, **chances)


def test_generator_can_feed_pages_sideways_and_add_empty_backs(tmp_path: Path):
    doc = _tiff(tmp_path, "sideways", "medium", 7, 2, sideways_prob=1.0, blank_prob=1.0)
    infos = doc.degradation["pages"]
    assert [bool(i.get("blank")) for i in infos] == [False, True] * (len(infos) // 2)
    assert [bool(t) for t in doc.pages] == [not i.get("blank") for i in infos]
    with Image.open(doc.path) as tiff:
        assert tiff.n_frames == len(doc.pages)
        for index, info in enumerate(infos):
            tiff.seek(index)
            landscape = tiff.width > tiff.height
            assert landscape == (info.get("sideways") in (90, 270)), (index, info)
    assert all(i["sideways"] in (90, 270) for i in infos if not i.get("blank"))


def test_existing_seeds_keep_their_pages_when_the_new_options_are_off(tmp_path: Path):
    plain = generate_corpus(tmp_path / "a", 4, seed=21, dpi=60)
    off = generate_corpus(
        tmp_path / "b", 4, seed=21, dpi=60, sideways_prob=0, blank_prob=0, holes_prob=0
    )
    for a, b in zip(plain, off, strict=True):
        assert a.path.read_bytes() == b.path.read_bytes()
        assert a.degradation == b.degradation
        assert not any(
            key in p for p in a.degradation["pages"] for key in ("sideways", "blank", "holes")
        )


def test_generator_punches_both_sides_of_a_sheet(tmp_path: Path):
    doc = _tiff(tmp_path, "punched", "clean", 3, 1, blank_prob=1.0, holes_prob=1.0)
    assert [p.get("holes", {}).get("count") for p in doc.degradation["pages"]] == [2, 2]
    with Image.open(doc.path) as tiff:
        for index, side in enumerate(("left", "right")):
            tiff.seek(index)
            grey = np.asarray(tiff.convert("L"))
            x = round(12 * 100 / 25.4)
            column = grey[:, x] if side == "left" else grey[:, grey.shape[1] - x]
            assert (column < 80).sum() >= 2 * 20, side  # two discs about 24 px high


# --- end to end -----------------------------------------------------------------


def test_ingest_reads_a_sideways_page_and_reports_the_empty_back(tmp_path: Path, corpus):
    """One scan through the CLI: an upright page, the same page fed in sideways,
    and an empty back. The back is reported in the record, not OCR'd."""
    from conftest import json_lines, run_cli

    from bench.ocr_bench import cer

    doc = next(d for d in corpus if d.format == "png")
    page = Image.open(doc.path).convert("RGB")
    back, _ = empty_back(page, random.Random(5))
    back, _ = degrade_page(back, "medium", random.Random(6), rotate_prob=0.0)
    scan = tmp_path / "scan.tif"
    sideways = page.transpose(Image.Transpose.ROTATE_270)
    page.save(scan, save_all=True, append_images=[sideways, back], dpi=(DPI, DPI))
    env = {"DANGAN_OCR_PREPROCESS": "orient,seal,border,blank", "DANGAN_OCR_JOBS": "2"}
    home = tmp_path / "home"
    (result,) = json_lines(run_cli(home, "ingest", "--json", str(scan), env=env).stdout)
    assert result["status"] == "archived", result
    shown = json_lines(run_cli(home, "show", result["record_id"], "--json", env=env).stdout)[0]
    texts = [p["text"] for p in shown["pages"]]
    assert shown["metadata"]["blank_pages"] == [3]
    assert texts[2] == ""
    assert cer(doc.pages[0], texts[0]) < 0.05
    assert cer(doc.pages[0], texts[1]) < cer(doc.pages[0], texts[0]) + 0.02
