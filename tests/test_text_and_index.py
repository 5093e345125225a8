"""Chinese text normalisation and snippets (the index backends: test_index_conformance.py)."""

from __future__ import annotations

from dangan.catalog.cjk import to_match_expression
from dangan.catalog.highlight import snippet, term_pattern

from dangan.text import normalize_text


def test_spaces_between_chinese_removed_and_fullwidth_folded():
    text = "姓 名 : 张 三\n公民身份号码 ： ３５０１０２１９８００１０１１２３Ｘ  hello  world"
    assert normalize_text(text) == "姓名:张三\n公民身份号码：35010219800101123X hello world"


def test_queries_without_tokens_have_no_match_expression():
    assert to_match_expression("，。！") is None
    assert to_match_expression("医保 王*") == '"医 保" AND "王"'


def test_snippet_highlights_across_ocr_spacing():
    pattern = term_pattern("医保 35010219800101123X")
    out = snippet("福州市医保局 姓名：王芳 35010219800101123X", pattern)
    assert "<mark>医保</mark>" in out and "<mark>35010219800101123X</mark>" in out
    assert snippet("<script>", term_pattern("x")) == "&lt;script&gt;"
