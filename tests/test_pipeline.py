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
