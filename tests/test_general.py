"""通用条款 (G): scope, preconditions, 就高不重复 with other policies, the cap, who pays, clawback."""
import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from factory import PACK, claim, code, codes, company, d, hq, line, paid, run
from subsidy import engine, params

B = code(2, "360202")

PRECONDITIONS = [
    pytest.param({"region": "市外"}, "NOT_REGISTERED_LOCALLY", id="适用范围: a company registered outside the city"),
    pytest.param({"blacklisted": True}, "BLACKLISTED", id="前提条件: a blacklisted company"),
    pytest.param({"score": "69.99"}, "CREDIT_BELOW_MIN", id="前提条件: a score below 70"),
    pytest.param({"score": -5}, "CREDIT_BELOW_MIN", id="前提条件: a negative score"),
    pytest.param({"wage_arrears": True}, "WAGE_ARREARS", id="前提条件: wage arrears"),
    pytest.param({"accident": "较大"}, "MAJOR_ACCIDENT", id="前提条件: a 较大 accident"),
    pytest.param({"accident": "特别重大"}, "MAJOR_ACCIDENT", id="前提条件: a 特别重大 accident"),
    pytest.param({"fraud": True}, "FRAUD", id="前提条件: fraud"),
    pytest.param({"moved_out_on": dt.date(2024, 8, 1)}, "MOVED_OUT", id="前提条件: a company that moved out"),
]


@pytest.mark.parametrize("flags, want", PRECONDITIONS)
def test_a_failed_precondition_makes_every_claim_ineligible(flags, want):
    r = run(companies=[company(**flags)], claims=[claim("C1", "luban", "A楼"), claim("C2", "city_quality", "B楼")])
    for cid in ("C1", "C2"):
        ln = line(r, cid)
        assert ln.status == "ineligible" and ln.payable == 0
        assert want in codes(ln)


@pytest.mark.parametrize("flags", [
    pytest.param({"score": 70}, id="前提条件: a score of exactly 70 passes"),
    pytest.param({"score": None}, id="前提条件: a company not yet scored passes"),
    pytest.param({"accident": "一般"}, id="前提条件: a 一般 accident is below 较大 and passes"),
])
def test_passing_preconditions(flags):
    assert line(run(companies=[company(**flags)], claims=[claim("C1", "luban", "A楼")]), "C1").status == "awarded"


def test_every_failed_precondition_is_listed():
    r = run(companies=[company(region="市外", wage_arrears=True, fraud=True)], claims=[claim("C1", "luban", "A楼")])
    assert {"NOT_REGISTERED_LOCALLY", "WAGE_ARREARS", "FRAUD"} <= codes(line(r, "C1"))


def test_the_minimum_score_is_a_parameter():
    r = run(companies=[company(score=75)], claims=[claim("C1", "luban", "A楼")], config={"min_credit_score": 80})
    assert "CREDIT_BELOW_MIN" in codes(line(r, "C1"))


VALIDITY = [
    pytest.param("2023-01-12", 2023, "ineligible", id="有效期: the day before the policy took effect is outside"),
    pytest.param("2023-01-13", 2023, "awarded", id="有效期: the day the policy took effect is inside"),
    pytest.param("2028-01-12", 2028, "awarded", id="有效期: the last day of the five years is inside"),
    pytest.param("2028-01-13", 2028, "ineligible", id="有效期: the day after the five years is outside"),
]


@pytest.mark.parametrize("on, year, status", VALIDITY)
def test_validity(on, year, status):
    ln = line(run(claims=[claim("C1", "luban", "A楼", on=on)], year=year), "C1")
    assert ln.status == status
    if status == "ineligible":
        assert "OUTSIDE_VALIDITY" in codes(ln)


OTHER = [
    pytest.param("100000", True, "100000", "reduced", "OTHER_POLICY_TOP_UP",
                 id="就高不重复: another policy's 100,000 already paid leaves a top-up of 100,000"),
    pytest.param("200000", True, "0", "reduced", "OTHER_POLICY_HIGHER",
                 id="就高不重复: another policy already paid as much leaves nothing"),
    pytest.param("250000", False, "0", "ineligible", "OTHER_POLICY_HIGHER",
                 id="就高不重复: another policy not yet paid and higher is taken instead"),
    pytest.param("200000", False, "0", "ineligible", "OTHER_POLICY_HIGHER",
                 id="就高不重复: another policy not yet paid and equal is taken instead"),
    pytest.param("150000", False, "200000", "awarded", "OTHER_POLICY_EXCLUDED",
                 id="就高不重复: another policy lower and unpaid is excluded, this one stands"),
    pytest.param("0", False, "200000", "awarded", "STANDARD_AMOUNT", id="就高不重复: no other policy, no effect"),
]


@pytest.mark.parametrize("other, was_paid, payable, status, want", OTHER)
def test_other_policies(other, was_paid, payable, status, want):
    ln = line(run(claims=[claim("C1", "tech_provincial", other=other, other_paid=was_paid,
                                other_name="省科技厅奖励")]), "C1")
    assert (ln.payable, ln.status) == (d(payable), status)
    assert want in codes(ln)


def test_cap_proportional_largest_remainder_spec_example():
    """通用条款 封顶 (cap_g): SPEC 6, 100,000 over 500,000 / 200,000 / 50,000."""
    r = run(companies=[company(tax=100000)], claims=[claim("B-01", "tech_national"),
                                                     claim("B-02", "azalea", "图书馆"),
                                                     claim("B-03", "provincial_quality", "中学")])
    assert [line(r, c).payable for c in ("B-01", "B-02", "B-03")] == [d("66666.67"), d("26666.67"), d("6666.66")]
    assert all(line(r, c).status == "reduced" and "CAP_REDUCED" in codes(line(r, c)) for c in ("B-01", "B-02", "B-03"))
    [s] = r.companies
    assert s.capped and s.payable == d(100000)


def test_cap_ties_go_to_the_smaller_claim_id_in_natural_order():
    r = run(companies=[company(tax="0.01")], claims=[claim("X-10", "provincial_quality", "甲"),
                                                     claim("X-9", "provincial_quality", "乙")])
    assert line(r, "X-9").payable == d("0.01") and line(r, "X-10").payable == 0


def test_cap_priority_fills_in_measure_order():
    r = run(companies=[company(tax=600000)], claims=[claim("Z1", "luban", "A楼"), claim("Z2", "qual_grade1")],
            config={"cap_allocation": "priority"})
    assert line(r, "Z2").payable == d(500000) and line(r, "Z2").status == "awarded"
    assert line(r, "Z1").payable == d(100000) and "CAP_REDUCED" in codes(line(r, "Z1"))


def test_cap_not_binding_when_equal():
    r = run(companies=[company(tax=500000)], claims=[claim("Z1", "luban", "A楼")])
    assert line(r, "Z1").status == "awarded" and not r.companies[0].capped


def test_cap_counts_what_was_already_paid_for_the_same_year():
    """The law caps what the company gets (企业所得奖励资金总额), so an earlier 2024 payout uses 2024's cap."""
    r = run(companies=[company(tax=600000)], claims=[claim("Z1", "luban", "A楼")],
            history=[paid("qual_grade1", 500000, year=2024, on="2024-06-30")])
    assert line(r, "Z1").payable == d(100000)


def test_cap_includes_hq():
    r = run(companies=[company(region="高新区", tax=500000)], claims=[claim("Z1", "luban", "A楼")], hqs=[hq()])
    assert line(r, "Z1").payable + line(r, "H-01").payable == d(500000)


def test_blank_local_tax_leaves_money_claims_pending():
    r = run(companies=[company(tax=None)], claims=[claim("Z1", "luban", "A楼"), claim("Z2", "city_quality", "A楼")])
    assert line(r, "Z1").status == "pending" and "MISSING_LOCAL_TAX" in codes(line(r, "Z1"))
    assert line(r, "Z2").status == "honor_only"


def test_history_before_the_policy_neither_blocks_nor_tops_up():
    """A payout before 2023-01-13 was under the repealed 2018 opinion, not under this policy."""
    r = run(claims=[claim("Q1", "qual_grade1")], history=[paid("qual_grade1", 300000, year=2022, on="2022-06-01")])
    assert line(r, "Q1").status == "awarded"


CLAWBACK = [
    pytest.param({"moved_out_on": dt.date(2026, 3, 1)}, ["2023-12-20", "2025-05-05"], "MOVED_OUT", "700000",
                 id="外迁: every payout under this policy within five years before moving out is returned"),
    pytest.param({"moved_out_on": dt.date(2029, 3, 1)}, ["2023-12-20", "2025-05-05"], "MOVED_OUT", "200000",
                 id="外迁: a payout more than five years before moving out is not returned"),
    pytest.param({"moved_out_on": dt.date(2028, 12, 20)}, ["2023-12-20", "2025-05-05"], "MOVED_OUT", "200000",
                 id="外迁: a payout exactly five years before is outside (D − 5 years, D]"),
    pytest.param({"moved_out_on": dt.date(2028, 12, 19)}, ["2023-12-20", "2025-05-05"], "MOVED_OUT", "700000",
                 id="外迁: a payout five years less a day before is inside"),
    pytest.param({"fraud": True}, ["2023-12-20", "2025-05-05"], "FRAUD", "700000",
                 id="弄虚作假: every payout under this policy is returned"),
]


@pytest.mark.parametrize("flags, dates, reason, total", CLAWBACK)
def test_clawback(flags, dates, reason, total):
    hist = [paid("qual_grade1", 500000, year=2023, on=dates[0]),
            paid("azalea", 200000, year=2025, on=dates[1], subject="A楼")]
    r = run(companies=[company(**flags)], history=hist)
    assert sum(c.amount for c in r.clawbacks) == d(total)
    assert {c.reason_code for c in r.clawbacks} == {reason}
    assert r.totals.clawback == d(total)


def test_clawback_lists_the_treasuries_to_repay():
    r = run(companies=[company(region="珠山区", fraud=True)], history=[paid("prefab_national", 1000000)])
    assert r.clawbacks[0].payers == {"市财政": d(500000), "珠山区财政": d(500000)}


def test_totals_reconcile_across_lines_companies_and_treasuries():
    r = run(companies=[company(tax=700000), company(B, region="高新区", tax=10**7)],
            claims=[claim("1", "luban", "A"), claim("2", "qual_grade1"), claim("3", "prefab_national", credit_code=B)],
            hqs=[hq(credit_code=B)])
    lines = sum(ln.payable for ln in r.lines)
    assert lines == sum(c.payable for c in r.companies) == sum(r.totals.by_payer.values()) == r.totals.payable
    assert r.totals.payable == sum(r.totals.by_measure.values())


def test_history_scope_all_counts_payouts_before_the_policy():
    r = run(claims=[claim("Q1", "qual_grade1")], history=[paid("qual_grade1", 300000, year=2022, on="2022-06-01")],
            config={"history_scope": "all"})
    assert "ALREADY_PAID" in codes(line(r, "Q1"))


def test_a_payout_before_the_policy_is_not_clawed_back_by_default():
    r = run(companies=[company(moved_out_on=dt.date(2024, 6, 1))],
            history=[paid("qual_grade1", 300000, year=2022, on="2022-06-01"), paid("luban", 500000, subject="A")])
    assert [c.amount for c in r.clawbacks] == [d(500000)]


def test_the_treasuries_split_of_many_claims_at_once_is_split_payers_of_each():
    """通用条款 市、县区受益财政分级分担: step 9 works out the 市财政 shares of every paying claim at once in integer fen
    (engine._splits); each split must be what split_payers gives for that one amount, half fen ties included."""
    regions = list(PACK.regions)
    categories = [c for c in PACK.categories if not c.honour_only]
    shares = st.decimals(min_value=0, max_value=1, places=3)

    @settings(max_examples=200, deadline=None)
    @given(st.lists(st.tuples(st.integers(1, 10 ** 13), st.sampled_from(categories), st.sampled_from(regions)),
                    min_size=1, max_size=20), st.dictionaries(st.sampled_from(regions), shares))
    def check(claims, share):
        prm = params.defaults(PACK)
        prm = prm.model_copy(update={"city_share": {**prm.city_share, **share}})
        t = SimpleNamespace(category=[c for _, c, _ in claims], payable=np.array([a for a, _, _ in claims], np.int64))
        ctx = SimpleNamespace(pack=PACK, params=prm)
        got = engine._splits(t, np.arange(len(claims)), [r for _, _, r in claims], ctx)
        assert got == [engine.split_payers(Decimal(a).scaleb(-2), c, r, PACK, prm) for a, c, r in claims]
        assert all(sum(s.values()) == Decimal(a).scaleb(-2) for s, (a, _, _) in zip(got, claims))

    check()
