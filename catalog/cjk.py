"""Tokenisation for the embedded full-text index.

Each CJK character is one token; runs of Latin letters and digits are one token
(lower-cased), so an 18-character 公民身份号码 is a single token that matches
exactly. Words of any length are found as phrase queries over the characters."""

from __future__ import annotations

import re
from functools import cache

import opencc

from dangan.errors import BadQuery
from dangan.text import fold_width

# Bounds on what one query may ask (every backend, every role): the work a
# query causes grows with its length and number of terms.
MAX_QUERY_CHARS = 200
MAX_QUERY_TERMS = 16

_TOKEN = re.compile(r"[0-9a-zA-Z]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


@cache
def _t2s():
    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """The form both index and query see: full-width folded to half-width and
    traditional characters to simplified (OpenCC t2s), so 醫療保險 finds 医疗保险."""
    return _t2s().convert(fold_width(text))


def tokens(text: str) -> list[str]:
    return [t.lower() for t in _TOKEN.findall(fold(text))]


def check_query(query: str) -> list[str]:
    """The query's whitespace-separated terms, or BadQuery when the query is
    longer than MAX_QUERY_CHARS or has more than MAX_QUERY_TERMS terms."""
    if len(query) > MAX_QUERY_CHARS:
        raise BadQuery(
            f"检索词过长（{len(query)} 个字符），最多 {MAX_QUERY_CHARS} 个字符。"
            "请只输入关键的词语、姓名或证件号码。"
        )
    terms = query.split()
    if len(terms) > MAX_QUERY_TERMS:
        raise BadQuery(
            f"检索词过多（{len(terms)} 个），最多 {MAX_QUERY_TERMS} 个，请减少检索词后重试。"
        )
    return terms


def query_terms(query: str) -> list[tuple[str, bool]]:
    """Whitespace-separated terms of a user query, folded, each with whether it
    ends in '*' (a prefix query on a Latin/digit term). Terms without a
    searchable token are dropped. BadQuery when the query is out of bounds."""
    out = []
    for term in check_query(query):
        prefix = term.endswith("*")
        toks = tokens(term)
        if toks:
            out.append((" ".join(toks), prefix and toks[-1].isascii()))
    return out


def to_index_text(text: str) -> str:
    """The form stored in the FTS5 column: tokens separated by spaces, line
    breaks kept as separators so snippets read naturally."""
    out_lines = []
    for line in text.split("\n"):
        out_lines.append(" ".join(tokens(line)))
    return "\n".join(out_lines)


def to_match_expression(query: str) -> str | None:
    """Turn a user query into an FTS5 MATCH expression.

    Whitespace separates terms (all must match); each term becomes a phrase of
    its tokens. A trailing '*' on a Latin/digit term makes it a prefix query.
    Returns None when the query holds no searchable token."""
    parts = [f'"{phrase}"' + (" *" if prefix else "") for phrase, prefix in query_terms(query)]
    return " AND ".join(parts) if parts else None


_SPACE_IN_CJK = re.compile(r"(?<=[\u3400-\u9fff\ue000\ue001])[ ]+(?=[\u3400-\u9fff\ue000\ue001])")


def from_index_text(text: str) -> str:
    """Undo to_index_text's spacing for display (snippets)."""
    previous = None
    while previous != text:
        previous = text
        text = _SPACE_IN_CJK.sub("", text)
    return text
