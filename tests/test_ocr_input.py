"""Preprocessing for OCR: settings, the OCR-input filter, upside-down pages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from dangan.config import Settings
from dangan.errors import ConfigError
from ocr.ocr_input import condition
from ocr.tesseract import OcrmypdfEngine


def test_preprocessing_is_a_setting_with_clear_errors():
    from ocr.tesseract import DEFAULT_PREPROCESS, PREPROCESS_STEPS

    default = Settings.from_env({"DANGAN_HOME": "/tmp/x"}).ocr_preprocess
    assert default == DEFAULT_PREPROCESS == ("orient", "seal", "border", "blank", "denoise")
    assert set(default) <= set(PREPROCESS_STEPS)
    assert Settings.from_env(
        {"DANGAN_HOME": "/x", "DANGAN_OCR_PREPROCESS": "seal, blank"}
    ).ocr_preprocess == ("seal", "blank")
    assert (
        Settings.from_env({"DANGAN_HOME": "/x", "DANGAN_OCR_PREPROCESS": "none"}).ocr_preprocess
        == ()
    )
    with pytest.raises(ConfigError) as err:
        Settings.from_env({"DANGAN_HOME": "/x", "DANGAN_OCR_PREPROCESS": "rotate,sharpen"})
    assert "sharpen" in err.value.message and "DANGAN_OCR_PREPROCESS" in err.value.message


def test_engine_options_follow_the_steps(tmp_path: Path):
    def options(*steps):
        return OcrmypdfEngine(preprocess=steps).options(tmp_path / "sidecar.txt")

    assert options("rotate")["rotate_pages"] and "rotate_pages" not in options()
    assert options("deskew")["deskew"] and "deskew" not in options()
    # Tesseract's OSD and deskew: RapidOCR orients pages itself (`orient`)
    rapid = OcrmypdfEngine(preprocess=("rotate", "deskew", "orient"), recognizer="rapidocr")
    chosen = rapid.options(tmp_path / "sidecar.txt")
    assert "rotate_pages" not in chosen and "deskew" not in chosen
    assert "ocr.rapid" in chosen["plugins"]
    # the plugin always runs: it conditions the OCR input and keeps a copy for the QC view
    assert "ocr.ocr_input" in options("seal")["plugins"] and "ocr.ocr_input" in options()["plugins"]
    assert options()["language"] == ["chi_sim", "eng"]


def test_a_red_seal_fades_from_the_ocr_input_but_black_text_stays():
    image = Image.new("RGB", (200, 100), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 60, 80), fill=(0, 0, 0))  # text stroke
    draw.ellipse((100, 10, 190, 90), fill=(200, 30, 40))  # seal ink
    grey = np.asarray(condition(image, {"seal"}))
    assert grey[50, 40] < 60  # text stays dark
    assert grey[50, 145] > 180  # the seal is nearly paper
    plain = np.asarray(condition(image, set()).convert("L"))  # OCR gets the page as it came
    assert plain[50, 145] < 120  # without the step the seal is a dark blot
    binary = np.asarray(condition(image, {"seal", "binarize"}))
    assert set(np.unique(binary)) <= {0, 255}


def test_an_upside_down_page_is_read_when_rotation_is_on(tmp_path: Path, corpus):
    from bench.ocr_bench import cer
    from ocr.images import images_to_pdf

    doc = next(d for d in corpus if d.format == "png")
    turned = tmp_path / "turned.png"
    Image.open(doc.path).rotate(180).save(turned, dpi=(300, 300))
    pdf = tmp_path / "turned.pdf"
    images_to_pdf(turned, pdf)
    rates = {}
    for steps in ((), ("rotate",)):
        work = tmp_path / ("w" + "".join(steps))
        work.mkdir()
        out = OcrmypdfEngine(jobs=2, preprocess=steps).process(pdf, work, has_text=False)
        rates[steps] = cer(doc.pages[0], out.pages[0])
    assert rates[("rotate",)] < 0.3 and rates[()] > 0.9, rates
