"""Recognise national identifiers in OCR text, validated by their check characters.

One recogniser serves both the field extractor (ingest/fields.py) and the
masking of 公民身份号码 wherever text leaves the server (dangan/access/roles.py):
what the extractor takes for a person's ID number is what gets masked.

- 公民身份号码 (GB 11643): 17 digits + mod-11 check character (0-9 or X).
- 统一社会信用代码 (GB 32100): 17 characters + mod-31 check character.

(The check characters themselves are computed in `dangan.checkdigits`.)

OCR confuses a few shapes (0/O/D, 1/l/I, 8/B, 5/S, 2/Z …). A candidate that
fails its check is not stored as valid: up to one ambiguous character is
corrected when exactly that correction makes it valid; otherwise it is kept
as an invalid candidate for a clerk to review."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dangan.checkdigits import is_valid_credit_code, is_valid_id_number

# What a digit may have been misread as.
_TO_DIGIT = {
    "O": "0", "o": "0", "D": "0", "Q": "0", "U": "0",
    "l": "1", "I": "1", "i": "1", "|": "1", "L": "1", "J": "1", "]": "1", "[": "1", "!": "1",
    "Z": "2", "z": "2",
    "S": "5", "s": "5",
    "G": "6", "b": "6",
    "T": "7",
    "B": "8",
    "g": "9", "q": "9",
}  # fmt: skip
# Same-width alternatives that a valid ID may need instead of what was read.
_DIGIT_ALTERNATIVES = {
    "0": "86", "1": "7", "3": "8", "5": "6", "6": "58", "7": "1", "8": "036", "9": "4",
    "4": "9",
}  # fmt: skip


@dataclass(frozen=True)
class Found:
    value: str  # the identifier as stored (corrected when a correction was made)
    raw: str  # what OCR read
    valid: bool
    corrected: bool = False


_ID_CANDIDATE = re.compile(
    r"(?<![0-9A-Za-z])[0-9OoDQlIiLJ|ZzSsGbTBgq\]\[!]{17}[0-9Xx×OoDlI|\]\[!](?![0-9A-Za-z])"
)
_ID_LOOSE = re.compile(r"(?<![0-9])[0-9][0-9 ]{15,20}[0-9Xx](?![0-9])")


def _id_fix(raw: str) -> Found:
    text = raw.replace("×", "X")
    body = "".join(_TO_DIGIT.get(ch, ch) for ch in text[:17])
    last = text[17]
    last = "X" if last in "Xx" else _TO_DIGIT.get(last, last)
    candidate = body + last
    letters_fixed = candidate != text.upper()
    if is_valid_id_number(candidate):
        return Found(candidate, raw, True, corrected=letters_fixed)
    # One digit misread as another digit: accept only an unambiguous correction.
    fixes = set()
    for pos, ch in enumerate(candidate):
        for alt in _DIGIT_ALTERNATIVES.get(ch, ""):
            trial = candidate[:pos] + alt + candidate[pos + 1 :]
            if is_valid_id_number(trial):
                fixes.add(trial)
        if pos == 17 and ch != "X":
            trial = candidate[:17] + "X"
            if is_valid_id_number(trial):
                fixes.add(trial)
    if len(fixes) == 1:
        return Found(fixes.pop(), raw, True, corrected=True)
    return Found(candidate, raw, False)


@dataclass(frozen=True)
class IdMatch:
    """Where in a text the recogniser found an ID number (or an invalid candidate)."""

    start: int
    end: int
    found: Found


def id_number_matches(text: str) -> list[IdMatch]:
    """Every stretch of `text` taken for a 公民身份号码: 18 characters with OCR
    letter-for-digit confusions (valid or kept as an invalid candidate, unless
    it is an all-digit 统一社会信用代码), then valid numbers split by OCR
    spaces or glued to a word (`ID11010519491231002X`)."""
    out: list[IdMatch] = []
    spans = []
    for m in _ID_CANDIDATE.finditer(text):
        if sum(ch.isdigit() for ch in m.group(0)) < 14:
            continue  # a word, not a number
        spans.append((m.start(), m.end()))
        found = _id_fix(m.group(0))
        if not found.valid and is_valid_credit_code(found.raw):
            continue  # an all-digit 统一社会信用代码, not a misread ID number
        out.append(IdMatch(m.start(), m.end(), found))
    for m in _ID_LOOSE.finditer(text):  # digits split by OCR spaces
        if any(s <= m.start() < e for s, e in spans):
            continue
        compact = m.group(0).replace(" ", "")
        if len(compact) == 18:
            found = _id_fix(compact)
            if found.valid:
                out.append(IdMatch(m.start(), m.end(), found))
    return out


def find_id_numbers(text: str) -> list[Found]:
    """ID-number candidates in reading order, without repeats."""
    seen: dict[str, Found] = {}
    for match in id_number_matches(text):
        seen.setdefault(match.found.value, match.found)
    return list(seen.values())


def id_number_hidden_positions(text: str) -> list[int]:
    """Positions in `text` a masked view hides: of every ID number the
    recogniser finds, the 10 characters after the region prefix (first four)
    and before the last four; spaces inside the number stay where they are."""
    hidden: list[int] = []
    for match in id_number_matches(text):
        chars = [i for i in range(match.start, match.end) if not text[i].isspace()]
        hidden.extend(chars[4:-4])
    return hidden


def mask_id_numbers(text: str) -> str:
    """`text` with every ID number the recogniser finds masked, e.g.
    3501**********123X, 3502** ******** 4327, ID1101**********002X."""
    hidden = id_number_hidden_positions(text)
    if not hidden:
        return text
    chars = list(text)
    for i in hidden:
        chars[i] = "*"
    return "".join(chars)


_CC_CANDIDATE = re.compile(r"(?<![0-9A-Za-z])[0-9A-Za-z]{18}(?![0-9A-Za-z])")


def find_credit_codes(text: str) -> list[Found]:
    out: dict[str, Found] = {}
    for m in _CC_CANDIDATE.finditer(text):
        raw = m.group(0)
        upper = raw.upper()
        if not upper[:2].isdigit() or sum(ch.isdigit() for ch in upper) < 8:
            continue
        if is_valid_id_number(upper):
            continue
        fixed = (
            upper.replace("O", "0")
            .replace("I", "1")
            .replace("Z", "2")
            .replace("S", "5")
            .replace("V", "U")
        )
        if is_valid_credit_code(upper):
            out.setdefault(upper, Found(upper, raw, True))
        elif is_valid_credit_code(fixed):
            out.setdefault(fixed, Found(fixed, raw, True, corrected=True))
        else:
            out.setdefault(upper, Found(upper, raw, False))
    return list(out.values())
