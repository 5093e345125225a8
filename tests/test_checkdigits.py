"""Check characters of 公民身份号码, 统一社会信用代码 and 组织机构代码 (dangan.checkdigits)."""

from __future__ import annotations

import pytest

from dangan import checkdigits
from dangan.checkdigits import (
    credit_code_check,
    id_check_digit,
    is_valid_credit_code,
    is_valid_id_number,
    org_code_check,
)


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_published_id_numbers_are_valid(number: str) -> None:
    # Both are the worked examples of GB 11643-1999.
    assert is_valid_id_number(number)
    assert id_check_digit(number[:17]) == number[17]


def test_a_lower_case_x_is_accepted() -> None:
    assert is_valid_id_number("11010519491231002x")


@pytest.mark.parametrize(
    "number",
    [
        "110105194912310021",  # wrong check character
        "11010519491231002",  # too short
        "11010519491331002X",  # month 13
        "11010519490229002X",  # 29 February 1949
        "1101051949123100AX",  # a letter in the body
        "１１010519491231002X",  # full-width digits
        "",
    ],
)
def test_id_numbers_with_bad_check_date_or_length_are_rejected(number: str) -> None:
    assert not is_valid_id_number(number)


def test_id_check_digit_refuses_anything_but_17_digits() -> None:
    for bad in ("1101051949123100", "1101051949123100A", "１１0105194912310０2"):
        with pytest.raises(ValueError):
            id_check_digit(bad)


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # the example of GB 32100-2015
        "914403001922038216",  # listed companies' published codes
        "9144030071526726XG",
        "91440300708461136T",
    ],
)
def test_published_credit_codes_are_valid(code: str) -> None:
    assert is_valid_credit_code(code)
    assert is_valid_credit_code(code.lower())
    assert credit_code_check(code[:17]) == code[17]
    assert org_code_check(code[8:16]) == code[16]  # embedded GB 11714 organisation code


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y44",  # wrong check character
        "91350100M000100Y4",  # too short
        "91350100I000100Y43",  # I is not in the charset
        "91350100M000100O43",  # nor is O
        "",
    ],
)
def test_credit_codes_with_bad_check_or_charset_are_rejected(code: str) -> None:
    assert not is_valid_credit_code(code)


def test_credit_code_check_refuses_characters_outside_the_charset() -> None:
    with pytest.raises(ValueError):
        credit_code_check("91350100I000100Y4")
    with pytest.raises(ValueError):
        org_code_check("1922038")


def test_intake_and_generator_share_one_implementation() -> None:
    from dangan import identifiers
    from dangan.synth import ids

    assert identifiers.is_valid_id_number is checkdigits.is_valid_id_number
    assert identifiers.is_valid_credit_code is checkdigits.is_valid_credit_code
    assert ids.id_check_digit is checkdigits.id_check_digit
    assert ids.credit_code_check is checkdigits.credit_code_check
    assert ids.org_code_check is checkdigits.org_code_check
