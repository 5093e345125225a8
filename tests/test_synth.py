"""Tests for dangan.synth: identifiers, form content, rendering, corpus files, bad files."""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
import subprocess
import sys
import unicodedata
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from dangan.retention.schedule import default_schedule
from PIL import Image

from dangan.checkdigits import is_valid_credit_code, is_valid_id_number, org_code_check
from dangan.synth import (
    FORMATS,
    LEVELS,
    SampleDoc,
    build_form,
    degrade_page,
    generate_corpus,
    layout_form,
    load_corpus,
    load_schedule,
    make_credit_code,
    make_id_number,
    write_bad_files,
)
from dangan.synth import fonts as synth_fonts
from dangan.synth.fonts import FontNotFound, Measurer, image_font_sets
from dangan.synth.ids import amount_in_words

pdfium = pytest.importorskip("pypdfium2")

DPI = 100  # small pages keep the suite fast; the layout is the same at any dpi


# --- identifiers ------------------------------------------------------------------


def test_generated_identifiers_validate() -> None:
    rng = random.Random(5)
    for _ in range(300):
        number = make_id_number(rng)
        assert is_valid_id_number(number), number
        code = make_credit_code(rng)
        assert is_valid_credit_code(code) and code.startswith("91"), code
        assert org_code_check(code[8:16]) == code[16]
    assert any(make_id_number(rng).endswith("X") for _ in range(300))


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("1205.30", "壹仟贰佰零伍元叁角整"),
        ("100005", "壹拾万零伍元整"),
        ("1010.01", "壹仟零壹拾元零壹分"),
        ("123456789.12", "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"),
        ("0", "零元整"),
    ],
)
def test_amount_in_words(value: str, words: str) -> None:
    assert amount_in_words(Decimal(value)) == words


# --- schedule and content ---------------------------------------------------------


def test_default_schedule_has_every_class() -> None:
    classes = load_schedule()
    codes = {c.code for c in classes}
    assert len(classes) >= 20
    assert {"employee_enrol", "inpatient_bill", "annual_statistics"} <= codes
    assert all(c.titles for c in classes)
    assert classes == list(default_schedule().rows)  # the archive's own parser and copy


def test_schedule_is_found_when_the_packages_are_not_in_a_source_tree(tmp_path: Path) -> None:
    """Installed (here: imported from a zip archive) the generator reads the
    packaged schedule, not a CSV next to a repository checkout."""
    root = Path(__file__).resolve().parents[1]
    bundle = tmp_path / "site.zip"
    with zipfile.ZipFile(bundle, "w") as zf:
        for package in ("dangan", "retention"):
            for path in sorted((root / package).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    zf.write(path, path.relative_to(root).as_posix())
    script = (
        "from dangan.synth.schedule import load_schedule\n"
        "rows = load_schedule()\n"
        "print(len(rows), rows[0].code)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        env={"PYTHONPATH": str(bundle), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [str(len(default_schedule().rows)), "unit_registration"]


def test_schedule_path_parameter(tmp_path: Path) -> None:
    csv = tmp_path / "s.csv"
    csv.write_text(
        "code,category,business_stage,material,typical_titles,retention,basis\n"
        "new_class,管理类,测试,测试材料,测试申请表|测试登记表,10年,x\n",
        encoding="utf-8",
    )
    (cls,) = load_schedule(csv)
    assert cls.titles == ("测试申请表", "测试登记表")
    form = build_form(cls, random.Random(0))  # unknown code: generic form
    assert form.fields["base_title"] in cls.titles


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("pages", [1, 2])
def test_every_class_prints_its_ground_truth(pages: int) -> None:
    measure = Measurer(image_font_sets()[0])
    for cls in load_schedule():
        rng = random.Random(f"{cls.code}:{pages}")
        form = build_form(cls, rng, pages)
        layout = layout_form(form, measure, rng)
        text = _flat("\n".join(p.text() for p in layout))
        f = form.fields
        assert layout[0].lines()[0] == form.title
        assert f["base_title"] in cls.titles
        assert 1 <= len(layout) <= 3, (cls.code, len(layout))
        for number in f["id_numbers"]:
            assert is_valid_id_number(number) and number in text, (cls.code, number)
        for key in ("person_name", "credit_code", "unit_name", "unit_code", "serial"):
            if f[key] is not None:
                assert _flat(f[key]) in text, (cls.code, key, f[key])
        for label, amount in f["amounts"].items():
            assert amount in text, (cls.code, label, amount)
        if f["credit_code"]:
            assert is_valid_credit_code(f["credit_code"])
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", f["business_date"])
        assert f["seal_texts"], cls.code
        assert any(p.seals for p in layout), cls.code


# --- degradation ------------------------------------------------------------------


def test_degrade_levels_record_what_they_did() -> None:
    page = Image.new("RGB", (400, 560), "white")
    clean, info = degrade_page(page, "clean", random.Random(1), rotate_prob=1.0)
    assert clean.tobytes() == page.tobytes()
    assert info["rotated_180"] is False and info["skew_deg"] == 0.0
    bounds = {"light": 0.5, "medium": 1.5, "heavy": 3.0}
    for level, bound in bounds.items():
        out, info = degrade_page(page, level, random.Random(2), rotate_prob=1.0)
        assert out.size == page.size and out.mode == "RGB"
        assert info["level"] == level and info["rotated_180"] is True
        assert 0 < abs(info["skew_deg"]) <= bound
        assert info["noise_sigma"] > 0 and info["jpeg_quality"] is not None
        assert 40 <= info["jpeg_quality"] <= 85
    with pytest.raises(ValueError):
        degrade_page(page, "awful", random.Random(0))
    assert LEVELS == ("clean", "light", "medium", "heavy")


# --- corpus -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[SampleDoc]]:
    out = tmp_path_factory.mktemp("corpus")
    return out, generate_corpus(out, 6, seed=1, dpi=DPI)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_small_corpus_covers_every_format(corpus: tuple[Path, list[SampleDoc]]) -> None:
    _, docs = corpus
    assert {d.format for d in docs} == set(FORMATS)
    assert len({d.doc_type for d in docs}) == len(docs)
    assert any(len(d.pages) > 1 for d in docs if d.format == "tiff")


def test_every_file_opens_with_its_page_count(corpus: tuple[Path, list[SampleDoc]]) -> None:
    _, docs = corpus
    for doc in docs:
        assert doc.path.is_file() and doc.path.stat().st_size > 0
        if doc.format in ("png", "jpeg", "tiff"):
            with Image.open(doc.path) as img:
                assert img.format == {"png": "PNG", "jpeg": "JPEG", "tiff": "TIFF"}[doc.format]
                assert getattr(img, "n_frames", 1) == len(doc.pages)
                assert abs(img.size[0] - 827) <= 1 and abs(img.size[1] - 1169) <= 1  # A4 @ 100 dpi
        else:
            pdf = pdfium.PdfDocument(doc.path)
            try:
                assert len(pdf) == len(doc.pages)
                width, height = pdf[0].get_size()
                assert abs(width - 595.3) < 2 and abs(height - 841.9) < 2
            finally:
                pdf.close()
        assert len(doc.degradation["pages"]) == len(doc.pages)


def test_text_pdf_has_extractable_chinese_text(corpus: tuple[Path, list[SampleDoc]]) -> None:
    _, docs = corpus
    (doc,) = [d for d in docs if d.format == "pdf_text"]
    pdf = pdfium.PdfDocument(doc.path)
    try:
        for index, truth in enumerate(doc.pages):
            textpage = pdf[index].get_textpage()
            text = textpage.get_text_range()
            textpage.close()
            assert _flat(text) == _flat(truth)
        first = pdf[0].get_textpage().get_text_range()
    finally:
        pdf.close()
    assert doc.title in first
    assert doc.degradation["level"] == "clean"


def test_image_pdf_has_no_text_layer(corpus: tuple[Path, list[SampleDoc]]) -> None:
    _, docs = corpus
    (doc,) = [d for d in docs if d.format == "pdf_image"]
    pdf = pdfium.PdfDocument(doc.path)
    try:
        assert pdf[0].get_textpage().get_text_range().strip() == ""
    finally:
        pdf.close()


def test_truth_files_and_manifest_round_trip(corpus: tuple[Path, list[SampleDoc]]) -> None:
    out, docs = corpus
    for doc in docs:
        truth = json.loads((out / f"{doc.path.stem}.truth.json").read_text(encoding="utf-8"))
        assert truth["path"] == doc.path.name  # relative to the corpus folder
        assert truth["fields"]["business_date"] == doc.fields["business_date"]
    loaded = load_corpus(out)
    assert [d.path for d in loaded] == [d.path for d in docs]
    assert [d.pages for d in loaded] == [d.pages for d in docs]


def test_same_seed_same_bytes(corpus: tuple[Path, list[SampleDoc]], tmp_path: Path) -> None:
    out, docs = corpus
    again = generate_corpus(tmp_path / "a", 6, seed=1, dpi=DPI)
    for a, b in zip(docs, again, strict=True):
        assert a.pages == b.pages and a.fields == b.fields
        assert _digest(a.path) == _digest(b.path), a.path.name
    other = generate_corpus(tmp_path / "b", 1, seed=2, dpi=DPI)
    assert other[0].pages != docs[0].pages


def test_unknown_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="formats"):
        generate_corpus(tmp_path, 1, formats=["bmp"])
    with pytest.raises(ValueError, match="doc_types"):
        generate_corpus(tmp_path, 1, doc_types=["nope"])


def test_cli_writes_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from dangan.synth.__main__ import main

    code = main([str(tmp_path), "--count", "2", "--seed", "4", "--dpi", "72", "--formats", "png"])
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("0000_")
    assert (tmp_path / "manifest.json").is_file()


# --- bad files and environment ----------------------------------------------------


def test_bad_files(tmp_path: Path) -> None:
    files = write_bad_files(tmp_path)
    assert set(files) >= {
        "empty",
        "corrupt",
        "encrypted",
        "unsupported",
        "mislabelled_png_as_pdf",
        "mislabelled_text_as_jpg",
    }
    assert files["empty"].stat().st_size == 0
    assert files["corrupt"].read_bytes().startswith(b"%PDF-")
    for kind in ("empty", "corrupt", "encrypted"):
        with pytest.raises(pdfium.PdfiumError):
            pdfium.PdfDocument(files[kind])
    from dangan.synth.badfiles import ENCRYPTED_USER_PASSWORD

    pdf = pdfium.PdfDocument(files["encrypted"], password=ENCRYPTED_USER_PASSWORD)
    assert len(pdf) == 1
    pdf.close()
    assert zipfile.is_zipfile(files["unsupported"]) and files["unsupported"].suffix == ".docx"
    assert files["mislabelled_png_as_pdf"].read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    with pytest.raises(OSError):
        Image.open(files["mislabelled_text_as_jpg"])


def test_import_loads_no_fonts() -> None:
    code = (
        "import dangan.synth, dangan.synth.fonts as f;"
        "assert f.available_font_sets.cache_info().currsize == 0"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])


def test_missing_fonts_raise_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(synth_fonts, "_CANDIDATES", {})
    synth_fonts.available_font_sets.cache_clear()
    try:
        with pytest.raises(FontNotFound, match="未找到中文字体"):
            image_font_sets()
        with pytest.raises(FontNotFound):
            synth_fonts.pdf_font_set()
    finally:
        monkeypatch.undo()
        synth_fonts.available_font_sets.cache_clear()


# --- OCR (slow) -------------------------------------------------------------------


def _edit_distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s|:()（）,，.。、;；\"“”'‘’\-—_]+", "", text)


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract not installed")
def test_light_pages_are_readable_by_tesseract(tmp_path: Path) -> None:
    docs = generate_corpus(
        tmp_path, 3, seed=11, formats=["png"], levels=["light"], rotate_prob=0.0, dpi=200
    )
    for doc in docs:
        result = subprocess.run(
            ["tesseract", str(doc.path), "-", "-l", "chi_sim+eng"],
            capture_output=True,
            text=True,
            check=True,
        )
        ref, hyp = _normalise(doc.pages[0]), _normalise(result.stdout)
        cer = _edit_distance(ref, hyp) / len(ref)
        assert cer < 0.3, (doc.doc_type, cer)
        assert _normalise(doc.title) in hyp
        found = [n for n in doc.fields["id_numbers"] if n in hyp]
        assert len(found) >= len(doc.fields["id_numbers"]) * 0.8
