"""Every amount is dated data (parameters.yaml): a new rate is a new dated entry, not a code change. A claim is
paid the amount in force on its approval day — the last entry that took effect by then, the first one before any —
and its line cites that entry's reference (SPEC 2.2 step 3; subsidy.policy.DatedValue.entry)."""
import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest

from factory import PACK, claim, company, line
from subsidy import engine, params
from subsidy.models import Batch
from subsidy.policy import DatedValue

#: 鲁班奖 (第6条) raised to 60万 from 2024-07-01 in this made-up pack: two dated entries
_TWO = DatedValue(((dt.date(2023, 1, 1), Decimal("500000"), "第6条：对当年获得“鲁班奖”的每项奖励50万元"),
                   (dt.date(2024, 7, 1), Decimal("600000"), "假设的新文件：鲁班奖每项奖励60万元（2024年7月1日起）")))
_PACK = replace(PACK, categories=tuple(replace(c, amount=_TWO) if c.code == "luban" else c for c in PACK.categories))


def _line(on: str):
    batch = Batch(companies=(company(),), claims=(claim("C1", "luban", "瓷都大厦", on=on),))
    return line(engine.assess(batch, year=2024, pack=_PACK, params=params.defaults(_PACK)), "C1")


@pytest.mark.parametrize("on, amount, cited", [
    ("2024-06-30", "500000.00", "每项奖励50万元"),   # the day before the new entry: the old amount
    ("2024-07-01", "600000.00", "60万元（2024年7月1日起）"),  # the day it takes effect
    ("2024-12-31", "600000.00", "60万元（2024年7月1日起）"),
])
def test_a_claim_is_paid_the_amount_in_force_on_its_approval_day_and_cites_that_entry(on, amount, cited):
    ln = _line(on)
    assert ln.standard_amount == Decimal(amount) and ln.payable == Decimal(amount)
    assert cited in ln.reasons[0].message and ln.reasons[0].code == "STANDARD_AMOUNT"


def test_claims_of_both_entries_in_one_batch_each_get_their_own_amount():
    batch = Batch(companies=(company(),), claims=(claim("C1", "luban", "瓷都大厦", on="2024-06-30"),
                                                  claim("C2", "luban", "昌江花园", on="2024-07-01")))
    r = engine.assess(batch, year=2024, pack=_PACK, params=params.defaults(_PACK))
    assert [line(r, c).standard_amount for c in ("C1", "C2")] == [Decimal("500000.00"), Decimal("600000.00")]
