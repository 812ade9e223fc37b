"""第18条 减轻企业负担 — 工程质量保证金.

> 推行工程担保制度，对建设领域的投标保证金、履约保证金、工程质量保证金、农民工工资保证金，建筑业企业可以
> 保函的方式缴纳，且保函持续有效。……工程质量保证金预留比例由3%降为1.5%，对信用评价90分和80分（含）以上的
> 建筑业企业的质量保证金可分别下调50%和30%。

Encoded (m18_deposit_rate): base 1.5% (old 3%); score ≥ 90 → base × (1 − 50%) = 0.75%; 80 ≤ score < 90 →
base × (1 − 30%) = 1.05%; otherwise, no score, or a failed precondition (通用条款) → 1.5%. Rates: parameters.yaml
quality_deposit. The 保函 option changes no number; the output says so.

Not encoded: 投标/履约/农民工工资保证金, 工程款支付担保, 社保降费 — no rate the workbook could apply.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache

from subsidy.models import Company
from subsidy.params import Parameters
from subsidy.policy import DatedValue, DepositRule

CATEGORIES: tuple[str, ...] = ()
TITLE = "减轻企业负担（工程质量保证金）"
MESSAGES: dict = {}
GUARANTEE = "可以保函方式缴纳，且保函持续有效（第18条），不改变金额"


def _configure(data: dict) -> None:
    global BASE, OLD, CUTS
    BASE = DatedValue.from_yaml(data["base_rate"])
    OLD = DatedValue.from_yaml(data["old_rate"])
    CUTS = DatedValue.from_yaml(data["cuts"])
    _rule.cache_clear()


def deposit_rule(company: Company | None, eligible: bool, params: Parameters,
                 on: dt.date | None = None) -> DepositRule:
    """m18_deposit_rate: the rate for a company's projects, with the reason in Chinese."""
    return _rule(company.credit_score if company is not None else None, eligible, on or params.validity_start)


@lru_cache(maxsize=4096)
def _rule(score: Decimal | None, eligible: bool, day: dt.date) -> DepositRule:
    """The rule depends on the score, the preconditions and the day only: worked out once per distinct three (a
    batch of 25k companies has a few hundred distinct scores)."""
    base, old = Decimal(BASE.at(day)), Decimal(OLD.at(day))
    if not eligible:
        return DepositRule(rate=base, base_rate=base, old_rate=old,
                           note=f"未满足通用条款前提条件，不享受信用下调，按基准比例1.5%；{GUARANTEE}")
    if score is None:
        return DepositRule(rate=base, base_rate=base, old_rate=old,
                           note=f"无信用评价分，按基准比例1.5%（第18条：由3%降为1.5%）；{GUARANTEE}")
    shown = format(score.normalize(), "f")
    for minimum, cut in CUTS.at(day):
        if score >= Decimal(minimum):
            rate = base * (1 - Decimal(cut))
            return DepositRule(rate=rate.normalize(), base_rate=base, old_rate=old,
                               note=f"信用评价{shown}分（{minimum}分及以上），第18条：下调{Decimal(cut) * 100:.0f}%，"
                                    f"比例{rate * 100:.2f}%；{GUARANTEE}")
    return DepositRule(rate=base, base_rate=base, old_rate=old,
                       note=f"信用评价{shown}分（低于80分），按基准比例1.5%（第18条）；{GUARANTEE}")
