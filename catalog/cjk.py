"""Tokenisation for the search indexes.

`tokens`: each CJK character is one token; runs of Latin letters and digits are
one token (lower-cased), so an 18-character 公民身份号码 is a single token that
matches exactly. Elasticsearch analyses the text these tokens spell.

The embedded index (SQLite FTS5) stores overlapping CJK bigrams instead
(`index_tokens`): a run of CJK characters c1..cn becomes c1c2 c2c3 ... c(n-1)cn
and then cn alone, so every character of the run starts exactly one stored
token, and a run followed by a Latin token stays adjacent to it. A word of any
length is a phrase of its bigrams (`to_match_expression`); a word of one
character is a prefix query on the token it starts. Bigram doclists are far
shorter than single characters' and a two-character word needs no position
check, so words that are common but rarely occur together cost a fraction of
what they cost as phrases of characters (README, Benchmarks, has the figures)."""

from __future__ import annotations

import re
from collections.abc import Iterator
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


def _runs(toks: list[str]) -> Iterator[str | list[str]]:
    """Latin/digit tokens as they are, consecutive CJK characters as one list."""
    run: list[str] = []
    for tok in toks:
        if tok.isascii():
            if run:
                yield run
                run = []
            yield tok
        else:
            run.append(tok)
    if run:
        yield run


def _bigrams(run: list[str]) -> list[str]:
    return [a + b for a, b in zip(run, run[1:], strict=False)]


def index_tokens(text: str) -> list[str]:
    """The tokens the embedded index stores: CJK runs as overlapping bigrams
    followed by the run's last character, Latin/digit tokens as they are.
    Runs continue across spaces and line breaks (OCR puts them anywhere)."""
    out: list[str] = []
    for part in _runs(tokens(text)):
        if isinstance(part, str):
            out.append(part)
        else:
            out += _bigrams(part)
            out.append(part[-1])
    return out


def to_index_text(text: str) -> str:
    """The form stored in the FTS5 column: index_tokens separated by spaces."""
    return " ".join(index_tokens(text))


def _term_expression(phrase: str, prefix: bool) -> str:
    """One query term (its tokens, space-separated) as an FTS5 phrase over
    index_tokens. A run inside the term is its bigrams and its last character
    (as stored, so the Latin token after it is adjacent); the term's last run
    is its bigrams only, since the text may go on after it; a last run of one
    character is a prefix on the token it starts (a bigram or the run's last
    character)."""
    parts = list(_runs(phrase.split()))
    out: list[str] = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(part, str):
            out.append(part)
        elif not last:
            out += [*_bigrams(part), part[-1]]
        elif len(part) > 1:
            out += _bigrams(part)
        else:
            out.append(part[0])
            prefix = True
    return f'"{" ".join(out)}"' + (" *" if prefix else "")


def to_match_expression(query: str) -> str | None:
    """Turn a user query into an FTS5 MATCH expression over index_tokens.

    Whitespace separates terms (all must match); each term becomes a phrase of
    its bigrams. A trailing '*' on a Latin/digit term makes it a prefix query.
    Returns None when the query holds no searchable token."""
    parts = [_term_expression(phrase, prefix) for phrase, prefix in query_terms(query)]
    return " AND ".join(parts) if parts else None


_SPACE_IN_CJK = re.compile(r"(?<=[\u3400-\u9fff\ue000\ue001])[ ]+(?=[\u3400-\u9fff\ue000\ue001])")


def from_index_text(text: str) -> str:
    """Undo to_index_text's spacing for display (snippets)."""
    previous = None
    while previous != text:
        previous = text
        text = _SPACE_IN_CJK.sub("", text)
    return text
