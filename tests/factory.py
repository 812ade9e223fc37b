"""Build engine inputs in a line each: the engine takes plain models, no workbook needed."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from policies import get_pack
from subsidy import engine, params
from subsidy.models import Batch, Claim, Company, DepositRow, HqClaim, Payout
from subsidy.uscc import check_char

PACK = get_pack()


def code(n: int, division: str = "360203") -> str:
    first17 = f"91{division}MA{n:07d}"
    return first17 + check_char(first17)


A = code(1)


def d(x) -> Decimal:
    return Decimal(str(x))


def day(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


def company(credit_code: str = A, *, region: str = "珠山区", score=90, tax=10_000_000, **kw) -> Company:
    return Company(credit_code=credit_code, name=kw.pop("name", f"企业{credit_code[-4:]}"), region=region,
                   credit_score=None if score is None else d(score),
                   local_retained_tax=None if tax is None else d(tax), **kw)


def claim(claim_id: str, category: str, subject: str = "", on: str = "2024-05-01", credit_code: str = A,
          other: float | int | str = 0, other_paid: bool = False, other_name: str = "") -> Claim:
    return Claim(claim_id=claim_id, credit_code=credit_code, category=category, subject=subject,
                 approved_on=day(on), other_policy_amount=d(other), other_policy_paid=other_paid,
                 other_policy_name=other_name)


def hq(claim_id: str = "H-01", recognised: str = "2023-06-01", contribution=800_000, credit_code: str = A,
       mode: str = "总部迁入", qualification: str = "施工总承包一级") -> HqClaim:
    return HqClaim(claim_id=claim_id, credit_code=credit_code, mode=mode, qualification=qualification,
                   recognised_on=day(recognised), fiscal_contribution=d(contribution))


def paid(category: str, amount, *, year: int = 2023, on: str = "2023-12-20", subject: str = "",
         credit_code: str = A) -> Payout:
    return Payout(credit_code=credit_code, category=category, subject=subject, reward_year=year,
                  paid_on=day(on), amount=d(amount))


def deposit(project: str, amount, credit_code: str = A) -> DepositRow:
    return DepositRow(credit_code=credit_code, project=project, settlement_amount=d(amount))


def run(*, companies=None, claims=(), hqs=(), history=(), deposits=(), year: int = 2024, config: dict | None = None,
        extra_history=()):
    prm = params.defaults(PACK)
    if config:
        prm = params.apply(prm, config, PACK)
    batch = Batch(companies=tuple(companies if companies is not None else [company()]), claims=tuple(claims),
                  hq_claims=tuple(hqs), history=tuple(history), deposits=tuple(deposits))
    return engine.assess(batch, year=year, pack=PACK, params=prm, extra_history=tuple(extra_history))


def line(result, claim_id: str):
    [ln] = [x for x in result.lines if x.claim_id == claim_id]
    return ln


def codes(ln) -> set[str]:
    return {r.code for r in ln.reasons}


def cli_run(args, capsys) -> tuple[int, str, str]:
    """`subsidy ARGS` through the real entry point: (exit code, stdout, stderr)."""
    from subsidy.cli import main

    rc = main([str(a) for a in args])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err
