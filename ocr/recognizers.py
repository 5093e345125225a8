"""The recognition models behind ocr/rapid.py and the runtime that runs them.

Models (DANGAN_OCR_MODEL):
- `ppocr-v6`: PP-OCRv6 small detection and recognition, shipped inside the
  `rapidocr` wheel (3.10) with the 0/180 line classifier;
- `ppocr-v4`: PP-OCRv4 mobile detection and recognition, shipped inside the
  `rapidocr-onnxruntime` wheel (1.4.4), dangan's engine before PP-OCRv6.

Runtimes (DANGAN_OCR_RUNTIME): `onnxruntime` or `openvino` (Intel's OpenVINO
reads the same ONNX files). PP-OCRv4 on ONNX Runtime runs exactly as before,
through `rapidocr_onnxruntime`; every other pair runs through `rapidocr` 3.10,
given the model files by path, so nothing is ever downloaded at run time (the
library would otherwise fetch missing models from ModelScope).

All models are PaddleOCR's (Apache-2.0, Baidu / PaddleOCR authors), converted
to ONNX by RapidOCR (Apache-2.0); see the `rapidocr` wheel's MODEL_LICENSES.md."""

from __future__ import annotations

import re
import threading
from importlib.util import find_spec
from pathlib import Path

from dangan.ocr_models import MODELS, RUNTIMES

# numpy and the runtimes are imported where used: ocr/tesseract.py imports this
# module for its names, and every command would pay for them at start-up


# model -> (package whose wheel holds the files, detection, recognition, line classifier)
_FILES = {
    "ppocr-v6": (
        "rapidocr",
        "PP-OCRv6_det_small.onnx",
        "PP-OCRv6_rec_small.onnx",
        "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    ),
    "ppocr-v4": (
        "rapidocr_onnxruntime",
        "ch_PP-OCRv4_det_infer.onnx",
        "ch_PP-OCRv4_rec_infer.onnx",
        "ch_ppocr_mobile_v2.0_cls_infer.onnx",
    ),
}


def packages(model: str, runtime: str) -> list[str]:
    """The Python packages (import names) a model on a runtime needs."""
    legacy = model == "ppocr-v4" and runtime == "onnxruntime"
    names = [_FILES[model][0]] + ([] if legacy else ["rapidocr"])
    names.append(runtime)
    return list(dict.fromkeys(names))


def missing(model: str, runtime: str) -> list[str]:
    """Those of packages() that are not installed."""
    return [name for name in packages(model, runtime) if find_spec(name) is None]


def model_files(model: str) -> tuple[Path, Path, Path]:
    """(detection, recognition, classifier) model files inside the installed wheel."""
    package, *names = _FILES[model]
    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"{package} is not installed")
    folder = Path(next(iter(spec.submodule_search_locations))) / "models"
    det, rec, cls = (folder / name for name in names)
    return det, rec, cls


class Recognizer:
    """One model on one runtime: detection + recognition of a page, and the
    0/180 line classifier on boxes (for reading turned pages upright).
    Not thread-safe: one per thread (ocr/rapid.py keeps a pool)."""

    def __init__(self, model: str, runtime: str, threads: int = 0):
        if model not in MODELS:
            raise ValueError(f"unknown model {model!r}")
        if runtime not in RUNTIMES:
            raise ValueError(f"unknown runtime {runtime!r}")
        self.model, self.runtime = model, runtime
        self._legacy = model == "ppocr-v4" and runtime == "onnxruntime"
        self._engine = _legacy_engine(threads) if self._legacy else _engine(model, runtime, threads)

    def read(self, bgr) -> list[tuple[list, str]]:
        """(quad, text) of every text box found on a BGR page image.

        The 0/180 line classifier is not run on each box: read_page turns the
        whole page upright first (page_turn), and on single boxes the
        classifier turns short ones such as a table's serial number "6" upside
        down, to "9"."""
        if self._legacy:
            result, _ = self._engine(bgr, use_det=True, use_cls=False, use_rec=True)
            pairs = [(q, t) for q, t, _ in result or []]
        else:
            out = self._engine(bgr, use_det=True, use_cls=False, use_rec=True)
            boxes, texts = getattr(out, "boxes", None), getattr(out, "txts", None)
            if boxes is None or texts is None:
                return []
            pairs = list(zip(boxes.tolist(), texts, strict=True))
        cleaned = [(q, box_text(t)) for q, t in pairs]
        return [(q, t) for q, t in cleaned if t]

    def find_boxes(self, bgr) -> list:
        """The quads of the text boxes on a BGR page image, found but not read.
        (RapidOCR keeps the use_* given in a call for the next one: every call
        here names all three.)"""
        if self._legacy:
            result, _ = self._engine(bgr, use_det=True, use_cls=False, use_rec=False)
            return [list(map(list, q)) for q in result or []]
        boxes = getattr(
            self._engine(bgr, use_det=True, use_cls=False, use_rec=False), "boxes", None
        )
        return [] if boxes is None else boxes.tolist()

    def line_labels(self, bgr, quads: list) -> list[tuple[str, float]]:
        """The classifier's (label '0' or '180', score) for each box, cropped as
        the pipeline crops it before recognition."""
        import numpy as np

        if not quads:
            return []
        if self._legacy:
            crops = self._engine.get_crop_img_list(bgr, np.array(quads, dtype=np.float32))
            _, labels, _ = self._engine.text_cls(crops)
            return list(labels)
        from rapidocr.utils.process_img import get_rotate_crop_image

        crops = [get_rotate_crop_image(bgr, np.array(q, dtype=np.float32)) for q in quads]
        # the classifier the pipeline itself uses (loaded on first use)
        return list(self._engine._load_cls_model()(crops).cls_res)

    def alphabet_size(self) -> int:
        """How many symbols the recognition model can write (its dictionary)."""
        rec = self._engine.text_rec if self._legacy else self._engine._load_rec_model()
        return len(rec.postprocess_op.character)

    def precisions(self) -> set[str]:
        """The floating-point types the models run in ('f32': full precision)."""
        if self.runtime != "openvino":
            return {"f32"}  # ONNX Runtime's CPU provider runs the models as stored
        engine = self._engine
        loaded = (engine._load_det_model(), engine._load_cls_model(), engine._load_rec_model())
        return {
            part.session.session.get_compiled_model()
            .get_property("INFERENCE_PRECISION_HINT")
            .get_type_name()
            for part in loaded
        }


_EDGE_DOTS_START = re.compile(r"^[.·・]+(?=[0-9A-Za-z\u3400-\u9fff])")
_EDGE_DOTS_END = re.compile(r"(?<=[\u3400-\u9fff])[.·・]+$|·+$")


def box_text(text: str) -> str:
    """A text box's text without the dots a speck of dirt or a table line's end
    at the box's edge is read as: a leading '.' or '·' before a character,
    a trailing '·', and a trailing '.' after a Chinese character (Chinese
    ends sentences with '。'). Decimal points, '…' and Latin abbreviations stay."""
    text = text.strip()
    return _EDGE_DOTS_END.sub("", _EDGE_DOTS_START.sub("", text)).strip()


def _legacy_engine(threads: int):
    from rapidocr_onnxruntime import RapidOCR

    kwargs = {"print_verbose": False}
    if threads > 0:
        kwargs |= {"intra_op_num_threads": threads, "inter_op_num_threads": 1}
    return RapidOCR(**kwargs)


_patch_lock = threading.Lock()


def _openvino_in_f32() -> None:
    """Have rapidocr's OpenVINO sessions compute in 32-bit floats. OpenVINO
    otherwise computes in bfloat16 on CPUs that have it (AVX-512 BF16, AMX),
    which reads measurably worse (ocr_bench); rapidocr 3.10 offers no setting
    for the precision, so its CPU configuration gains the hint here."""
    from rapidocr.inference_engine.openvino import main as session

    with _patch_lock:
        if getattr(session.CPUConfig, "precision_f32", False):
            return
        base = session.CPUConfig

        class F32Config(base):
            precision_f32 = True

            def get_config(self):
                return {**super().get_config(), "INFERENCE_PRECISION_HINT": "f32"}

        session.CPUConfig = F32Config


def _engine(model: str, runtime: str, threads: int):
    from rapidocr import EngineType, RapidOCR

    if runtime == "openvino":
        _openvino_in_f32()

    det, rec, cls = model_files(model)
    kind = EngineType(runtime)
    params = {
        "Global.log_level": "error",
        "Det.engine_type": kind,
        "Det.model_path": str(det),
        "Rec.engine_type": kind,
        "Rec.model_path": str(rec),
        "Cls.engine_type": kind,
        "Cls.model_path": str(cls),
    }
    if threads > 0 and runtime == "onnxruntime":
        params |= {
            "EngineConfig.onnxruntime.intra_op_num_threads": threads,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
    elif threads > 0:
        params["EngineConfig.openvino.inference_num_threads"] = threads
    return RapidOCR(params=params)
