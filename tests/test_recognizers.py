"""RapidOCR's models and runtimes: the settings DANGAN_OCR_MODEL and
DANGAN_OCR_RUNTIME choose them, each pair reads Chinese from the models in
its wheel, and nothing is downloaded."""

from __future__ import annotations

from pathlib import Path

import pytest
from dangan.ocr.tesseract import OcrmypdfEngine
from PIL import Image, ImageDraw

from dangan.config import Settings
from dangan.errors import ConfigError
from dangan.fonts import cjk_font
from dangan.ocr_models import DEFAULT_MODEL, DEFAULT_RUNTIME, MODELS, RUNTIMES

LINE = "医疗保险参保登记表 2026年"
PAIRS = [(m, r) for m in MODELS for r in RUNTIMES]


def _line_image() -> Image.Image:
    font = cjk_font(48)
    assert font is not None, "a CJK font is needed to render the test line"
    image = Image.new("RGB", (900, 140), "white")
    ImageDraw.Draw(image).text((30, 40), LINE, fill="black", font=font)
    return image


def _no_downloads(monkeypatch):
    """Any attempt to fetch a model (rapidocr downloads missing ones from
    ModelScope with requests) fails the test."""
    import requests

    def refuse(*args, **kwargs):
        raise AssertionError(f"download attempted: {args} {kwargs}")

    monkeypatch.setattr(requests, "get", refuse)
    monkeypatch.setattr(requests.Session, "request", refuse)


def test_the_model_and_runtime_are_settings_with_clear_errors():
    home = {"DANGAN_HOME": "/tmp/x"}
    default = Settings.from_env(home)
    assert (default.ocr_model, default.ocr_runtime) == (DEFAULT_MODEL, DEFAULT_RUNTIME)
    chosen = Settings.from_env(
        home | {"DANGAN_OCR_MODEL": "PPOCR-v4", "DANGAN_OCR_RUNTIME": "onnxruntime"}
    )
    assert (chosen.ocr_model, chosen.ocr_runtime) == ("ppocr-v4", "onnxruntime")
    with pytest.raises(ConfigError) as err:
        Settings.from_env(home | {"DANGAN_OCR_MODEL": "ppocr-v9"})
    message = err.value.message
    assert "DANGAN_OCR_MODEL" in message and "'ppocr-v9'" in message and "无效" in message
    assert "ppocr-v6" in message and "ppocr-v4" in message  # what is allowed
    with pytest.raises(ConfigError) as err:
        Settings.from_env(home | {"DANGAN_OCR_RUNTIME": "tensorrt"})
    message = err.value.message
    assert "DANGAN_OCR_RUNTIME" in message and "openvino" in message and "onnxruntime" in message


def test_a_missing_package_is_named_at_start_up(monkeypatch):
    """A model or runtime whose package is not installed stops start-up with a
    Chinese message naming the package, instead of failing on the first scan."""
    from dangan.ocr import recognizers

    from dangan import archive

    real = recognizers.find_spec
    monkeypatch.setattr(
        recognizers, "find_spec", lambda name: None if name == "openvino" else real(name)
    )
    settings = Settings.from_env({"DANGAN_HOME": "/tmp/x", "DANGAN_OCR_RUNTIME": "openvino"})
    with pytest.raises(ConfigError) as err:
        archive._check_recognizer(settings)
    assert "openvino" in err.value.message and "没有安装" in err.value.message
    archive._check_recognizer(  # the other runtime is installed
        Settings.from_env({"DANGAN_HOME": "/tmp/x", "DANGAN_OCR_RUNTIME": "onnxruntime"})
    )


def test_the_plugin_refuses_an_unknown_model_in_chinese(tmp_path: Path):
    from ocrmypdf.api import create_options, setup_plugin_infrastructure
    from ocrmypdf.exceptions import BadArgsError

    engine = OcrmypdfEngine(recognizer="rapidocr", model="ppocr-v4", runtime="onnxruntime")
    chosen = engine.options(tmp_path / "sidecar.txt") | {"rapidocr_model": "ppocr-v9"}
    manager = setup_plugin_infrastructure(plugins=chosen["plugins"])
    import argparse

    parser = argparse.ArgumentParser()
    manager.add_options(parser=parser)
    options = create_options(input_file="in.pdf", output_file="out.pdf", parser=parser, **chosen)
    with pytest.raises(BadArgsError) as err:
        manager.check_options(options=options)
    assert "--rapidocr-model" in str(err.value) and "ppocr-v6" in str(err.value)
    with pytest.raises(ValueError):
        OcrmypdfEngine(recognizer="rapidocr", model="ppocr-v9")


@pytest.mark.slow
@pytest.mark.parametrize(("model", "runtime"), PAIRS)
def test_each_model_reads_a_chinese_line_from_its_wheel(model, runtime, monkeypatch):
    from dangan.ocr.rapid import lines_text, read_page
    from dangan.ocr.recognizers import Recognizer

    _no_downloads(monkeypatch)
    reading = read_page(_line_image(), model=model, runtime=runtime)
    assert lines_text(reading.lines).replace(" ", "") == LINE.replace(" ", "")
    # the pair asked for is the one that read: its recognition model's alphabet
    recognizer = Recognizer(model, runtime, threads=1)
    assert recognizer.alphabet_size() == {"ppocr-v4": 6625, "ppocr-v6": 18710}[model]


@pytest.mark.slow
def test_openvino_computes_in_full_precision():
    """OpenVINO would read in bfloat16 on CPUs that have it, and worse."""
    import numpy as np
    from dangan.ocr.recognizers import Recognizer

    recognizer = Recognizer("ppocr-v6", "openvino", threads=1)
    recognizer.read(np.full((120, 600, 3), 255, np.uint8))
    assert recognizer.precisions() == {"f32"}


@pytest.mark.slow
def test_the_setting_reaches_the_ocr_process(tmp_path: Path):
    """OCRmyPDF's own process reads with the model and runtime chosen: the
    archival PDF names them (its /Creator, from the plugin's creator tag)."""
    import pikepdf
    from dangan.ocr.images import images_to_pdf

    _line_image().save(tmp_path / "line.png", dpi=(300, 300))
    images_to_pdf(tmp_path / "line.png", tmp_path / "line.pdf")
    engine = OcrmypdfEngine(
        jobs=1, preprocess=(), recognizer="rapidocr", model="ppocr-v4", runtime="onnxruntime"
    )
    try:
        out = engine.process(tmp_path / "line.pdf", tmp_path, has_text=False)
    finally:
        engine.close()
    assert out.pages[0].replace(" ", "") == LINE.replace(" ", "")
    with pikepdf.open(out.pdf) as pdf:
        creator = str(pdf.docinfo.get("/Creator", "")) + str(
            pdf.open_metadata().get("xmp:CreatorTool", "")
        )
    assert "PP-OCRv4 mobile, ONNX Runtime" in creator, creator
