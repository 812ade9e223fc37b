"""第18条 for one project without a workbook: the figures `subsidy deposit` prints and the web calculator shows.

One function, asked by both, so the terminal and the page can never disagree; the rate comes from the pack's
``deposit_rule``, as for a workbook's 质量保证金 sheet.
"""
from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from .money import fen

if TYPE_CHECKING:
    from .params import Parameters


def deposit_figures(amount: Decimal, score: Decimal | None, *, policy: str = "jdz-2023",
                    params: Parameters | None = None) -> dict[str, Any]:
    """第18条 for one project, as the JSON of `subsidy deposit --json` (``params``: the 口径 in force, defaults
    when None)."""
    from policies import get_pack

    from .advice import deposit_cuts
    from .models import Company
    from .params import defaults

    pack = get_pack(policy)
    prm = params if params is not None else defaults(pack)
    company = Company(credit_code="", name="", region=pack.city_region, credit_score=score)
    rule = pack.deposit_rule(company, True, prm)
    deposit = fen(amount * rule.rate)
    base = fen(amount * rule.base_rate)
    old = fen(amount * rule.old_rate)
    return {
        "schema": "subsidy.deposit/1",
        "settlement_amount": f"{fen(amount):.2f}",
        "credit_score": None if score is None else format(score, "f"),
        "rate": format(rule.rate, "f"),
        "base_rate": format(rule.base_rate, "f"),
        "old_rate": format(rule.old_rate, "f"),
        "deposit": f"{deposit:.2f}",
        "base_deposit": f"{base:.2f}",
        "old_deposit": f"{old:.2f}",
        "saving": f"{base - deposit:.2f}",
        "saving_vs_old": f"{old - deposit:.2f}",
        "note": rule.note,
        "next_cuts": [{"credit_score": s, "rate": format(r, "f"), "saving": f"{v:.2f}"}
                      for s, r, v in deposit_cuts(pack, prm, company, [amount])],
    }
