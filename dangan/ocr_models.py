"""The names of RapidOCR's models and runtimes, for the settings DANGAN_OCR_MODEL
and DANGAN_OCR_RUNTIME (dangan/config.py) and the recognizer (ocr/recognizers.py)."""

from __future__ import annotations

MODELS = ("ppocr-v6", "ppocr-v4")
RUNTIMES = ("openvino", "onnxruntime")
DEFAULT_MODEL = "ppocr-v4"  # PP-OCRv6 small read no better on ocr_bench (issue 18 note)
DEFAULT_RUNTIME = "openvino"
LABELS = {"ppocr-v6": "PP-OCRv6 small", "ppocr-v4": "PP-OCRv4 mobile"}
RUNTIME_LABELS = {"onnxruntime": "ONNX Runtime", "openvino": "OpenVINO"}
