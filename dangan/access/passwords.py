"""Password hashing with scrypt (memory-hard, in the standard library) and the
password policy (等保 2.0 level 3: length and complexity, no trivial passwords)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import string
from functools import cache

_N, _R, _P = 2**14, 8, 1
MIN_LENGTH = 10
MIN_CLASSES = 3

# Passwords that meet the length and class rules yet are the first ones tried
# (published weak-password lists, as used in China); compared case-insensitively.
COMMON = frozenset(
    p.lower()
    for p in (
        "P@ssw0rd123", "P@ssword123", "Passw0rd!23", "Password@123", "Password123!",
        "Admin@12345", "Admin@123456", "Admin123456!", "Abc@1234567", "Abc@123456",
        "Abcd@123456", "Aa123456789", "Aa1234567890", "Qwer1234!@#$", "Qwe123456!",
        "1qaz@WSX3edc", "1qaz2wsx#EDC", "1qaz!QAZ2wsx", "Qq123456789", "Root@123456",
        "Test@123456", "Huawei@1234", "Huawei12#$", "Sangfor@123", "Changeme123!",
        "Welcome@123", "Welcome123!", "Woaini1314!", "Dangan@12345", "Yibao@123456",
        "Iloveyou123!", "Zxcvbnm123!", "Asdfghjkl123", "Qwertyuiop1!", "123456Aa!@#",
    )
)  # fmt: skip

_RUNS = (
    "0123456789012345678901234567890",
    string.ascii_lowercase * 2,
    "qwertyuiopasdfghjklzxcvbnm" * 2,
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
)


def _classes(password: str) -> int:
    return sum(
        (
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        )
    )


def _trivial(password: str) -> bool:
    """One character repeated, a short pattern repeated, or a run along the
    alphabet, the digits or the keyboard (either way round)."""
    low = password.lower()
    for unit in range(1, min(6, len(low) // 2 + 1)):
        if len(low) % unit == 0 and low == low[:unit] * (len(low) // unit):
            return True
    return any(low in run or low[::-1] in run for run in _RUNS)


def password_problem(password: str, username: str = "") -> str | None:
    """Why `password` is not acceptable (Chinese), or None when it is."""
    if len(password) < MIN_LENGTH:
        return f"密码至少 {MIN_LENGTH} 个字符。"
    if _classes(password) < MIN_CLASSES:
        return "密码须包含大写字母、小写字母、数字、符号中的至少三类。"
    if _trivial(password):
        return "密码不能是同一字符或片段的重复，也不能是连续的字母、数字或键盘序列。"
    if username and len(username) >= 3 and username.lower() in password.lower():
        return "密码不能包含用户名。"
    if password.lower() in COMMON:
        return "这个密码是常见弱密码，容易被猜中，请换一个。"
    return None


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


@cache
def dummy_hash() -> str:
    """A hash that no password matches, checked for unknown account names so
    that they take as long to refuse as a wrong password for a real account."""
    return hash_password(new_secret())


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


def new_secret() -> str:
    """A random token for sessions and API tokens (URL-safe)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the store keeps of a session or API token (never the token itself)."""
    return hashlib.sha256(token.encode()).hexdigest()


def generate_password() -> str:
    """A random password that meets the policy (for resets and the demo account)."""
    while True:
        candidate = secrets.token_urlsafe(12)[:14] + secrets.choice("-_.!#")
        if password_problem(candidate) is None:
            return candidate
