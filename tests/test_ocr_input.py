"""Preprocessing for OCR: settings, the OCR-input filter, upside-down pages."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from dangan.ocr.images import images_to_pdf
from dangan.ocr.ocr_input import condition
from dangan.ocr.tesseract import OcrmypdfEngine
from PIL import Image, ImageDraw

from dangan.config import Settings
from dangan.errors import ConfigError


def test_preprocessing_is_a_setting_with_clear_errors():
    default = Settings.from_env({"DANGAN_HOME": "/tmp/x"}).ocr_preprocess
    assert default == ("orient", "seal", "border", "blank", "denoise")
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
    assert "未知步骤" in err.value.message and "binarize" in err.value.message  # what is allowed


def test_an_unknown_step_is_refused_by_the_engine_and_by_the_plugin(tmp_path: Path):
    """The same check guards the engine and the plugin's own option (ocrmypdf's
    command line here), each with a Chinese message naming the step."""
    with pytest.raises(ConfigError) as err:
        OcrmypdfEngine(preprocess=("seal", "sharpen"))
    assert "sharpen" in err.value.message and "未知步骤" in err.value.message
    page = tmp_path / "page.png"
    Image.new("L", (400, 300), 255).save(page, dpi=(200, 200))
    pdf = tmp_path / "page.pdf"
    images_to_pdf(page, pdf)
    base = [
        sys.executable,
        "-m",
        "ocrmypdf",
        "--plugin",
        "dangan.ocr.ocr_input",
        "--output-type",
        "pdf",
    ]
    files = [str(pdf), str(tmp_path / "out.pdf")]
    refused = subprocess.run(
        [*base, "--dangan-steps", "seal,sharpen", *files], capture_output=True, text=True
    )
    assert refused.returncode == 1  # OCRmyPDF's exit code for bad arguments
    assert "--dangan-steps" in refused.stderr and "未知步骤：sharpen" in refused.stderr
    missing = subprocess.run(
        [*base, "--dangan-results", str(tmp_path / "nowhere"), *files],
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 1 and "--dangan-results" in missing.stderr
    assert "不存在" in missing.stderr


def test_the_engine_options_reach_the_plugins_by_name(tmp_path: Path):
    """Every keyword the engine gives ocrmypdf.ocr for its plugins is one they
    declare: misspelt, OCRmyPDF would keep it aside and the plugin never see it."""
    from ocrmypdf.api import create_options, setup_plugin_infrastructure

    engine = OcrmypdfEngine(
        jobs=4,
        preprocess=("seal", "orient"),
        recognizer="rapidocr",
        model="ppocr-v4",
        runtime="onnxruntime",
    )
    chosen = engine.options(tmp_path / "sidecar.txt", tmp_path, pages=2)
    manager = setup_plugin_infrastructure(plugins=chosen["plugins"])
    parser = argparse.ArgumentParser()
    manager.add_options(parser=parser)
    declared = set(vars(parser.parse_known_args([])[0]))
    ours = {k for k in chosen if k.startswith(("dangan_", "rapidocr_"))}
    assert ours == {
        "dangan_steps",
        "dangan_results",
        "rapidocr_threads",
        "rapidocr_model",
        "rapidocr_runtime",
    }
    assert ours <= declared
    options = create_options(input_file="in.pdf", output_file="out.pdf", parser=parser, **chosen)
    manager.check_options(options=options)
    assert options.dangan.steps == ("seal", "orient") and options.dangan.results == tmp_path
    assert options.rapidocr.threads == 2  # 4 cores shared by the 2 pages read at once
    assert (options.rapidocr.model, options.rapidocr.runtime) == ("ppocr-v4", "onnxruntime")


def test_engine_options_follow_the_steps(tmp_path: Path):
    def options(*steps):
        return OcrmypdfEngine(preprocess=steps).options(tmp_path / "sidecar.txt")

    assert options("rotate")["rotate_pages"] and "rotate_pages" not in options()
    assert options("deskew")["deskew"] and "deskew" not in options()
    # Tesseract's OSD and deskew: RapidOCR orients pages itself (`orient`)
    rapid = OcrmypdfEngine(preprocess=("rotate", "deskew", "orient"), recognizer="rapidocr")
    chosen = rapid.options(tmp_path / "sidecar.txt")
    assert "rotate_pages" not in chosen and "deskew" not in chosen
    assert "dangan.ocr.rapid" in chosen["plugins"]
    # the plugin always runs: it conditions the OCR input and keeps a copy for the QC view
    assert (
        "dangan.ocr.ocr_input" in options("seal")["plugins"]
        and "dangan.ocr.ocr_input" in options()["plugins"]
    )
    assert options()["language"] == ["chi_sim", "eng"]


def test_the_results_manifest_is_read_by_name_and_whole_lines_only(tmp_path: Path):
    from dangan.ocr import results

    results.append(tmp_path, 1, image=results.image_name(1), blank=False)
    results.append(tmp_path, 2, image=results.image_name(2), blank=True)
    results.append(tmp_path, 2, turn=90)
    (tmp_path / "0003.jpg").touch()  # a stray file is not a result: only the manifest counts
    with open(tmp_path / results.MANIFEST, "a", encoding="utf-8") as manifest:
        manifest.write('{"page": 3, "ima')  # a line still being written
    found = results.read(tmp_path)
    assert found.started == 2 and found.blank == [2] and found.turns == {2: 90}
    assert found.images == {1: tmp_path / "0001.jpg", 2: tmp_path / "0002.jpg"}
    assert results.read(tmp_path / "nothing-yet").started == 0
    assert results.read(results.fresh_folder(tmp_path)).started == 0  # a new run starts afresh


def test_a_red_seal_fades_from_the_ocr_input_but_black_text_stays():
    image = Image.new("RGB", (600, 360), "white")
    image.info["dpi"] = (200, 200)
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 60, 80), fill=(0, 0, 0))  # text stroke
    # a 30 mm seal ring (stamps are rings of ink with text inside, ocr/seals.py)
    draw.ellipse((300, 60, 536, 296), outline=(200, 30, 40), width=9)
    grey = np.asarray(condition(image, {"seal"}))
    assert grey[50, 40] < 60  # text stays dark
    assert grey[178, 304] > 180  # the seal is nearly paper
    plain = np.asarray(condition(image, set()).convert("L"))  # OCR gets the page as it came
    assert plain[178, 304] < 120  # without the step the seal is a dark blot
    binary = np.asarray(condition(image, {"seal", "binarize"}))
    assert set(np.unique(binary)) <= {0, 255}


def test_an_upside_down_page_is_read_when_rotation_is_on(tmp_path: Path, corpus):
    from bench.ocr_bench import cer

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
