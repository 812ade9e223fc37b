"""One company's self-check as plain data: what the CLI (`subsidy check`) prints and the web page shows.

The report is built from the engine's own Result for a batch restricted to that company (every rule of SPEC 2.2
works per company, so the restriction changes no number), plus the advice of :mod:`subsidy.advice`.
Nothing here formats for a terminal or HTML; the presenters do that.

Also here: the policy overview shared by `subsidy policy` and the web's policy page.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Sequence

from .advice import Advice, advise
from .errors import SubsidyError
from .labels import status_label
from .models import Batch, Clawback, Company, DepositLine, Issue, Line, Payout, PolicyRef, Reason, Result
from .money import ZERO, fen
from .params import Interpretation, Parameters, interpretations
from .policy import PolicyPack


class UnknownCompany(SubsidyError):
    """--company names no company of the workbook."""


# --------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class Check:
    """One precondition of the general clause, passed or failed."""

    code: str
    label: str  # what is required, in Chinese
    passed: bool
    article: str
    detail: str  # the company's fact, or the failure message


@dataclass(frozen=True)
class ClaimReport:
    """One claim: standard amount, every rule that touched it, final amount."""

    claim_id: str
    sheet: str
    row: int | None
    category_code: str
    category_label: str
    measure: int | None
    article: str
    subject: str
    status: str
    status_label: str
    standard_amount: Decimal
    entitlement: Decimal
    payable: Decimal
    payers: dict[str, Decimal]
    steps: tuple[Reason, ...]


@dataclass(frozen=True)
class CapReport:
    """通用条款 cap: requested vs 地方留成税收 and the headroom left."""

    local_retained_tax: Decimal | None
    paid_in_year: Decimal  # already paid for the same reward year (history): uses the cap
    cap: Decimal | None  # what this batch may still pay: tax − paid_in_year, not below 0
    requested: Decimal  # standard amounts of the money claims
    entitled: Decimal  # after every rule but the cap
    payable: Decimal
    capped: bool
    headroom: Decimal | None  # cap − entitled: left over (≥ 0) or the amount cut (< 0)
    article: str = "通用条款：企业所得奖励资金总额不得超过该企业缴纳税收地方留成部分"


@dataclass(frozen=True)
class SelfCheck:
    year: int
    policy: PolicyRef
    credit_code: str
    company_name: str
    region: str
    credit_score: Decimal | None
    valid: bool  # False when the company's own row in 企业 is wrong
    checks: tuple[Check, ...]
    claims: tuple[ClaimReport, ...]
    cap: CapReport
    deposits: tuple[DepositLine, ...]
    clawbacks: tuple[Clawback, ...]
    advice: tuple[Advice, ...]
    issues: tuple[Issue, ...]
    result: Result  # the engine's Result for this company alone

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def payable(self) -> Decimal:
        return fen(sum((c.payable for c in self.claims), ZERO))

    @property
    def deposit_total(self) -> Decimal:
        return fen(sum((d.deposit for d in self.deposits if d.deposit is not None), ZERO))

    @property
    def deposit_saving(self) -> Decimal:
        return fen(sum((d.saving for d in self.deposits if d.saving is not None), ZERO))


#: the preconditions of the general clause, in the order of SPEC 2.2 step 2: code → what is required
CHECKS: tuple[tuple[str, str], ...] = (
    ("NOT_REGISTERED_LOCALLY", "注册地在本市行政区域内"),
    ("BLACKLISTED", "未列入黑名单"),
    ("CREDIT_BELOW_MIN", "信用评价分不低于 {min} 分"),
    ("WAGE_ARREARS", "未拖欠农民工工资"),
    ("MAJOR_ACCIDENT", "未发生较大以上质量安全事故"),
    ("FRAUD", "未弄虚作假"),
    ("MOVED_OUT", "未外迁离开本市"),
)


def _passed_detail(code: str, c: Company, params: Parameters) -> str:
    if code == "NOT_REGISTERED_LOCALLY":
        return f"注册地：{c.region}"
    if code == "BLACKLISTED":
        return "未列入黑名单"
    if code == "CREDIT_BELOW_MIN":
        if c.credit_score is None:
            return "未评分（不作为不满足条件；质量保证金按基准比例）"
        return f"信用评价分 {score_text(c.credit_score)} 分，不低于 {score_text(params.min_credit_score)} 分"
    if code == "WAGE_ARREARS":
        return "未拖欠农民工工资"
    if code == "MAJOR_ACCIDENT":
        return f"质量安全事故等级：{c.accident.value}"
    if code == "FRAUD":
        return "未发现弄虚作假"
    if code == "MOVED_OUT":
        return "未填迁出日期"
    return ""


def precondition_checks(company: Company | None, failed: Sequence[Reason], params: Parameters) -> tuple[Check, ...]:
    """Every precondition with passed/failed; a failure the list does not know is appended as failed."""
    if company is None:
        return ()
    by_code = {r.code: r for r in failed}
    out = []
    for code, label in CHECKS:
        label = label.format(min=score_text(params.min_credit_score))
        r = by_code.pop(code, None)
        out.append(Check(code=code, label=label, passed=r is None, article="通用条款",
                         detail=r.message if r else _passed_detail(code, company, params)))
    for r in by_code.values():
        out.append(Check(code=r.code, label=r.code, passed=False, article="通用条款", detail=r.message))
    return tuple(out)


def score_text(x: Decimal | None) -> str:
    """92 → '92', 79.50 → '79.5'."""
    if x is None:
        return ""
    s = format(x, "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


# --------------------------------------------------------------------------- restricting a batch


def company_rows(batch: Batch, code: str) -> set[tuple[str, int | None]]:
    rows: set[tuple[str, int | None]] = set()
    for group in (batch.companies, batch.claims, batch.hq_claims, batch.deposits, batch.history, batch.rejected,
                  batch.rejected_deposits):
        for x in group:
            if x.credit_code == code:
                rows.add((x.sheet if hasattr(x, "sheet") else x.source, x.row))
    return rows


def restrict(batch: Batch, code: str) -> Batch:
    """The batch as if it held only this company (issues: those on its rows, or naming its code)."""
    rows = company_rows(batch, code)

    def mine(xs):
        return tuple(x for x in xs if x.credit_code == code)

    issues = tuple(i for i in batch.issues
                   if (i.sheet, i.row) in rows or (i.value or "").strip() == code)
    return batch.model_copy(update={
        "companies": mine(batch.companies),
        "claims": mine(batch.claims),
        "hq_claims": mine(batch.hq_claims),
        "deposits": mine(batch.deposits),
        "history": mine(batch.history),
        "rejected": mine(batch.rejected),
        "rejected_deposits": mine(batch.rejected_deposits),
        "invalid_companies": tuple(c for c in batch.invalid_companies if c == code),
        "unreadable_history": tuple(c for c in batch.unreadable_history if c == code),
        "bad_rows": tuple(b for b in batch.bad_rows if b[2] == code),
        "issues": issues,
    })


def find_company(batch: Batch, wanted: str) -> str:
    """The credit code of the company named by ``wanted`` (its 统一社会信用代码, or its exact 企业名称)."""
    key = wanted.strip().upper()
    known = {c.credit_code for c in batch.companies} | set(batch.invalid_companies)
    known |= {r.credit_code for r in batch.rejected if r.credit_code}
    if key in known:
        return key
    by_name = [c.credit_code for c in batch.companies if c.name == wanted.strip()]
    if len(by_name) == 1:
        return by_name[0]
    n = len(batch.companies)
    raise UnknownCompany(f"申报汇总表中没有统一社会信用代码（或企业名称）为“{wanted.strip()}”的企业（企业表共 {n} 家企业）")


# --------------------------------------------------------------------------- building the report


def self_check(batch: Batch, code: str, *, year: int, pack: PolicyPack, params: Parameters,
               extra_history: Sequence[Payout] = ()) -> SelfCheck:
    """Assess one company of ``batch`` for ``year`` and explain it, with computed advice."""
    from .engine import assess

    mine = restrict(batch, code)
    extra = tuple(p for p in extra_history if p.credit_code == code)
    result = assess(mine, year=year, pack=pack, params=params, extra_history=extra)
    company = next((c for c in mine.companies if c.credit_code == code), None)
    summary = next((s for s in result.companies if s.credit_code == code), None)
    failed = summary.preconditions if summary else ()
    claims = tuple(claim_report(ln) for ln in result.lines)
    cap = cap_report(result, code)
    advice = advise(mine, result, code, pack=pack, params=params, extra_history=extra)
    name = company.name if company else next((ln.company_name for ln in result.lines if ln.company_name), "")
    return SelfCheck(
        year=year, policy=result.policy, credit_code=code, company_name=name,
        region=company.region if company else "", credit_score=company.credit_score if company else None,
        valid=company is not None,
        checks=precondition_checks(company, failed, params), claims=claims, cap=cap,
        deposits=result.deposits, clawbacks=result.clawbacks, advice=advice, issues=result.issues, result=result)


def claim_report(ln: Line) -> ClaimReport:
    return ClaimReport(
        claim_id=ln.claim_id, sheet=ln.sheet, row=ln.row, category_code=ln.category_code,
        category_label=ln.category_label, measure=ln.measure, article=ln.article, subject=ln.subject,
        status=ln.status, status_label=status_label(ln.status), standard_amount=ln.standard_amount,
        entitlement=ln.entitlement, payable=ln.payable, payers=dict(ln.payers), steps=ln.reasons)


def cap_report(result: Result, code: str) -> CapReport:
    s = next((c for c in result.companies if c.credit_code == code), None)
    if s is None:
        return CapReport(local_retained_tax=None, paid_in_year=ZERO, cap=None, requested=ZERO, entitled=ZERO,
                         payable=ZERO, capped=False, headroom=None)
    cap = None if s.local_retained_tax is None else max(ZERO, s.local_retained_tax - s.paid_in_year)
    # before the cap, every eligible claim's entitlement; the engine's `entitled` is exactly that sum
    entitled = fen(sum((ln.entitlement for ln in result.lines if ln.status in ("awarded", "reduced")), ZERO))
    return CapReport(local_retained_tax=s.local_retained_tax, paid_in_year=fen(s.paid_in_year), cap=cap,
                     requested=fen(s.requested), entitled=entitled, payable=fen(s.payable), capped=s.capped,
                     headroom=None if cap is None else fen(cap - entitled))


@dataclass(frozen=True)
class CheckInput:
    """What `subsidy check` reads: the workbook, the company found in it, its ledger history, pack and 口径."""

    batch: Batch
    code: str
    extra_history: tuple[Payout, ...]
    pack: PolicyPack
    params: Parameters


def read_check_input(path: Path, company: str, *, year: int, config: Path | None = None, ledger: str | None = None,
                     policy: str = "jdz-2023") -> CheckInput:
    """Read the workbook and find the company (and its ledger history when a ledger is named)."""
    from policies import get_pack

    from . import params as params_mod
    from .cli.assess import check_year, ledger_url
    from .workbook.reader import read_workbook

    pack = get_pack(policy)
    prm = params_mod.load(config, pack)
    check_year(year)
    batch = read_workbook(path, pack=pack)
    code = find_company(batch, company)
    extra: tuple[Payout, ...] = ()
    url = ledger_url(ledger)
    if url:
        from .ledger import history

        extra = tuple(history(url, credit_codes={code}, policy_id=pack.id))
    return CheckInput(batch=batch, code=code, extra_history=extra, pack=pack, params=prm)


def check_workbook(path: Path, company: str, *, year: int, config: Path | None = None, ledger: str | None = None,
                   policy: str = "jdz-2023") -> SelfCheck:
    """`subsidy check`: read the workbook, find the company, assess and explain it."""
    ci = read_check_input(path, company, year=year, config=config, ledger=ledger, policy=policy)
    return self_check(ci.batch, ci.code, year=year, pack=ci.pack, params=ci.params, extra_history=ci.extra_history)


# --------------------------------------------------------------------------- JSON


def _m(x: Decimal | None) -> str | None:
    return None if x is None else f"{fen(x):.2f}"


def to_json(sc: SelfCheck) -> dict[str, Any]:
    """The assessment schema (SPEC 5) for this company alone, plus ``preconditions``, ``cap`` and ``advice``."""
    from .jsonout import to_json as result_json

    out = result_json(sc.result)
    out["company"] = sc.credit_code
    out["preconditions"] = [{"code": c.code, "label": c.label, "passed": c.passed, "article": c.article,
                             "detail": c.detail} for c in sc.checks]
    cap = sc.cap
    out["cap"] = {"local_retained_tax": _m(cap.local_retained_tax), "paid_in_year": _m(cap.paid_in_year),
                  "cap": _m(cap.cap), "requested": _m(cap.requested), "entitled": _m(cap.entitled),
                  "payable": _m(cap.payable), "capped": cap.capped, "headroom": _m(cap.headroom)}
    out["advice"] = [{"code": a.code, "message": a.message, "amount": _m(a.amount)} for a in sc.advice]
    return out


# --------------------------------------------------------------------------- the policy overview


@dataclass(frozen=True)
class AmountRow:
    label: str
    amount: str  # "500,000.00 元" or a rule in words
    reference: str
    since: dt.date | None = None


@dataclass(frozen=True)
class MeasureRow:
    article: str
    title: str
    computed: bool
    why: str
    text: str  # the article as quoted by the pack
    amounts: tuple[AmountRow, ...]


@dataclass(frozen=True)
class PolicyOverview:
    number: str
    title: str
    issued: dt.date
    validity_start: dt.date
    validity_end: dt.date
    measures: tuple[MeasureRow, ...]
    interpretations: tuple[Interpretation, ...]


def quoted(doc: str) -> str:
    """The article text a measure module quotes (its ``> `` lines), joined."""
    lines = [ln.strip()[1:].strip() for ln in doc.splitlines() if ln.strip().startswith(">")]
    return "".join(lines)


def deposit_brackets(pack: PolicyPack, params: Parameters) -> list[tuple[Decimal | None, Decimal, str]]:
    """M18 as (lowest score, rate, note), found by asking the pack's deposit_rule; None = no score."""
    from .models import Company

    probe = Company(credit_code="", name="", region=pack.city_region)
    rows: list[tuple[Decimal | None, Decimal, str]] = []
    none_rule = pack.deposit_rule(probe, True, params)
    rows.append((None, none_rule.rate, none_rule.note))
    last = None
    for s in range(0, 101):
        rule = pack.deposit_rule(probe.model_copy(update={"credit_score": Decimal(s)}), True, params)
        if rule.rate != last:
            rows.append((Decimal(s), rule.rate, rule.note))
            last = rule.rate
    return rows


def hq_rows(pack: PolicyPack, params: Parameters, label: str, article: str) -> list[AmountRow]:
    """M5's share by reward year, found by asking the pack's hq_decision year by year (consecutive years with
    the same share in one row)."""
    from .models import HqClaim

    probe = HqClaim(claim_id="", credit_code="", mode="", qualification="", recognised_on=params.validity_start,
                    fiscal_contribution=Decimal(100))
    rates: list[tuple[int, Decimal]] = []
    for k in range(1, 21):
        d = pack.hq_decision(probe, params.validity_start.year + k - 1, params)
        if d.rate is None:
            break
        rates.append((k, d.rate))
    rows: list[AmountRow] = []
    i = 0
    while i < len(rates):
        j = i
        while j + 1 < len(rates) and rates[j + 1][1] == rates[i][1]:
            j += 1
        years = f"第{rates[i][0]}年" if i == j else f"第{rates[i][0]}–{rates[j][0]}年"
        rows.append(AmountRow(label=f"{label}（自落户认定当年起{years}）",
                              amount=f"当年地方财政贡献的 {pct(rates[i][1])}", reference=article))
        i = j + 1
    return rows


def pct(rate: Decimal) -> str:
    """0.0075 → '0.75%'."""
    return f"{(rate * 100).normalize():f}%"


def policy_overview(pack: PolicyPack, params: Parameters) -> PolicyOverview:
    """Every measure of the document and the general clause: computed or not, why, amounts with articles."""
    measures = []
    for m in pack.measures:
        amounts: list[AmountRow] = []
        for code in m.categories:
            cat = pack.category(code)
            if cat.computed:
                amounts.extend(hq_rows(pack, params, cat.label, cat.article))
            elif cat.amount is not None:
                for since, value, ref in cat.amount.entries:
                    shown = "通报表彰和信用加分（不发奖金）" if cat.honour_only else f"{fen(Decimal(value)):,.2f} 元"
                    amounts.append(AmountRow(label=cat.label, amount=shown, reference=ref, since=since))
        if m.number == 18:
            brackets = deposit_brackets(pack, params)
            base = brackets[0][1]
            for low, rate, _note in brackets[1:]:
                if rate == base:
                    continue
                cut = f"（基准下调{((1 - rate / base) * 100).normalize():f}%）"
                amounts.append(AmountRow(label=f"信用评价分 {score_text(low)} 分及以上",
                                         amount=f"质量保证金比例 {pct(rate)}{cut}", reference="第18条"))
            amounts.insert(0, AmountRow(label="无信用评价分或未满足前提条件", amount=f"质量保证金比例 {pct(base)}",
                                        reference="第18条：工程质量保证金预留比例由3%降为1.5%"))
        measures.append(MeasureRow(article=m.article, title=m.title, computed=m.computed, why=m.why,
                                   text=quoted(m.text), amounts=tuple(amounts)))
    return PolicyOverview(number=pack.number, title=pack.title, issued=pack.issued,
                          validity_start=params.validity_start, validity_end=params.validity_end,
                          measures=tuple(measures), interpretations=interpretations(params, pack))


def policy_json(o: PolicyOverview) -> dict[str, Any]:
    return {
        "schema": "subsidy.policy/1",
        "number": o.number, "title": o.title, "issued": o.issued.isoformat(),
        "validity": [o.validity_start.isoformat(), o.validity_end.isoformat()],
        "measures": [{"article": m.article, "title": m.title, "computed": m.computed, "why": m.why, "text": m.text,
                      "amounts": [{"label": a.label, "amount": a.amount, "reference": a.reference,
                                   "since": a.since.isoformat() if a.since else None} for a in m.amounts]}
                     for m in o.measures],
        "interpretations": [{"name": i.key, "label": i.label, "value": i.value, "value_label": i.value_label,
                             "why": i.why} for i in o.interpretations],
    }
