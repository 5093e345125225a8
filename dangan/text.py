"""Chinese text normalisation, shared by OCR (ocr/) and the search index (catalog/).

`fold_width`: full-width ASCII letters and digits folded to half-width (OCR
output, index and query terms all see the same form).

`normalize_text`, for OCR output:
- full-width letters and digits folded as above;
- whitespace between two CJK characters (or CJK and CJK punctuation) is removed,
  since Chinese is written without spaces and OCR engines insert them;
- runs of spaces collapse, line breaks are kept.
"""

from __future__ import annotations

import re

_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])[ \t\u00a0]+(?=[{_CJK}])")
_PUNCT = r":;,.!?()\[\]"
_SPACE_AROUND_PUNCT = re.compile(
    rf"(?<=[{_CJK}])[ \t\u00a0]+(?=[{_PUNCT}])|(?<=[{_PUNCT}])[ \t\u00a0]+(?=[{_CJK}])"
    rf"|(?<=[{_CJK}][{_PUNCT}])[ \t\u00a0]+(?=[0-9A-Za-z])"
)
_FW_PUNCT = r"\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"
_SPACE_AROUND_FW_PUNCT = re.compile(
    rf"[ \t\u00a0]+(?=[{_FW_PUNCT}])|(?<=[{_FW_PUNCT}])[ \t\u00a0]+"
)
_SPACES = re.compile(r"[ \t\u00a0]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")

_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF10, 0xFF1A)}
_FULLWIDTH.update({cp: cp - 0xFEE0 for cp in range(0xFF21, 0xFF3B)})
_FULLWIDTH.update({cp: cp - 0xFEE0 for cp in range(0xFF41, 0xFF5B)})


def fold_width(text: str) -> str:
    return text.translate(_FULLWIDTH)


def normalize_text(text: str) -> str:
    text = fold_width(text).replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    lines = []
    for line in text.split("\n"):
        line = _SPACE_BETWEEN_CJK.sub("", line)
        line = _SPACE_AROUND_FW_PUNCT.sub("", line)
        line = _SPACE_AROUND_PUNCT.sub("", _SPACE_AROUND_PUNCT.sub("", line))
        line = _SPACES.sub(" ", line).strip()
        lines.append(line)
    return _BLANK_LINES.sub("\n", "\n".join(lines)).strip()
