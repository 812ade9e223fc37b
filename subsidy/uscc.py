"""统一社会信用代码 check, GB 32100-2015."""
from __future__ import annotations

from operator import mul

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


def check_char(first17: str) -> str:
    s = sum(map(mul, map(_VALUE.__getitem__, first17), _WEIGHTS))  # the weighted sum, in C loops
    return ALPHABET[(31 - s % 31) % 31]


# problem() checks every code of a batch (25k companies at 100k claims), so it does both checks in C calls on the
# code's bytes. Characters: the UTF-8 bytes of a code are all bytes of ALPHABET exactly when its characters are all
# of ALPHABET (ASCII; any other character encodes to bytes above 0x7F). Check digit: the weights are 3^i mod 31
# (1, 3, 9, 27, 81 mod 31 = 19, …) and 34 ≡ 3 (mod 31), so the weighted sum is, mod 31, the number the first 17
# characters spell in base 34 read from the last to the first, once each is written as the base-34 digit of its
# value (0–9 as they are; the alphabet's A…Y, values 10…30, as A…U): one int() (tests/test_uscc.py).
assert _WEIGHTS == tuple(pow(3, i, 31) for i in range(17))
_ALPHABET_BYTES = ALPHABET.encode()
_AS_BASE34 = bytes.maketrans(_ALPHABET_BYTES[10:], b"ABCDEFGHIJKLMNOPQRSTU")


def problem(code: str) -> str | None:
    """None when ``code`` is a valid 统一社会信用代码, else a Chinese sentence saying what is wrong."""
    if len(code) != 18:
        return f"统一社会信用代码应为18位，实为{len(code)}位"
    raw = code.encode("utf-8", "surrogatepass")  # (a lone surrogate too: bytes above 0x7F)
    if raw.translate(None, _ALPHABET_BYTES):  # what is left is not of the alphabet
        bad = next(c for c in code if c not in _VALUE)
        return f"统一社会信用代码含有不允许的字符“{bad}”（GB 32100-2015 不使用 I、O、Z、S、V）"
    if ALPHABET[-int(raw[16::-1].translate(_AS_BASE34), 34) % 31] != code[17]:
        return f"统一社会信用代码校验位错误（第18位应为{check_char(code[:17])}）"
    return None
