"""Chinese text normalisation, shared by OCR (ocr/) and the search index (catalog/).

`fold_width`: full-width ASCII letters and digits folded to half-width (OCR
output, index and query terms all see the same form).

`normalize_text`, for OCR output:
- full-width letters and digits folded as above;
- whitespace between two CJK characters (or CJK and CJK punctuation) is removed,
  since Chinese is written without spaces and OCR engines insert them;
- runs of spaces collapse, line breaks are kept;
- punctuation in Chinese text takes the forms GB/T 15834 (标点符号用法) gives it
  (`chinese_punctuation`): recognisers are trained on labels with half-width
  brackets and write "(盖章)" for the printed "（盖章）", so the width cannot
  come from the image; it comes from the text around it.
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

# full-width digits and Latin letters (ＡＢＣ１２３), folded to ASCII
_FULLWIDTH_ALNUM = re.compile("[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]")


def _half(match: re.Match) -> str:
    return chr(ord(match.group()) - 0xFEE0)


def fold_width(text: str) -> str:
    # A regex scan, not str.translate: translate looks every character up in a
    # dict (85 us for a 530-character page, the largest cost of indexing one).
    if _FULLWIDTH_ALNUM.search(text) is None:
        return text
    return _FULLWIDTH_ALNUM.sub(_half, text)


_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_CHAR = re.compile(f"[{_HAN}]")
# a bracket pair on one line, either width, holding no other bracket
_BRACKETS = re.compile(r"[(（]([^()（）\n]{0,40})[)）]")
_OPEN_NEXT_TO_HAN = re.compile(rf"(?<=[{_HAN}])\((?=[^)）]*$)|\((?=[{_HAN}][^)）]*$)")
_CLOSE_NEXT_TO_HAN = re.compile(rf"(?<=[{_HAN}])\)|\)(?=[{_HAN}])")
# a time span written with a hyphen-like mark after 年/月/日 (GB/T 15834 4.13: 一字线)
_DATE_SPAN = re.compile(r"(?<=[年月日])[ \t]*[-－–‐‑−—―][ \t]*(?=\d)")
# 发文字号 (GB/T 9704 7.2.4): the year in 六角括号, "医保稽〔2017〕68号"
_DOC_NUMBER = re.compile(
    rf"(?<=[{_HAN}])[ \t]*[\[［【(（〔][ \t]*((?:19|20)\d\d)[ \t]*[\]］】)）〕][ \t]*(?=\d+[ \t]*号)"
)


def _bracket_pair(match: re.Match) -> str:
    line, start, end = match.string, match.start(), match.end()
    around = (line[start - 1] if start else "") + (line[end] if end < len(line) else "")
    if _HAN_CHAR.search(match.group(1)) or _HAN_CHAR.search(around):
        return f"（{match.group(1)}）"
    return match.group(0)


def chinese_punctuation(line: str) -> str:
    """Brackets that hold or touch Chinese characters full-width, as pairs;
    a lone bracket beside a Chinese character too. A span of dates after
    年/月/日 joined by 一字线 (—). The year of a document number in 〔〕."""
    line = _BRACKETS.sub(_bracket_pair, line)
    line = _OPEN_NEXT_TO_HAN.sub("（", line)
    line = _CLOSE_NEXT_TO_HAN.sub("）", line)
    line = _DATE_SPAN.sub("—", line)
    return _DOC_NUMBER.sub(lambda m: f"〔{m.group(1)}〕", line)


def normalize_text(text: str) -> str:
    text = fold_width(text).replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    lines = []
    for line in text.split("\n"):
        line = _SPACE_BETWEEN_CJK.sub("", line)
        line = _SPACE_AROUND_FW_PUNCT.sub("", line)
        line = _SPACE_AROUND_PUNCT.sub("", _SPACE_AROUND_PUNCT.sub("", line))
        line = chinese_punctuation(_SPACES.sub(" ", line).strip())
        lines.append(line)
    return _BLANK_LINES.sub("\n", "\n".join(lines)).strip()
