"""The assessment engine: the ordered pipeline of SPEC 2.2 over plain models.

    read → validate → [rows → preconditions → dates → duplicates → tiers → history → other policies → cap → payers]
    → Result

Each step is one function below, named after the rule it applies. A step only looks at claims still alive (no
status yet); when it decides a claim it sets the status and leaves a reason (code + Chinese message citing the
article). The engine knows no Excel and no article of any city: the policy pack supplies categories, amounts,
preconditions, the HQ formula, the deposit rate and the wording of messages.

Speed (see README "Speed and memory"): the claims are a table of columns (:class:`Claims`: claim ``i`` is the
i-th of the output's order in every column), not an object per claim. What a rule compares is a number in an
integer array (numpy) — a category, a company, a normalised subject, an approval day, the (company, category,
subject) a reward is claimed for — and money is integer fen, exact; each fact is looked up once per distinct value.
A step asks its question of every claim at once (the claims whose key another claim shares: :func:`_shared`) and
decides the few it touches by index (:meth:`Claims.decide_all`); equal things are computed once and shared —
reasons (:meth:`Ctx.msg`), a message's template (:meth:`Ctx.formatter`), the treasuries' split of an amount. The
result's lines are the columns themselves (``models.Rows``): the schedule and the JSON read them as columns, any
other reader gets one frozen line at a time. None of it changes a rule: each step still reads as the article it
applies, and the article is still quoted above it.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from itertools import compress, count, islice, repeat
from operator import attrgetter, itemgetter, lt, ne
from types import SimpleNamespace
from typing import Callable, Iterable, Sequence

import numpy as np

from .models import (
    STATUSES,
    Batch,
    Clawback,
    Company,
    CompanySummary,
    DepositLine,
    FenColumn,
    HqFacts,
    Issue,
    Line,
    Payout,
    PolicyRef,
    Reason,
    Result,
    ReasonsColumn,
    Rows,
    Totals,
    as_reasons,
    columns_of,
    trusted,
)
from .errors import AmountOutOfRange
from .gcpause import paused_gc
from .money import ZERO, fen, from_fen_int, to_fen_int, yuan_text
from .params import Parameters, interpretations
from .policy import Category, DepositRule, HqDecision, PolicyPack
from .text import natural_key, norm_subject

# --------------------------------------------------------------------------- working state

#: a claim's status as the steps keep it: 0 while no step has decided it, else 1 + its place in STATUSES
ALIVE = 0
_STATUS_CODE = {s: k + 1 for k, s in enumerate(STATUSES)}
AWARDED, REDUCED, INELIGIBLE, PENDING, HONOR_ONLY = (_STATUS_CODE[s] for s in STATUSES)
#: what a decided claim keeps of its money (SPEC 2.2: an ineligible, pending or honour-only claim pays nothing)
_ZEROED = frozenset((INELIGIBLE, PENDING, HONOR_ONLY))


class Categories:
    """The policy's categories as arrays, indexed like the pack's list (one more index: "no category", for a row
    that could not be read), so a rule can ask a question of every claim's category at once."""

    def __init__(self, pack: PolicyPack):
        cats: list[Category | None] = [*pack.categories, None]
        self.of = cats
        self.index = {c.code: k for k, c in enumerate(pack.categories)}
        self.none = len(cats) - 1
        real = [c for c in cats if c is not None]
        families = {f: k for k, f in enumerate(dict.fromkeys(c.family or c.code for c in real))}

        def column(f, dtype=bool):
            return np.array([f(c) if c is not None else 0 for c in cats], dtype=dtype)

        #: a category with money (not honour-only)
        self.monetary = column(lambda c: not c.honour_only)
        self.honour_only = column(lambda c: c.honour_only)
        #: told apart by its project or subject (key ``subject``), not by company or year
        self.by_subject = column(lambda c: c.key == "subject")
        #: paid per award (每项): keyed by its project or subject, with money
        self.per_item = column(_per_item)
        #: competes with the other tiers of its family (就高)
        self.tiered = column(lambda c: bool(c.family) and not c.honour_only)
        self.family = column(lambda c: families[c.family or c.code], np.int64)
        self.tier = column(lambda c: c.tier, np.int64)
        #: a category with a fixed amount → (the ordinal day each dated entry of parameters.yaml takes effect,
        #: its amount in integer fen)
        self.amounts = {k: (np.array([e[0].toordinal() for e in c.amount.entries], np.int64),
                            np.array([to_fen_int(fen(e[1])) for e in c.amount.entries], np.int64))
                        for k, c in enumerate(real) if c.amount and not c.computed}

    def standard(self, cat: np.ndarray, day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(the dated entry in force on each day — the last that took effect by then, or the first before any —,
        its amount in integer fen) for claims of categories ``cat`` approved on ``day`` (ordinals); -1 and 0 for a
        category without a fixed amount (Category.standard_amount, DatedValue.entry)."""
        entry = np.full(len(cat), -1, np.int64)
        amount = np.zeros(len(cat), np.int64)
        for k in _distinct(cat).tolist():  # the categories claimed (a self-check claims two or three)
            if k in self.amounts:
                starts, fens = self.amounts[k]
                mine = np.flatnonzero(cat == k)
                e = np.maximum(np.searchsorted(starts, day[mine], side="right") - 1, 0)
                entry[mine] = e
                amount[mine] = fens[e]
        return entry, amount


class Claims:
    """The claims on their way through the pipeline (mutable inside the engine only), as columns: claim ``i`` is
    the i-th of the output's order (:func:`output_order`) in every one of them.

    What a row says and what it means are lists (claim_id … hq_facts) and integer arrays (cat, firm, item, day,
    claim_key, family_key), so that a rule asks its question of every claim at once and decides the few it touches
    by index (:meth:`decide`). Money is integer fen (standard, entitlement, payable): exact, and kept so in the
    result's lines (models.FenColumn). A claim's reasons are a tuple of shared Reason objects and of (code, message)
    pairs written for it alone (models.ReasonsColumn)."""

    __slots__ = ("claim_id", "sheet", "row", "credit_code", "category", "category_label", "subject", "approved_on",
                 "hq_decision", "hq_facts", "other_name", "other_amount", "other_paid",
                 "cat", "firm", "subject_ix", "item", "day", "entry", "claim_key", "family_key", "monetary",
                 "standard", "entitlement", "payable", "status", "reasons", "payers", "co_winner", "splits")

    #: cat: the category's index (Categories); firm: the company's (Ctx.firms); subject_ix: the normalised subject's
    #: (SPEC 2.1: NFKC, no white space; Ctx.subjects); item: what tells two claims of one category apart — the
    #: subject for a reward per project or subject, nothing (0, the empty subject) for one per company or year;
    #: day: the approval day's ordinal (0: none); entry: the dated amount in force on it (Categories.standard);
    #: claim_key (company, category, item): the same reward claimed twice (step 4); family_key (company, family,
    #: item): tiers compete within it (steps 5 and 6); co_winner: waiting for the bureau as a co-winner (step 4);
    #: splits: (treasuries' split, category, claims) per split step 9 made.

    def __len__(self) -> int:
        return len(self.claim_id)

    def note(self, i: int, *reasons: Reason) -> None:
        """A rule touched the claim without deciding it."""
        self.reasons[i] += reasons

    def decide(self, i: int, status: int, *reasons: Reason) -> None:
        self.status[i] = status
        self.reasons[i] += reasons
        if status in _ZEROED:
            self.entitlement[i] = 0
            self.payable[i] = 0

    def decide_all(self, decided: Iterable[tuple[int, tuple[Reason, ...]]], status: int) -> None:
        """:meth:`decide` for many claims at once: (claim, its reasons) each, one status for all."""
        decided = list(decided)
        if not decided:
            return
        reasons = self.reasons
        for i, why in decided:
            reasons[i] += why
        idx = np.fromiter(map(itemgetter(0), decided), np.int64, len(decided))
        self.status[idx] = status
        if status in _ZEROED:
            self.entitlement[idx] = 0
            self.payable[idx] = 0

    def at(self, i: int) -> SimpleNamespace:
        """Claim ``i`` as it stands, one object (for tests and debugging: the steps read the columns)."""
        status = int(self.status[i])
        return SimpleNamespace(
            claim_id=self.claim_id[i], sheet=self.sheet[i], row=self.row[i], credit_code=self.credit_code[i],
            category=self.category[i], subject=self.subject[i], alive=status == ALIVE,
            status=STATUSES[status - 1] if status else None, reasons=as_reasons(self.reasons[i]),
            standard=from_fen_int(int(self.standard[i])), entitlement=from_fen_int(int(self.entitlement[i])),
            payable=from_fen_int(int(self.payable[i])), payers=self.payers[i])


def _categories(pack: PolicyPack) -> Categories:
    """The pack's categories as arrays, made once per pack (a self-check assesses a company many times over)."""
    found = _CATEGORIES.get(id(pack))
    if found is None or found[0] is not pack:
        found = _CATEGORIES[id(pack)] = (pack, Categories(pack))  # (the pack kept: its id stays its own)
    return found[1]


_CATEGORIES: dict[int, tuple[PolicyPack, Categories]] = {}


def _index(values: Sequence, index: dict) -> np.ndarray:
    """Each value's number in ``index``, a new one for a value not yet in it."""
    for v in set(values).difference(index):
        index[v] = len(index)
    return np.fromiter(map(index.__getitem__, values), np.int64, len(values))


#: the payers of a claim that pays nothing; shared, like every payers dict of a line (never mutated)
_NO_PAYERS: dict[str, Decimal] = {}
_CLAIM_FIELDS = ("claim_id", "sheet", "row", "credit_code", "category", "subject", "approved_on",
                 "other_policy_name", "other_policy_amount", "other_policy_paid")
_DICT = attrgetter("__dict__")
_NAME = attrgetter("name")


@dataclass
class Ctx:
    pack: PolicyPack
    params: Parameters
    year: int
    companies: dict[str, Company]
    failures: dict[str, list[Reason]]  # credit code → failed preconditions
    history: list[Payout]
    issues: list[Issue]

    #: the policy's categories as arrays
    cats: Categories = field(init=False, repr=False)
    #: credit code → the company's number in every array by company (the companies of 企业 first, in order)
    firms: dict[str, int] = field(init=False, repr=False)
    #: normalised subject → its number ("" is 0: the item of a reward per company or year)
    subjects: dict[str, int] = field(init=False, repr=False)

    def __post_init__(self):
        self.cats = _categories(self.pack)
        self.firms = {code: k for k, code in enumerate(self.companies)}
        self.subjects = {"": 0}

    _by_company: dict[str, list[Payout]] | None = field(default=None, init=False, repr=False)

    _year_payouts: dict[str, list[Payout]] | None = field(default=None, init=False, repr=False)

    def year_payouts(self) -> dict[str, list[Payout]]:
        """credit code → its payouts for the reward year (history, in history order): they use up its cap."""
        if self._year_payouts is None:
            self._year_payouts = {}
            for p in self.history:
                if p.reward_year == self.year:
                    self._year_payouts.setdefault(p.credit_code, []).append(p)
        return self._year_payouts

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
            r = self._reasons[key] = trusted(Reason, {"code": code, "message": self.formatter(code, measure)(**fields)})
        return r

    _formatters: dict[tuple, Callable[..., str]] = field(default_factory=dict, init=False, repr=False)

    def formatter(self, code: str, measure: int | None = None) -> Callable[..., str]:
        """The message of ``code`` as a function of its fields (the pack's message_format when it has one)."""
        f = self._formatters.get((code, measure))
        if f is None:
            make = self.pack.message_format
            f = self._formatters[(code, measure)] = make(code, measure) if make is not None \
                else partial(self.pack.message, code, measure)
        return f

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

    t = build_claims(batch, ctx)
    step1_row_validity(t, batch, ctx)
    step2_preconditions(t, ctx)
    step3_dates(t, ctx)
    money_fits(t)
    step4_duplicates(t, ctx)
    step5_tiers(t, ctx)
    step6_history(t, ctx)
    step7_other_policies(t, ctx)
    capped = step8_cap(t, ctx)
    step9_payers(t, ctx)
    finish_status(t)

    lines = to_lines(t, ctx)
    summaries = company_summaries(batch, t, capped, ctx)
    deposits = quality_deposits(batch, ctx)
    clawbacks = clawback_list(ctx, history)
    # built without validation: validating would turn the lines' columns into 100k objects (models.Rows)
    return trusted(Result, {
        "policy": PolicyRef(id=pack.id, number=pack.number, title=pack.title, issued=pack.issued,
                            validity_start=params.validity_start, validity_end=params.validity_end),
        "year": year,
        "input_sha256": batch.input_sha256,
        "parameters": params.as_json(),
        "lines": lines,
        "companies": summaries,
        "deposits": deposits,
        "clawbacks": clawbacks,
        "totals": totals(t, clawbacks, ctx),
        "issues": tuple(issues),
        "interpretations": tuple(interpretations(params, pack)),
        "notices": (*batch.notices, *run_notices(batch, ctx, ledger_used=ledger_used)),
    })


def run_notices(batch: Batch, ctx: Ctx, *, ledger_used: bool) -> list[Reason]:
    """What the run as a whole must say: history that could not be checked, a year with nothing in it."""
    out = []
    if not batch.history_given and not ledger_used:
        out.append(Reason(code="NO_HISTORY", message=ctx.pack.message("NO_HISTORY")))
    years: dict[int, int] = defaultdict(int)  # approval year → claims (申报事项 rows that could be read)
    for day, n in Counter(columns_of(batch.claims, "approved_on")[0]).items():
        years[day.year] += n
    in_year = ctx.year in years or any(
        1 <= ctx.year - h.recognised_on.year + 1 <= ctx.pack.hq_period for h in batch.hq_claims)
    if not in_year:  # an empty year is legal (a batch of deposits only), a silent one is not
        present = "、".join(f"{y} 年 {n} 项" for y, n in sorted(years.items()))
        hq = "、".join(sorted({f"{h.recognised_on.year}–{h.recognised_on.year + ctx.pack.hq_period - 1} 年"
                               for h in batch.hq_claims}))
        out.append(Reason(code="EMPTY_YEAR", message=ctx.pack.message(
            "EMPTY_YEAR", year=ctx.year, present=present or "无", hq=hq or "无")))
    return out


def build_claims(batch: Batch, ctx: Ctx) -> Claims:
    """Every row of the batch as a claim on its way, in the output's order (output_order)."""
    pack, cats = ctx.pack, ctx.cats
    (ids, sheets, row_numbers, codes, cat_codes, subjects, days, other_names, other_amounts,
     other_paids) = _claim_columns(batch)
    # each claim's category: its number, then the category itself (a KeyError names a code the pack lacks)
    index = dict(cats.index)
    index[None] = cats.none
    cat_numbers = list(map(index.__getitem__, cat_codes))
    categories: list[Category | None] = list(map(cats.of.__getitem__, cat_numbers))
    labels = list(map(attrgetter("label"), categories))
    n = len(ids)
    standards: list[int] = [0] * n  # the regular rows' amounts: below, all at once
    hq_decisions: list[HqDecision | None] = [None] * n
    hq_facts: list[HqFacts | None] = [None] * n
    waiting: list[Reason | None] = [None] * n

    # the rows of 总部迁入 (第5条) and those that could not be read: a handful, added one by one
    columns = (ids, sheets, row_numbers, codes, categories, labels, subjects, days, standards, hq_decisions,
               hq_facts, waiting, other_names, other_amounts, other_paids)
    hq_cat = pack.computed_category
    for h in batch.hq_claims:
        d = pack.hq_decision(h, ctx.year, ctx.params)
        facts_of_h = HqFacts.trusted(recognised_on=h.recognised_on, reward_year_index=d.reward_year_index,
                                     rate=d.rate, fiscal_contribution=h.fiscal_contribution)
        for column, value in zip(columns, (h.claim_id, h.sheet, h.row, h.credit_code, hq_cat, hq_cat.label, "",
                                           h.recognised_on, 0, d, facts_of_h, None, "", ZERO, False)):
            column.append(value)
    for r in batch.rejected:
        cat = pack.category_by_label(r.category_label) if r.category_label else None
        if r.sheet == "总部迁入":
            cat = hq_cat
        standard = to_fen_int(fen(cat.standard_amount(ctx.params.validity_start))) \
            if cat is not None and not cat.computed else 0
        for column, value in zip(columns, (r.claim_id, r.sheet, r.row, r.credit_code, cat,
                                           cat.label if cat else r.category_label, r.subject, None, standard, None,
                                           None, Reason(code=r.code, message=r.message), "", ZERO, False)):
            column.append(value)
    del columns
    # what the rules compare, as integer arrays: one number per distinct value, each value looked up once
    numbers = {"cat": [*cat_numbers, *(index[c.code if c else None] for c in categories[len(cat_codes):])],
               "firm": _index(codes, ctx.firms)}
    known = ctx._subjects  # each distinct text normalised once (Ctx.subject_key)
    for s in set(subjects).difference(known):
        known[s] = norm_subject(s)
    normalised = list(map(known.__getitem__, subjects))
    numbering = ctx.subjects  # a new normalised subject takes the next number, as first met in the rows
    for k in dict.fromkeys(normalised):
        if k not in numbering:
            numbering[k] = len(numbering)
    numbers["subject_ix"] = list(map(numbering.__getitem__, normalised))
    del normalised
    ordinals = {d: d.toordinal() for d in set(days) if d is not None}
    ordinals[None] = 0
    numbers["day"] = list(map(ordinals.__getitem__, days))
    # the amount in force on the approval day (the rows read from 申报事项; the other sheets' rows have theirs)
    regular = len(cat_codes)
    entry, standard = cats.standard(np.array(cat_numbers, np.int64), np.array(numbers["day"][:regular], np.int64))
    numbers["entry"] = [*entry.tolist(), *[-1] * (len(ids) - regular)]
    numbers["standard"] = [*standard.tolist(), *standards[regular:]]
    # the output's order, fixed before any rule runs
    n = len(ids)
    order = output_order(ids, sheets, row_numbers)
    pick = (lambda column: list(itemgetter(*order)(column))) if order is not None else (lambda column: column)
    permute = np.array(order, np.int64) if order is not None else None
    t = Claims()
    for name, values in numbers.items():
        values = np.array(values, np.int64)
        setattr(t, name, values[permute] if permute is not None else values)
    t.claim_id, t.sheet, t.row, t.category, t.category_label = \
        pick(ids), pick(sheets), pick(row_numbers), pick(categories), pick(labels)
    t.subject, t.approved_on = pick(subjects), pick(days)
    t.hq_decision, t.hq_facts = pick(hq_decisions), pick(hq_facts)
    t.other_name, t.other_amount, t.other_paid = pick(other_names), pick(other_amounts), pick(other_paids)
    # each claim's code by its company number (a list looked up by position: no hashing of 1M codes); the company's
    # own str object stands for its code, so every later grouping hashes and compares one object
    t.credit_code = _take(list(ctx.firms), t.firm)
    # the rows that could not be read (they come last in the input's order), where they stand in the output's
    waiting = [(k, why) for k, why in enumerate(waiting[len(cat_codes):], len(cat_codes)) if why is not None]
    if waiting and order is not None:
        place = np.empty(n, np.int64)
        place[permute] = np.arange(n)
        waiting = [(int(place[k]), why) for k, why in waiting]
    del ids, sheets, row_numbers, categories, labels, subjects, days, hq_decisions, hq_facts, other_names, \
        other_amounts, other_paids, codes, standards, numbers
    t.item = np.where(cats.by_subject[t.cat], t.subject_ix, 0)
    t.claim_key = (t.firm * len(cats.of) + t.cat) * len(ctx.subjects) + t.item
    t.family_key = (t.firm * len(cats.of) + cats.family[t.cat]) * len(ctx.subjects) + t.item
    t.monetary = cats.monetary[t.cat]
    t.entitlement = np.zeros(n, np.int64)
    t.payable = np.zeros(n, np.int64)
    t.status = np.zeros(n, np.int8)
    t.reasons = [()] * n
    t.payers = [_NO_PAYERS] * n
    t.co_winner = np.zeros(n, bool)
    t.decide_all(((i, (why,)) for i, why in waiting), PENDING)  # a row that could not be read waits (step 1)
    return t


def _claim_columns(batch: Batch) -> list[list]:
    """The claims' fields as columns (new lists: the engine adds the other sheets' rows to them)."""
    return [list(column) for column in columns_of(batch.claims, *_CLAIM_FIELDS)]


def output_order(ids: Sequence[str], sheets: Sequence[str], rows: Sequence[int | None]) -> list[int] | None:
    """The output's order (natural 申报编号, sheet, row) as the claims' indices in it — None when they stand in it
    already. Fixed before any rule runs: the steps keep it, and a claim's place in it is what "the first" and "the
    smaller 申报编号" compare, whatever the rows' order.

    When every 申报编号 is ASCII of one shape (the same characters, digits at the same places: K00000001, 2024-0001)
    the natural order is the text's own order, since the runs of digits that differ have the same length; the
    natural key (a tuple per claim) is then not needed — nor any key at all when the 申报编号 already rise."""
    n = len(ids)
    if n < 2:
        return None
    if _one_ascii_shape(ids):
        if all(map(lt, ids, islice(ids, 1, None))):
            return None  # rising, so no two equal: already in order
        keys = list(zip(ids, sheets, (r or 0 for r in rows)))
        order = sorted(range(n), key=keys.__getitem__)
    elif _rising(ids, sheets, rows):
        return None
    else:
        order = _by_shapes(ids, sheets, rows)
    return None if order == list(range(n)) else order


def _rising(ids: Sequence[str], sheets: Sequence[str], rows: Sequence[int | None]) -> bool:
    """ASCII ids of a few shapes that already rise in the natural order (the claims' 2024-000001 … then the HQ
    rows' HQ-00001 …): each id after the one before it as text, which is the natural order between two ids of one
    shape, and in the natural order where the shape changes. False when that cannot be told quickly."""
    text = "\n".join(ids)
    if not text.isascii() or text.count("\n") != len(ids) - 1 or not all(map(lt, ids, islice(ids, 1, None))):
        return False
    shapes = text.encode("ascii").translate(_DIGITS_TO_ZERO).split(b"\n")
    changes = list(compress(count(), map(ne, shapes, islice(shapes, 1, None))))
    if len(changes) > 64:
        return False  # shapes mixed row by row: _by_shapes sorts them
    return all((natural_key(ids[k]), sheets[k], rows[k] or 0) < (natural_key(ids[k + 1]), sheets[k + 1],
                                                                 rows[k + 1] or 0) for k in changes)


def _by_shapes(ids: Sequence[str], sheets: Sequence[str], rows: Sequence[int | None]) -> list[int]:
    """The natural order of ids of several shapes (the claims' 2024-000001 and the HQ rows' HQ-00001): within one
    ASCII shape the text's order is the natural one, so each shape is sorted as text; when the shapes' ranges do
    not overlap in the natural order (the usual case: each sheet numbers its rows its own way) the shapes follow one
    another, and only their first and last ids need a natural key. Otherwise every id gets one."""
    text = "".join(ids)
    if text.isascii() and "\n" not in text:
        shapes = "\n".join(ids).encode("ascii").translate(_DIGITS_TO_ZERO).split(b"\n")
        kinds = dict.fromkeys(shapes)
    else:
        kinds = {}
    if 0 < len(kinds) <= 8:
        # the ids of each shape, in the input's order
        number = {shape: k for k, shape in enumerate(kinds)}
        kind = np.fromiter(map(number.__getitem__, shapes), np.int64, len(shapes))
        by_kind = np.argsort(kind, kind="stable")
        bounds = np.searchsorted(kind[by_kind], np.arange(len(kinds) + 1)).tolist()
        runs = []
        for k in range(len(kinds)):
            members = by_kind[bounds[k]:bounds[k + 1]].tolist()
            mine = [ids[i] for i in members]
            if not all(map(lt, mine, islice(mine, 1, None))):  # rising, so no two equal: in order already
                if len(set(mine)) == len(mine):  # no two equal: the id alone orders them
                    members.sort(key=ids.__getitem__)
                else:
                    members.sort(key=lambda i: (ids[i], sheets[i], rows[i] or 0))
            runs.append(members)
        ends = [((natural_key(ids[m[0]]), sheets[m[0]], rows[m[0]] or 0),
                 (natural_key(ids[m[-1]]), sheets[m[-1]], rows[m[-1]] or 0), m) for m in runs]
        ends.sort(key=itemgetter(0))
        if all(ends[k][1] < ends[k + 1][0] for k in range(len(ends) - 1)):
            return [i for _, _, m in ends for i in m]
    keys = [(natural_key(i), s, r or 0) for i, s, r in zip(ids, sheets, rows)]
    return sorted(range(len(ids)), key=keys.__getitem__)


def _one_ascii_shape(ids: Sequence[str]) -> bool:
    """Every id ASCII, of one length, with its digits at the same places and the same other characters: the ids
    written one after the other, every digit made 0, are the first id's shape repeated."""
    if not ids or len(set(map(len, ids))) != 1:
        return False
    text = "".join(ids)
    if not text.isascii():
        return False
    shapes = text.encode("ascii").translate(_DIGITS_TO_ZERO)
    return shapes == shapes[:len(ids[0])] * len(ids)


_DIGITS_TO_ZERO = bytes.maketrans(b"0123456789", b"0000000000")


def step1_row_validity(t: Claims, batch: Batch, ctx: Ctx) -> None:
    """SPEC 2.2 step 1. Unreadable rows are already pending (build_claims). A company whose 已兑现奖励 rows could not
    be read cannot be told what it was already paid: its money claims wait rather than risk paying twice."""
    bad_history = [ctx.firms[c] for c in set(batch.unreadable_history) if c in ctx.firms]
    if not bad_history:
        return
    for i in np.flatnonzero((t.status == ALIVE) & t.monetary & np.isin(t.firm, bad_history)).tolist():
        t.decide(i, PENDING, ctx.msg("INVALID_ROW", detail=ctx.pack.message(
            "INVALID_HISTORY", detail="见数据问题表“已兑现奖励”")))


def step2_preconditions(t: Claims, ctx: Ctx) -> None:
    """SPEC 2.2 step 2 (通用条款 适用范围 and 前提条件): any failure makes every claim of the company ineligible."""
    failing = [ctx.firms[code] for code, reasons in ctx.failures.items() if reasons]
    if not failing:
        return
    why = {code: tuple(reasons) for code, reasons in ctx.failures.items() if reasons}
    t.decide_all(((i, why[t.credit_code[i]])
                  for i in np.flatnonzero((t.status == ALIVE) & np.isin(t.firm, failing)).tolist()), INELIGIBLE)


def step3_dates(t: Claims, ctx: Ctx) -> None:
    """SPEC 2.2 step 3; for HQ rows, SPEC 2.4 (the policy's M5 decides the reward year and the share)."""
    p = ctx.params
    start, end, year = p.validity_start, p.validity_end, ctx.year
    alive = t.status == ALIVE
    hq = np.fromiter((d is not None for d in t.hq_decision), bool, len(t))
    for i in np.flatnonzero(alive & hq).tolist():
        d = t.hq_decision[i]
        amount = to_fen_int(fen(d.standard_amount))
        if abs(amount) >= _MAX_FEN:
            raise AmountOutOfRange(_out_of_range(t, [(i, amount)]))
        t.standard[i] = amount
        t.note(i, *d.notes)
        if d.failures:
            t.decide(i, INELIGIBLE, *d.failures)
    regular = alive & ~hq
    valid = (t.day >= start.toordinal()) & (t.day <= end.toordinal())
    in_year = (t.day >= dt.date(year, 1, 1).toordinal()) & (t.day <= dt.date(year, 12, 31).toordinal())
    # the claims that pass: the amount's reference in force on the approval day is their first reason
    # (one reason per category and dated entry: the claims approved while one entry was in force share it)
    passing = np.flatnonzero(regular & valid & in_year & t.monetary)
    _, first, inverse = np.unique(t.cat[passing] * (t.entry.max(initial=0) + 2) + t.entry[passing] + 1,
                                  return_index=True, return_inverse=True)
    shared = [ctx.standard_reasons(t.category[i], t.approved_on[i]) for i in passing[first].tolist()]
    reasons = t.reasons
    for i, k in zip(passing.tolist(), inverse.tolist()):
        reasons[i] += shared[k]
    for i in np.flatnonzero(regular & ~(valid & in_year)).tolist():
        on, cat = t.approved_on[i], t.category[i]
        fails = []
        if not valid[i]:
            fails.append(ctx.msg("OUTSIDE_VALIDITY", start=start, end=end, what="获批日期", date=on))
        if not in_year[i]:
            fails.append(ctx.msg("NOT_ASSESSMENT_YEAR", cat.measure, date=on, year=year))
        t.decide(i, INELIGIBLE, *fails)


#: the integer fen the engine's 64-bit arrays hold exactly, sums included (a quarter of their range)
_MAX_FEN = 2 ** 62


def money_fits(t: Claims) -> None:
    """Every amount is known once step 3 has run, and every later sum — a company's, a treasury's, the batch's — is
    at most the sum of the standard amounts: that sum must fit the integer arrays, or a sum would wrap round without
    a word. Any real batch is far below (46 亿亿元); one that is not has digits typed twice, and is refused."""
    standard = t.standard
    if not len(standard) or int(np.abs(standard).max()) * len(standard) < _MAX_FEN:
        return
    total = sum(map(abs, standard.tolist()))
    if total >= _MAX_FEN:
        largest = np.argsort(-np.abs(standard), kind="stable")[:3].tolist()
        raise AmountOutOfRange(_out_of_range(t, [(i, int(standard[i])) for i in largest], total))


def _out_of_range(t: Claims, largest: list[tuple[int, int]], total: int | None = None) -> str:
    where = "、".join(f"“{t.sheet[i]}”表第{t.row[i]}行 {yuan_text(from_fen_int(amount))} 元" if t.row[i] is not None
                      else f"“{t.sheet[i]}”表申报编号 {t.claim_id[i]} {yuan_text(from_fen_int(amount))} 元"
                      for i, amount in largest)
    what = f"申报金额合计 {yuan_text(from_fen_int(total))} 元" if total is not None else "金额"
    return (f"{what}超出本工具能精确核算的范围（不超过 {yuan_text(from_fen_int(_MAX_FEN - 1))} 元），"
            f"{'最大的几项是' if total is not None else '见'}{where}：请检查金额是否多写了位数")


def _shared(keys: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The claims of ``idx`` whose key (``keys[idx]``) another of them shares: (members, starts) — the members
    grouped by key, each group in the output's order (its first claim first), and where each group starts."""
    none = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    if len(idx) < 2:
        return none
    k = keys[idx]
    order = np.argsort(k, kind="stable")  # stable: within a key, the output's order
    k = k[order]
    new = np.concatenate(([True], k[1:] != k[:-1]))
    group = np.cumsum(new) - 1
    many = np.bincount(group)[group] > 1
    if not many.any():
        return none  # the common case: every key once
    members, group = idx[order][many], group[many]
    return members, np.flatnonzero(np.concatenate(([True], group[1:] != group[:-1])))


def _distinct(x: np.ndarray) -> np.ndarray:
    """The distinct values of ``x``, sorted: np.unique by one sort (numpy 2's np.unique hashes, four times slower on
    100k integers)."""
    x = np.sort(x)
    return x[np.concatenate(([True], x[1:] != x[:-1]))] if len(x) else x


def step4_duplicates(t: Claims, ctx: Ctx) -> None:
    """SPEC 2.2 step 4: the same company, category and normalised subject twice: the first 申报编号 stands.
    For a one-time reward keyed by company (资质, 基地, 技术中心, 总部迁入 per year) the subject does not tell two
    claims apart: a second claim of the same category is the same reward claimed twice."""
    members, starts = _shared(t.claim_key, np.flatnonzero(t.status == ALIVE))
    if len(members):
        # one key: one category, so one reason for every later claim of the group, naming the first
        first = members[starts].tolist()
        why = [(_reason(ctx, "DUPLICATE_CLAIM", t.category[i].measure, first=t.claim_id[i]),) for i in first]
        group = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(members))))
        later = np.ones(len(members), bool)
        later[starts] = False
        t.decide_all(zip(members[later].tolist(), map(why.__getitem__, group[later].tolist())), INELIGIBLE)
    step4_co_winners(t, ctx)


def step4_co_winners(t: Claims, ctx: Ctx) -> None:
    """SPEC 2.2 step 4, co-winners (第6条、第24条 "每项"): the same normalised project or subject claimed in one
    per-item category by two or more companies — in this batch (whatever became of the other company's claim) or
    against history under this policy. The law pays per award, not per company: whether co-winners share one award
    or each is paid is the bureau's decision (口径 co_winners). With ``review`` every such claim still alive waits
    (pending CO_WINNERS, naming the other companies); with ``each`` each is assessed as if alone."""
    if ctx.params.co_winners == "each":
        return
    cats = ctx.cats
    items = np.flatnonzero(cats.per_item[t.cat] & (t.subject_ix != 0) & (t.day != 0))
    award = t.cat[items] * len(ctx.subjects) + t.subject_ix[items]  # (category, subject): one award
    # the awards claimed by two companies or more: more than one (award, company) pair
    firms = len(ctx.firms)
    awards = _distinct(award * firms + t.firm[items]) // firms  # one entry per (award, company), sorted
    first_of_run = np.concatenate(([True], awards[1:] != awards[:-1])) if len(awards) else np.zeros(0, bool)
    again = np.concatenate((~first_of_run[1:], [False])) & first_of_run  # an award whose next entry is the same
    claimants: dict[int, dict[str, list]] = {a: {} for a in awards[again].tolist()}
    per_item = {c.code for c in ctx.pack.categories if _per_item(c)}
    history = [(p, (p.category, ctx.subject_key(p.subject))) for p in ctx.history if p.category in per_item]
    if history:
        first: dict[int, str] = {}  # award → the first company seen claiming it
        for a, i in zip(award.tolist(), items.tolist()):
            first.setdefault(a, t.credit_code[i])
        numbered = []
        for p, (code, subject) in history:
            number = ctx.subjects.get(subject)
            a = None if number is None else cats.index[code] * len(ctx.subjects) + number
            numbered.append((p, a))
            claimed_by = first.get(a)
            if claimed_by is not None and claimed_by != p.credit_code:
                claimants[a] = {}
        history = numbered
    if not claimants:
        return
    touched = np.isin(award, list(claimants))
    for i, a in zip(items[touched].tolist(), award[touched].tolist()):
        claimants[a].setdefault(t.credit_code[i], []).append(i)
    for p, a in history:
        by_company = claimants.get(a)
        if by_company is not None:
            by_company.setdefault(p.credit_code, []).append(p)
    names: dict[str, str] = {}  # how a message names a company (the code alone for one no 企业 row has)
    companies = ctx.companies
    alive = (t.status == ALIVE).tolist()
    claim_id, category, subject = t.claim_id, t.category, t.subject
    formats: dict[int | None, Callable[..., str]] = {}  # measure → the CO_WINNERS message's writer
    decided = []
    for others in claimants.values():
        # each company of the award with its claims and payouts, in a fixed order whatever the rows' order
        entries = sorted(others.items())
        named = []
        for code, theirs in entries:
            name = names.get(code)
            if name is None:
                c = companies.get(code)
                name = names[code] = f"{c.name}（{code}）" if c else code
            first = theirs[0]
            named.append(f"{name}（申报编号 {claim_id[first]}）" if len(theirs) == 1 and first.__class__ is int
                         else f"{name}（{_claimants_text(t, theirs)}）")  # the common case first: one claim
        two = len(entries) == 2  # the common case: one other company
        for k, (_, found) in enumerate(entries):
            text = named[1 - k] if two else "；".join(named[:k] + named[k + 1:])  # the other companies
            for i in found:
                if i.__class__ is int and alive[i]:
                    # the reason names this claim's own award and rivals: made for it
                    cat = category[i]
                    write = formats.get(cat.measure) or formats.setdefault(
                        cat.measure, ctx.formatter("CO_WINNERS", cat.measure))
                    decided.append((i, (("CO_WINNERS", write(label=cat.label, subject=subject[i], others=text)),)))
    t.decide_all(decided, PENDING)
    t.co_winner[[i for i, _ in decided]] = True


def _claimants_text(t: Claims, theirs: list[int | Payout]) -> str:
    """One co-winner's claims and payouts: "申报编号 K1、已于 2024-03-01 兑现 100,000.00 元"."""
    if len(theirs) == 1 and theirs[0].__class__ is int:  # the common case: one claim
        return f"申报编号 {t.claim_id[theirs[0]]}"
    if theirs[-1].__class__ is int:  # claims only (payouts come after them): already in the output's order
        return "、".join([f"申报编号 {t.claim_id[i]}" for i in theirs])
    return "、".join(where for _, where in sorted(_claimant(t, x) for x in theirs))


def _claimant(t: Claims, x: int | Payout) -> tuple[tuple, str]:
    """(sort key, where) of one claim (its index) or payout of a co-winner: this batch's claims first, in order."""
    if x.__class__ is int:
        return (0, x), f"申报编号 {t.claim_id[x]}"
    return (1, (x.paid_on, x.amount)), f"已于 {x.paid_on} 兑现 {yuan_text(x.amount)} 元"


def _per_item(cat: Category | None) -> bool:
    """A category paid per award (每项): keyed by its project or subject, with money."""
    return cat is not None and cat.key == "subject" and not cat.honour_only and not cat.computed


def _reason(ctx: Ctx, code: str, measure: int | None = None, **fields) -> tuple[str, str]:
    """A reason made for one claim or group (its message names them: Ctx.msg's sharing would find nothing to
    share), as a (code, message) pair: the line's reasons hold it so (models.ReasonsColumn), a Reason object is
    built only when something asks for the line."""
    return code, ctx.formatter(code, measure)(**fields)


def step5_tiers(t: Claims, ctx: Ctx) -> None:
    """SPEC 2.2 step 5 (就高; for project honours 第6条 同一项目获多项荣誉奖励的按最高荣誉奖励 — m6_highest_honour):
    within one family and key only the highest tier claimed in the batch stands. A higher claim waiting for the
    bureau as a co-winner (step 4) is still claimed: the same company's lower honour of that project is superseded
    now (paid, it would be 同一项目 paid twice over if the bureau later pays the higher one)."""
    cats = ctx.cats
    alive = t.status == ALIVE
    competing = np.flatnonzero((alive | t.co_winner) & cats.tiered[t.cat])
    members, starts = _shared(t.family_key, competing)
    if len(members):
        tier = cats.tier[t.cat[members]]
        size = np.diff(np.append(starts, len(members)))
        best = np.repeat(np.maximum.reduceat(tier, starts), size)  # the highest tier claimed in each group
        group = np.repeat(np.arange(len(starts)), size)
        # the first claim of the highest tier stands; the lower ones still alive are superseded by it
        at_best = np.flatnonzero(tier == best)
        top = members[at_best[np.unique(group[at_best], return_index=True)[1]]].tolist()
        lower = (tier < best) & alive[members]
        higher = {}
        for g in _distinct(group[lower]).tolist():
            i = top[g]
            waiting = "（同一奖项另有企业申报，待住建局认定）" if not alive[i] else ""
            higher[g] = f"本批已申报{t.category[i].label}，申报编号 {t.claim_id[i]}{waiting}"
        t.decide_all(((i, (_reason(ctx, "SUPERSEDED_BY_HIGHER", t.category[i].measure, higher=higher[g]),))
                      for i, g in zip(members[lower].tolist(), group[lower].tolist())), INELIGIBLE)
    t.decide_all(((i, (ctx.msg("HONOR_ONLY", t.category[i].measure),))
                  for i in np.flatnonzero((t.status == ALIVE) & cats.honour_only[t.cat]).tolist()), HONOR_ONLY)


def step6_history(t: Claims, ctx: Ctx) -> None:
    """SPEC 2.2 step 6: what was already paid in the same family and key under this policy."""
    alive_money = (t.status == ALIVE) & t.monetary
    # every claim alive with money is entitled to its standard amount, unless history says otherwise
    t.entitlement[alive_money] = t.standard[alive_money]
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
    if not by_key:
        return  # no history: every entitlement is its standard amount
    paid_firms = [ctx.firms[code] for code in {k[0] for k in by_key} if code in ctx.firms]
    for i in np.flatnonzero(alive_money & np.isin(t.firm, paid_firms)).tolist():
        cat = t.category[i]
        if cat.computed:
            paid = [x for x, _ in by_key.get((t.credit_code[i], cat.code, str(ctx.year)), [])]
            if paid:
                t.decide(i, INELIGIBLE, ctx.msg("ALREADY_PAID", cat.measure, year=ctx.year,
                                                paid=yuan_text(sum((x.amount for x in paid), ZERO)),
                                                payouts=payouts_text(paid)))
            continue
        paid_cats = by_key.get((t.credit_code[i], cat.family or cat.code,
                                ctx.subject_key(t.subject[i]) if cat.key == "subject" else ""))
        if not paid_cats:
            continue
        paid = [p for p, _ in paid_cats]
        total = sum((p.amount for p in paid), ZERO)
        top_cat = max(c.tier for _, c in paid_cats)
        standard = from_fen_int(int(t.standard[i]))
        if top_cat == cat.tier:
            t.decide(i, INELIGIBLE, ctx.msg("ALREADY_PAID", cat.measure, paid=yuan_text(total),
                                            payouts=payouts_text(paid)))
        elif top_cat > cat.tier:
            higher = [p for p, c in paid_cats if c.tier == top_cat]
            label = next(c.label for _, c in paid_cats if c.tier == top_cat)
            t.decide(i, INELIGIBLE, ctx.msg("SUPERSEDED_BY_HIGHER", cat.measure,
                                            higher=f"已兑现更高等级的{label}：{payouts_text(higher)}"))
        elif cat.always_top_up or ctx.params.tier_upgrade == "top_up":
            entitlement = fen(max(ZERO, standard - total))
            t.entitlement[i] = to_fen_int(entitlement)
            t.note(i, ctx.msg("SAME_PROJECT_TOP_UP" if cat.always_top_up else "UPGRADE_TOP_UP", cat.measure,
                              paid=yuan_text(total), payouts=payouts_text(paid), amount=yuan_text(entitlement)))
        else:
            t.note(i, ctx.msg("UPGRADE_FULL", cat.measure, paid=yuan_text(total), payouts=payouts_text(paid)))


def step7_other_policies(t: Claims, ctx: Ctx) -> None:
    """SPEC 2.2 step 7 (通用条款 对现行有效奖励扶持政策与本措施重复的，按就高不重复原则享受扶持资金)."""
    other = [i for i, o in enumerate(t.other_amount) if o and o > 0]  # (most are 0: the truth test first)
    for i in other:
        if t.status[i] != ALIVE or not t.monetary[i]:
            continue
        name = f"“{t.other_name[i]}”" if t.other_name[i] else "其他政策"
        o, e = t.other_amount[i], from_fen_int(int(t.entitlement[i]))
        if t.other_paid[i]:
            left = fen(max(ZERO, e - o))
            t.entitlement[i] = to_fen_int(left)
            code = "OTHER_POLICY_TOP_UP" if left > 0 else "OTHER_POLICY_HIGHER"
            t.note(i, ctx.msg(code, name=name, other=yuan_text(o), amount=yuan_text(left if left > 0 else e)))
        elif o >= e:
            t.decide(i, INELIGIBLE, ctx.msg("OTHER_POLICY_HIGHER", name=name, other=yuan_text(o),
                                            amount=yuan_text(e)))
        else:
            t.note(i, ctx.msg("OTHER_POLICY_EXCLUDED", name=name, other=yuan_text(o), amount=yuan_text(e)))


def step8_cap(t: Claims, ctx: Ctx) -> dict[str, bool]:
    """SPEC 2.2 step 8 (通用条款 企业所得奖励资金总额不得超过该企业缴纳税收地方留成部分) — cap_g.

    The cap C is the company's 地方留成税收 for the reward year, less what history shows was already paid for that
    same reward year (cap_period = year: the law caps what the company gets, not what one batch gives it)."""
    alive_money = (t.status == ALIVE) & t.monetary
    # every claim alive with money is payable its entitlement, unless the cap says otherwise; S per company
    t.payable[alive_money] = t.entitlement[alive_money]
    n_firms = len(ctx.firms)
    total = np.zeros(n_firms, np.int64)
    np.add.at(total, t.firm[alive_money], t.entitlement[alive_money])
    claiming = np.zeros(n_firms, bool)
    claiming[t.firm[alive_money]] = True
    codes = list(ctx.firms)
    by_firm = list(ctx.companies.values())  # a company by its number (a claim alive has its company: step 2)
    earlier_of = ctx.year_payouts()
    capped: dict[str, bool] = {}  # the companies over their cap
    over: dict[int, tuple[Decimal, Decimal, list[Payout]]] = {}  # company → (headroom, already paid, payouts)
    for f, s in zip(np.flatnonzero(claiming).tolist(), total[claiming].tolist()):
        tax = by_firm[f].local_retained_tax
        if tax is None:
            over[f] = (ZERO, ZERO, [])
            continue
        earlier = earlier_of.get(codes[f])
        already = sum((p.amount for p in earlier), ZERO) if earlier else ZERO
        headroom = max(ZERO, tax - already)
        if s > headroom.scaleb(2):  # S > C, S in integer fen, C in fen exactly (scaleb moves the point)
            over[f] = (headroom, already, earlier or [])
            capped[codes[f]] = True
    if not over:
        return capped
    method = "比例分配（最大余数法）" if ctx.params.cap_allocation == "proportional" else "条款顺序依次分配"
    # a company without its 地方留成税收: its claims with money wait (the cap cannot be known)
    untaxed = {f for f in over if by_firm[f].local_retained_tax is None}
    t.decide_all(((i, (ctx.msg("MISSING_LOCAL_TAX"),)) for i in np.flatnonzero(
        alive_money & np.isin(t.firm, list(untaxed)) & (t.entitlement > 0)).tolist()), PENDING)
    taxed = [f for f in over if f not in untaxed]
    if not taxed:
        return capped
    # the claims of each company over its cap, grouped by company, each group in the output's order
    mine = np.flatnonzero(alive_money & np.isin(t.firm, taxed))
    mine = mine[np.argsort(t.firm[mine], kind="stable")]
    firm = t.firm[mine]
    starts = np.flatnonzero(np.concatenate(([True], firm[1:] != firm[:-1])))
    firms = firm[starts].tolist()
    shares = allocate(t, mine, starts, [to_fen_int(over[f][0]) for f in firms], ctx)
    entitlement = t.entitlement[mine]
    reduced = shares < entitlement
    t.payable[mine[reduced]] = shares[reduced]
    # the reason: one message per company, its amount left open (the claims of one company differ only in it; U+FFFF
    # is no XML character, so no text of the company, its payouts or the pack holds it)
    ends = [*starts[1:].tolist(), len(mine)]
    members, shares, reduced, reasons = mine.tolist(), shares.tolist(), reduced.tolist(), t.reasons
    write = ctx.formatter("CAP_REDUCED")
    for f, a, b in zip(firms, starts.tolist(), ends):
        if not any(reduced[a:b]):
            continue
        headroom, already, earlier = over[f]
        tax = by_firm[f].local_retained_tax
        shown = yuan_text(tax)
        why = dict(tax=shown, year=ctx.year, paid=yuan_text(already) if earlier else "0.00",
                   payouts=f"（{payouts_text(earlier)}）" if earlier else "",
                   cap=shown if headroom == tax else yuan_text(headroom), method=method)  # nothing paid: C is the tax
        open_message = write(**why, amount=_OPEN)
        # only the payouts' sources are text the workbook wrote; the other fields are numbers and the pack's words
        if open_message.count(_OPEN) != 1 or _OPEN in why["payouts"]:  # pragma: no cover
            open_message = None
        for k in range(a, b):
            if reduced[k]:
                share = shares[k]
                amount = f"{share // 100:,}.{share % 100:02d}"  # yuan_text of the share, from its integer fen
                reasons[members[k]] += (("CAP_REDUCED", open_message.replace(_OPEN, amount))
                                        if open_message is not None else _reason(ctx, "CAP_REDUCED", **why, amount=amount)),
    return capped


_OPEN = "\uffff"


def allocate(t: Claims, members: np.ndarray, starts: np.ndarray, caps: list[int], ctx: Ctx) -> np.ndarray:
    """Share each company's cap (``caps``, integer fen) among its claims — ``members`` grouped by company, each group
    in the output's order, starting at ``starts`` — in integer fen: each group's shares sum to its cap exactly and
    none exceeds its entitlement.

    proportional: E_i × C / S floored to the fen, leftover fen one each to the largest remainders, ties to the
    smaller 申报编号 (integer fen arithmetic, exact). priority: fill in the policy's measure order, then 申报编号."""
    size = np.diff(np.append(starts, len(members)))
    ents = t.entitlement[members]
    if ctx.params.cap_allocation == "priority" or int(ents.max()) * max(caps) >= 2 ** 62:
        # priority (a few companies at most), or amounts too large for 64-bit products: company by company
        out = []
        for a, n, c in zip(starts.tolist(), size.tolist(), caps):
            out.extend(_allocate_one(t, members[a:a + n].tolist(), ents[a:a + n].tolist(), c, ctx))
        return np.array(out, np.int64)
    cap = np.repeat(np.array(caps, np.int64), size)
    total = np.repeat(np.add.reduceat(ents, starts), size)
    floors, rems = np.divmod(ents * cap, total)
    leftover = np.array(caps, np.int64) - np.add.reduceat(floors, starts)
    # within each company: the largest remainder first, then the smaller 申报编号 (the output's order)
    group = np.repeat(np.arange(len(starts)), size)
    order = np.lexsort((members, -rems, group))
    rank = np.arange(len(members)) - np.repeat(starts, size)  # the place within its company, in that order
    floors[order[rank < np.repeat(leftover, size)]] += 1
    return floors


def _allocate_one(t: Claims, group: list[int], ents: list[int], c: int, ctx: Ctx) -> list[int]:
    """allocate for one company, in Python integers."""
    if ctx.params.cap_allocation == "priority":
        order = sorted(range(len(group)), key=lambda k: (_measure_rank(t.category[group[k]], ctx), group[k]))
        out = [0] * len(group)
        left = c
        for k in order:
            out[k] = min(ents[k], left)
            left -= out[k]
        return out
    s = sum(ents)
    floors = [e * c // s for e in ents]
    rems = [e * c % s for e in ents]
    leftover = c - sum(floors)
    order = sorted(range(len(group)), key=lambda k: (-rems[k], group[k]))
    for k in order[:leftover]:
        floors[k] += 1
    return floors


def _measure_rank(cat: Category, ctx: Ctx) -> int:
    order = ctx.pack.measure_order
    return order.index(cat.measure) if cat.measure in order else len(order)


def step9_payers(t: Claims, ctx: Ctx) -> None:
    """SPEC 2.2 step 9: 注册地财政 pays it all, or the 受益财政 split between 市财政 and the 注册地 treasury."""
    paying = np.flatnonzero((t.status == ALIVE) & t.monetary & (t.payable > 0))
    t.splits = []
    if not len(paying):
        return
    # the split depends on the amount, the category's way of paying and the company's 注册地: once per such triple;
    # each company's 注册地 as a number, by company number (a code no 企业 row has pays nothing: step 2)
    regions: dict[str, int] = {}
    region_of = np.array([*(regions.setdefault(c.region, len(regions)) for c in ctx.companies.values()),
                          *[0] * (len(ctx.firms) - len(ctx.companies))], np.int64)[t.firm[paying]]
    amount = np.unique(t.payable[paying], return_inverse=True)[1]  # each amount's number: the key cannot overflow
    triple = (amount * len(ctx.cats.of) + t.cat[paying]) * (len(regions) + 1) + region_of
    _, first, inverse, count = np.unique(triple, return_index=True, return_inverse=True, return_counts=True)
    names = list(regions)
    splits = _splits(t, paying[first], [names[k] for k in region_of[first].tolist()], ctx)
    payers = t.payers
    for i, k in zip(paying.tolist(), inverse.tolist()):
        payers[i] = splits[k]
    # (split, category, claims): what the totals add up
    t.splits = [(split, t.category[i], n) for split, i, n in zip(splits, paying[first].tolist(), count.tolist())]


def _splits(t: Claims, claims: np.ndarray, names: list[str], ctx: Ctx) -> list[dict[str, Decimal]]:
    """split_payers of each of ``claims`` (their payable amounts, categories and 注册地 ``names``), the 市财政 shares
    of all of them worked out at once in integer fen (_fen_times: fen(amount × share), exactly)."""
    pack, params = ctx.pack, ctx.params
    shares = [_city_share(t.category[i], region, pack, params) for i, region in zip(claims.tolist(), names)]
    amounts = t.payable[claims].tolist()
    city = _fen_times(amounts, 1, np.arange(len(shares)), [ZERO if s is None else s for s in shares]).tolist()
    return [_split(from_fen_int(amount), None if share is None else from_fen_int(c), region, pack)
            for amount, c, region, share in zip(amounts, city, names, shares)]


def split_payers(amount: Decimal, cat: Category, region: str, pack: PolicyPack,
                 params: Parameters) -> dict[str, Decimal]:
    share = _city_share(cat, region, pack, params)
    return _split(amount, None if share is None else fen(amount * share), region, pack)


def _city_share(cat: Category, region: str, pack: PolicyPack, params: Parameters) -> Decimal | None:
    """市财政's share of an amount paid by the 受益财政 (通用条款 市、县区受益财政分级分担) — None when the 注册地 pays
    it all (a category paid by the 注册地, or a company of the city's own region)."""
    return params.city_share[region] if cat.payer == "beneficiary" and region != pack.city_region else None


def _split(amount: Decimal, city: Decimal | None, region: str, pack: PolicyPack) -> dict[str, Decimal]:
    """Who pays ``amount``: 市财政 ``city`` and the 注册地 treasury the rest, or the 注册地 all (city None); a treasury
    with nothing to pay is left out."""
    local = pack.treasury(region)
    out = {pack.city_treasury: city, local: amount - city} if city is not None else {local: amount}
    return {k: v for k, v in out.items() if v > 0}


def finish_status(t: Claims) -> None:
    alive = t.status == ALIVE
    t.status[alive] = np.where((t.payable == t.standard) & (t.standard > 0), AWARDED, REDUCED)[alive]


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


# --------------------------------------------------------------------------- result parts


def _yuan(fens: np.ndarray, more: Sequence[int | None] = ()) -> FenColumn:
    """A column of amounts in integer fen (then ``more`` of them), read as Decimal yuan (models.FenColumn)."""
    return FenColumn([*fens.tolist(), *more] if more else fens)


def to_lines(t: Claims, ctx: Ctx) -> Rows[Line]:
    """The decided claims as the result's lines: the columns themselves (models.Rows), no object per claim."""
    codes, measures, articles = zip(*((c.code, c.measure, c.article) if c is not None else ("", None, "")
                                      for c in ctx.cats.of))
    # the companies of 企业 are the first numbers (Ctx.firms), the codes no 企业 row has the others
    names = [*map(_NAME, ctx.companies.values()), *[""] * (len(ctx.firms) - len(ctx.companies))]
    return Rows(Line, {
        "claim_id": t.claim_id, "sheet": t.sheet, "row": t.row, "credit_code": t.credit_code,
        "company_name": _take(names, t.firm), "category_code": _take(codes, t.cat),
        "category_label": t.category_label, "measure": _take(measures, t.cat), "article": _take(articles, t.cat),
        "subject": t.subject, "status": _take((None, *STATUSES), t.status),
        "standard_amount": _yuan(t.standard), "entitlement": _yuan(t.entitlement), "payable": _yuan(t.payable),
        "payers": t.payers, "reasons": ReasonsColumn(t.reasons), "hq": t.hq_facts,
    })


def _take(values: Sequence, numbers: np.ndarray) -> list:
    """values[k] for each k of ``numbers`` (a list of the values themselves: one numpy take, no Python loop)."""
    table = np.empty(len(values), object)
    table[:] = values
    return table[numbers].tolist()


def company_summaries(batch: Batch, t: Claims, capped: dict[str, bool], ctx: Ctx) -> Rows[CompanySummary]:
    # per company: requested (standard amounts of its money claims), entitled (before the cap, of the claims
    # awarded or reduced), payable
    sums = np.zeros((3, len(ctx.firms)), np.int64)
    np.add.at(sums[0], t.firm[t.monetary], t.standard[t.monetary])
    decided = (t.status == AWARDED) | (t.status == REDUCED)
    np.add.at(sums[1], t.firm[decided], t.entitlement[decided])
    np.add.at(sums[2], t.firm, t.payable)
    # already paid for the reward year (history)
    paid = {code: sum((p.amount for p in payouts), ZERO) for code, payouts in ctx.year_payouts().items()}
    # one column per field of CompanySummary (models.Rows): the companies of 企业, then the codes that could not be
    # read (valid=False)
    firms = batch.companies
    if len(firms) == len(ctx.companies):  # each code once, as the reader gives them: Ctx's companies, in order
        codes, mine = list(ctx.companies), slice(0, len(firms))
    else:
        codes = list(map(attrgetter("credit_code"), firms))
        mine = [ctx.firms[code] for code in codes]
    # the codes that could not be read have nothing requested, entitled or payable
    requested, entitled, payable = (_yuan(s[mine], [0] * len(batch.invalid_companies)) for s in sums)
    columns = {
        "credit_code": codes, "company_name": list(map(_NAME, firms)),
        "region": list(map(attrgetter("region"), firms)),
        "valid": [True] * len(firms), "local_retained_tax": list(map(attrgetter("local_retained_tax"), firms)),
        "paid_in_year": list(map(paid.get, codes, repeat(ZERO))) if paid else [ZERO] * len(codes),
        "requested": requested, "entitled": entitled, "payable": payable,
        "capped": list(map(capped.get, codes, repeat(False))),
        "preconditions": [tuple(failed) if failed else () for failed in map(ctx.failures.get, codes, repeat(()))]}
    for code in batch.invalid_companies:
        for name, value in (("credit_code", code), ("company_name", ""), ("region", ""), ("valid", False),
                            ("local_retained_tax", None), ("paid_in_year", _NOTHING_PAID), ("capped", False),
                            ("preconditions", ())):
            columns[name].append(value)
    return Rows(CompanySummary, columns)


_NOTHING_PAID = CompanySummary.model_fields["paid_in_year"].default  # what a code that could not be read shows
_DEPOSIT = itemgetter("credit_code", "project", "settlement_amount", "row")


def quality_deposits(batch: Batch, ctx: Ctx) -> Rows[DepositLine]:
    """SPEC 2.3 (第18条) — m18_deposit: each deposit is the settlement amount × the company's rate, rounded to the
    fen half up (money.fen), worked out in integers for every row at once (exact: :func:`_times_rate`)."""
    rows = list(map(_DEPOSIT, map(_DICT, batch.deposits)))
    codes, projects, amounts, row_numbers = map(list, zip(*rows)) if rows else ([], [], [], [])
    del rows
    # a company's rate and note: once per company; the rules the pack gives, numbered (the same rule object, one
    # number: the pack hands equal rules as one object, a few hundred for 25k companies)
    companies, failures, rule_of, prm = ctx.companies, ctx.failures, ctx.pack.deposit_rule, ctx.params
    owners = list(dict.fromkeys(codes))
    found = list(map(rule_of, map(companies.__getitem__, owners), [not failures.get(c) for c in owners], repeat(prm)))
    distinct = dict(zip(map(id, found), found))  # (the rules stay referenced: their ids stay theirs)
    rules: list[DepositRule] = list(distinct.values())
    number = dict(zip(distinct, count()))
    of_company = dict(zip(owners, map(number.__getitem__, map(id, found))))
    which = np.array(list(map(of_company.__getitem__, codes)), np.int64)
    base, deposit, old = _times_rate(amounts, which, [r.base_rate for r in rules], [r.rate for r in rules],
                                     [r.old_rate for r in rules])
    firms = list(map(companies.__getitem__, codes))
    n, waiting = len(codes), batch.rejected_deposits
    nothing = [None] * len(waiting)  # a row that could not be read has no amounts
    columns = {
        "credit_code": codes, "company_name": [c.name for c in firms], "project": projects,
        "settlement_amount": amounts, "credit_score": [c.credit_score for c in firms],
        "rate": _take([r.rate for r in rules], which), "base_deposit": _yuan(base, nothing), "old_deposit": _yuan(old, nothing),
        "deposit": _yuan(deposit, nothing), "saving": _yuan(base - deposit, nothing), "status": ["ok"] * n,
        "note": _take([r.note for r in rules], which), "sheet": ["质量保证金"] * n, "row": row_numbers}
    # a row that could not be read: it waits, named by its row
    for r in waiting:
        company = ctx.companies.get(r.credit_code)
        for name, value in (("credit_code", r.credit_code), ("company_name", company.name if company else ""),
                            ("project", r.subject), ("settlement_amount", None),
                            ("credit_score", company.credit_score if company else None), ("rate", None),
                            ("status", "pending"), ("note", r.message), ("sheet", "质量保证金"), ("row", r.row)):
            columns[name].append(value)
    return Rows(DepositLine, columns)


def _times_rate(amounts: Sequence[Decimal], which: np.ndarray, *rates: Sequence[Decimal]) -> list[np.ndarray]:
    """For each of ``rates``: amounts[i] × rate[which[i]] in integer fen, rounded half up (ROUND_HALF_UP: a tie away
    from zero), for every i at once — exactly money.fen(amount × rate). An amount is A / D yuan (D = 100 for amounts
    to the fen, as the reader gives them; finer when one is not): :func:`_fen_times`."""
    if not len(amounts):
        return [np.zeros(0, np.int64) for _ in rates]
    scaled = list(map(Decimal.scaleb, amounts, repeat(2)))
    a = list(map(int, scaled))
    d = 1
    if a != scaled:  # an amount finer than the fen
        places = max(2, -min(x.as_tuple().exponent for x in amounts))
        a, d = [int(x.scaleb(places)) for x in amounts], 10 ** (places - 2)
    return [_fen_times(a, d, which, rate) for rate in rates]


def _fen_times(a: list[int], d: int, which: np.ndarray, rate: Sequence[Decimal]) -> np.ndarray:
    """(a[i] / d fen) × rate[which[i]], rounded half up to the fen, for every i at once. A rate is N / M, both
    integers, so the fen are A·N / (D·M): integer division, in 64-bit integers, or in Python integers when a product
    could pass 2^62."""
    top = max(map(abs, a), default=0)
    n, m = zip(*map(Decimal.as_integer_ratio, rate))  # exact: N / M in lowest terms
    m = [x * d for x in m]
    # object: Python integers, exact at any size
    kind = object if top >= 2 ** 62 or top * max(map(abs, n)) * 2 + max(m) >= 2 ** 62 else np.int64
    p = np.array(a, kind) * np.array(n, kind)[which]
    q = np.array(m, kind)[which]
    half_up = (2 * abs(p) + q) // (2 * q)
    return np.where(p < 0, -half_up, half_up)


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


def totals(t: Claims, clawbacks: Sequence[Clawback], ctx: Ctx) -> Totals:
    """Totals by payer, measure and status, from the decided claims' columns; treasuries in the pack's own order
    (its list of regions)."""
    pack, cats = ctx.pack, ctx.cats
    payable = from_fen_int(int(t.payable.sum()))
    by_status = dict(zip(STATUSES, np.bincount(t.status, minlength=len(STATUSES) + 1)[1:].tolist()))
    # by measure: every line with a category that is not honour-only names its measure, paid or not
    counted = (t.cat != cats.none) & (t.status != HONOR_ONLY)
    per_cat = np.zeros(len(cats.of), np.int64)
    np.add.at(per_cat, t.cat[counted], t.payable[counted])
    by_measure: dict[int, Decimal] = {}
    for k in _distinct(t.cat[counted]).tolist():
        measure = cats.of[k].measure
        by_measure[measure] = by_measure.get(measure, ZERO) + from_fen_int(int(per_cat[k]))
    # by payer: each split of an amount (step9_payers) times the claims it pays
    by_payer: dict[str, Decimal] = defaultdict(lambda: ZERO)
    by_pm: dict[str, dict[int, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for split, cat, n in t.splits:
        for payer, amount in split.items():
            by_payer[payer] += amount * n
            by_pm[payer][cat.measure] += amount * n
    return Totals(
        payable=fen(payable),
        by_payer={k: fen(v) for k, v in sorted(by_payer.items(), key=lambda kv: pack.treasury_rank(kv[0]))},
        by_measure={str(k): fen(v) for k, v in sorted(by_measure.items())},
        by_status=by_status,
        by_payer_measure={p: {str(m): fen(v) for m, v in sorted(ms.items())}
                          for p, ms in sorted(by_pm.items(), key=lambda kv: pack.treasury_rank(kv[0]))},
        clawback=fen(sum((c.amount for c in clawbacks), ZERO)),
    )
