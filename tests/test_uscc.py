"""subsidy.uscc: problem() judges every code as GB 32100-2015's weighted sum does (its check digit is computed in
one int() call, its characters checked on the code's bytes: the same answer, for any text)."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from subsidy.uscc import ALPHABET, check_char, problem

WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # GB 32100-2015, table 2


def by_the_standard(code: str) -> str | None:
    """problem() as the standard words it: one weighted sum, character by character."""
    if len(code) != 18:
        return f"统一社会信用代码应为18位，实为{len(code)}位"
    for c in code:
        if c not in ALPHABET:
            return f"统一社会信用代码含有不允许的字符“{c}”（GB 32100-2015 不使用 I、O、Z、S、V）"
    s = sum(ALPHABET.index(c) * w for c, w in zip(code, WEIGHTS))
    digit = ALPHABET[(31 - s % 31) % 31]
    return None if digit == code[17] else f"统一社会信用代码校验位错误（第18位应为{digit}）"


codes = st.text(ALPHABET, min_size=17, max_size=17).flatmap(
    lambda first17: st.sampled_from([first17 + check_char(first17), *(first17 + c for c in ALPHABET[:3])]))
near = st.text(st.sampled_from(ALPHABET + "IOZSVaz ３Ａ\u3000-\ud800"), min_size=16, max_size=19)


@settings(max_examples=500)
@given(codes | near | st.text(max_size=20))
def test_problem_gives_the_standards_answer_for_any_text(code):
    assert problem(code) == by_the_standard(code)


def test_a_code_with_a_wrong_check_digit_names_the_right_one():
    assert problem("91360203MA0000001C") is None
    assert problem("91360203MA0000001D") == "统一社会信用代码校验位错误（第18位应为C）"
    assert problem("91360203MA000000\ud800C") == "统一社会信用代码含有不允许的字符“\ud800”（GB 32100-2015 不使用 I、O、Z、S、V）"
