"""统一社会信用代码 check, GB 32100-2015."""
from __future__ import annotations

from operator import mul

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_ALLOWED = frozenset(ALPHABET)


def check_char(first17: str) -> str:
    s = sum(map(mul, map(_VALUE.__getitem__, first17), _WEIGHTS))  # the weighted sum, in C loops
    return ALPHABET[(31 - s % 31) % 31]


def problem(code: str) -> str | None:
    """None when ``code`` is a valid 统一社会信用代码, else a Chinese sentence saying what is wrong."""
    if len(code) != 18:
        return f"统一社会信用代码应为18位，实为{len(code)}位"
    if not _ALLOWED.issuperset(code):
        bad = next(c for c in code if c not in _VALUE)
        return f"统一社会信用代码含有不允许的字符“{bad}”（GB 32100-2015 不使用 I、O、Z、S、V）"
    if check_char(code[:17]) != code[17]:
        return f"统一社会信用代码校验位错误（第18位应为{check_char(code[:17])}）"
    return None
