"""第24条 促进科技创新 — technology centres (one-time), standards and 工法 (per item)."""
import pytest

from factory import claim, codes, d, line, paid, run

CASES = [
    pytest.param([claim("T1", "tech_national")], [], "T1", "500000", "awarded", set(),
                 id="第24条: 国家级企业技术中心 is paid 500,000"),
    pytest.param([claim("T1", "tech_provincial")], [], "T1", "200000", "awarded", set(),
                 id="第24条: 省级企业技术中心 is paid 200,000"),
    pytest.param([claim("T1", "tech_national")], [paid("tech_provincial", 200000)], "T1", "300000", "reduced",
                 {"UPGRADE_TOP_UP"}, id="第24条+就高: 国家级 after 省级 was paid in 2023 gets 300,000"),
    pytest.param([claim("T1", "standard_national", "标准甲"), claim("T2", "standard_national", "标准乙")], [], "T2",
                 "50000", "awarded", set(), id="第24条 每项: two national standards are paid 50,000 each"),
    pytest.param([claim("T1", "standard_provincial", "标准甲")], [], "T1", "20000", "awarded", set(),
                 id="第24条: a provincial standard is paid 20,000"),
    pytest.param([claim("T1", "method_national", "工法甲"), claim("T2", "method_provincial", "工法甲")], [], "T2",
                 "0", "ineligible", {"SUPERSEDED_BY_HIGHER"},
                 id="第24条+就高: the same 工法 at both levels is paid once, at the higher"),
    pytest.param([claim("T1", "method_national", "工法甲"), claim("T2", "method_national", "工法甲")], [], "T2",
                 "0", "ineligible", {"DUPLICATE_CLAIM"}, id="第24条: the same 工法 twice is a duplicate claim"),
    pytest.param([claim("T1", "method_provincial", "工法甲")], [], "T1", "20000", "awarded", set(),
                 id="第24条: a provincial 工法 is paid 20,000"),
    pytest.param([claim("T1", "method_national", "工法甲")], [paid("method_provincial", 20000, subject="工法 甲")],
                 "T1", "30000", "reduced", {"UPGRADE_TOP_UP"},
                 id="第24条+就高: a 工法 rising from 省级 to 国家级 gets the difference"),
]


@pytest.mark.parametrize("claims, history, cid, payable, status, want", CASES)
def test_technology(claims, history, cid, payable, status, want):
    ln = line(run(claims=claims, history=history), cid)
    assert (ln.payable, ln.status) == (d(payable), status)
    assert want <= codes(ln)
