"""Tokenisation for the embedded full-text index.

Each CJK character is one token; runs of Latin letters and digits are one token
(lower-cased), so an 18-character 公民身份号码 is a single token that matches
exactly. Words of any length are found as phrase queries over the characters."""

from __future__ import annotations

import re
from functools import cache

import opencc

from dangan.text import fold_width

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


def query_terms(query: str) -> list[tuple[str, bool]]:
    """Whitespace-separated terms of a user query, folded, each with whether it
    ends in '*' (a prefix query on a Latin/digit term). Terms without a
    searchable token are dropped."""
    out = []
    for term in query.split():
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
