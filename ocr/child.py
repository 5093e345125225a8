"""A long-lived OCR process: `python -m dangan.ocr.child [--recognizer rapidocr]
[--model ppocr-v6] [--runtime openvino] [--threads N]`.

Starting OCRmyPDF and loading the recognition models costs about a second, more
than preprocessing a page; a process that OCRs file after file pays it once.
ocr/pool.py starts these processes, sends them one file at a time and kills
one that overruns its time limit.

Protocol: one JSON request per line on standard input, one JSON reply per line
on the original standard output. File descriptor 1 itself is pointed at
standard error at start, so that a stray print in a library cannot corrupt the
replies. A request:

    {"input": "...", "output": "...", "options": {...ocrmypdf.ocr keywords}}

(the keywords include the plugins' own options, such as dangan_steps: see
ocr/ocr_input.py and ocr/rapid.py) and its reply: {"ok": true, "code": 0} or
{"ok": false, "code": N, "detail": [...]}.

The process ends when its standard input closes, and kills itself and its own
children (Ghostscript, Tesseract) when the process that started it is gone."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time

OTHER_ERROR = 15  # OCRmyPDF's exit code for an unexpected error


class _Collect(logging.Handler):
    """Keeps the warnings and errors OCRmyPDF logs during one file."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def run(request: dict) -> dict:
    # OCRmyPDF is loaded by main() once standard output is redirected (see there)
    import ocrmypdf
    from ocrmypdf.exceptions import ExitCodeException

    collect = _Collect()
    logger = logging.getLogger("ocrmypdf")
    logger.addHandler(collect)
    try:
        code = int(ocrmypdf.ocr(request["input"], request["output"], **request["options"]))
        return {"ok": code == 0, "code": code, "detail": collect.lines[-3:]}
    except ExitCodeException as exc:
        return {"ok": False, "code": int(exc.exit_code), "detail": [*collect.lines[-2:], str(exc)]}
    except Exception as exc:  # reported to the parent, which fails this one file
        logging.getLogger(__name__).exception("OCR of %s failed", request.get("input"))
        return {"ok": False, "code": OTHER_ERROR, "detail": [f"{type(exc).__name__}: {exc}"]}
    finally:
        logger.removeHandler(collect)


def _watch_parent(parent: int) -> None:
    """Kill this process group once the parent is gone (killed, crashed): an
    orphaned OCR run would only burn the cores another worker needs."""
    while True:
        time.sleep(1)
        if os.getppid() != parent:
            if os.getpgid(0) == os.getpid():  # a group of its own (ocr/pool.py)
                os.killpg(0, signal.SIGKILL)
            os._exit(1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="dangan OCR process (started by ocr/pool.py)")
    parser.add_argument("--recognizer", default="tesseract")
    parser.add_argument("--threads", type=int, default=0, help="threads per page to warm up")
    parser.add_argument("--model", help="RapidOCR's models to warm up (ocr/recognizers.py)")
    parser.add_argument("--runtime", help="RapidOCR's runtime to warm up (ocr/recognizers.py)")
    parser.add_argument("--work-root", help="folder for this process's temporary files")
    args = parser.parse_args(argv)
    work = _own_tempdir(args.work_root) if args.work_root else None
    try:
        return _serve(args)
    finally:
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)


def _own_tempdir(root: str) -> str:
    """OCRmyPDF's, Ghostscript's and Tesseract's temporary files (page images,
    recognised text) in a folder of this process under the work root, which
    the workers sweep once this process is gone (dangan/workdirs.py)."""
    from pathlib import Path

    from dangan import workdirs

    work = str(workdirs.make_dir(Path(root), "ocr"))
    tempfile.tempdir = work
    os.environ["TMPDIR"] = work
    return work


def _serve(args: argparse.Namespace) -> int:
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    # errors to standard error; OCRmyPDF's warnings too, but only into the reply
    logging.basicConfig(level=logging.ERROR, format="ocr child %(process)d: %(message)s")
    logging.getLogger().handlers[0].setLevel(logging.ERROR)
    logging.getLogger("ocrmypdf").setLevel(logging.WARNING)
    threading.Thread(target=_watch_parent, args=(os.getppid(),), daemon=True).start()

    # OCRmyPDF and the plugins are loaded here, once, after file descriptor 1 is
    # pointed at standard error: anything they print at import cannot reach the replies
    import ocrmypdf  # noqa: F401
    from dangan.ocr import ocr_input  # noqa: F401

    if args.recognizer == "rapidocr":
        from dangan.ocr import rapid

        from dangan import ocr_models

        rapid.warm_up(
            args.threads,
            args.model or ocr_models.DEFAULT_MODEL,
            args.runtime or ocr_models.DEFAULT_RUNTIME,
        )
    for line in sys.stdin:
        if line.strip():
            replies.write(json.dumps(run(json.loads(line)), ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
