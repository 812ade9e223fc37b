"""`subsidy forecast`: money already promised — the remaining reward years of relocated headquarters (第5条).

For every company with 第5条 payouts in the ledger (or a row in the 总部迁入 sheet of ``--applications``), the reward
years from ``start`` to the fifth year after recognition that are not paid yet are estimated:

* the 地方财政贡献 of year Y = the latest known contribution C (of year B) grown by ``growth`` compounded per year:
  ``fen(C × (1 + growth) ** (Y − B))`` — computed exactly in Decimal and rounded to the fen (ROUND_HALF_UP) once,
  per year, from C (never from an already rounded year);
* the reward = what the policy pack's 第5条 decides for that year (``pack.hq_decision``: the rate of year k from
  parameters.yaml, rounded to the fen; ``hq_after_expiry`` and the recognition date's validity as the engine applies
  them), split between treasuries by the engine's ``split_payers`` under the 口径 in force (``city_share``).

The latest contribution and the recognition date come from the ledger (HQ payouts recorded since migration 0003
keep them) or, for payouts recorded before or imported, from ``--applications`` (its 总部迁入 rows are taken as the
batch of the year before ``start``). A company for which neither says them is listed in ``missing`` with why.
Open clawbacks are money receivable, per treasury. The cap (地方留成税收) of future years is unknown: the forecast is
the promise before any cap.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .engine import split_payers
from .errors import SubsidyError
from .ledger.store import UNRECORDED_TREASURY, LedgerPayout
from .models import HqClaim
from .money import ZERO, fen, yuan_text
from .params import Parameters
from .policy import PolicyPack

SOURCE_LEDGER = "账本"
SOURCE_APPLICATIONS = "申报汇总表"
MAX_GROWTH = Decimal("1")  # +100% a year


class BadForecastArgument(SubsidyError):
    """A --growth or --from value the forecast cannot use."""


def parse_growth(text: str | None) -> Decimal:
    """``0.05``, ``5%`` or ``-2%`` → Decimal fraction per year; above −100% and at most +100%."""
    if text is None or not str(text).strip():
        return Decimal("0")
    t = str(text).strip().replace("％", "%")
    try:
        g = Decimal(t[:-1].strip()) / 100 if t.endswith("%") else Decimal(t)
    except InvalidOperation:
        raise BadForecastArgument(f"--growth 的值“{text}”不是增长率（应写 0.05 或 5%，负数表示下降）") from None
    if not g.is_finite() or g <= -1 or g > MAX_GROWTH:
        raise BadForecastArgument(f"--growth 的值“{text}”超出范围：年增长率应大于 -100%、不超过 100%")
    return g


@dataclass(frozen=True)
class YearAmount:
    """One company's promised reward in one year."""

    year: int
    reward_year_index: int  # k
    rate: Decimal
    contribution: Decimal  # estimated 地方财政贡献 of the year
    amount: Decimal
    payers: dict[str, Decimal]


@dataclass(frozen=True)
class CompanyForecast:
    credit_code: str
    company_name: str
    region: str
    recognised_on: dt.date
    base_year: int  # the year of the contribution the estimate starts from
    base_contribution: Decimal
    source: str  # 账本 or 申报汇总表: where the recognition date and the contribution came from
    paid_years: tuple[int, ...]  # reward years the ledger shows paid
    years: tuple[YearAmount, ...]
    notes: tuple[str, ...] = ()  # years left out and why, disagreements between ledger and applications

    @property
    def total(self) -> Decimal:
        return sum((y.amount for y in self.years), ZERO)


@dataclass(frozen=True)
class Missing:
    """A relocated HQ whose remaining years cannot be estimated (or must not be), and why."""

    credit_code: str
    company_name: str
    reason: str


@dataclass(frozen=True)
class Receivable:
    """An open clawback: money a company must return, per treasury."""

    payout: LedgerPayout
    payers: dict[str, Decimal]


@dataclass(frozen=True)
class Forecast:
    policy: PolicyPack
    ledger: str
    start: int
    growth: Decimal
    parameters: Parameters
    config_file: str | None
    applications: str | None
    applications_sha256: str | None
    companies: tuple[CompanyForecast, ...]
    missing: tuple[Missing, ...]
    receivables: tuple[Receivable, ...]
    years: tuple[int, ...] = ()
    treasuries: tuple[str, ...] = ()
    by_year: dict[int, dict[str, Decimal]] = field(default_factory=dict)  # year → treasury → amount

    @property
    def applications_year(self) -> int:
        return self.start - 1

    def year_total(self, year: int) -> Decimal:
        return sum(self.by_year.get(year, {}).values(), ZERO)

    @property
    def by_payer(self) -> dict[str, Decimal]:
        return {t: sum((self.by_year[y].get(t, ZERO) for y in self.years), ZERO) for t in self.treasuries}

    @property
    def total(self) -> Decimal:
        return sum((self.year_total(y) for y in self.years), ZERO)

    @property
    def receivable_by_payer(self) -> dict[str, Decimal]:
        out: dict[str, Decimal] = {}
        for r in self.receivables:
            for t, v in r.payers.items():
                out[t] = out.get(t, ZERO) + v
        return dict(sorted(out.items(), key=lambda kv: self.policy.treasury_rank(kv[0])))

    @property
    def receivable_total(self) -> Decimal:
        return sum((r.payout.amount for r in self.receivables), ZERO)


def estimate(contribution: Decimal, growth: Decimal, years: int) -> Decimal:
    """C × (1 + g) ** n rounded to the fen once (ROUND_HALF_UP); exact in Decimal for an integer n."""
    if years == 0 or growth == 0:
        return fen(contribution)
    from decimal import localcontext

    with localcontext() as ctx:
        ctx.prec = 50
        return fen(contribution * (Decimal(1) + growth) ** years)


@dataclass
class _Facts:
    recognised_on: dt.date | None = None
    base_year: int | None = None
    base: Decimal | None = None
    source: str = SOURCE_LEDGER


def forecast(payouts: list[LedgerPayout], *, pack: PolicyPack, params: Parameters, start: int,
             growth: Decimal = Decimal("0"), batch=None, ledger: str = "", config_file: str | None = None,
             applications: str | None = None) -> Forecast:
    """The forecast from the ledger's payouts in force (and the applications' ``batch``, a models.Batch)."""
    hq = pack.computed_category
    by_company: dict[str, list[LedgerPayout]] = defaultdict(list)
    for p in payouts:
        if p.category == hq.code:
            by_company[p.credit_code].append(p)
    app_rows: dict[str, list[HqClaim]] = defaultdict(list)
    companies = {}
    if batch is not None:
        for h in batch.hq_claims:
            app_rows[h.credit_code].append(h)
        companies = {c.credit_code: c for c in batch.companies}
    clawed = {p.credit_code for p in payouts if p.clawback is not None}

    out: list[CompanyForecast] = []
    missing: list[Missing] = []
    codes = sorted(set(by_company) | set(app_rows),
                   key=lambda c: (pack.region_rank(_region(c, by_company, companies)), c))
    for code in codes:
        paid = sorted(by_company.get(code, []), key=lambda p: (p.reward_year, p.id))
        rows = app_rows.get(code, [])
        company = companies.get(code)
        name = (paid[-1].company_name if paid else "") or (company.name if company else "")
        region = _region(code, by_company, companies)
        notes: list[str] = []
        facts = _Facts()
        known = [p for p in paid if p.hq_recognised_on is not None and p.hq_contribution is not None]
        if known:
            last = known[-1]
            facts = _Facts(last.hq_recognised_on, last.reward_year, last.hq_contribution, SOURCE_LEDGER)
        row = rows[0] if rows else None
        if len(rows) > 1:
            notes.append(f"申报汇总表“总部迁入”表中该企业有 {len(rows)} 行，按第一行（申报编号 {row.claim_id}）")
        if row is not None:
            app_year = start - 1
            if facts.recognised_on is None:
                facts = _Facts(row.recognised_on, app_year, row.fiscal_contribution, SOURCE_APPLICATIONS)
            else:
                if row.recognised_on != facts.recognised_on:
                    notes.append(f"账本记载的落户认定日期 {facts.recognised_on} 与申报汇总表的 {row.recognised_on} 不同，"
                                 "按账本")
                if app_year > facts.base_year:
                    facts.base_year, facts.base, facts.source = app_year, row.fiscal_contribution, SOURCE_APPLICATIONS
                elif app_year == facts.base_year and row.fiscal_contribution != facts.base:
                    notes.append(f"{app_year}年度地方财政贡献：账本为 {yuan_text(facts.base)} 元，申报汇总表为 "
                                 f"{yuan_text(row.fiscal_contribution)} 元，按账本")
        if facts.recognised_on is None:
            years = "、".join(str(y) for y in sorted({p.reward_year for p in paid}))
            how = ("申报汇总表的“总部迁入”表中也没有该企业" if batch is not None
                   else "请用 --applications 给出含该企业“总部迁入”行的申报汇总表")
            missing.append(Missing(code, name, (
                f"账本中该企业 {years} 年度的总部迁入兑现是在账本记录落户认定日期和地方财政贡献之前记账（或导入）的，"
                f"{how}：无法预测其以后年度的奖励")))
            continue
        if region not in pack.regions:
            missing.append(Missing(code, name, f"注册地“{region or '未记录'}”不是本市的区县，无法确定受益财政：无法预测"))
            continue
        if code in clawed:
            missing.append(Missing(code, name, "账本中已登记该企业的追缴（外迁或弄虚作假）：以后年度不再兑现，不计入预测"))
            continue
        if company is not None and pack.clawback_reasons(company, params):
            missing.append(Missing(code, name, "申报汇总表的企业表载明该企业已迁出或弄虚作假：以后年度不再兑现，不计入预测"))
            continue
        if company is not None:
            fails = pack.preconditions(company, params)
            if fails:
                missing.append(Missing(code, name, "按申报汇总表，该企业不满足前提条件（" + "；".join(
                    r.message for r in fails) + "）：不计入预测"))
                continue
        if not paid and row is not None and not pack.hq_qualifies(row.mode, row.qualification):
            missing.append(Missing(code, name, (
                f"申报汇总表中的迁入方式“{row.mode}”、资质等级“{row.qualification}”不符合第5条（施工总承包一级（甲级）"
                "及以上资质企业将总部迁入或设立独立法人子公司），账本中也没有兑现：不计入预测")))
            continue
        paid_years = tuple(sorted({p.reward_year for p in paid}))
        last_year = facts.recognised_on.year + pack.hq_period - 1
        years: list[YearAmount] = []
        for y in range(start, last_year + 1):
            if y in paid_years:
                continue
            contribution = estimate(facts.base, growth, y - facts.base_year)
            claim = HqClaim(claim_id="forecast", credit_code=code,
                            mode=row.mode if row is not None else pack.hq_modes[0],
                            qualification=row.qualification if row is not None else pack.hq_qualifications[0],
                            recognised_on=facts.recognised_on, fiscal_contribution=contribution)
            d = pack.hq_decision(claim, y, params)
            fails = [r for r in d.failures if r.code != "HQ_QUALIFICATION" or not paid]
            if fails:
                notes.append(f"{y}年度不计入：" + "；".join(r.message for r in fails))
                continue
            if d.rate is None or d.standard_amount <= 0:
                continue
            years.append(YearAmount(year=y, reward_year_index=d.reward_year_index, rate=d.rate,
                                    contribution=contribution, amount=d.standard_amount,
                                    payers=split_payers(d.standard_amount, hq, region, pack, params)))
        if not years and not notes:
            notes.append(f"奖励期（{facts.recognised_on.year}–{last_year} 年）在 {start} 年之前已满或各年度均已兑现："
                         "没有待兑现的年度")
        out.append(CompanyForecast(
            credit_code=code, company_name=name, region=region, recognised_on=facts.recognised_on,
            base_year=facts.base_year, base_contribution=facts.base, source=facts.source, paid_years=paid_years,
            years=tuple(years), notes=tuple(notes)))

    receivables = tuple(Receivable(p, dict(p.payers)) for p in payouts
                        if p.clawback is not None and p.clawback.open)
    by_year: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for c in out:
        for y in c.years:
            for t, v in y.payers.items():
                by_year[y.year][t] = by_year[y.year].get(t, ZERO) + v
    years_all = tuple(range(start, max(by_year) + 1)) if by_year else ()
    treasuries = tuple(sorted({t for d in by_year.values() for t in d}, key=pack.treasury_rank))
    return Forecast(policy=pack, ledger=ledger, start=start, growth=growth, parameters=params,
                    config_file=config_file, applications=applications,
                    applications_sha256=batch.input_sha256 if batch is not None else None,
                    companies=tuple(out), missing=tuple(missing), receivables=receivables, years=years_all,
                    treasuries=treasuries, by_year={y: dict(by_year.get(y, {})) for y in years_all})


def _region(code: str, by_company: dict, companies: dict) -> str:
    paid = by_company.get(code) or []
    for p in sorted(paid, key=lambda p: (p.reward_year, p.id), reverse=True):
        if p.region:
            return p.region
    c = companies.get(code)
    return c.region if c is not None else ""


def run(url: str | None, *, start: int, growth: Decimal, pack: PolicyPack, params: Parameters,
        applications: str | Path | None = None, config_file: str | None = None) -> Forecast:
    """Read the ledger (and the applications) and forecast."""
    from .ledger import db, payouts

    batch = None
    if applications is not None:
        from .workbook.reader import read_workbook

        batch = read_workbook(applications, pack=pack)
    rows = payouts(url, policy_id=pack.id)
    return forecast(rows, pack=pack, params=params, start=start, growth=growth, batch=batch,
                    ledger=db.shown(db.resolve_url(url)), config_file=config_file,
                    applications=str(applications) if applications is not None else None)


__all__ = ["BadForecastArgument", "CompanyForecast", "Forecast", "Missing", "Receivable", "YearAmount",
           "UNRECORDED_TREASURY", "estimate", "forecast", "parse_growth", "run"]
