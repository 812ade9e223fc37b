"""第6条 鼓励企业创先争优 — project honours; 同一项目获多项荣誉奖励的按最高荣誉奖励 (m6_highest_honour)."""
import pytest

from factory import claim, codes, d, line, paid, run

CASES = [
    pytest.param([claim("P1", "luban", "瓷都大厦")], [], "P1", "500000", "awarded", set(),
                 id="第6条: 鲁班奖 is paid 500,000 per project"),
    pytest.param([claim("P1", "azalea", "瓷都大厦")], [], "P1", "200000", "awarded", set(),
                 id="第6条: 杜鹃花奖 is paid 200,000 per project"),
    pytest.param([claim("P1", "provincial_quality", "瓷都大厦")], [], "P1", "50000", "awarded", set(),
                 id="第6条: 省优良工程 is paid 50,000 per project"),
    pytest.param([claim("P1", "luban", "瓷都大厦"), claim("P2", "azalea", "瓷都 大厦")], [], "P2", "0", "ineligible",
                 {"SUPERSEDED_BY_HIGHER"}, id="第6条: the lower honour of the same project (spaces ignored) is superseded"),
    pytest.param([claim("P1", "luban", "瓷都大厦"), claim("P2", "azalea", "昌江花园")], [], "P2", "200000", "awarded",
                 set(), id="第6条: honours of two different projects are both paid"),
    pytest.param([claim("P1", "provincial_quality", "A楼"), claim("P2", "provincial_quality", "B楼")], [], "P2",
                 "50000", "awarded", set(), id="第6条 每项: two 省优良工程 for two projects are both paid"),
    pytest.param([claim("P1", "city_quality", "A楼")], [], "P1", "0", "honor_only", {"HONOR_ONLY"},
                 id="第6条: 市优良工程 is honour only, no money"),
    pytest.param([claim("P1", "luban", "A楼"), claim("P2", "city_safety", "A楼")], [], "P2", "0", "honor_only",
                 {"HONOR_ONLY"}, id="第6条: 市安全文明工地 is never superseded by a money honour"),
    pytest.param([claim("P1", "luban", "A楼")], [paid("azalea", 200000, subject="A楼")], "P1", "300000", "reduced",
                 {"SAME_PROJECT_TOP_UP"}, id="第6条: 鲁班奖 after 杜鹃花奖 was paid for the project gets the difference"),
    pytest.param([claim("P1", "azalea", "A楼")], [paid("luban", 500000, subject="A楼")], "P1", "0", "ineligible",
                 {"SUPERSEDED_BY_HIGHER"}, id="第6条: 杜鹃花奖 after 鲁班奖 was paid for the project brings nothing"),
    pytest.param([claim("P1", "luban", "A楼", on="2023-12-31")], [], "P1", "0", "ineligible", {"NOT_ASSESSMENT_YEAR"},
                 id="第6条 当年: an honour of 2023-12-31 is not assessed in 2024"),
    pytest.param([claim("P1", "luban", "A楼", on="2024-01-01")], [], "P1", "500000", "awarded", set(),
                 id="第6条 当年: an honour of 2024-01-01 is assessed in 2024"),
]


@pytest.mark.parametrize("claims, history, cid, payable, status, want", CASES)
def test_project_honours(claims, history, cid, payable, status, want):
    ln = line(run(claims=claims, history=history), cid)
    assert (ln.payable, ln.status) == (d(payable), status)
    assert want <= codes(ln)


def test_full_upgrade_does_not_apply_to_project_honours():
    """第6条 按最高荣誉奖励: the same project's honours are always topped up, whatever tier_upgrade says."""
    ln = line(run(claims=[claim("P1", "luban", "A楼")], history=[paid("azalea", 200000, subject="A楼")],
                  config={"tier_upgrade": "full"}), "P1")
    assert ln.payable == d(300000)
    assert "SAME_PROJECT_TOP_UP" in codes(ln)
