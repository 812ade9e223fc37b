"""第5条 鼓励市外建筑业企业落户本市 — 100% of the local fiscal contribution for two years, 50% for three."""
import pytest

from factory import codes, company, d, hq, line, paid, run

CASES = [
    pytest.param(hq(recognised="2024-06-01"), 2024, "800000", "awarded", {"HQ_RATE"},
                 id="第5条: the year of recognition is year one, 100%"),
    pytest.param(hq(recognised="2023-06-01"), 2024, "800000", "awarded", set(), id="第5条: year two, 100%"),
    pytest.param(hq(recognised="2023-06-01"), 2025, "400000", "awarded", set(), id="第5条: year three, 50%"),
    pytest.param(hq(recognised="2023-06-01"), 2027, "400000", "awarded", set(), id="第5条: year five, 50%"),
    pytest.param(hq(recognised="2023-06-01"), 2028, "0", "ineligible", {"HQ_PERIOD_OVER"},
                 id="第5条: year six is over"),
    pytest.param(hq(recognised="2025-06-01"), 2024, "0", "ineligible", {"NOT_ASSESSMENT_YEAR"},
                 id="第5条: a year before recognition is not a reward year"),
    pytest.param(hq(recognised="2023-01-12"), 2024, "0", "ineligible", {"OUTSIDE_VALIDITY"},
                 id="通用条款: recognised the day before the policy took effect is outside validity"),
    pytest.param(hq(recognised="2023-01-13"), 2024, "800000", "awarded", set(),
                 id="通用条款: recognised the day the policy took effect is inside"),
    pytest.param(hq(recognised="2027-06-01"), 2030, "400000", "awarded", set(),
                 id="第5条 hq_after_expiry=continue: reward years run past the policy's expiry"),
    pytest.param(hq(mode="搬迁办事处"), 2024, "0", "ineligible", {"HQ_QUALIFICATION"},
                 id="第5条: a mode other than 总部迁入 or 设立子公司 does not qualify"),
    pytest.param(hq(qualification="施工总承包二级"), 2024, "0", "ineligible", {"HQ_QUALIFICATION"},
                 id="第5条: a 二级 company does not qualify"),
    pytest.param(hq(mode="设立子公司", qualification="施工总承包特级资质"), 2024, "800000", "awarded", set(),
                 id="第5条: a 特级 subsidiary qualifies"),
]


@pytest.mark.parametrize("row, year, payable, status, want", CASES)
def test_hq_relocation(row, year, payable, status, want):
    ln = line(run(companies=[company(region="高新区")], hqs=[row], year=year), "H-01")
    assert (ln.payable, ln.status) == (d(payable), status)
    assert want <= codes(ln)


def test_hq_is_split_between_city_and_district():
    """第5条 由受益财政: SPEC 6 example, 400,000 to 市财政 and 400,000 to 高新区财政."""
    r = run(companies=[company(region="高新区", tax=800000)], hqs=[hq()])
    assert line(r, "H-01").payers == {"市财政": d(400000), "高新区财政": d(400000)}


def test_hq_already_paid_for_the_year_is_not_paid_again():
    r = run(companies=[company(region="高新区")], hqs=[hq()],
            history=[paid("hq_relocation", 800000, year=2024, on="2025-03-01")])
    assert "ALREADY_PAID" in codes(line(r, "H-01"))


def test_hq_stops_at_expiry_when_configured():
    r = run(companies=[company(region="高新区")], hqs=[hq(recognised="2027-06-01")], year=2029,
            config={"hq_after_expiry": "stop"})
    ln = line(r, "H-01")
    assert ln.status == "ineligible" and "OUTSIDE_VALIDITY" in codes(ln)


@pytest.mark.parametrize("qualification", ["施工总承包一级（甲级）", "施工总承包特级资质（综合资质）", " 施工总承包一级资质 "],
                         ids=["第5条: 一级（甲级） as the law writes it qualifies",
                              "第5条: 特级资质（综合资质） qualifies", "第5条: spaces and 资质 do not matter"])
def test_hq_qualification_as_written_in_the_law(qualification):
    ln = line(run(companies=[company(region="高新区")], hqs=[hq(qualification=qualification)]), "H-01")
    assert ln.status == "awarded"
