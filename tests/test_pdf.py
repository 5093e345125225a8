"""Printable PDFs (dangan/pdf.py): the embedded CJK font."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dangan import pdf


def test_tables_pdf_embeds_the_cjk_font_without_the_form_generator():
    script = (
        "import sys\n"
        "from dangan.pdf import TableSheet, tables_pdf\n"
        "data = tables_pdf([TableSheet('卷内目录', ['序号', '题名'], [['1', '参保单位登记表']], [1, 4])])\n"
        "print(data[:5].decode(), b'/FontFile2' in data,"
        " sorted(m for m in sys.modules if m.startswith('dangan.synth')))\n"
    )
    if not pdf.PDF_CJK_FACE.is_file():
        pytest.skip("fonts-wqy-zenhei is not installed")
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.split() == ["%PDF-", "True", "[]"]


def test_a_missing_font_is_named_in_chinese(monkeypatch, tmp_path):
    monkeypatch.setattr(pdf, "PDF_CJK_FACE", tmp_path / "none.ttc")
    pdf.cjk_font.cache_clear()
    try:
        with pytest.raises(pdf.PdfFontMissing, match="fonts-wqy-zenhei"):
            pdf.cjk_font()
    finally:
        pdf.cjk_font.cache_clear()
