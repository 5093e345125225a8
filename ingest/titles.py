"""A first guess at a record's title from its first page's text."""

from __future__ import annotations

import re

_FORM_SUFFIX = re.compile(r"(表|书|单|证明|凭证|协议|报告|记录|清单|报表|月报|季报|申请|通知)$")
_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def guess_title(first_page: str, fallback: str) -> str:
    lines = [ln.strip() for ln in first_page.splitlines() if ln.strip()]
    candidates = [ln for ln in lines[:8] if 4 <= len(ln) <= 40 and _CHINESE.search(ln)]
    for line in candidates:
        if _FORM_SUFFIX.search(line):
            return line
    return candidates[0] if candidates else fallback
