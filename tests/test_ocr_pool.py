"""The long-lived OCR processes (ocr/pool.py, ocr/child.py): reused from file
to file, killed on a time limit or with the process that started them, and a
crash or an OCRmyPDF error fails only the file at hand."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from dangan.ocr.tesseract import OcrmypdfEngine

from dangan.errors import OcrFailed
from dangan.ocr_steps import DEFAULT_STEPS


def _pdf(doc, folder: Path) -> Path:
    from bench.ocr_bench import _pdf_for

    folder.mkdir(parents=True, exist_ok=True)
    return _pdf_for(doc.path, folder)


def _gone(pid: int, within: float = 10) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        # a killed child of this process stays a zombie until reaped
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:
            pass
        time.sleep(0.1)
    return False


@pytest.fixture
def engine():
    engine = OcrmypdfEngine(jobs=2, preprocess=DEFAULT_STEPS, recognizer="rapidocr")
    yield engine
    engine.close()


def test_one_process_reads_file_after_file(engine, corpus, tmp_path: Path):
    from bench.ocr_bench import cer

    pids = []
    for number, doc in enumerate(corpus[:2]):
        work = tmp_path / str(number)
        out = engine.process(_pdf(doc, work), work, has_text=False)
        assert cer(doc.pages[0], out.pages[0]) < 0.1
        assert out.pdfa == "2B"
        pids += engine._pool().pids()
    assert len(pids) == 2 and pids[0] == pids[1]  # the same warm process, twice
    child = pids[0]
    engine.close()
    assert _gone(child)


def test_a_file_over_its_time_limit_is_reported_and_the_next_one_is_read(
    engine, corpus, tmp_path: Path
):
    engine.start_seconds, engine.page_timeout = 0, 1  # the process is still warming up
    engine.start(1)
    first = engine._pool().pids()[0]
    with pytest.raises(OcrFailed) as err:
        engine.process(_pdf(corpus[0], tmp_path / "a"), tmp_path / "a", has_text=False)
    assert "处理器时间" in err.value.message  # CPU over its limit (ocr/pool.py overrun)
    assert _gone(first) and engine._pool().pids() == []
    engine.start_seconds, engine.page_timeout = 60, 180
    out = engine.process(_pdf(corpus[0], tmp_path / "b"), tmp_path / "b", has_text=False)
    assert out.pages[0] and engine._pool().pids() not in ([], [first])


def test_a_crashed_process_fails_its_file_only(engine, corpus, tmp_path: Path):
    engine.start(1)
    victim = engine._pool().pids()[0]

    def kill_it(pages_started: int) -> None:
        os.kill(victim, 9)  # as the kernel's OOM killer would

    with pytest.raises(OcrFailed) as err:
        engine.process(
            _pdf(corpus[0], tmp_path / "a"), tmp_path / "a", has_text=False, on_page=kill_it
        )
    assert "意外退出" in err.value.message and "-9" in err.value.message
    out = engine.process(_pdf(corpus[0], tmp_path / "b"), tmp_path / "b", has_text=False)
    assert out.pages[0]


def test_an_ocrmypdf_error_is_told_with_its_exit_code(engine, corpus, tmp_path: Path):
    engine.languages = "chi_sim+fra"  # a language the recognizer does not read
    with pytest.raises(OcrFailed) as err:
        engine.process(_pdf(corpus[0], tmp_path), tmp_path, has_text=False)
    assert "退出码 3" in err.value.message and "fra" in err.value.message
    # in Chinese: OCRmyPDF's English is logged, not shown
    assert "语言数据" in err.value.message and "language data" not in err.value.message
    assert len(engine._pool().pids()) == 1  # the process itself is fine and kept


def test_the_processes_end_with_the_process_that_started_them(tmp_path: Path):
    script = (
        "import os, sys, time\n"
        "from dangan.ocr.tesseract import OcrmypdfEngine\n"
        "engine = OcrmypdfEngine()\n"
        "engine.start(2)\n"
        "print(' '.join(map(str, engine._pool().pids())), flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=Path.cwd()
    )
    children = [int(pid) for pid in parent.stdout.readline().split()]
    assert len(children) == 2
    parent.kill()  # SIGKILL: no clean-up code runs in the parent
    parent.wait()
    assert all(_gone(pid) for pid in children)


def test_an_ocr_process_starts_outside_the_source_folder(tmp_path: Path):
    # a worker started from any folder (a service, the container image): the
    # plugins load by their installed names, not from the current folder
    proc = subprocess.run(
        [sys.executable, "-m", "dangan.ocr.child"],
        cwd=tmp_path,
        input=b"",
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr.decode()[-500:]
