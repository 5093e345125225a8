"""Find query terms in display text and build highlighted snippets.

Works on the stored page text, so every search backend produces the same
snippets and the viewer highlights exactly what search matched."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from dangan.catalog.cjk import check_query, tokens

# What may stand between two tokens of one term: up to three characters that
# are not letters, digits or CJK characters (spaces, line breaks, punctuation).
# Written with \w, not as a negated list of CJK ranges: such a class costs about
# 5 ms to compile, once per token, so a 200-character term took seconds.
_GAP = r"(?:[^\w]|_){0,3}"
_NOT_ALNUM_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_ALNUM_AFTER = r"(?![0-9A-Za-z])"


def term_pattern(query: str) -> re.Pattern[str] | None:
    """A pattern for the query's terms (every term a phrase of its tokens);
    None without a searchable term. Latin/digit tokens match whole runs only,
    as the index stores them (3505 does not light up inside 91350503...), and
    `3501*` as a prefix."""
    alternatives = []
    for term in check_query(query):
        toks = tokens(term.rstrip("*"))
        if not toks:
            continue
        body = _GAP.join(re.escape(t) for t in toks)
        if toks[0].isascii():
            body = _NOT_ALNUM_BEFORE + body
        if term.endswith("*") and toks[-1].isascii():
            body += r"[0-9A-Za-z]*"
        elif toks[-1].isascii():
            body += _NOT_ALNUM_AFTER
        alternatives.append(body)
    if not alternatives:
        return None
    alternatives.sort(key=len, reverse=True)
    return re.compile("|".join(alternatives), re.IGNORECASE)


def mark(text: str, pattern: re.Pattern[str] | None) -> str:
    """HTML-escape text and wrap each match in <mark>."""
    if pattern is None:
        return html.escape(text)
    out = []
    pos = 0
    for m in pattern.finditer(text):
        out.append(html.escape(text[pos : m.start()]))
        out.append("<mark>" + html.escape(m.group(0)) + "</mark>")
        pos = m.end()
    out.append(html.escape(text[pos:]))
    return "".join(out)


def snippet(
    text: str,
    pattern: re.Pattern[str] | None,
    width: int = 80,
    redact: Callable[[str], str] | None = None,
) -> str:
    """A window of about `width` characters around the first match, highlighted.
    `redact` (ID-number masking) applies to the whole flattened text first, so
    a number split over lines or cut by the window is masked as a whole."""
    flat = " ".join(text.split())
    if redact is not None:
        flat = redact(flat)
    match = pattern.search(flat) if pattern else None
    if match is None:
        piece = flat[:width]
        return html.escape(piece) + ("…" if len(flat) > width else "")
    start = max(0, match.start() - width // 3)
    end = min(len(flat), start + width)
    piece = flat[start:end]
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(flat) else ""
    return prefix + mark(piece, pattern) + suffix
