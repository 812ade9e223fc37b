"""第7条 打造装配式建筑产业基地 — paid by the 受益财政, split between 市财政 and the 注册地 treasury."""
import pytest

from factory import claim, codes, company, d, line, paid, run

CASES = [
    pytest.param("珠山区", [claim("F1", "prefab_national")], [], "1000000",
                 {"市财政": "500000", "珠山区财政": "500000"}, id="第7条: 国家级基地 one million, split half and half"),
    pytest.param("乐平市", [claim("F1", "prefab_provincial")], [], "500000",
                 {"市财政": "250000", "乐平市财政": "250000"}, id="第7条: 省级基地 half a million, split half and half"),
    pytest.param("市本级", [claim("F1", "prefab_provincial")], [], "500000", {"市财政": "500000"},
                 id="第7条: a 市本级 company's base is paid by 市财政 alone"),
    pytest.param("珠山区", [claim("F1", "prefab_national")], [paid("prefab_provincial", 500000)], "500000",
                 {"市财政": "250000", "珠山区财政": "250000"}, id="第7条+就高: 国家级 after 省级 gets the difference"),
]


@pytest.mark.parametrize("region, claims, history, payable, payers", CASES)
def test_prefab_base(region, claims, history, payable, payers):
    ln = line(run(companies=[company(region=region)], claims=claims, history=history), "F1")
    assert ln.payable == d(payable)
    assert ln.payers == {k: d(v) for k, v in payers.items()}


def test_city_share_rounds_half_up_to_the_fen():
    """通用条款 受益财政分级分担: 市财政 gets round_half_up(payable × city_share), the district the rest."""
    r = run(companies=[company(region="高新区", tax=333333.33)], claims=[claim("F1", "prefab_national")],
            config={"city_share": {"高新区": "0.3"}})
    ln = line(r, "F1")
    assert ln.payable == d("333333.33")
    assert ln.payers == {"市财政": d("100000.00"), "高新区财政": d("233333.33")}
    assert "CAP_REDUCED" in codes(ln)
