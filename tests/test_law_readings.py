"""The law readings of the amended SPEC (issue 8, item 5), each case citing the article it encodes.

- 通用条款 "按本措施所享受的" (SPEC 2.2 step 6): a payout counts under this policy when paid on or after
  2023-01-13 AND its reward year is not before 2023.
- 第2条 综合资质: 施工总承包特级资质（综合资质） and 施工综合资质 are 特级 (100万); a bare 综合资质 is ambiguous with
  监理综合资质 (50万) and is refused by the reader (tests/test_input_contract.py).
- 第5条 "一级（甲级）及以上": 综合资质 is above 一级.
- 第6条/第24条 "每项": co-winners of one award wait for the bureau (co_winners = review) or are each paid (each).
- 通用条款 cap: the message states the 地方留成税收 and what was already paid for the year, each payout named.
"""
from __future__ import annotations

import pytest

from factory import claim, code, codes, company, d, hq, line, paid, run

B = code(2, "360202")
C = code(3, "360222")


# --------------------------------------------------------------------------- 通用条款 按本措施所享受的


SCOPE = [
    pytest.param(2022, "2023-03-15", False, id="a 2022 achievement paid 2023-03-15 was paid under the 2018 opinion"),
    pytest.param(2022, "2022-12-30", False, id="a 2022 achievement paid 2022-12-30 was paid under the 2018 opinion"),
    pytest.param(2023, "2023-01-12", False, id="a payout the day before the policy took effect does not count"),
    pytest.param(2023, "2023-01-13", True, id="a 2023 achievement paid on the first day of the policy counts"),
    pytest.param(2023, "2023-12-20", True, id="a 2023 achievement paid in 2023 counts"),
]


@pytest.mark.parametrize(("reward_year", "paid_on", "counts"), SCOPE)
def test_an_earlier_一级_payout_tops_up_a_特级_claim_only_when_paid_under_this_policy(reward_year, paid_on, counts):
    r = run(companies=[company(tax=10_000_000)], claims=[claim("C1", "qual_special", "D1")],
            history=[paid("qual_grade1", 500_000, year=reward_year, on=paid_on)])
    ln = line(r, "C1")
    if counts:
        assert (ln.status, ln.payable) == ("reduced", d("500000.00"))
        assert "UPGRADE_TOP_UP" in codes(ln)
    else:
        assert (ln.status, ln.payable) == ("awarded", d("1000000.00"))
        assert "UPGRADE_TOP_UP" not in codes(ln)


def test_a_payout_under_the_repealed_opinion_is_not_clawed_back_when_the_company_moves_out():
    import datetime as dt

    r = run(companies=[company(moved_out_on=dt.date(2024, 6, 1))], claims=[],
            history=[paid("tech_provincial", 200_000, year=2022, on="2023-03-15"),
                     paid("method_provincial", 20_000, year=2023, on="2023-09-01", subject="工法甲")])
    assert [(c.category_code, c.amount) for c in r.clawbacks] == [("method_provincial", d("20000.00"))]


def test_a_payout_under_the_repealed_opinion_does_not_use_up_this_years_cap():
    r = run(companies=[company(tax=300_000)], year=2023, claims=[claim("C1", "tech_provincial", on="2023-06-01")],
            history=[paid("luban", 300_000, year=2022, on="2023-02-01", subject="旧楼")])
    assert line(r, "C1").payable == d("200000.00")


def test_history_scope_all_counts_every_payout_as_the_config_can_ask():
    r = run(companies=[company()], claims=[claim("C1", "qual_special", "D1")],
            history=[paid("qual_grade1", 500_000, year=2022, on="2023-03-15")], config={"history_scope": "all"})
    assert line(r, "C1").payable == d("500000.00")


# --------------------------------------------------------------------------- 第2条 and 第5条 综合资质


def test_第5条_a_综合资质_company_relocating_its_headquarters_is_above_一级_and_is_paid():
    r = run(companies=[company(region="高新区", tax=10_000_000)], hqs=[hq(qualification="综合资质")])
    ln = line(r, "H-01")
    assert (ln.status, ln.payable) == ("awarded", d("800000.00"))


@pytest.mark.parametrize("written", ["施工综合资质", "施工总承包特级资质（综合资质）", "施工总承包一级（甲级）", "施工总承包特级"])
def test_第5条_the_qualification_may_be_written_as_the_law_writes_it(written):
    assert line(run(companies=[company(region="高新区")], hqs=[hq(qualification=written)]), "H-01").status == "awarded"


@pytest.mark.parametrize("written", ["施工总承包二级", "监理综合资质", ""])
def test_第5条_a_qualification_below_一级_is_not_paid(written):
    ln = line(run(companies=[company(region="高新区")], hqs=[hq(qualification=written)]), "H-01")
    assert ln.status == "ineligible" and "HQ_QUALIFICATION" in codes(ln)


# --------------------------------------------------------------------------- 第6条/第24条 每项: co-winners


def _two_companies(**kw):
    return [company(A_, tax=10_000_000, name="甲建设"), company(B, region="昌江区", tax=10_000_000, name="乙建设")]


A_ = code(1)


def test_第6条_two_companies_claiming_the_same_鲁班奖_both_wait_for_the_bureau_naming_each_other():
    r = run(companies=_two_companies(), claims=[claim("A-1", "luban", "瓷都大厦", credit_code=A_),
                                                claim("B-1", "luban", " 瓷都 大厦 ", credit_code=B)])
    a, b = line(r, "A-1"), line(r, "B-1")
    assert (a.status, a.payable, b.status, b.payable) == ("pending", 0, "pending", 0)
    assert "CO_WINNERS" in codes(a) and "CO_WINNERS" in codes(b)
    message = next(x.message for x in a.reasons if x.code == "CO_WINNERS")
    assert message == (f"第6条：按“每项”奖励，“瓷都大厦”的鲁班奖另有企业申报或已兑现（乙建设（{B}）（申报编号 B-1）），"
                       "是否分享一项奖励由住建局认定后再核")
    assert r.totals.payable == 0


def test_第6条_with_co_winners_each_every_company_is_paid_as_if_alone():
    r = run(companies=_two_companies(), config={"co_winners": "each"},
            claims=[claim("A-1", "luban", "瓷都大厦", credit_code=A_), claim("B-1", "luban", "瓷都大厦", credit_code=B)])
    assert [(line(r, c).status, line(r, c).payable) for c in ("A-1", "B-1")] == [("awarded", d("500000.00"))] * 2


def test_第6条_a_鲁班奖_already_paid_to_another_company_makes_the_claim_wait():
    r = run(companies=_two_companies(), claims=[claim("A-1", "luban", "瓷都大厦", credit_code=A_)],
            history=[paid("luban", 500_000, year=2023, on="2023-12-20", subject="瓷都大厦", credit_code=B)])
    ln = line(r, "A-1")
    assert ln.status == "pending" and "CO_WINNERS" in codes(ln)
    assert "乙建设" in next(x.message for x in ln.reasons if x.code == "CO_WINNERS")


def test_第24条_two_companies_claiming_the_same_工法_wait_but_different_categories_of_one_project_do_not():
    r = run(companies=_two_companies(), claims=[
        claim("A-1", "method_national", "叠合板工法", credit_code=A_),
        claim("B-1", "method_national", "叠合板工法", credit_code=B),
        claim("A-2", "azalea", "昌江大桥", credit_code=A_),
        claim("B-2", "provincial_quality", "昌江大桥", credit_code=B)])
    assert [line(r, c).status for c in ("A-1", "B-1", "A-2", "B-2")] == ["pending", "pending", "awarded", "awarded"]


def test_one_company_claiming_the_same_honour_twice_is_a_duplicate_not_a_co_winner():
    r = run(companies=_two_companies(), claims=[claim("A-1", "luban", "瓷都大厦", credit_code=A_),
                                                claim("A-2", "luban", "瓷都大厦", credit_code=A_)])
    assert (line(r, "A-1").status, line(r, "A-2").status) == ("awarded", "ineligible")
    assert "DUPLICATE_CLAIM" in codes(line(r, "A-2"))


def test_a_one_time_qualification_of_two_companies_is_never_a_co_winner():
    r = run(companies=_two_companies(), claims=[claim("A-1", "qual_grade1", "D1", credit_code=A_),
                                                claim("B-1", "qual_grade1", "D1", credit_code=B)])
    assert [line(r, c).status for c in ("A-1", "B-1")] == ["awarded", "awarded"]


# --------------------------------------------------------------------------- the cap and named payouts


def test_the_cap_message_states_the_local_tax_and_each_payout_already_made_for_the_year():
    r = run(companies=[company(tax=600_000)],
            claims=[claim("C1", "luban", "甲楼"), claim("C2", "azalea", "乙楼")],
            history=[paid("method_provincial", 20_000, year=2024, on="2024-03-01", subject="工法甲"),
                     paid("standard_provincial", 20_000, year=2024, on="2024-04-01", subject="标准乙")])
    msg = next(x.message for x in line(r, "C1").reasons if x.code == "CAP_REDUCED")
    assert msg.startswith("通用条款：企业所得奖励资金总额不得超过该企业缴纳税收地方留成部分（地方留成税收 600,000.00 元，"
                          "2024 年度已兑现 40,000.00 元（2024-03-01 兑现 20,000.00 元（已兑现奖励）、"
                          "2024-04-01 兑现 20,000.00 元（已兑现奖励）），尚可奖励 560,000.00 元）")
    assert line(r, "C1").payable + line(r, "C2").payable == d("560000.00")


def test_already_paid_names_every_payout_from_the_sheet_and_the_ledger_with_its_date_and_amount():
    import datetime as dt

    from subsidy.models import Payout

    sheet = paid("qual_grade1", 500_000, year=2023, on="2023-12-20", subject="D1").model_copy(update={"row": 3})
    ledger = Payout(credit_code=A_, category="qual_grade1", subject="D2", reward_year=2024,
                    paid_on=dt.date(2025, 1, 15), amount=d(500_000), source="账本")
    r = run(companies=[company()], claims=[claim("C1", "qual_grade1", "D3")], history=[sheet],
            extra_history=[ledger])
    msg = next(x.message for x in line(r, "C1").reasons if x.code == "ALREADY_PAID")
    assert msg == ("第2条：该奖励已兑现 1,000,000.00 元（2023-12-20 兑现 500,000.00 元（已兑现奖励表第3行）、"
                   "2025-01-15 兑现 500,000.00 元（兑现账本）），不重复兑现")


def test_第5条_already_paid_names_the_payout_of_the_reward_year():
    r = run(companies=[company(region="高新区")], hqs=[hq()],
            history=[paid("hq_relocation", 800_000, year=2024, on="2025-01-10").model_copy(update={"row": 7})])
    msg = next(x.message for x in line(r, "H-01").reasons if x.code == "ALREADY_PAID")
    assert msg == "第5条：2024 年度的总部迁入奖励已兑现 800,000.00 元（2025-01-10 兑现 800,000.00 元（已兑现奖励表第7行）），不重复兑现"


def test_a_one_time_qualification_in_the_sheet_and_the_ledger_under_other_certificate_text_counts_once():
    import datetime as dt

    from subsidy.models import Payout

    sheet = paid("qual_grade1", 500_000, year=2023, on="2023-12-20", subject="D236000001")
    ledger = Payout(credit_code=A_, category="qual_grade1", subject="D-236000001", reward_year=2023,
                    paid_on=dt.date(2023, 12, 20), amount=d(500_000), source="账本")
    r = run(companies=[company()], claims=[claim("C1", "qual_special", "D136000099")], history=[sheet],
            extra_history=[ledger])
    assert line(r, "C1").payable == d("500000.00")  # the top-up over one 一级 payout, not over two


def test_第6条_a_鲁班奖_waiting_as_a_co_winner_still_supersedes_the_same_companys_杜鹃花奖_of_that_project():
    r = run(companies=_two_companies(), claims=[claim("A-1", "luban", "瓷都大厦", credit_code=A_),
                                                claim("A-2", "azalea", "瓷都大厦", credit_code=A_),
                                                claim("B-1", "luban", "瓷都大厦", credit_code=B)])
    assert line(r, "A-1").status == "pending"
    a2 = line(r, "A-2")
    assert (a2.status, a2.payable) == ("ineligible", 0)
    assert next(x.message for x in a2.reasons if x.code == "SUPERSEDED_BY_HIGHER") == (
        "第6条：同一项目获多项荣誉奖励的按最高荣誉奖励（本批已申报鲁班奖，申报编号 A-1（同一奖项另有企业申报，待住建局认定））")
