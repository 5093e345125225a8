"""Tokenisation for the embedded full-text index.

Each CJK character is one token; runs of Latin letters and digits are one token
(lower-cased), so an 18-character 公民身份号码 is a single token that matches
exactly. Words of any length are found as phrase queries over the characters."""

from __future__ import annotations

import re

from ocr.normalize import fold_width

_TOKEN = re.compile(r"[0-9a-zA-Z]+|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def tokens(text: str) -> list[str]:
    return [t.lower() for t in _TOKEN.findall(fold_width(text))]


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
    parts = []
    for term in query.split():
        prefix = term.endswith("*")
        toks = tokens(term)
        if not toks:
            continue
        phrase = '"' + " ".join(toks) + '"'
        if prefix and toks[-1].isascii():
            phrase += " *"
        parts.append(phrase)
    return " AND ".join(parts) if parts else None


_SPACE_IN_CJK = re.compile(r"(?<=[\u3400-\u9fff\ue000\ue001])[ ]+(?=[\u3400-\u9fff\ue000\ue001])")


def from_index_text(text: str) -> str:
    """Undo to_index_text's spacing for display (snippets)."""
    previous = None
    while previous != text:
        previous = text
        text = _SPACE_IN_CJK.sub("", text)
    return text
