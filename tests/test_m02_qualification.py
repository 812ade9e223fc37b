"""第2条 鼓励建筑业企业资质升级 — one-time rewards for qualification upgrades, paid by the 注册地 treasury."""
import pytest

from factory import claim, codes, d, line, paid, run

CASES = [
    pytest.param([claim("Q1", "qual_special", on="2024-03-01")], [], "Q1", "1000000", "awarded", set(),
                 id="第2条: 特级资质 is paid one million once"),
    pytest.param([claim("Q1", "qual_grade1", on="2024-03-01")], [], "Q1", "500000", "awarded", set(),
                 id="第2条: 施工总承包一级 is paid half a million"),
    pytest.param([claim("Q1", "qual_supervision")], [], "Q1", "500000", "awarded", set(),
                 id="第2条: 监理综合资质 is paid half a million"),
    pytest.param([claim("Q1", "qual_design")], [], "Q1", "500000", "awarded", set(),
                 id="第2条: 设计行业综合甲级 is paid half a million"),
    pytest.param([claim("Q1", "qual_special"), claim("Q2", "qual_grade1")], [], "Q2", "0", "ineligible",
                 {"SUPERSEDED_BY_HIGHER"}, id="第2条+就高: 一级 claimed beside 特级 in one batch is superseded"),
    pytest.param([claim("Q1", "qual_grade1", "D1"), claim("Q2", "qual_grade1", "D2")], [], "Q2", "0", "ineligible",
                 {"DUPLICATE_CLAIM"}, id="第2条 一次性: a second 一级 certificate of the same company is a duplicate"),
    pytest.param([claim("Q1", "qual_special")], [paid("qual_grade1", 500000)], "Q1", "500000", "reduced",
                 {"UPGRADE_TOP_UP"}, id="第2条+就高: 特级 after 一级 was paid gets the difference"),
    pytest.param([claim("Q1", "qual_grade1")], [paid("qual_grade1", 500000)], "Q1", "0", "ineligible",
                 {"ALREADY_PAID"}, id="第2条 一次性: 一级 already paid is not paid again"),
    pytest.param([claim("Q1", "qual_grade1")], [paid("qual_special", 1000000)], "Q1", "0", "ineligible",
                 {"SUPERSEDED_BY_HIGHER"}, id="第2条+就高: 一级 after 特级 was paid brings nothing"),
    pytest.param([claim("Q1", "qual_supervision")], [paid("qual_grade1", 500000)], "Q1", "500000", "awarded",
                 set(), id="第2条: 监理综合资质 is its own family, a construction upgrade does not touch it"),
]


@pytest.mark.parametrize("claims, history, cid, payable, status, want", CASES)
def test_qualification(claims, history, cid, payable, status, want):
    ln = line(run(claims=claims, history=history), cid)
    assert (ln.payable, ln.status) == (d(payable), status)
    assert want <= codes(ln)


def test_full_upgrade_pays_the_whole_tier_when_configured():
    """口径 tier_upgrade = full: the upgrade is paid in full, noted with UPGRADE_FULL."""
    ln = line(run(claims=[claim("Q1", "qual_special")], history=[paid("qual_grade1", 500000)],
                  config={"tier_upgrade": "full"}), "Q1")
    assert (ln.payable, ln.status) == (d(1000000), "awarded")
    assert "UPGRADE_FULL" in codes(ln)


def test_the_registered_treasury_pays():
    """第2条: 奖励资金由企业注册地财政支付."""
    from factory import company
    r = run(companies=[company(region="浮梁县")], claims=[claim("Q1", "qual_grade1")])
    assert line(r, "Q1").payers == {"浮梁县财政": d(500000)}
    r = run(companies=[company(region="市本级")], claims=[claim("Q1", "qual_grade1")])
    assert line(r, "Q1").payers == {"市财政": d(500000)}
