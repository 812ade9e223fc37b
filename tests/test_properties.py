"""Invariants of the engine under generated batches (hypothesis): companies, claims, HQ rows and history built as
engine models (tests/factory.py), every rule of SPEC 2.2 reachable. Sized to run in seconds."""
from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factory import PACK, code, run
from subsidy.models import Claim, Company, HqClaim, Payout

FEN = Decimal("0.01")
PROFILE = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

REGIONS = [*PACK.regions] * 3 + [PACK.outside_region]  # mostly local companies
CATEGORIES = [c.code for c in PACK.categories if not c.computed]
SUBJECTS = ["瓷都大厦", "瓷都 大厦", "昌江花园", "D2360001", "装配式叠合板工法", ""]
AMOUNTS = st.sampled_from(["0", "0.01", "10000", "20000", "33333.33", "100000", "199999.99", "500000", "1000000"])
IN_YEAR = st.dates(dt.date(2024, 1, 1), dt.date(2024, 12, 31))
DAYS = st.one_of(IN_YEAR, IN_YEAR, IN_YEAR, st.dates(dt.date(2022, 12, 1), dt.date(2025, 2, 1)))


def money(s: str) -> Decimal:
    return Decimal(s)


@st.composite
def batches(draw):
    """(companies, claims, HQ claims, history, config): up to 6 companies, 25 claims, 4 HQ rows, 10 payouts."""
    n = draw(st.integers(1, 6))
    codes = [code(i + 1) for i in range(n)]
    companies = [
        Company(
            credit_code=c, name=f"企业{i}", region=draw(st.sampled_from(REGIONS)),
            credit_score=draw(st.sampled_from([None, Decimal("65"), Decimal("70"), Decimal("85.5"), Decimal("95"),
                                                Decimal("95")])),
            blacklisted=draw(st.integers(0, 19)) == 0,
            fraud=draw(st.integers(0, 19)) == 0,
            local_retained_tax=draw(st.none() | st.sampled_from(["0", "1", "50000", "120000.50", "300000",
                                                                 "99999999"]).map(money)),
            moved_out_on=dt.date(2024, 9, 30) if draw(st.integers(0, 19)) == 0 else None,
        )
        for i, c in enumerate(codes)
    ]
    claims = [
        Claim(claim_id=f"C-{i + 1}", credit_code=draw(st.sampled_from(codes)),
              category=draw(st.sampled_from(CATEGORIES)), subject=draw(st.sampled_from(SUBJECTS)),
              approved_on=draw(DAYS), other_policy_amount=draw(st.sampled_from(["0", "0", "0", "10000", "600000"])
                                                               .map(money)),
              other_policy_paid=draw(st.booleans()), other_policy_name=draw(st.sampled_from(["", "省级奖励"])))
        for i in range(draw(st.integers(0, 25)))
    ]
    hqs = [
        HqClaim(claim_id=f"H-{i + 1}", credit_code=draw(st.sampled_from(codes)),
                mode=draw(st.sampled_from(["总部迁入", "设立子公司", "其他"])),
                qualification=draw(st.sampled_from(["施工总承包一级", "施工总承包特级", "施工总承包二级"])),
                recognised_on=draw(st.dates(dt.date(2018, 1, 1), dt.date(2025, 1, 1))),
                fiscal_contribution=draw(AMOUNTS.map(money)))
        for i in range(draw(st.integers(0, 4)))
    ]
    history = [
        Payout(credit_code=draw(st.sampled_from(codes)),
               category=draw(st.sampled_from(CATEGORIES + ["hq_relocation"])),
               subject=draw(st.sampled_from(SUBJECTS)), reward_year=draw(st.sampled_from([2023, 2024, 2024])),
               paid_on=draw(DAYS), amount=draw(AMOUNTS.map(money)))
        for _ in range(draw(st.integers(0, 10)))
    ]
    config = {"cap_allocation": draw(st.sampled_from(["proportional", "priority"])),
              "tier_upgrade": draw(st.sampled_from(["top_up", "full"]))}
    return companies, claims, hqs, history, config


def assess(b, *, order: random.Random | None = None):
    companies, claims, hqs, history, config = (list(x) if isinstance(x, list) else x for x in b)
    if order is not None:
        for xs in (companies, claims, hqs, history):
            order.shuffle(xs)
    return run(companies=companies, claims=claims, hqs=hqs, history=history, config=config, year=2024)


def monies(result):
    for ln in result.lines:
        yield from (ln.standard_amount, ln.entitlement, ln.payable, *ln.payers.values())
    for c in result.companies:
        yield from (c.requested, c.entitled, c.payable, c.paid_in_year)
    t = result.totals
    yield from (t.payable, t.clawback, *t.by_payer.values(), *t.by_measure.values())
    for ms in t.by_payer_measure.values():
        yield from ms.values()
    for cb in result.clawbacks:
        yield from (cb.amount, *cb.payers.values())


@PROFILE
@given(batches())
def test_every_input_row_is_exactly_one_output_line(b):
    result = assess(b)
    _, claims, hqs, _, _ = b
    assert Counter(ln.claim_id for ln in result.lines) == Counter(c.claim_id for c in [*claims, *hqs])
    assert sum(result.totals.by_status.values()) == len(result.lines)


@PROFILE
@given(batches())
def test_lines_companies_treasuries_and_the_grand_total_reconcile_to_the_fen(b):
    result = assess(b)
    t = result.totals
    assert sum((ln.payable for ln in result.lines), Decimal(0)) == t.payable
    assert sum((c.payable for c in result.companies), Decimal(0)) == t.payable
    assert sum(t.by_payer.values(), Decimal(0)) == t.payable
    assert sum(t.by_measure.values(), Decimal(0)) == t.payable
    assert sum((v for ms in t.by_payer_measure.values() for v in ms.values()), Decimal(0)) == t.payable
    for payer, ms in t.by_payer_measure.items():
        assert sum(ms.values(), Decimal(0)) == t.by_payer[payer]
    for ln in result.lines:
        assert sum(ln.payers.values(), Decimal(0)) == ln.payable
        assert Decimal(0) <= ln.payable <= ln.entitlement
        if ln.category_code != "hq_relocation":
            assert ln.entitlement <= ln.standard_amount
        if ln.status in ("ineligible", "pending", "honor_only"):
            assert ln.payable == 0 and not ln.payers
        if ln.status == "awarded":
            assert ln.payable == ln.standard_amount > 0


@PROFILE
@given(batches())
def test_the_cap_is_never_exceeded_and_is_met_exactly_when_it_binds(b):
    result = assess(b)
    for c in result.companies:
        if c.local_retained_tax is None or not c.valid:
            continue
        headroom = max(Decimal(0), c.local_retained_tax - c.paid_in_year)
        lines = [ln for ln in result.lines if ln.credit_code == c.credit_code]
        payable = sum((ln.payable for ln in lines), Decimal(0))
        assert payable == c.payable <= headroom
        entitled = sum((ln.entitlement for ln in lines if ln.status in ("awarded", "reduced")), Decimal(0))
        assert c.capped == (entitled > headroom)
        if c.capped:
            assert payable == headroom
            assert any(r.code == "CAP_REDUCED" for ln in lines for r in ln.reasons) or headroom == entitled
        else:
            assert payable == entitled


@PROFILE
@given(batches(), st.integers(0, 2**32))
def test_shuffling_the_rows_changes_no_line(b, seed):
    first = assess(b)
    shuffled = assess(b, order=random.Random(seed))
    assert shuffled.lines == first.lines
    assert shuffled.totals == first.totals
    assert sorted(shuffled.companies, key=lambda c: c.credit_code) == sorted(first.companies,
                                                                            key=lambda c: c.credit_code)
    assert sorted(shuffled.clawbacks, key=repr) == sorted(first.clawbacks, key=repr)


@settings(max_examples=40, deadline=None)
@given(batches())
def test_the_same_input_gives_the_same_output(b):
    from subsidy.jsonout import dumps  # the presenter must be deterministic too

    first, second = assess(b), assess(b)
    assert first == second
    assert dumps(first) == dumps(second)


@PROFILE
@given(batches())
def test_every_money_value_is_a_decimal_with_at_most_two_decimals(b):
    for x in monies(assess(b)):
        assert type(x) is Decimal
        assert x.is_finite() and x.as_tuple().exponent >= -2
