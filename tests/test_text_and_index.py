"""Chinese text normalisation and the embedded full-text index."""

from __future__ import annotations

from catalog.cjk import to_match_expression
from catalog.fts import FtsIndex
from catalog.highlight import snippet, term_pattern
from catalog.index import IndexDoc
from ocr.normalize import normalize_text


def test_spaces_between_chinese_removed_and_fullwidth_folded():
    text = "姓 名 : 张 三\n公民身份号码 ： ３５０１０２１９８００１０１１２３Ｘ  hello  world"
    assert normalize_text(text) == "姓名:张三\n公民身份号码：35010219800101123X hello world"


def _index(tmp_path):
    index = FtsIndex(tmp_path / "index.sqlite3")
    index.upsert(
        IndexDoc(
            "r1",
            "参保人员增员申报表",
            "a.png",
            [(1, "福州市医保局\n姓名：王芳 35010219800101123X")],
        )
    )
    index.upsert(
        IndexDoc("r2", "医疗费用报销审批表", "b.png", [(1, "保医 不是 医保"), (2, "王小芳")])
    )
    index.upsert(IndexDoc("r3", "稽核通知书", "c.png", [(1, "医，保")]))
    return index


def test_two_character_word_found_as_phrase_not_as_loose_characters(tmp_path):
    index = _index(tmp_path)
    found = index.search("医保")
    assert {h.record_id for h in found.hits} >= {"r1", "r2"}
    assert index.search("王芳").total == 1  # 王小芳 is not 王芳
    assert index.search("局医").total == 0


def test_id_number_matches_exactly_and_by_prefix_only_when_asked(tmp_path):
    index = _index(tmp_path)
    assert [h.record_id for h in index.search("35010219800101123X").hits] == ["r1"]
    assert [h.record_id for h in index.search("35010219800101123x").hits] == ["r1"]
    assert index.search("3501021980010112").total == 0
    assert index.search("3501021980*").total == 1


def test_hits_say_which_pages_matched_and_title_counts(tmp_path):
    index = _index(tmp_path)
    hit = index.search("王小芳").hits[0]
    assert hit.record_id == "r2" and hit.pages == [2]
    assert index.search("稽核通知书").hits[0].pages == []  # found by title (page 0)


def test_upsert_replaces_and_delete_removes(tmp_path):
    index = _index(tmp_path)
    index.upsert(IndexDoc("r1", "新标题", "a.png", [(1, "内容已更正")]))
    assert index.search("福州").total == 0
    assert index.search("更正").total == 1
    index.delete("r1")
    assert index.search("更正").total == 0


def test_queries_without_tokens_find_nothing(tmp_path):
    assert to_match_expression("，。！") is None
    assert _index(tmp_path).search("  ").total == 0
    assert _index(tmp_path).search('"OR*').total == 0


def test_snippet_highlights_across_ocr_spacing():
    pattern = term_pattern("医保 35010219800101123X")
    out = snippet("福州市医保局 姓名：王芳 35010219800101123X", pattern)
    assert "<mark>医保</mark>" in out and "<mark>35010219800101123X</mark>" in out
    assert snippet("<script>", term_pattern("x")) == "&lt;script&gt;"
