"""The assessment engine: the ordered pipeline of SPEC 2.2 over plain models.

    read → validate → [rows → preconditions → dates → duplicates → tiers → history → other policies → cap → payers]
    → Result

Each step is one function below, named after the rule it applies. A step only looks at claims still alive (no
status yet); when it decides a claim it sets the status and leaves a reason (code + Chinese message citing the
article). The engine knows no Excel and no article of any city: the policy pack supplies categories, amounts,
preconditions, the HQ formula, the deposit rate and the wording of messages.

Speed (100k claims in under two seconds, see README "Speed and memory"): a claim is one slotted :class:`Work` whose
facts are looked up once (its category, company, normalised subject, its rank in the output order); equal things
are computed once and shared — reasons (:meth:`Ctx.msg`), the treasuries' split of an amount (:meth:`Ctx.payers`),
normalised subjects — so a step is a plain loop over the claims, and the frozen lines are built without
re-validation (``Frozen.trusted``). None of it changes a rule: each step still reads as the article it applies.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from operator import attrgetter, itemgetter
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
    trusted,
)
from .gcpause import paused_gc
from .money import FEN, ZERO, fen, from_fen_int, to_fen_int, yuan_text
from .params import Parameters, interpretations
from .policy import Category, HqDecision, PolicyPack
from .text import natural_key, norm_subject

# --------------------------------------------------------------------------- working state

#: what a decided claim keeps of its money (SPEC 2.2: an ineligible, pending or honour-only claim pays nothing)
_ZEROED = frozenset(("ineligible", "pending", "honor_only"))


class Work:
    """One claim on its way through the pipeline (mutable inside the engine only)."""

    __slots__ = ("claim_id", "sheet", "row", "credit_code", "category", "category_label", "subject", "subject_key",
                 "approved_on", "company", "hq", "hq_decision", "hq_facts", "other_name", "other_amount",
                 "other_paid", "standard", "entitlement", "payable", "status", "reasons", "payers", "monetary",
                 "rank")

    def __init__(self, claim_id: str, sheet: str, row: int | None, credit_code: str, category: Category | None,
                 category_label: str, subject: str, approved_on: dt.date | None = None, company: Company | None = None,
                 hq: HqClaim | None = None, other_name: str = "", other_amount: Decimal = ZERO,
                 other_paid: bool = False, standard: Decimal = ZERO, subject_key: str | None = None,
                 hq_decision: HqDecision | None = None, hq_facts: HqFacts | None = None):
        self.claim_id = claim_id
        self.sheet = sheet
        self.row = row
        self.credit_code = credit_code
        self.category = category
        self.category_label = category_label
        self.subject = subject
        #: the subject as SPEC 2.1 compares it (NFKC, no white space): computed once
        self.subject_key = norm_subject(subject) if subject_key is None else subject_key
        self.approved_on = approved_on
        self.company = company
        self.hq = hq
        self.hq_decision = hq_decision  # 第5条 rows: the pack's decision for the year (step 3 applies it)
        self.hq_facts = hq_facts
        self.other_name = other_name
        self.other_amount = other_amount
        self.other_paid = other_paid
        self.standard = standard
        self.entitlement = ZERO
        self.payable = ZERO
        self.status: str | None = None
        #: every rule that touched the claim, in order (a tuple: most claims share theirs, see Ctx.standard_reasons)
        self.reasons: tuple[Reason, ...] = ()
        self.payers: dict[str, Decimal] = _NO_PAYERS
        #: a category with money (not honour-only)
        self.monetary = category is not None and not category.honour_only

    @property
    def alive(self) -> bool:
        """No step has decided the claim yet (the loops over every claim test ``status is None`` directly)."""
        return self.status is None

    @property
    def sort_key(self) -> tuple:
        """(natural 申报编号, sheet, row): the order of the output and of every "first" and "smaller 申报编号".
        :func:`order_works` sorts by it once and numbers the claims (``rank``): every later "first" compares ranks."""
        return (natural_key(self.claim_id), self.sheet, self.row or 0)

    @property
    def family_key(self) -> tuple:
        """Tiers compete within (company, family, key): the key is the subject, the year, or nothing."""
        c = self.category
        assert c is not None
        return (self.credit_code, c.family or c.code, self.subject_key if c.key == "subject" else "")

    def note(self, *reasons: Reason) -> None:
        """A rule touched the claim without deciding it."""
        self.reasons += reasons

    def decide(self, status: str, *reasons: Reason) -> None:
        self.status = status
        self.reasons += reasons
        if status in _ZEROED:
            self.entitlement = ZERO
            self.payable = ZERO


#: the payers of a claim that pays nothing; shared, like every payers dict of a line (never mutated)
_NO_PAYERS: dict[str, Decimal] = {}
_CLAIM = itemgetter("claim_id", "sheet", "row", "credit_code", "category", "subject", "approved_on",
                    "other_policy_name", "other_policy_amount", "other_policy_paid")
_SORT_KEY = attrgetter("rank")  # the claim's place in the output order (order_works)


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
        key = (code, measure, *fields.items())  # a call site always names its fields in the same order
        r = self._reasons.get(key)
        if r is None:
            r = self._reasons[key] = Reason.trusted(code=code, message=self.pack.message(code, measure, **fields))
        return r

    _standard_reasons: dict[tuple, tuple[Reason]] = field(default_factory=dict, init=False, repr=False)

    def standard_reasons(self, cat: Category, day: dt.date) -> tuple[Reason]:
        """(the amount's reference in force on ``day``,): one shared reason, and one shared tuple of it, per
        dated entry of parameters.yaml — the whole reasons of most awarded claims."""
        r = self._standard_reasons.get((cat.code, day))
        if r is None:
            key = ("STANDARD_AMOUNT", cat.code, cat.amount.entry(day)[0] if cat.amount else None)
            one = self._reasons.get(key)
            if one is None:
                one = self._reasons[key] = Reason.trusted(code="STANDARD_AMOUNT", message=cat.reference(day))
            r = self._standard_reasons[(cat.code, day)] = (one,)
        return r

    _standards: dict[str, dict[dt.date, Decimal]] = field(default_factory=lambda: defaultdict(dict), init=False,
                                                          repr=False)

    def standard(self, cat: Category, day: dt.date) -> Decimal:
        """The category's amount in force on ``day`` (dated YAML), looked up once per category and day."""
        by_day = self._standards[cat.code]
        amount = by_day.get(day)
        if amount is None:
            amount = by_day[day] = fen(cat.standard_amount(day))
        return amount

    _payers: dict[tuple, dict[str, Decimal]] = field(default_factory=dict, init=False, repr=False)

    def payers(self, amount: Decimal, cat: Category, region: str) -> dict[str, Decimal]:
        """split_payers of ``amount`` to the fen, computed once per amount, way of paying and 注册地 (equal amounts
        share one dict: never mutate it)."""
        key = (amount, cat.payer, region)
        out = self._payers.get(key)
        if out is None:
            out = self._payers[key] = split_payers(fen(amount), cat, region, self.pack, self.params)
        return out

    _subjects: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    def subject_key(self, subject: str) -> str:
        """norm_subject, once per distinct text (a batch names the same project on many rows)."""
        k = self._subjects.get(subject)
        if k is None:
            k = self._subjects[subject] = norm_subject(subject)
        return k


# --------------------------------------------------------------------------- the pipeline


def assess(batch: Batch, *, year: int, pack: PolicyPack, params: Parameters,
           extra_history: Sequence[Payout] = (), ledger_used: bool = False) -> Result:
    """Assess every claim of ``batch`` for reward year ``year``; history = the batch's sheet + ``extra_history``
    (``ledger_used``: that history was read from a ledger, so repeat payments could be checked even when the
    workbook has no 已兑现奖励 sheet)."""
    with paused_gc():  # hundreds of thousands of small acyclic objects on 100k claims (subsidy.gcpause)
        return _assess(batch, year=year, pack=pack, params=params, extra_history=extra_history,
                       ledger_used=ledger_used)


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

    lines = tuple(map(to_line, works))
    summaries = company_summaries(batch, works, capped, ctx)
    del works  # the lines hold what is kept: the working state goes before the rest is built
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
        notices=(*batch.notices, *run_notices(batch, ctx, ledger_used=ledger_used)),
    )


def run_notices(batch: Batch, ctx: Ctx, *, ledger_used: bool) -> list[Reason]:
    """What the run as a whole must say: history that could not be checked, a year with nothing in it."""
    out = []
    if not batch.history_given and not ledger_used:
        out.append(Reason(code="NO_HISTORY", message=ctx.pack.message("NO_HISTORY")))
    years: dict[int, int] = defaultdict(int)  # approval year → claims (申报事项 rows that could be read)
    for c in batch.claims:
        years[c.approved_on.year] += 1
    in_year = ctx.year in years or any(
        1 <= ctx.year - h.recognised_on.year + 1 <= ctx.pack.hq_period for h in batch.hq_claims)
    if not in_year:  # an empty year is legal (a batch of deposits only), a silent one is not
        present = "、".join(f"{y} 年 {n} 项" for y, n in sorted(years.items()))
        hq = "、".join(sorted({f"{h.recognised_on.year}–{h.recognised_on.year + ctx.pack.hq_period - 1} 年"
                               for h in batch.hq_claims}))
        out.append(Reason(code="EMPTY_YEAR", message=ctx.pack.message(
            "EMPTY_YEAR", year=ctx.year, present=present or "无", hq=hq or "无")))
    return out


def build_works(batch: Batch, ctx: Ctx) -> list[Work]:
    """Every row of the batch as a claim on its way, in the output's order (order_works)."""
    works: list[Work] = []
    add = works.append
    category, company, standard = ctx.pack.category, ctx.companies.get, ctx.standard
    # a batch has a few dozen (category, approval day) pairs and names each project on many rows: each pair's
    # category and amount in force, and each subject's normalised key, are looked up once
    facts: dict[tuple, tuple[Category, Decimal]] = {}
    subjects = ctx._subjects
    for c in batch.claims:
        # a claim's fields in one C call (read one by one, a pydantic model's attributes are 4x slower than a dict's)
        claim_id, sheet, row, code, cat_code, subject, on, other_name, other_amount, other_paid = _CLAIM(c.__dict__)
        fact = facts.get((cat_code, on))
        if fact is None:
            cat = category(cat_code)
            fact = facts[(cat_code, on)] = (cat, standard(cat, on))
        key = subjects.get(subject)
        if key is None:
            key = subjects[subject] = norm_subject(subject)
        firm = company(code)
        # the company's own str object stands for its code: every later grouping hashes and compares one object
        add(Work(claim_id, sheet, row, firm.credit_code if firm else code, fact[0], fact[0].label, subject, on, firm,
                 None, other_name, other_amount, other_paid, fact[1], key))
    hq_cat = ctx.pack.computed_category
    for h in batch.hq_claims:
        d = ctx.pack.hq_decision(h, ctx.year, ctx.params)
        add(Work(h.claim_id, h.sheet, h.row, h.credit_code, hq_cat, hq_cat.label, "", h.recognised_on,
                 company(h.credit_code), h, hq_decision=d,
                 hq_facts=HqFacts.trusted(recognised_on=h.recognised_on, reward_year_index=d.reward_year_index,
                                          rate=d.rate, fiscal_contribution=h.fiscal_contribution)))
    for r in batch.rejected:
        cat = ctx.pack.category_by_label(r.category_label) if r.category_label else None
        if r.sheet == "总部迁入":
            cat = hq_cat
        w = Work(r.claim_id, r.sheet, r.row, r.credit_code, cat, cat.label if cat else r.category_label, r.subject,
                 company=company(r.credit_code))
        if cat is not None and not cat.computed:
            w.standard = fen(cat.standard_amount(ctx.params.validity_start))
        w.decide("pending", Reason(code=r.code, message=r.message))
        add(w)
    order_works(works)
    return works


def order_works(works: list[Work]) -> None:
    """The output's order (natural 申报编号, sheet, row), fixed before any rule runs: the steps keep it, and each
    claim's ``rank`` in it is what "the first" and "the smaller 申报编号" compare — whatever the rows' order.

    When every 申报编号 is ASCII of one shape (the same characters, digits at the same places: K00000001, 2024-0001)
    the natural order is the text's own order, since the runs of digits that differ have the same length; the
    natural key (a tuple per claim) is then not needed."""
    ids = [w.claim_id for w in works]
    shape = str.maketrans("0123456789", "0000000000")
    if ids and all(map(str.isascii, ids)) and len({i.translate(shape) for i in ids}) == 1:
        works.sort(key=lambda w: (w.claim_id, w.sheet, w.row or 0))
    else:
        works.sort(key=attrgetter("sort_key"))
    for i, w in enumerate(works):
        w.rank = i


def step1_row_validity(works: list[Work], batch: Batch, ctx: Ctx) -> None:
    """SPEC 2.2 step 1. Unreadable rows are already pending (build_works). A company whose 已兑现奖励 rows could not
    be read cannot be told what it was already paid: its money claims wait rather than risk paying twice."""
    bad_history = set(batch.unreadable_history)
    if not bad_history:
        return
    for w in works:
        if w.alive and w.monetary and w.credit_code in bad_history:
            w.decide("pending", ctx.msg("INVALID_ROW", detail=ctx.pack.message(
                "INVALID_HISTORY", detail="见数据问题表“已兑现奖励”")))


def step2_preconditions(works: list[Work], ctx: Ctx) -> None:
    """SPEC 2.2 step 2 (通用条款 适用范围 and 前提条件): any failure makes every claim of the company ineligible."""
    failing = {code: reasons for code, reasons in ctx.failures.items() if reasons}
    for w in works:
        if w.status is None and w.credit_code in failing:
            w.decide("ineligible", *failing[w.credit_code])


def step3_dates(works: list[Work], ctx: Ctx) -> None:
    """SPEC 2.2 step 3; for HQ rows, SPEC 2.4 (the policy's M5 decides the reward year and the share)."""
    p = ctx.params
    start, end, year = p.validity_start, p.validity_end, ctx.year
    for w in works:
        if w.status is not None:
            continue
        if w.hq is not None:
            d = w.hq_decision
            w.standard = fen(d.standard_amount)
            w.note(*d.notes)
            if d.failures:
                w.decide("ineligible", *d.failures)
            continue
        on = w.approved_on
        assert on is not None and w.category is not None
        valid, in_year = start <= on <= end, on.year == year
        if valid and in_year:
            if w.monetary:
                w.reasons += ctx.standard_reasons(w.category, on)
            continue
        fails = []
        if not valid:
            fails.append(ctx.msg("OUTSIDE_VALIDITY", start=start, end=end, what="获批日期", date=on))
        if not in_year:
            fails.append(ctx.msg("NOT_ASSESSMENT_YEAR", w.category.measure, date=on, year=year))
        w.decide("ineligible", *fails)


def step4_duplicates(works: list[Work], ctx: Ctx) -> None:
    """SPEC 2.2 step 4: the same company, category and normalised subject twice: the first 申报编号 stands.
    For a one-time reward keyed by company (资质, 基地, 技术中心, 总部迁入 per year) the subject does not tell two
    claims apart: a second claim of the same category is the same reward claimed twice."""
    first: dict[tuple, Work] = {}
    twice: dict[tuple, list[Work]] = {}  # the keys claimed more than once, with every claim of each
    for w in works:
        if w.status is None:
            c = w.category
            key = (w.credit_code, c.code, w.subject_key if c.key == "subject" else "")
            seen = first.setdefault(key, w)
            if seen is not w:
                twice.setdefault(key, [seen]).append(w)
    for group in twice.values():
        group.sort(key=_SORT_KEY)
        # one key: one category, so one reason for every later claim of the group
        reason = ctx.msg("DUPLICATE_CLAIM", group[0].category.measure, first=group[0].claim_id)
        for w in group[1:]:
            w.decide("ineligible", reason)
    step4_co_winners(works, ctx)


def step4_co_winners(works: list[Work], ctx: Ctx) -> None:
    """SPEC 2.2 step 4, co-winners (第6条、第24条 "每项"): the same normalised project or subject claimed in one
    per-item category by two or more companies — in this batch (whatever became of the other company's claim) or
    against history under this policy. The law pays per award, not per company: whether co-winners share one award
    or each is paid is the bureau's decision (口径 co_winners). With ``review`` every such claim still alive waits
    (pending CO_WINNERS, naming the other companies); with ``each`` each is assessed as if alone."""
    if ctx.params.co_winners == "each":
        return
    per_item = {c.code for c in ctx.pack.categories if _per_item(c)}
    items = [w for w in works if w.subject_key and w.category is not None and w.category.code in per_item
             and w.approved_on is not None]
    # category → subject → the first company seen claiming it: one entry per award in the common case (one
    # company); the awards a second company claims (or was paid) become ``claimants``: company → claims, payouts
    first: dict[tuple, str] = {}
    claimants: dict[tuple, dict[str, list]] = {}
    for w in items:
        award = (w.category.code, w.subject_key)
        code = first.setdefault(award, w.credit_code)
        if code is not w.credit_code and code != w.credit_code:
            claimants[award] = {}
    history = [(p, (p.category, ctx.subject_key(p.subject))) for p in ctx.history if p.category in per_item]
    for p, award in history:
        code = first.get(award)
        if code is not None and code != p.credit_code:
            claimants[award] = {}
    if not claimants:
        return
    for w in items:
        by_company = claimants.get((w.category.code, w.subject_key))
        if by_company is not None:
            by_company.setdefault(w.credit_code, []).append(w)
    for p, award in history:
        by_company = claimants.get(award)
        if by_company is not None:
            by_company.setdefault(p.credit_code, []).append(p)
    message = ctx.pack.message
    for others in claimants.values():
        # each company of the award with its claims and payouts, in a fixed order whatever the rows' order
        named = [(code, f"{_company_name(ctx, code)}（{_claimants_text(theirs)}）")
                 for code, theirs in sorted(others.items())]
        for code, found in others.items():
            text = "；".join(name for other, name in named if other != code)  # the other companies
            for w in found:
                if w.__class__ is Work and w.status is None:
                    # the reason names this claim's own award and rivals: made for it (Ctx.msg's sharing finds no
                    # equal reason to share)
                    cat = w.category
                    w.decide("pending", trusted(Reason, {"code": "CO_WINNERS", "message": message(
                        "CO_WINNERS", cat.measure, label=cat.label, subject=w.subject, others=text)}))


def _claimants_text(theirs: list[Work | Payout]) -> str:
    """One co-winner's claims and payouts: "申报编号 K1、已于 2024-03-01 兑现 100,000.00 元"."""
    if len(theirs) == 1:  # the common case: one claim
        return _claimant(theirs[0])[1]
    return "、".join(where for _, where in sorted(map(_claimant, theirs)))


def _claimant(x: Work | Payout) -> tuple[tuple, str]:
    """(sort key, where) of one claim or payout of a co-winner: this batch's claims first, by 申报编号."""
    if isinstance(x, Work):
        return (0, x.rank), f"申报编号 {x.claim_id}"
    return (1, (x.paid_on, x.amount)), f"已于 {x.paid_on} 兑现 {yuan_text(x.amount)} 元"


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
    first: dict[tuple, Work] = {}
    groups: dict[tuple, list[Work]] = {}  # the families claimed more than once: only they compete
    for w in works:
        status = w.status
        if (status is None or status == "pending" and _waits_as_co_winner(w)) and w.monetary and w.category.family:
            c = w.category
            key = (w.credit_code, c.family, w.subject_key if c.key == "subject" else "")
            seen = first.setdefault(key, w)
            if seen is not w:
                groups.setdefault(key, [seen]).append(w)
    for group in groups.values():
        best = max(w.category.tier for w in group)
        top = min((w for w in group if w.category.tier == best), key=_SORT_KEY)
        waiting = "（同一奖项另有企业申报，待住建局认定）" if not top.alive else ""
        higher = f"本批已申报{top.category.label}，申报编号 {top.claim_id}{waiting}"
        for w in group:
            if w.alive and w.category.tier < best:
                w.decide("ineligible", ctx.msg("SUPERSEDED_BY_HIGHER", w.category.measure, higher=higher))
    for w in works:
        if w.status is None and w.category is not None and w.category.honour_only:
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
            k = ctx.subject_key(p.subject) if cat.key == "subject" else ""
            by_key[(p.credit_code, cat.family or cat.code, k)].append((p, cat))
    for w in works:
        if w.status is not None or not w.monetary:
            continue
        cat = w.category
        w.entitlement = w.standard
        if not by_key:
            continue  # no history: every entitlement is its standard amount
        if cat.computed:
            paid = [x for x, _ in by_key.get((w.credit_code, cat.code, str(ctx.year)), [])]
            if paid:
                w.decide("ineligible", ctx.msg("ALREADY_PAID", cat.measure, year=ctx.year,
                                               paid=yuan_text(sum((x.amount for x in paid), ZERO)),
                                               payouts=payouts_text(paid)))
            continue
        paid_cats = by_key.get(w.family_key)
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
            w.entitlement = fen(max(ZERO, w.standard - total))
            w.note(ctx.msg("SAME_PROJECT_TOP_UP", cat.measure, paid=yuan_text(total),
                                     payouts=payouts_text(paid), amount=yuan_text(w.entitlement)))
        elif ctx.params.tier_upgrade == "top_up":
            w.entitlement = fen(max(ZERO, w.standard - total))
            w.note(ctx.msg("UPGRADE_TOP_UP", cat.measure, paid=yuan_text(total),
                                     payouts=payouts_text(paid), amount=yuan_text(w.entitlement)))
        else:
            w.note(ctx.msg("UPGRADE_FULL", cat.measure, paid=yuan_text(total),
                                     payouts=payouts_text(paid)))


def step7_other_policies(works: list[Work], ctx: Ctx) -> None:
    """SPEC 2.2 step 7 (通用条款 对现行有效奖励扶持政策与本措施重复的，按就高不重复原则享受扶持资金)."""
    for w in works:
        if w.status is not None or not w.monetary or w.other_amount <= 0:
            continue
        name = f"“{w.other_name}”" if w.other_name else "其他政策"
        o, e = w.other_amount, w.entitlement
        if w.other_paid:
            w.entitlement = fen(max(ZERO, e - o))
            code = "OTHER_POLICY_TOP_UP" if w.entitlement > 0 else "OTHER_POLICY_HIGHER"
            w.note(ctx.msg(code, name=name, other=yuan_text(o), amount=yuan_text(
                w.entitlement if w.entitlement > 0 else e)))
        elif o >= e:
            w.decide("ineligible", ctx.msg("OTHER_POLICY_HIGHER", name=name, other=yuan_text(o), amount=yuan_text(e)))
        else:
            w.note(ctx.msg("OTHER_POLICY_EXCLUDED", name=name, other=yuan_text(o), amount=yuan_text(e)))


def step8_cap(works: list[Work], ctx: Ctx) -> dict[str, bool]:
    """SPEC 2.2 step 8 (通用条款 企业所得奖励资金总额不得超过该企业缴纳税收地方留成部分) — cap_g.

    The cap C is the company's 地方留成税收 for the reward year, less what history shows was already paid for that
    same reward year (cap_period = year: the law caps what the company gets, not what one batch gives it)."""
    # S per company, in one pass; only the companies over their cap (or without a tax) need their claims again
    sums: dict[str, Decimal] = {}
    for w in works:
        if w.status is None and w.monetary:
            w.payable = w.entitlement
            sums[w.credit_code] = sums.get(w.credit_code, ZERO) + w.entitlement
    capped: dict[str, bool] = {}
    over: dict[str, tuple[Decimal, Decimal, list[Payout]]] = {}  # code → (headroom, already paid, those payouts)
    for code, total in sums.items():
        company = ctx.companies[code]
        if company.local_retained_tax is None:
            over[code] = (ZERO, ZERO, [])
            continue
        earlier = [p for p in ctx.history_of(code) if p.reward_year == ctx.year]
        already = sum((p.amount for p in earlier), ZERO)
        headroom = max(ZERO, company.local_retained_tax - already)
        capped[code] = total > headroom
        if capped[code]:
            over[code] = (headroom, already, earlier)
    by_company: dict[str, list[Work]] = {}
    for w in works:
        if w.status is None and w.monetary and w.credit_code in over:
            by_company.setdefault(w.credit_code, []).append(w)
    for code, group in by_company.items():
        company = ctx.companies[code]
        if company.local_retained_tax is None:
            for w in group:
                if w.entitlement > 0:
                    w.decide("pending", ctx.msg("MISSING_LOCAL_TAX"))
            continue
        headroom, already, earlier = over[code]
        shares = allocate(group, headroom, ctx)
        method = "比例分配（最大余数法）" if ctx.params.cap_allocation == "proportional" else "条款顺序依次分配"
        why = dict(tax=yuan_text(company.local_retained_tax), year=ctx.year, paid=yuan_text(already),
                   payouts=f"（{payouts_text(earlier)}）" if earlier else "", cap=yuan_text(headroom), method=method)
        for w, share in zip(group, shares):
            if share < w.entitlement:
                w.payable = share
                w.note(ctx.msg("CAP_REDUCED", **why, amount=yuan_text(share)))
    return capped


def allocate(group: list[Work], cap: Decimal, ctx: Ctx) -> list[Decimal]:
    """Share ``cap`` among the claims; the shares sum to ``cap`` exactly and none exceeds its entitlement.

    proportional: E_i × C / S floored to the fen, leftover fen one each to the largest remainders, ties to the
    smaller 申报编号 (integer fen arithmetic, exact). priority: fill in the policy's measure order, then 申报编号."""
    ents = [to_fen_int(w.entitlement) for w in group]
    c = to_fen_int(cap)
    if ctx.params.cap_allocation == "priority":
        order = sorted(range(len(group)), key=lambda i: (_measure_rank(group[i], ctx), group[i].rank))
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
    order = sorted(range(len(group)), key=lambda i: (-rems[i], group[i].rank))
    for i in order[:leftover]:
        floors[i] += 1
    return [from_fen_int(x) for x in floors]


def _measure_rank(w: Work, ctx: Ctx) -> int:
    order = ctx.pack.measure_order
    return order.index(w.category.measure) if w.category.measure in order else len(order)


def step9_payers(works: list[Work], ctx: Ctx) -> None:
    """SPEC 2.2 step 9: 注册地财政 pays it all, or the 受益财政 split between 市财政 and the 注册地 treasury."""
    for w in works:
        if w.status is None and w.monetary and w.payable > 0:
            w.payers = ctx.payers(w.payable, w.category, w.company.region)


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
        if w.status is None:
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
    if not out:
        return list(sheet)  # nothing to merge with
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
    return trusted(Line, {
        "claim_id": w.claim_id, "sheet": w.sheet, "row": w.row, "credit_code": w.credit_code,
        "company_name": w.company.name if w.company else "",
        "category_code": cat.code if cat else "", "category_label": w.category_label,
        "measure": cat.measure if cat else None, "article": cat.article if cat else "",
        "subject": w.subject, "status": w.status, "standard_amount": w.standard,
        "entitlement": w.entitlement, "payable": w.payable, "payers": w.payers, "reasons": w.reasons,
        "hq": w.hq_facts,
    })


def company_summaries(batch: Batch, works: list[Work], capped: dict[str, bool], ctx: Ctx) -> tuple[CompanySummary, ...]:
    # per company: [requested (standard amounts of its money claims), entitled (before the cap, of the claims
    # awarded or reduced), payable], summed in one pass over the claims
    sums: dict[str, list[Decimal]] = {}
    for w in works:
        s = sums.get(w.credit_code)
        if s is None:
            s = sums[w.credit_code] = [ZERO, ZERO, ZERO]
        if w.monetary:
            s[0] += w.standard
        if w.status == "awarded" or w.status == "reduced":
            s[1] += w.entitlement
        if w.payable:
            s[2] += w.payable
    paid: dict[str, Decimal] = {}  # already paid for the reward year (history)
    for p in ctx.history:
        if p.reward_year == ctx.year:
            paid[p.credit_code] = paid.get(p.credit_code, ZERO) + p.amount
    out = []
    none = (ZERO, ZERO, ZERO)
    for c in batch.companies:
        requested, entitled, payable = sums.get(c.credit_code, none)
        out.append(trusted(CompanySummary, {
            "credit_code": c.credit_code, "company_name": c.name, "region": c.region, "valid": True,
            "local_retained_tax": c.local_retained_tax, "paid_in_year": paid.get(c.credit_code, ZERO),
            "requested": requested, "entitled": entitled, "payable": payable,
            "capped": capped.get(c.credit_code, False),
            "preconditions": tuple(ctx.failures.get(c.credit_code, ()))}))
    for code in batch.invalid_companies:
        out.append(CompanySummary(credit_code=code, company_name="", region="", valid=False,
                                  local_retained_tax=None, requested=ZERO, entitled=ZERO, payable=ZERO,
                                  capped=False))
    return tuple(out)


def quality_deposits(batch: Batch, ctx: Ctx) -> tuple[DepositLine, ...]:
    """SPEC 2.3 (第18条) — m18_deposit."""
    out = []
    add = out.append
    # a company's rate and note: once per company; the three amounts rounded to the fen half up (what money.fen
    # gives, inlined: 37k deposits at 100k claims)
    rules: dict[str, tuple[Company, object]] = {}
    quantize = Decimal.quantize
    for d in batch.deposits:
        found = rules.get(d.credit_code)
        if found is None:
            company = ctx.companies[d.credit_code]
            found = rules[d.credit_code] = (company, ctx.pack.deposit_rule(
                company, not ctx.failures.get(d.credit_code), ctx.params))
        company, rule = found
        amount = d.settlement_amount
        base = quantize(amount * rule.base_rate, FEN, ROUND_HALF_UP)
        deposit = base if rule.rate == rule.base_rate else quantize(amount * rule.rate, FEN, ROUND_HALF_UP)
        add(trusted(DepositLine, {
            "credit_code": d.credit_code, "company_name": company.name, "project": d.project,
            "settlement_amount": amount, "credit_score": company.credit_score, "rate": rule.rate,
            "base_deposit": base, "old_deposit": quantize(amount * rule.old_rate, FEN, ROUND_HALF_UP),
            "deposit": deposit, "saving": base - deposit, "status": "ok", "note": rule.note, "sheet": "质量保证金",
            "row": d.row}))
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
    payable = ZERO
    by_payer: dict[str, Decimal] = defaultdict(lambda: ZERO)
    by_measure: dict[int, Decimal] = {}
    by_pm: dict[str, dict[int, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    by_status = {s: 0 for s in STATUSES}
    for ln in lines:
        by_status[ln.status] += 1
        payable += ln.payable
        if ln.measure is not None and ln.category_code and ln.status != "honor_only":
            by_measure[ln.measure] = by_measure.get(ln.measure, ZERO) + ln.payable
        if ln.payers:
            for payer, amt in ln.payers.items():
                by_payer[payer] += amt
                by_pm[payer][ln.measure] += amt
    return Totals(
        payable=fen(payable),
        by_payer={k: fen(v) for k, v in sorted(by_payer.items(), key=lambda kv: pack.treasury_rank(kv[0]))},
        by_measure={str(k): fen(v) for k, v in sorted(by_measure.items())},
        by_status=by_status,
        by_payer_measure={p: {str(m): fen(v) for m, v in sorted(ms.items())}
                          for p, ms in sorted(by_pm.items(), key=lambda kv: pack.treasury_rank(kv[0]))},
        clawback=fen(sum((c.amount for c in clawbacks), ZERO)),
    )
