"""Check characters of the national identifiers printed on medical-insurance forms.

* 公民身份号码 (GB 11643-1999): 17 digits plus an ISO 7064 MOD 11-2 check
  character (0-9 or X).
* 统一社会信用代码 (GB 32100-2015): 17 characters plus a mod-31 check character;
  characters 9-17 are an organisation code.
* 组织机构代码 (GB 11714-1997): 8 characters plus a mod-11 check character.

The one place these are computed: intake validates with them
(`dangan.identifiers`) and the synthetic-form generator makes numbers that pass
them (`dangan.synth.ids`)."""

from __future__ import annotations

import datetime as dt

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def id_check_digit(first17: str) -> str:
    """The GB 11643 check character ("0"-"9" or "X") for 17 digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError(f"expected 17 digits, got {first17!r}")
    total = sum(int(ch) * w for ch, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def is_valid_id_number(value: str) -> bool:
    """True for an 18-character 公民身份号码 with a real birth date and the right
    check character (a lower-case x is accepted)."""
    if not isinstance(value, str) or len(value) != 18 or not value.isascii():
        return False
    body = value[:17]
    if not body.isdigit():
        return False
    try:
        dt.date(int(body[6:10]), int(body[10:12]), int(body[12:14]))
    except ValueError:
        return False
    return id_check_digit(body) == value[17].upper()


def credit_code_check(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters."""
    if len(first17) != 17 or any(ch not in CREDIT_CHARSET for ch in first17):
        raise ValueError(f"expected 17 characters from {CREDIT_CHARSET}, got {first17!r}")
    total = sum(
        CREDIT_CHARSET.index(ch) * w for ch, w in zip(first17, _CREDIT_WEIGHTS, strict=True)
    )
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def is_valid_credit_code(value: str) -> bool:
    """True for an 18-character 统一社会信用代码 with the right check character
    (case-insensitive)."""
    if not isinstance(value, str) or len(value) != 18:
        return False
    value = value.upper()
    if any(ch not in CREDIT_CHARSET for ch in value):
        return False
    return credit_code_check(value[:17]) == value[17]


def _org_value(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def org_code_check(first8: str) -> str:
    """The GB 11714 check character for an 8-character organisation code."""
    if len(first8) != 8 or not first8.isascii() or not first8.isalnum():
        raise ValueError(f"expected 8 digits or capital letters, got {first8!r}")
    c = (
        11
        - sum(_org_value(ch) * w for ch, w in zip(first8.upper(), _ORG_WEIGHTS, strict=True)) % 11
    )
    return "X" if c == 10 else "0" if c == 11 else str(c)
