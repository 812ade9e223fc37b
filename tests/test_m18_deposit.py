"""第18条 工程质量保证金: 1.5% (down from 3%), cut by 50% at 90 points and 30% at 80 points."""
import pytest

from factory import company, d, deposit, run

CASES = [
    pytest.param(92, {}, "0.0075", "75000", "75000", id="第18条: score 92 cuts the rate by half"),
    pytest.param(90, {}, "0.0075", "75000", "75000", id="第18条: score exactly 90 cuts by half"),
    pytest.param("89.99", {}, "0.0105", "105000", "45000", id="第18条: just below 90 cuts by 30%"),
    pytest.param(85, {}, "0.0105", "105000", "45000", id="第18条: score 85 cuts by 30%"),
    pytest.param(80, {}, "0.0105", "105000", "45000", id="第18条: score exactly 80 (含) cuts by 30%"),
    pytest.param("79.5", {}, "0.015", "150000", "0", id="第18条: score 79.5 keeps the base 1.5%"),
    pytest.param(None, {}, "0.015", "150000", "0", id="第18条: no score keeps the base 1.5%"),
    pytest.param(95, {"wage_arrears": True}, "0.015", "150000", "0",
                 id="通用条款: a company failing a precondition gets no credit cut"),
]


@pytest.mark.parametrize("score, flags, rate, amount, saving", CASES)
def test_quality_deposit(score, flags, rate, amount, saving):
    r = run(companies=[company(score=score, **flags)], deposits=[deposit("项目一", 10_000_000)])
    [dep] = r.deposits
    assert (dep.rate, dep.deposit, dep.saving) == (d(rate), d(amount), d(saving))
    assert dep.old_deposit == d(300000) and dep.base_deposit == d(150000)
    assert "保函" in dep.note


def test_deposit_rounds_half_up_to_the_fen():
    r = run(companies=[company(score=92)], deposits=[deposit("项目一", "100.67")])
    assert r.deposits[0].deposit == d("0.76")  # 100.67 × 0.0075 = 0.755025
