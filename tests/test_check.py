"""Self-check of one company: the report and the advice computed from the rules (engine inputs built in code)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from factory import PACK, A, claim, code, company, d, deposit, hq, paid

from subsidy import params
from subsidy.models import Batch
from subsidy.selfcheck import UnknownCompany, find_company, restrict, self_check

PRM = params.defaults(PACK)
B = code(2)


def check(*, companies=None, claims=(), hqs=(), history=(), deposits=(), year=2024, who=A, prm=PRM):
    batch = Batch(companies=tuple(companies if companies is not None else [company()]), claims=tuple(claims),
                  hq_claims=tuple(hqs), history=tuple(history), deposits=tuple(deposits))
    return self_check(batch, who, year=year, pack=PACK, params=prm)


def advice(sc, code_):
    found = [a for a in sc.advice if a.code == code_]
    assert found, f"no {code_} in {[a.code for a in sc.advice]}"
    return found


def test_every_precondition_is_listed_passed_with_the_article_when_the_company_is_clean():
    sc = check(claims=[claim("A1", "luban", "瓷都大厦")])
    assert [c.passed for c in sc.checks] == [True] * 7
    assert {c.article for c in sc.checks} == {"通用条款"}
    assert sc.checks[2].detail == "信用评价分 90 分，不低于 70 分"


def test_a_failed_precondition_is_listed_and_clearing_it_is_worth_the_engine_recomputed_amount():
    sc = check(companies=[company(wage_arrears=True, score=85)], claims=[claim("A1", "luban", "瓷都大厦")],
               deposits=[deposit("瓷都大厦", 10_000_000)])
    failed = [c for c in sc.checks if not c.passed]
    assert [c.code for c in failed] == ["WAGE_ARREARS"]
    [a] = advice(sc, "PRECONDITIONS_FAILED")
    assert a.amount == Decimal("500000.00")
    assert "结清拖欠的农民工工资" in a.message
    # with the precondition met the score of 85 earns the 30% deposit cut: 150,000 → 105,000
    assert "质量保证金可少缴 45,000.00 元" in a.message
    assert sc.payable == Decimal("0.00")


def test_a_fraud_company_is_told_what_it_must_return():
    sc = check(companies=[company(fraud=True)], claims=[claim("A1", "method_national", "工法一")],
               history=[paid("tech_provincial", 200_000)])
    [a] = advice(sc, "CLAWBACK")
    assert a.amount == Decimal("200000.00")
    assert a.message == "因弄虚作假，须缴回已兑现的奖励资金共 200,000.00 元（通用条款，见追缴清单）"


def test_the_cap_binding_gives_the_cut_and_the_local_tax_needed_for_the_full_amount():
    sc = check(companies=[company(tax=100_000)],
               claims=[claim("A1", "tech_national"), claim("A2", "azalea", "图书馆"), claim("A3", "provincial_quality", "教学楼")])
    assert [c.payable for c in sc.claims] == [d("66666.67"), d("26666.67"), d("6666.66")]
    assert sc.cap.capped and sc.cap.headroom == d("-650000.00")
    [a] = advice(sc, "CAP_BINDS")
    assert a.amount == d("650000.00")
    assert a.message == ("封顶生效：应得合计 750,000.00 元 超过地方留成税收 100,000.00 元，按封顶核减 650,000.00 元；"
                         "2024 年度地方留成税收达到 750,000.00 元 即可全额兑现（通用条款）")


def test_the_cap_headroom_is_what_is_left_under_the_local_tax():
    sc = check(companies=[company(tax=600_000)], claims=[claim("A1", "qual_grade1")])
    assert sc.cap.headroom == d("100000.00") and not sc.cap.capped
    assert advice(sc, "CAP_HEADROOM")[0].amount == d("100000.00")


def test_the_cap_counts_what_history_already_paid_for_the_same_year():
    sc = check(companies=[company(tax=600_000)], claims=[claim("A1", "qual_grade1")],
               history=[paid("method_national", 50_000, year=2024, on="2024-06-01", subject="工法一")])
    assert sc.cap.paid_in_year == d("50000.00") and sc.cap.cap == d("550000.00")
    assert sc.cap.headroom == d("50000.00")


def test_another_policy_that_pays_more_is_advised_with_the_difference():
    sc = check(claims=[claim("A1", "standard_national", "JGJ/T 500", other=80_000, other_name="省住建厅标准奖励")])
    [a] = advice(sc, "OTHER_POLICY_PAYS_MORE")
    assert a.amount == d("30000.00")
    assert "“省住建厅标准奖励” 80,000.00 元 高于本措施应得 50,000.00 元" in a.message


def test_this_policy_paying_more_than_the_other_one_says_by_how_much():
    sc = check(claims=[claim("A1", "standard_provincial", "DBJ/T36", other=10_000, other_name="市科技局奖励")])
    [a] = advice(sc, "THIS_POLICY_PAYS_MORE")
    assert a.amount == d("10000.00")


def test_a_lower_honour_on_a_project_rewarded_higher_brings_nothing():
    sc = check(claims=[claim("A1", "luban", "瓷都大厦"), claim("A2", "azalea", "瓷 都大厦")])
    [a] = advice(sc, "LOWER_TIER_NO_GAIN")
    assert a.amount == d("0.00")
    assert a.message.startswith("申报编号 A2（杜鹃花奖“瓷 都大厦”）增加奖励 0 元：同一项目获多项荣誉奖励的按最高荣誉奖励（第6条）")


def test_a_lower_honour_after_a_higher_one_was_paid_also_brings_nothing():
    sc = check(claims=[claim("A1", "provincial_quality", "瓷都大厦")],
               history=[paid("luban", 500_000, subject="瓷都大厦")])
    assert advice(sc, "LOWER_TIER_NO_GAIN")[0].amount == d("0.00")


def test_the_score_needed_for_the_next_deposit_cut_and_the_saving_on_the_listed_projects():
    sc = check(companies=[company(score=75)],
               deposits=[deposit("甲", 10_000_000), deposit("乙", 5_000_000)])
    nxt, top = advice(sc, "DEPOSIT_NEXT_CUT") + advice(sc, "DEPOSIT_TOP_CUT")
    # 1.5% → 1.05% on 15,000,000: 225,000 → 157,500; → 0.75%: 112,500
    assert nxt.amount == d("67500.00") and "达到 80 分" in nxt.message
    assert top.amount == d("112500.00") and "达到 90 分" in top.message


def test_a_fractional_score_just_below_a_bracket_needs_the_next_whole_score():
    sc = check(companies=[company(score="79.5")], deposits=[deposit("甲", 10_000_000)])
    [a] = advice(sc, "DEPOSIT_NEXT_CUT")
    assert "达到 80 分及以上（现为 79.5 分）" in a.message and a.amount == d("45000.00")


def test_a_company_at_the_best_deposit_rate_gets_no_deposit_advice():
    sc = check(companies=[company(score=95)], deposits=[deposit("甲", 10_000_000)])
    assert not [a for a in sc.advice if a.code.startswith("DEPOSIT")]


def test_a_lower_tier_held_can_be_upgraded_before_the_window_closes_for_the_top_up():
    sc = check(claims=[claim("A1", "tech_provincial")])
    [a] = advice(sc, "UPGRADE_BEFORE_EXPIRY")
    assert a.amount == d("300000.00")
    assert "2028-01-12 前获批国家级企业技术中心" in a.message


def test_no_upgrade_advice_once_the_window_has_closed():
    sc = check(claims=[claim("A1", "tech_provincial", on="2027-05-01")], year=2027)
    assert advice(sc, "UPGRADE_BEFORE_EXPIRY")[0].amount == d("300000.00")  # 2028-01-12 is still ahead
    sc = check(claims=[claim("A1", "tech_provincial", on="2028-01-05")], year=2028)
    assert not [a for a in sc.advice if a.code == "UPGRADE_BEFORE_EXPIRY"]


def test_missing_local_tax_says_what_filling_it_in_would_give():
    sc = check(companies=[company(tax=None)], claims=[claim("A1", "provincial_quality", "厂房")])
    [a] = advice(sc, "MISSING_LOCAL_TAX")
    assert a.amount == d("50000.00")
    assert sc.claims[0].status == "pending"


def test_a_claim_of_another_year_is_recomputed_for_that_year():
    sc = check(claims=[claim("A1", "method_provincial", "工法一", on="2023-12-28")])
    [a] = advice(sc, "OTHER_YEAR")
    assert a.amount == d("20000.00") and "应在 2023 年度核定" in a.message
    sc = check(claims=[claim("A1", "method_provincial", "工法一", on="2023-12-28")],
               history=[paid("method_provincial", 20_000, subject="工法一", on="2024-01-15")])
    [a] = advice(sc, "OTHER_YEAR")
    assert a.amount == d("0.00") and "不重复兑现" in a.message


def test_hq_advice_gives_next_years_share():
    sc = check(hqs=[hq(recognised="2023-06-01", contribution=800_000)])
    [a] = advice(sc, "HQ_NEXT_YEAR")
    assert a.amount == d("400000.00") and "第 3 年" in a.message


def test_restricting_to_one_company_changes_no_number():
    other = company(B, tax=100)
    batch = Batch(companies=(company(tax=100_000), other),
                  claims=(claim("A1", "tech_national"), claim("A2", "azalea", "馆"), claim("B1", "luban", "楼",
                                                                                           credit_code=B)))
    assert [c.credit_code for c in restrict(batch, A).companies] == [A]
    sc = self_check(batch, A, year=2024, pack=PACK, params=PRM)
    assert [ln.claim_id for ln in sc.result.lines] == ["A1", "A2"]
    from subsidy.engine import assess
    full = {ln.claim_id: ln.payable for ln in assess(batch, year=2024, pack=PACK, params=PRM).lines}
    assert {c.claim_id: c.payable for c in sc.claims} == {"A1": full["A1"], "A2": full["A2"]}


def test_a_company_is_found_by_code_or_exact_name_and_an_unknown_one_is_refused():
    batch = Batch(companies=(company(name="景德镇甲公司"),))
    assert find_company(batch, A.lower()) == A
    assert find_company(batch, "景德镇甲公司") == A
    with pytest.raises(UnknownCompany) as e:
        find_company(batch, "不存在")
    assert str(e.value) == "申报汇总表中没有统一社会信用代码（或企业名称）为“不存在”的企业（企业表共 1 家企业）"


def test_advice_amounts_are_decimal_to_the_fen():
    sc = check(companies=[company(tax=100_000, score=75)],
               claims=[claim("A1", "tech_national"), claim("A2", "azalea", "馆")],
               deposits=[deposit("甲", "12345678.91")])
    for a in sc.advice:
        assert a.amount is None or (isinstance(a.amount, Decimal) and a.amount == a.amount.quantize(Decimal("0.01")))
