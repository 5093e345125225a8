"""Chinese text normalisation and snippets (the index backends: test_index_conformance.py)."""

from __future__ import annotations

import pytest
from dangan.catalog.cjk import to_index_text, to_match_expression
from dangan.catalog.highlight import snippet, term_pattern

from dangan.text import fold_width, normalize_text


def test_spaces_between_chinese_removed_and_fullwidth_folded():
    text = "姓 名 : 张 三\n公民身份号码 ： ３５０１０２１９８００１０１１２３Ｘ  hello  world"
    assert normalize_text(text) == "姓名:张三\n公民身份号码：35010219800101123X hello world"


def test_fold_width_folds_fullwidth_digits_and_letters_only():
    assert fold_width("ＡＢＣｘｙｚ０１９ＺＺ") == "ABCxyz019ZZ"
    # punctuation, ideographic space and the characters next to the ranges stay
    assert fold_width("（）：　＠［｀｛医保") == "（）：　＠［｀｛医保"
    assert fold_width("") == "" and fold_width("plain 医保 123") == "plain 医保 123"


def test_queries_without_tokens_have_no_match_expression():
    assert to_match_expression("，。！") is None
    assert to_match_expression("医保 王*") == '"医保" AND "王" *'


def test_the_embedded_index_stores_bigrams_and_each_runs_last_character():
    assert to_index_text("住院费用3000元\n王 小明") == "住院 院费 费用 用 3000 元王 王小 小明 明"


@pytest.mark.parametrize(
    ("query", "expression"),
    [
        ("基本医疗保险 住院", '"基本 本医 医疗 疗保 保险" AND "住院"'),
        ("费用3000", '"费用 用 3000"'),  # the run's last character is stored before 3000
        ("3000元", '"3000 元" *'),  # 元 starts a bigram (元整) or is a run's last character
        ("王", '"王" *'),
        ("3501*", '"3501" *'),
    ],
)
def test_query_terms_become_phrases_of_stored_tokens(query, expression):
    assert to_match_expression(query) == expression


def test_snippet_highlights_across_ocr_spacing():
    pattern = term_pattern("医保 35010219800101123X")
    out = snippet("福州市医保局 姓名：王芳 35010219800101123X", pattern)
    assert "<mark>医保</mark>" in out and "<mark>35010219800101123X</mark>" in out
    assert snippet("<script>", term_pattern("x")) == "&lt;script&gt;"
