"""The assessment engine: the ordered pipeline of SPEC 2.2 over plain models.

    read → validate → [rows → preconditions → dates → duplicates → tiers → history → other policies → cap → payers]
    → Result

Each step is one function below, named after the rule it applies. A step only looks at claims still alive (no
status yet); when it decides a claim it sets the status and leaves a reason (code + Chinese message citing the
article). The engine knows no Excel and no article of any city: the policy pack supplies categories, amounts,
preconditions, the HQ formula, the deposit rate and the wording of messages.
"""
from __future__ import annotations

import datetime as dt
import gc
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterable, Sequence

from .models import (
    STATUSES,
    Batch,
    Clawback,
    Company,
    CompanySummary,
    DepositLine,
    HqClaim,
    HqFacts,
    Issue,
    Line,
    Payout,
    PolicyRef,
    Reason,
    Result,
    Totals,
)
from .money import ZERO, fen, from_fen_int, to_fen_int, yuan_text
from .params import Parameters, interpretations
from .policy import Category, HqDecision, PolicyPack
from .text import natural_key, norm_subject

# --------------------------------------------------------------------------- working state


@dataclass(eq=False, slots=True)
class Work:
    """One claim on its way through the pipeline (mutable inside the engine only)."""

    claim_id: str
    sheet: str
    row: int | None
    credit_code: str
    category: Category | None
    category_label: str
    subject: str
    approved_on: dt.date | None = None
    company: Company | None = None
    hq: HqClaim | None = None
    hq_decision: HqDecision | None = None  # 第5条 rows: the pack's decision for the year (step 3 applies it)
    hq_facts: HqFacts | None = None
    other_name: str = ""
    other_amount: Decimal = ZERO
    other_paid: bool = False
    standard: Decimal = ZERO
    entitlement: Decimal = ZERO
    payable: Decimal = ZERO
    status: str | None = None
    reasons: list[Reason] = field(default_factory=list)
    payers: dict[str, Decimal] = field(default_factory=dict)

    @property
    def alive(self) -> bool:
        return self.status is None

    @property
    def monetary(self) -> bool:
        return self.category is not None and not self.category.honour_only

    sort_key: tuple = field(init=False, repr=False)  # (natural 申报编号, sheet, row): computed once

    def __post_init__(self) -> None:
        self.sort_key = (natural_key(self.claim_id), self.sheet, self.row or 0)

    @property
    def family_key(self) -> tuple:
        """Tiers compete within (company, family, key): the key is the subject, the year, or nothing."""
        c = self.category
        assert c is not None
        k = norm_subject(self.subject) if c.key == "subject" else ""
        return (self.credit_code, c.family or c.code, k)

    def decide(self, status: str, *reasons: Reason) -> None:
        self.status = status
        self.reasons.extend(reasons)
        if status in ("ineligible", "pending", "honor_only"):
            self.entitlement = ZERO
            self.payable = ZERO


@dataclass
class Ctx:
    pack: PolicyPack
    params: Parameters
    year: int
    companies: dict[str, Company]
    failures: dict[str, list[Reason]]  # credit code → failed preconditions
    history: list[Payout]
    issues: list[Issue]

    _by_company: dict[str, list[Payout]] | None = field(default=None, init=False, repr=False)

    def history_of(self, code: str) -> list[Payout]:
        """The company's payouts of ``history``, in history order (grouped once: linear in the history)."""
        if self._by_company is None:
            self._by_company = defaultdict(list)
            for p in self.history:
                self._by_company[p.credit_code].append(p)
        return self._by_company.get(code, [])

    _reasons: dict[tuple, Reason] = field(default_factory=dict, init=False, repr=False)

    def msg(self, code: str, measure: int | None = None, **fields) -> Reason:
        """The reason for ``code``; equal reasons are one shared (frozen) object, so 100k lines stay small."""
        key = (code, measure, *sorted(fields.items()))
        r = self._reasons.get(key)
        if r is None:
            r = self._reasons[key] = Reason(code=code, message=self.pack.message(code, measure, **fields))
        return r

    def standard_reason(self, cat: Category, day: dt.date) -> Reason:
        key = ("STANDARD_AMOUNT", cat.code, cat.amount.entry(day)[0] if cat.amount else None)
        r = self._reasons.get(key)
        if r is None:
            r = self._reasons[key] = Reason(code="STANDARD_AMOUNT", message=cat.reference(day))
        return r


# --------------------------------------------------------------------------- the pipeline


def assess(batch: Batch, *, year: int, pack: PolicyPack, params: Parameters,
           extra_history: Sequence[Payout] = (), ledger_used: bool = False) -> Result:
    """Assess every claim of ``batch`` for reward year ``year``; history = the batch's sheet + ``extra_history``
    (``ledger_used``: that history was read from a ledger, so repeat payments could be checked even when the
    workbook has no 已兑现奖励 sheet)."""
    # the pipeline makes hundreds of thousands of small acyclic objects on 100k claims: the cyclic collector
    # would only rescan them (and the batch) over and over, nearly doubling the time, so it pauses meanwhile
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _assess(batch, year=year, pack=pack, params=params, extra_history=extra_history,
                       ledger_used=ledger_used)
    finally:
        if was_enabled:
            gc.enable()


def _assess(batch: Batch, *, year: int, pack: PolicyPack, params: Parameters,
            extra_history: Sequence[Payout], ledger_used: bool) -> Result:
    companies = {c.credit_code: c for c in batch.companies}
    issues = list(batch.issues)
    history = merge_history(batch.history, extra_history, pack=pack, issues=issues)
    ctx = Ctx(pack=pack, params=params, year=year, companies=companies,
              failures={code: pack.preconditions(c, params) for code, c in companies.items()},
              history=[p for p in history if under_this_policy(p, params)], issues=issues)

    works = build_works(batch, ctx)
    step1_row_validity(works, batch, ctx)
    step2_preconditions(works, ctx)
    step3_dates(works, ctx)
    step4_duplicates(works, ctx)
    step5_tiers(works, ctx)
    step6_history(works, ctx)
    step7_other_policies(works, ctx)
    capped = step8_cap(works, ctx)
    step9_payers(works, ctx)
    finish_status(works)

    works.sort(key=lambda w: w.sort_key)
    lines = tuple(to_line(w) for w in works)
    summaries = company_summaries(batch, works, capped, ctx)
    deposits = quality_deposits(batch, ctx)
    clawbacks = clawback_list(ctx, history)
    return Result(
        policy=PolicyRef(id=pack.id, number=pack.number, title=pack.title, issued=pack.issued,
                         validity_start=params.validity_start, validity_end=params.validity_end),
        year=year,
        input_sha256=batch.input_sha256,
        parameters=params.as_json(),
        lines=lines,
        companies=summaries,
        deposits=deposits,
        clawbacks=clawbacks,
        totals=totals(lines, clawbacks, pack=pack),
        issues=tuple(issues),
        interpretations=interpretations(params, pack),
        notices=(*batch.notices, *run_notices(batch, works, ctx, ledger_used=ledger_used)),
    )


def run_notices(batch: Batch, works: list[Work], ctx: Ctx, *, ledger_used: bool) -> list[Reason]:
    """What the run as a whole must say: history that could not be checked, a year with nothing in it."""
    out = []
    if not batch.history_given and not ledger_used:
        out.append(Reason(code="NO_HISTORY", message=ctx.pack.message("NO_HISTORY")))
    claims = [w for w in works if w.approved_on is not None and w.hq is None]
    in_year = any(w.approved_on.year == ctx.year for w in claims) or any(
        1 <= ctx.year - h.recognised_on.year + 1 <= ctx.pack.hq_period for h in batch.hq_claims)
    if not in_year:  # an empty year is legal (a batch of deposits only), a silent one is not
        years: dict[int, int] = defaultdict(int)
        for w in claims:
            years[w.approved_on.year] += 1
        present = "、".join(f"{y} 年 {n} 项" for y, n in sorted(years.items()))
        hq = "、".join(sorted({f"{h.recognised_on.year}–{h.recognised_on.year + ctx.pack.hq_period - 1} 年"
                               for h in batch.hq_claims}))
        out.append(Reason(code="EMPTY_YEAR", message=ctx.pack.message(
            "EMPTY_YEAR", year=ctx.year, present=present or "无", hq=hq or "无")))
    return out


def build_works(batch: Batch, ctx: Ctx) -> list[Work]:
    works: list[Work] = []
    for c in batch.claims:
        cat = ctx.pack.category(c.category)
        works.append(Work(claim_id=c.claim_id, sheet=c.sheet, row=c.row, credit_code=c.credit_code, category=cat,
                          category_label=cat.label, subject=c.subject, approved_on=c.approved_on,
                          company=ctx.companies.get(c.credit_code), other_name=c.other_policy_name,
                          other_amount=c.other_policy_amount, other_paid=c.other_policy_paid,
                          standard=cat.standard_amount(c.approved_on)))
    hq_cat = ctx.pack.computed_category
    for h in batch.hq_claims:
        d = ctx.pack.hq_decision(h, ctx.year, ctx.params)
        works.append(Work(claim_id=h.claim_id, sheet=h.sheet, row=h.row, credit_code=h.credit_code,
                          category=hq_cat, category_label=hq_cat.label, subject="", approved_on=h.recognised_on,
                          company=ctx.companies.get(h.credit_code), hq=h, hq_decision=d,
                          hq_facts=HqFacts.trusted(recognised_on=h.recognised_on, reward_year_index=d.reward_year_index,
                                                   rate=d.rate, fiscal_contribution=h.fiscal_contribution)))
    for r in batch.rejected:
        cat = ctx.pack.category_by_label(r.category_label) if r.category_label else None
        if r.sheet == "总部迁入":
            cat = hq_cat
        w = Work(claim_id=r.claim_id, sheet=r.sheet, row=r.row, credit_code=r.credit_code, category=cat,
                 category_label=cat.label if cat else r.category_label, subject=r.subject,
                 company=ctx.companies.get(r.credit_code))
        if cat is not None and not cat.computed:
            w.standard = cat.standard_amount(ctx.params.validity_start)
        w.decide("pending", Reason(code=r.code, message=r.message))
        works.append(w)
    return works


def step1_row_validity(works: list[Work], batch: Batch, ctx: Ctx) -> None:
    """SPEC 2.2 step 1. Unreadable rows are already pending (build_works). A company whose 已兑现奖励 rows could not
    be read cannot be told what it was already paid: its money claims wait rather than risk paying twice."""
    bad_history = set(batch.unreadable_history)
    for w in works:
        if w.alive and w.monetary and w.credit_code in bad_history:
            w.decide("pending", ctx.msg("INVALID_ROW", detail=ctx.pack.message(
                "INVALID_HISTORY", detail="见数据问题表“已兑现奖励”")))


def step2_preconditions(works: list[Work], ctx: Ctx) -> None:
    """SPEC 2.2 step 2 (通用条款 适用范围 and 前提条件): any failure makes every claim of the company ineligible."""
    for w in works:
        if w.alive and ctx.failures.get(w.credit_code):
            w.decide("ineligible", *ctx.failures[w.credit_code])


def step3_dates(works: list[Work], ctx: Ctx) -> None:
    """SPEC 2.2 step 3; for HQ rows, SPEC 2.4 (the policy's M5 decides the reward year and the share)."""
    p = ctx.params
    for w in works:
        if not w.alive:
            continue
        if w.hq is not None:
            d = w.hq_decision
            w.standard = d.standard_amount
            w.reasons.extend(d.notes)
            if d.failures:
                w.decide("ineligible", *d.failures)
            continue
        assert w.approved_on is not None and w.category is not None
        fails = []
        if not p.validity_start <= w.approved_on <= p.validity_end:
            fails.append(ctx.msg("OUTSIDE_VALIDITY", start=p.validity_start, end=p.validity_end, what="获批日期",
                                 date=w.approved_on))
        if w.approved_on.year != ctx.year:
            fails.append(ctx.msg("NOT_ASSESSMENT_YEAR", w.category.measure, date=w.approved_on, year=ctx.year))
        if fails:
            w.decide("ineligible", *fails)
        elif w.monetary:
            w.reasons.append(ctx.standard_reason(w.category, w.approved_on))


def step4_duplicates(works: list[Work], ctx: Ctx) -> None:
    """SPEC 2.2 step 4: the same company, category and normalised subject twice: the first 申报编号 stands.
    For a one-time reward keyed by company (资质, 基地, 技术中心, 总部迁入 per year) the subject does not tell two
    claims apart: a second claim of the same category is the same reward claimed twice."""
    groups: dict[tuple, list[Work]] = defaultdict(list)
    for w in works:
        if w.alive:
            assert w.category is not None
            key = norm_subject(w.subject) if w.category.key == "subject" else ""
            groups[(w.credit_code, w.category.code, key)].append(w)
    for group in groups.values():
        group.sort(key=lambda w: w.sort_key)
        for w in group[1:]:
            w.decide("ineligible", ctx.msg("DUPLICATE_CLAIM", w.category.measure, first=group[0].claim_id))
    step4_co_winners(works, ctx)


def step4_co_winners(works: list[Work], ctx: Ctx) -> None:
    """SPEC 2.2 step 4, co-winners (第6条、第24条 "每项"): the same normalised project or subject claimed in one
    per-item category by two or more companies — in this batch (whatever became of the other company's claim) or
    against history under this policy. The law pays per award, not per company: whether co-winners share one award
    or each is paid is the bureau's decision (口径 co_winners). With ``review`` every such claim still alive waits
    (pending CO_WINNERS, naming the other companies); with ``each`` each is assessed as if alone."""
    if ctx.params.co_winners == "each":
        return
    # (category, subject) → company → [(sort key, where)]: named in a fixed order, whatever the rows' order
    claimants: dict[tuple, dict[str, list[tuple]]] = defaultdict(dict)
    for w in works:
        if _per_item(w.category) and w.hq is None and w.approved_on is not None and norm_subject(w.subject):
            claimants[(w.category.code, norm_subject(w.subject))].setdefault(w.credit_code, []).append(
                ((0, w.sort_key), f"申报编号 {w.claim_id}"))
    if not claimants:
        return
    for p in ctx.history:
        key = (p.category, norm_subject(p.subject))
        if key in claimants:
            claimants[key].setdefault(p.credit_code, []).append(
                ((1, (p.paid_on, p.amount)), f"已于 {p.paid_on} 兑现 {yuan_text(p.amount)} 元"))
    for w in works:
        if not (w.alive and _per_item(w.category)):
            continue
        others = claimants.get((w.category.code, norm_subject(w.subject)), {})
        if len(others) < 2:
            continue
        named = "；".join(f"{_company_name(ctx, code)}（{'、'.join(text for _, text in sorted(where))}）"
                         for code, where in sorted(others.items()) if code != w.credit_code)
        w.decide("pending", ctx.msg("CO_WINNERS", w.category.measure, label=w.category.label,
                                    subject=w.subject, others=named))


def _waits_as_co_winner(w: Work) -> bool:
    return w.status == "pending" and any(r.code == "CO_WINNERS" for r in w.reasons)


def _per_item(cat: Category | None) -> bool:
    """A category paid per award (每项): keyed by its project or subject, with money."""
    return cat is not None and cat.key == "subject" and not cat.honour_only and not cat.computed


def _company_name(ctx: Ctx, code: str) -> str:
    c = ctx.companies.get(code)
    return f"{c.name}（{code}）" if c else code


def step5_tiers(works: list[Work], ctx: Ctx) -> None:
    """SPEC 2.2 step 5 (就高; for project honours 第6条 同一项目获多项荣誉奖励的按最高荣誉奖励 — m6_highest_honour):
    within one family and key only the highest tier claimed in the batch stands. A higher claim waiting for the
    bureau as a co-winner (step 4) is still claimed: the same company's lower honour of that project is superseded
    now (paid, it would be 同一项目 paid twice over if the bureau later pays the higher one)."""
    groups: dict[tuple, list[Work]] = defaultdict(list)
    for w in works:
        if (w.alive or _waits_as_co_winner(w)) and w.monetary and w.category.family:
            groups[w.family_key].append(w)
    for group in groups.values():
        best = max(w.category.tier for w in group)
        top = min((w for w in group if w.category.tier == best), key=lambda w: w.sort_key)
        waiting = "（同一奖项另有企业申报，待住建局认定）" if not top.alive else ""
        for w in group:
            if w.alive and w.category.tier < best:
                w.decide("ineligible", ctx.msg("SUPERSEDED_BY_HIGHER", w.category.measure,
                                               higher=f"本批已申报{top.category.label}，申报编号 {top.claim_id}{waiting}"))
    for w in works:
        if w.alive and w.category is not None and w.category.honour_only:
            w.decide("honor_only", ctx.msg("HONOR_ONLY", w.category.measure))


def step6_history(works: list[Work], ctx: Ctx) -> None:
    """SPEC 2.2 step 6: what was already paid in the same family and key under this policy."""
    by_key: dict[tuple, list[tuple[Payout, Category]]] = defaultdict(list)
    for p in ctx.history:
        cat = _category(ctx.pack, p.category)
        if cat is None or cat.honour_only:
            continue
        if cat.computed:  # paid per reward year (第5条)
            by_key[(p.credit_code, cat.code, str(p.reward_year))].append((p, cat))
        else:
            k = norm_subject(p.subject) if cat.key == "subject" else ""
            by_key[(p.credit_code, cat.family or cat.code, k)].append((p, cat))
    for w in works:
        if not (w.alive and w.monetary):
            continue
        cat = w.category
        w.entitlement = w.standard
        if cat.computed:
            paid = [x for x, _ in by_key.get((w.credit_code, cat.code, str(ctx.year)), [])]
            if paid:
                w.decide("ineligible", ctx.msg("ALREADY_PAID", cat.measure, year=ctx.year,
                                               paid=yuan_text(sum((x.amount for x in paid), ZERO)),
                                               payouts=payouts_text(paid)))
            continue
        paid_cats = by_key.get(w.family_key, [])
        if not paid_cats:
            continue
        paid = [p for p, _ in paid_cats]
        total = sum((p.amount for p in paid), ZERO)
        top_cat = max(c.tier for _, c in paid_cats)
        if top_cat == cat.tier:
            w.decide("ineligible", ctx.msg("ALREADY_PAID", cat.measure, paid=yuan_text(total),
                                           payouts=payouts_text(paid)))
        elif top_cat > cat.tier:
            higher = [p for p, c in paid_cats if c.tier == top_cat]
            label = next(c.label for _, c in paid_cats if c.tier == top_cat)
            w.decide("ineligible", ctx.msg("SUPERSEDED_BY_HIGHER", cat.measure,
                                           higher=f"已兑现更高等级的{label}：{payouts_text(higher)}"))
        elif cat.always_top_up:
            w.entitlement = max(ZERO, w.standard - total)
            w.reasons.append(ctx.msg("SAME_PROJECT_TOP_UP", cat.measure, paid=yuan_text(total),
                                     payouts=payouts_text(paid), amount=yuan_text(w.entitlement)))
        elif ctx.params.tier_upgrade == "top_up":
            w.entitlement = max(ZERO, w.standard - total)
            w.reasons.append(ctx.msg("UPGRADE_TOP_UP", cat.measure, paid=yuan_text(total),
                                     payouts=payouts_text(paid), amount=yuan_text(w.entitlement)))
        else:
            w.reasons.append(ctx.msg("UPGRADE_FULL", cat.measure, paid=yuan_text(total),
                                     payouts=payouts_text(paid)))


def step7_other_policies(works: list[Work], ctx: Ctx) -> None:
    """SPEC 2.2 step 7 (通用条款 对现行有效奖励扶持政策与本措施重复的，按就高不重复原则享受扶持资金)."""
    for w in works:
        if not (w.alive and w.monetary) or w.other_amount <= 0:
            continue
        name = f"“{w.other_name}”" if w.other_name else "其他政策"
        o, e = w.other_amount, w.entitlement
        if w.other_paid:
            w.entitlement = max(ZERO, e - o)
            code = "OTHER_POLICY_TOP_UP" if w.entitlement > 0 else "OTHER_POLICY_HIGHER"
            w.reasons.append(ctx.msg(code, name=name, other=yuan_text(o), amount=yuan_text(
                w.entitlement if w.entitlement > 0 else e)))
        elif o >= e:
            w.decide("ineligible", ctx.msg("OTHER_POLICY_HIGHER", name=name, other=yuan_text(o), amount=yuan_text(e)))
        else:
            w.reasons.append(ctx.msg("OTHER_POLICY_EXCLUDED", name=name, other=yuan_text(o), amount=yuan_text(e)))


def step8_cap(works: list[Work], ctx: Ctx) -> dict[str, bool]:
    """SPEC 2.2 step 8 (通用条款 企业所得奖励资金总额不得超过该企业缴纳税收地方留成部分) — cap_g.

    The cap C is the company's 地方留成税收 for the reward year, less what history shows was already paid for that
    same reward year (cap_period = year: the law caps what the company gets, not what one batch gives it)."""
    by_company: dict[str, list[Work]] = defaultdict(list)
    for w in works:
        if w.alive and w.monetary:
            w.payable = w.entitlement
            by_company[w.credit_code].append(w)
    capped: dict[str, bool] = {}
    for code, group in by_company.items():
        company = ctx.companies[code]
        wanting = [w for w in group if w.entitlement > 0]
        if company.local_retained_tax is None:
            for w in wanting:
                w.decide("pending", ctx.msg("MISSING_LOCAL_TAX"))
            continue
        earlier = [p for p in ctx.history_of(code) if p.reward_year == ctx.year]
        already = sum((p.amount for p in earlier), ZERO)
        headroom = max(ZERO, company.local_retained_tax - already)
        total = sum((w.entitlement for w in group), ZERO)
        if total <= headroom:
            capped[code] = False
            continue
        capped[code] = True
        shares = allocate(group, headroom, ctx)
        method = "比例分配（最大余数法）" if ctx.params.cap_allocation == "proportional" else "条款顺序依次分配"
        for w, share in zip(group, shares):
            if share < w.entitlement:
                w.payable = share
                w.reasons.append(ctx.msg(
                    "CAP_REDUCED", tax=yuan_text(company.local_retained_tax), year=ctx.year,
                    paid=yuan_text(already), payouts=f"（{payouts_text(earlier)}）" if earlier else "",
                    cap=yuan_text(headroom), method=method, amount=yuan_text(share)))
    return capped


def allocate(group: list[Work], cap: Decimal, ctx: Ctx) -> list[Decimal]:
    """Share ``cap`` among the claims; the shares sum to ``cap`` exactly and none exceeds its entitlement.

    proportional: E_i × C / S floored to the fen, leftover fen one each to the largest remainders, ties to the
    smaller 申报编号 (integer fen arithmetic, exact). priority: fill in the policy's measure order, then 申报编号."""
    ents = [to_fen_int(w.entitlement) for w in group]
    c = to_fen_int(cap)
    if ctx.params.cap_allocation == "priority":
        order = sorted(range(len(group)), key=lambda i: (_measure_rank(group[i], ctx), group[i].sort_key))
        out = [0] * len(group)
        left = c
        for i in order:
            out[i] = min(ents[i], left)
            left -= out[i]
        return [from_fen_int(x) for x in out]
    s = sum(ents)
    floors = [e * c // s for e in ents]
    rems = [e * c % s for e in ents]
    leftover = c - sum(floors)
    order = sorted(range(len(group)), key=lambda i: (-rems[i], group[i].sort_key))
    for i in order[:leftover]:
        floors[i] += 1
    return [from_fen_int(x) for x in floors]


def _measure_rank(w: Work, ctx: Ctx) -> int:
    order = ctx.pack.measure_order
    return order.index(w.category.measure) if w.category.measure in order else len(order)


def step9_payers(works: list[Work], ctx: Ctx) -> None:
    """SPEC 2.2 step 9: 注册地财政 pays it all, or the 受益财政 split between 市财政 and the 注册地 treasury."""
    for w in works:
        if w.alive and w.monetary and w.payable > 0:
            w.payers = split_payers(w.payable, w.category, w.company.region, ctx.pack, ctx.params)


def split_payers(amount: Decimal, cat: Category, region: str, pack: PolicyPack,
                 params: Parameters) -> dict[str, Decimal]:
    local = pack.treasury(region)
    if cat.payer == "beneficiary" and region != pack.city_region:
        city = fen(amount * params.city_share[region])
        out = {pack.city_treasury: city, local: amount - city}
    else:
        out = {local: amount}
    return {k: v for k, v in out.items() if v > 0}


def finish_status(works: list[Work]) -> None:
    for w in works:
        if w.alive:
            w.status = "awarded" if w.payable == w.standard and w.standard > 0 else "reduced"


# --------------------------------------------------------------------------- history


def under_this_policy(p: Payout, params: Parameters) -> bool:
    """A payout counts under this policy (通用条款 "按本措施所享受的", SPEC 2.2 step 6) when it was paid on or after
    the policy took effect AND its reward year is not before the year the policy took effect: a 2022 achievement
    paid late in 2023 was paid under the repealed 景府办发〔2018〕11号, so it neither blocks nor tops up a reward of
    this one, does not use up this policy's cap, and is not clawed back by it. 口径 history_scope = all counts
    every row of the history."""
    if params.history_scope == "all":
        return True
    return p.paid_on >= params.validity_start and p.reward_year >= params.validity_start.year


def merge_history(sheet: Iterable[Payout], ledger: Iterable[Payout], *, pack: PolicyPack,
                  issues: list[Issue]) -> list[Payout]:
    """The 已兑现奖励 sheet and the ledger together, the same payout counted once (same company, category,
    normalised subject and reward year). When the two disagree on the amount, the ledger's stands and the
    difference is reported."""
    out: list[Payout] = list(ledger)
    seen = {payout_key(p, pack): p for p in out}
    for p in sheet:
        other = seen.get(payout_key(p, pack))
        if other is None:
            out.append(p)
        elif other.amount != p.amount and other.source != p.source:
            issues.append(Issue(sheet="已兑现奖励", row=p.row, column="兑现金额(元)", value=f"{p.amount:.2f}",
                                message=f"与账本记录的金额 {other.amount:.2f} 不一致，以账本为准"))
    return out


def payouts_text(payouts: Iterable[Payout]) -> str:
    """Each payout a decision relies on, by date: "2023-12-20 兑现 500,000.00 元（已兑现奖励表第3行）、…"."""
    return "、".join(f"{p.paid_on} 兑现 {yuan_text(p.amount)} 元（{_source_text(p)}）"
                    for p in sorted(payouts, key=lambda p: (p.paid_on, p.source, p.row or 0, p.amount)))


def _source_text(p: Payout) -> str:
    if p.row is not None:
        return f"{p.source}表第{p.row}行"
    return "兑现账本" if p.source == "账本" else p.source


def payout_key(p: Payout, pack: PolicyPack) -> tuple:
    """One payout, whoever recorded it: a one-time reward keyed by company (资质, 基地, 技术中心) is the same payout
    whatever certificate number the sheet or the ledger wrote beside it."""
    cat = _category(pack, p.category)
    subject = "" if cat is not None and cat.key != "subject" else norm_subject(p.subject)
    return (p.credit_code, p.category, subject, p.reward_year)


def _category(pack: PolicyPack, code: str) -> Category | None:
    try:
        return pack.category(code)
    except KeyError:
        return None


def paid_in_year(ctx: Ctx, code: str) -> Decimal:
    return sum((p.amount for p in ctx.history_of(code) if p.reward_year == ctx.year), ZERO)


# --------------------------------------------------------------------------- result parts


def to_line(w: Work) -> Line:
    cat = w.category
    return Line.trusted(
        claim_id=w.claim_id, sheet=w.sheet, row=w.row, credit_code=w.credit_code,
        company_name=w.company.name if w.company else "",
        category_code=cat.code if cat else "", category_label=w.category_label,
        measure=cat.measure if cat else None, article=cat.article if cat else "",
        subject=w.subject, status=w.status, standard_amount=fen(w.standard),
        entitlement=fen(w.entitlement), payable=fen(w.payable), payers=dict(w.payers), reasons=tuple(w.reasons),
        hq=w.hq_facts,
    )


def company_summaries(batch: Batch, works: list[Work], capped: dict[str, bool], ctx: Ctx) -> tuple[CompanySummary, ...]:
    by_company: dict[str, list[Work]] = defaultdict(list)
    for w in works:
        by_company[w.credit_code].append(w)
    out = []
    for c in batch.companies:
        ws = by_company.get(c.credit_code, [])
        out.append(CompanySummary(
            credit_code=c.credit_code, company_name=c.name, region=c.region,
            local_retained_tax=c.local_retained_tax,
            paid_in_year=paid_in_year(ctx, c.credit_code),
            requested=sum((w.standard for w in ws if w.monetary), ZERO),
            entitled=sum((w.entitlement for w in ws if w.status in ("awarded", "reduced")), ZERO),
            payable=sum((w.payable for w in ws), ZERO),
            capped=capped.get(c.credit_code, False),
            preconditions=tuple(ctx.failures.get(c.credit_code, ())),
        ))
    for code in batch.invalid_companies:
        out.append(CompanySummary(credit_code=code, company_name="", region="", valid=False,
                                  local_retained_tax=None, requested=ZERO, entitled=ZERO, payable=ZERO,
                                  capped=False))
    return tuple(out)


def quality_deposits(batch: Batch, ctx: Ctx) -> tuple[DepositLine, ...]:
    """SPEC 2.3 (第18条) — m18_deposit."""
    out = []
    for d in batch.deposits:
        company = ctx.companies[d.credit_code]
        rule = ctx.pack.deposit_rule(company, not ctx.failures.get(d.credit_code), ctx.params)
        deposit = fen(d.settlement_amount * rule.rate)
        base = fen(d.settlement_amount * rule.base_rate)
        out.append(DepositLine(
            credit_code=d.credit_code, company_name=company.name, project=d.project,
            settlement_amount=d.settlement_amount, credit_score=company.credit_score, rate=rule.rate,
            base_deposit=base, old_deposit=fen(d.settlement_amount * rule.old_rate), deposit=deposit,
            saving=base - deposit, note=rule.note, row=d.row))
    for r in batch.rejected_deposits:
        company = ctx.companies.get(r.credit_code)
        out.append(DepositLine(
            credit_code=r.credit_code, company_name=company.name if company else "", project=r.subject,
            settlement_amount=None, credit_score=company.credit_score if company else None, rate=None,
            base_deposit=None, old_deposit=None, deposit=None, saving=None, status="pending",
            note=r.message, row=r.row))
    return tuple(out)


def clawback_list(ctx: Ctx, history: list[Payout]) -> tuple[Clawback, ...]:
    """SPEC 2.5 (通用条款 外迁 and 弄虚作假): what a company must return, per payout and treasury."""
    out = []
    for code, company in ctx.companies.items():
        why = ctx.pack.clawback_reasons(company, ctx.params)
        if not why:
            continue
        for p in sorted(ctx.history_of(code), key=lambda p: (p.paid_on, p.category)):
            if "FRAUD" in why:
                reason, message = "FRAUD", ctx.pack.message("CLAWBACK_FRAUD", paid_on=p.paid_on)
            elif _within_five_years(p.paid_on, company.moved_out_on):
                reason, message = "MOVED_OUT", ctx.pack.message("CLAWBACK_MOVED_OUT", moved=company.moved_out_on,
                                                                paid_on=p.paid_on)
            else:
                continue
            cat = _category(ctx.pack, p.category)
            payers = split_payers(p.amount, cat, company.region, ctx.pack, ctx.params) \
                if cat is not None and company.region in ctx.pack.regions else {}
            out.append(Clawback(credit_code=code, company_name=company.name, category_code=p.category,
                                category_label=cat.label if cat else p.category, subject=p.subject,
                                reward_year=p.reward_year, paid_on=p.paid_on, amount=fen(p.amount), payers=payers,
                                reason_code=reason, message=message))
    return tuple(out)


def _within_five_years(paid_on: dt.date, moved: dt.date | None) -> bool:
    """(D − 5 years, D] — 近5年内."""
    if moved is None:
        return False
    try:
        start = moved.replace(year=moved.year - 5)
    except ValueError:  # 29 February
        start = moved.replace(year=moved.year - 5, day=28)
    return start < paid_on <= moved


def totals(lines: Sequence[Line], clawbacks: Sequence[Clawback], *, pack: PolicyPack) -> Totals:
    """Totals by payer, measure and status; treasuries in the pack's own order (its list of regions)."""
    by_payer: dict[str, Decimal] = defaultdict(lambda: ZERO)
    by_measure: dict[str, Decimal] = {}
    by_pm: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    by_status = {s: 0 for s in STATUSES}
    for ln in lines:
        by_status[ln.status] += 1
        if ln.measure is not None and ln.category_code and ln.status != "honor_only":
            by_measure[str(ln.measure)] = by_measure.get(str(ln.measure), ZERO) + ln.payable
        for payer, amt in ln.payers.items():
            by_payer[payer] += amt
            by_pm[payer][str(ln.measure)] += amt
    return Totals(
        payable=fen(sum((ln.payable for ln in lines), ZERO)),
        by_payer={k: fen(v) for k, v in sorted(by_payer.items(), key=lambda kv: pack.treasury_rank(kv[0]))},
        by_measure={k: fen(v) for k, v in sorted(by_measure.items(), key=lambda kv: int(kv[0]))},
        by_status=by_status,
        by_payer_measure={p: {m: fen(v) for m, v in sorted(ms.items(), key=lambda kv: int(kv[0]))}
                          for p, ms in sorted(by_pm.items(), key=lambda kv: pack.treasury_rank(kv[0]))},
        clawback=fen(sum((c.amount for c in clawbacks), ZERO)),
    )
