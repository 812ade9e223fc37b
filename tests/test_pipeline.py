"""SPEC 2.2, the pipeline step by step: each step sees only what the earlier ones left alive, in this order."""
import datetime as dt

from factory import PACK, claim, codes, company, d, hq, line, paid, run
from subsidy import engine, params
from subsidy.models import Batch, RejectedRow


def works_after(step: int, batch: Batch, year: int = 2024):
    """Run the pipeline up to and including ``step`` (1–9) and return the working claims."""
    prm = params.defaults(PACK)
    companies = {c.credit_code: c for c in batch.companies}
    ctx = engine.Ctx(pack=PACK, params=prm, year=year, companies=companies,
                     failures={k: PACK.preconditions(c, prm) for k, c in companies.items()},
                     history=list(batch.history), issues=[])
    t = engine.build_claims(batch, ctx)
    steps = [lambda: engine.step1_row_validity(t, batch, ctx), lambda: engine.step2_preconditions(t, ctx),
             lambda: engine.step3_dates(t, ctx), lambda: engine.step4_duplicates(t, ctx),
             lambda: engine.step5_tiers(t, ctx), lambda: engine.step6_history(t, ctx),
             lambda: engine.step7_other_policies(t, ctx), lambda: engine.step8_cap(t, ctx),
             lambda: engine.step9_payers(t, ctx)]
    for f in steps[:step]:
        f()
    return {w.claim_id: w for w in map(t.at, range(len(t)))}


def test_step1_an_unreadable_row_is_pending_before_anything_else():
    batch = Batch(companies=(company(),), rejected=(RejectedRow(sheet="申报事项", row=2, claim_id="R1",
                                                                 code="INVALID_ROW", message="获批日期：无效"),))
    w = works_after(1, batch)["R1"]
    assert w.status == "pending" and codes(w) == {"INVALID_ROW"}


def test_step1_a_company_with_unreadable_history_waits():
    batch = Batch(companies=(company(),), claims=(claim("C1", "luban", "A楼"), claim("C2", "city_quality", "A楼")),
                  unreadable_history=(company().credit_code,))
    ws = works_after(1, batch)
    assert ws["C1"].status == "pending" and ws["C2"].status is None


def test_step2_a_failed_precondition_stops_the_claim_before_the_date_check():
    batch = Batch(companies=(company(blacklisted=True),), claims=(claim("C1", "luban", "A楼", on="2022-01-01"),))
    w = works_after(3, batch)["C1"]
    assert w.status == "ineligible" and codes(w) == {"BLACKLISTED"}


def test_step3_a_claim_of_another_year_does_not_compete_in_the_tiers():
    """A 2023 鲁班奖 does not supersede a 2024 杜鹃花奖 of the same project in the 2024 batch."""
    batch = Batch(companies=(company(),), claims=(claim("C1", "luban", "A楼", on="2023-06-01"),
                                                  claim("C2", "azalea", "A楼")))
    ws = works_after(5, batch)
    assert "NOT_ASSESSMENT_YEAR" in codes(ws["C1"]) and ws["C2"].alive


def test_step4_duplicates_are_removed_before_the_tiers():
    batch = Batch(companies=(company(),), claims=(claim("C1", "azalea", "A楼"), claim("C2", "azalea", "A楼"),
                                                  claim("C3", "luban", "A楼")))
    ws = works_after(5, batch)
    assert "DUPLICATE_CLAIM" in codes(ws["C2"]) and "SUPERSEDED_BY_HIGHER" in codes(ws["C1"])
    assert ws["C3"].alive


def test_step6_history_tops_up_before_step7_takes_off_the_other_policy():
    r = run(claims=[claim("C1", "tech_national", other=100000, other_paid=True)],
            history=[paid("tech_provincial", 200000)])
    ln = line(r, "C1")
    assert ln.payable == d(200000)
    assert {"UPGRADE_TOP_UP", "OTHER_POLICY_TOP_UP"} <= codes(ln)


def test_step7_other_policy_comes_before_step8_the_cap():
    r = run(companies=[company(tax=150000)], claims=[claim("C1", "tech_provincial", other=100000, other_paid=True),
                                                     claim("C2", "provincial_quality", "A楼")])
    assert line(r, "C1").payable == d(100000) and line(r, "C2").payable == d(50000)
    assert not r.companies[0].capped


def test_step9_the_split_applies_to_the_capped_amount():
    r = run(companies=[company(region="昌江区", tax="100000.01")], hqs=[hq()])
    ln = line(r, "H-01")
    assert ln.payable == d("100000.01")
    assert ln.payers == {"市财政": d("50000.01"), "昌江区财政": d("50000.00")}


def test_lines_come_out_in_natural_claim_id_order_whatever_the_input_order():
    r = run(claims=[claim("A-10", "luban", "甲"), claim("A-9", "luban", "乙"), claim("A-1", "luban", "丙")])
    assert [ln.claim_id for ln in r.lines] == ["A-1", "A-9", "A-10"]


def test_extra_history_from_a_ledger_is_counted_once_with_the_sheet():
    p = paid("tech_provincial", 200000)
    r = run(claims=[claim("C1", "tech_national")], history=[p], extra_history=[p.model_copy(update={"source": "账本"})])
    assert line(r, "C1").payable == d(300000)


def test_moved_out_on_a_date_still_blocks_claims_of_that_year():
    r = run(companies=[company(moved_out_on=dt.date(2024, 12, 31))], claims=[claim("C1", "luban", "A楼")])
    assert "MOVED_OUT" in codes(line(r, "C1"))


def test_step8_the_cap_shared_among_amounts_too_large_for_64_bit_products_is_exact():
    """通用条款 cap_g, largest remainder: the engine's vector path multiplies E_i × C in 64 bits; amounts whose
    product would not fit (a 第5条 reward of hundreds of millions) are shared in Python integers, to the same rule."""
    import numpy as np
    from types import SimpleNamespace

    ents = [30_000_000_001, 50_000_000_000, 19_999_999_999]  # fen: 3 亿元 and more
    cap = 70_000_000_000
    t = SimpleNamespace(entitlement=np.array(ents, np.int64), category=[None] * 3)
    ctx = SimpleNamespace(params=params.defaults(PACK))
    shares = engine.allocate(t, np.array([0, 1, 2]), np.array([0]), [cap], ctx).tolist()
    total = sum(ents)
    floors = [e * cap // total for e in ents]
    by_remainder = sorted(range(3), key=lambda k: (-(ents[k] * cap % total), k))
    for k in by_remainder[:cap - sum(floors)]:
        floors[k] += 1
    assert shares == floors and sum(shares) == cap and all(s <= e for s, e in zip(shares, ents))


def test_step8_the_vector_path_gives_the_largest_remainder_shares_company_by_company():
    import numpy as np
    from types import SimpleNamespace

    ents = [100, 200, 300, 7, 7, 7]  # two companies: 600 capped to 500, 21 capped to 10
    t = SimpleNamespace(entitlement=np.array(ents, np.int64), category=[None] * 6)
    ctx = SimpleNamespace(params=params.defaults(PACK))
    shares = engine.allocate(t, np.arange(6), np.array([0, 3]), [500, 10], ctx).tolist()
    # 500×100/600 = 83.3, 166.7, 250 → 83, 166, 250 (+1 to the largest remainder, .67) ; 10×7/21 = 3.33 each →
    # 3, 3, 3 (+1 to the first: ties go to the smaller 申报编号)
    assert shares == [83, 167, 250, 4, 3, 3]


def test_huge_amounts_are_refused_by_name_rather_than_summed_wrong():
    """Money is integer fen in 64-bit arrays: a batch whose amounts could not be summed exactly there (digits typed
    twice in 地方财政贡献, on a hundred rows) is refused, naming the largest rows, never summed round without a word."""
    import pytest
    from factory import code, hq
    from subsidy.errors import AmountOutOfRange

    firms = [company(code(k + 1), tax=10 ** 15) for k in range(100)]
    hqs = [hq(f"H-{k:03d}", contribution=10 ** 15, credit_code=code(k + 1)) for k in range(100)]
    with pytest.raises(AmountOutOfRange, match=r"^申报金额合计 .* 元超出本工具能精确核算的范围（不超过 46,116,860,184,"
                                               r"273,879\.03 元），最大的几项是“总部迁入”表申报编号 H-000 .*请检查金额是否多写了位数$"):
        run(companies=firms, hqs=hqs)
    one = [hq("H-1", contribution=10 ** 20)]
    with pytest.raises(AmountOutOfRange, match=r"^金额超出本工具能精确核算的范围.*见“总部迁入”表申报编号 H-1 "):
        run(hqs=one)


def test_the_largest_amounts_the_reader_accepts_are_split_between_treasuries_to_the_fen():
    """地方财政贡献 up to 10^15 元 (the reader's limit): every line's treasuries still add up to its amount."""
    from factory import code, hq

    firms = [company(code(k + 1), region=region, tax=10 ** 15) for k, region in enumerate(["昌江区", "浮梁县", "珠山区"])]
    hqs = [hq(f"H-{k}", contribution=10 ** 15 - k, credit_code=code(k + 1)) for k in range(3)]
    r = run(companies=firms, hqs=hqs)
    assert all(ln.payable > 10 ** 13 and sum(ln.payers.values()) == ln.payable for ln in r.lines)
    assert sum(r.totals.by_payer.values()) == r.totals.payable == sum(ln.payable for ln in r.lines)
