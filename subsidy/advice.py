"""Advice for one company, computed from the rules, with money attached.

Each piece of advice says what would change the company's result and by how much. Where the honest way to get the
number is to ask the engine again ("what if the precondition were met", "what if the other policy were not
there", "what would the upgrade pay next year"), the engine is run again on a changed copy of the company's own
batch: the advice can never disagree with the assessment. Deposit advice asks the pack's ``deposit_rule``.

``Advice.amount`` is the money the advice is about: what following it gains or saves, what the cap cuts, what is
at stake in a row to correct; ``0.00`` when acting brings nothing; ``None`` when no number applies.
``Advice.is_gain`` splits gains (money to be had by acting) from notes, for the page and the terminal.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Sequence

from .models import AccidentLevel, Batch, Claim, Company, Payout, Result
from .money import ZERO, fen, yuan_text
from .params import Parameters
from .policy import Category, PolicyPack

#: a local tax so large the cap never binds: used to ask "what before the cap"
NO_CAP = Decimal("1000000000000000")


#: advice whose amount is money the company can gain (or save) by acting on it; the rest are notes (what the cap
#: leaves, what is to be returned, what brings nothing, what next year holds)
GAIN_CODES = frozenset({"PRECONDITIONS_FAILED", "MISSING_LOCAL_TAX", "FIX_ROW", "CAP_BINDS", "OTHER_POLICY_PAYS_MORE",
                        "OTHER_YEAR", "DEPOSIT_NEXT_CUT", "DEPOSIT_TOP_CUT", "UPGRADE_BEFORE_EXPIRY"})


@dataclass(frozen=True)
class Advice:
    code: str
    message: str
    amount: Decimal | None = None

    @property
    def is_gain(self) -> bool:
        """Money the company can gain by acting on this advice (never a gain of 0.00)."""
        return self.code in GAIN_CODES and self.amount is not None and self.amount > 0


def y(x: Decimal) -> str:
    """Money in a sentence: '1,234.50 元'."""
    return f"{yuan_text(x)} 元"


def pct(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def score_text(x: Decimal | None) -> str:
    if x is None:
        return "未评分"
    s = format(x, "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


class _Ctx:
    def __init__(self, batch: Batch, result: Result, code: str, pack: PolicyPack, params: Parameters,
                 extra_history: Sequence[Payout]):
        self.batch, self.result, self.code, self.pack, self.params = batch, result, code, pack, params
        self.extra = tuple(extra_history)
        self.company: Company | None = next((c for c in batch.companies if c.credit_code == code), None)
        self.summary = next((s for s in result.companies if s.credit_code == code), None)
        self.lines = [ln for ln in result.lines if ln.credit_code == code]
        self.claims = {c.claim_id: c for c in batch.claims if c.credit_code == code}

    def rerun(self, *, year: int | None = None, **changes) -> Result:
        """The engine again, on this company's batch with ``changes`` (Batch fields) applied."""
        from .engine import assess

        return assess(self.batch.model_copy(update=changes), year=year or self.result.year, pack=self.pack,
                      params=self.params, extra_history=self.extra)

    @property
    def failed(self):
        return self.summary.preconditions if self.summary else ()

    def payable(self, result: Result) -> Decimal:
        return fen(sum((ln.payable for ln in result.lines if ln.credit_code == self.code), ZERO))


def advise(batch: Batch, result: Result, code: str, *, pack: PolicyPack, params: Parameters,
           extra_history: Sequence[Payout] = ()) -> tuple[Advice, ...]:
    """Every piece of advice that applies to company ``code`` (``batch`` may hold other companies too)."""
    ctx = _Ctx(batch, result, code, pack, params, extra_history)
    out: list[Advice] = []
    for part in (_preconditions, _pending, _cap, _other_policies, _no_gain, _other_year, _deposit, _upgrades, _hq):
        out.extend(part(ctx))
    return tuple(out)


# --------------------------------------------------------------------------- preconditions (通用条款)

#: what clearing each failed precondition means, and the change to the company's row that models it
_ACTIONS = {
    "NOT_REGISTERED_LOCALLY": "在本市注册（总部迁入或设立独立法人子公司）",
    "BLACKLISTED": "移出黑名单",
    "CREDIT_BELOW_MIN": "信用评价分提高到 {min} 分及以上",
    "WAGE_ARREARS": "结清拖欠的农民工工资",
    "MAJOR_ACCIDENT": "未发生较大以上质量安全事故",
    "FRAUD": "无弄虚作假",
    "MOVED_OUT": "不外迁",
}


def _cleared(company: Company, codes: set[str], pack: PolicyPack, params: Parameters) -> Company:
    update: dict = {}
    if "NOT_REGISTERED_LOCALLY" in codes:
        update["region"] = pack.city_region
    if "BLACKLISTED" in codes:
        update["blacklisted"] = False
    if "CREDIT_BELOW_MIN" in codes:
        update["credit_score"] = params.min_credit_score
    if "WAGE_ARREARS" in codes:
        update["wage_arrears"] = False
    if "MAJOR_ACCIDENT" in codes:
        update["accident"] = AccidentLevel.none
    if "FRAUD" in codes:
        update["fraud"] = False
    if "MOVED_OUT" in codes:
        update["moved_out_on"] = None
    return company.model_copy(update=update)


def _preconditions(ctx: _Ctx) -> list[Advice]:
    failed = ctx.failed
    if not failed or ctx.company is None:
        return []
    out: list[Advice] = []
    codes = {r.code for r in failed}
    fixed = _cleared(ctx.company, codes, ctx.pack, ctx.params)
    again = ctx.rerun(companies=tuple(fixed if c.credit_code == ctx.code else c for c in ctx.batch.companies))
    gain = ctx.payable(again) - ctx.payable(ctx.result)
    dep_now = sum((d.deposit for d in ctx.result.deposits if d.credit_code == ctx.code and d.deposit is not None),
                  ZERO)
    dep_then = sum((d.deposit for d in again.deposits if d.credit_code == ctx.code and d.deposit is not None), ZERO)
    names = "、".join(_ACTIONS.get(r.code, r.code).format(min=score_text(ctx.params.min_credit_score))
                     for r in failed)
    n = sum(1 for ln in ctx.lines if ln.category_code)
    msg = (f"未满足通用条款的前提条件，本年度 {n} 项申报全部不予奖励、质量保证金不享受信用下调。"
           f"若满足（{names}），按本次申报可得 {y(ctx.payable(again))}")
    if dep_now - dep_then > 0:
        msg += f"，质量保证金可少缴 {y(dep_now - dep_then)}"
    out.append(Advice("PRECONDITIONS_FAILED", msg + "（通用条款）", fen(gain)))
    back = fen(sum((c.amount for c in ctx.result.clawbacks if c.credit_code == ctx.code), ZERO))
    if back > 0:
        why = "弄虚作假" if "FRAUD" in codes else "外迁离开本市"
        out.append(Advice("CLAWBACK", f"因{why}，须缴回已兑现的奖励资金共 {y(back)}（通用条款，见追缴清单）", back))
    return out


# --------------------------------------------------------------------------- missing or wrong data


def _pending(ctx: _Ctx) -> list[Advice]:
    out: list[Advice] = []
    tax_wait = [ln for ln in ctx.lines if ln.status == "pending" and any(r.code == "MISSING_LOCAL_TAX"
                                                                         for r in ln.reasons)]
    if tax_wait and ctx.company is not None:
        fixed = ctx.company.model_copy(update={"local_retained_tax": NO_CAP})
        again = ctx.rerun(companies=tuple(fixed if c.credit_code == ctx.code else c for c in ctx.batch.companies))
        ids = {ln.claim_id for ln in tax_wait}
        could = fen(sum((ln.entitlement for ln in again.lines if ln.claim_id in ids), ZERO))
        paid = ctx.summary.paid_in_year if ctx.summary else ZERO
        need = fen(sum((ln.entitlement for ln in again.lines if ln.credit_code == ctx.code
                        and ln.status in ("awarded", "reduced")), ZERO) + paid)
        out.append(Advice(
            "MISSING_LOCAL_TAX",
            f"企业表未填 {ctx.result.year} 年度地方留成税收，申报编号 {'、'.join(sorted(ids))} 待补正。补填后最多可得 "
            f"{y(could)}（地方留成税收不低于 {y(need)} 时全额兑现，低于时按封顶核减；通用条款）", could))
    waiting = {ln.claim_id for ln in tax_wait}
    for ln in ctx.lines:
        if ln.status != "pending" or ln.claim_id in waiting:
            continue
        detail = "；".join(r.message for r in ln.reasons)
        where = f"“{ln.sheet}”表第 {ln.row} 行" if ln.row else f"“{ln.sheet}”表申报编号 {ln.claim_id}"
        stake = ln.standard_amount if ln.standard_amount > 0 else None
        tail = f"；该项标准金额 {y(stake)}" if stake else ""
        out.append(Advice("FIX_ROW", f"改正{where}后重新核定（{detail}）{tail}", stake))
    for d in ctx.result.deposits:
        if d.credit_code == ctx.code and d.status == "pending":
            where = f"“{d.sheet}”表第 {d.row} 行" if d.row else f"“{d.sheet}”表"
            out.append(Advice("FIX_DEPOSIT_ROW", f"改正{where}（项目“{d.project}”）后才能计算质量保证金：{d.note}"))
    return out


# --------------------------------------------------------------------------- the cap (通用条款)


def _cap(ctx: _Ctx) -> list[Advice]:
    s = ctx.summary
    if s is None or s.local_retained_tax is None or ctx.failed:
        return []
    eligible = [ln for ln in ctx.lines if ln.status in ("awarded", "reduced")]
    entitled = fen(sum((ln.entitlement for ln in eligible), ZERO))
    payable = fen(sum((ln.payable for ln in eligible), ZERO))
    if entitled <= 0:
        return []
    tax, paid = fen(s.local_retained_tax), fen(s.paid_in_year)
    cap = max(ZERO, tax - paid)
    paid_note = f"（扣除本年度已兑现 {y(paid)} 后为 {y(cap)}）" if paid > 0 else ""
    if s.capped:
        cut = entitled - payable
        return [Advice("CAP_BINDS",
                       f"封顶生效：应得合计 {y(entitled)} 超过地方留成税收 {y(tax)}{paid_note}，按封顶核减 {y(cut)}；"
                       f"{ctx.result.year} 年度地方留成税收达到 {y(entitled + paid)} 即可全额兑现（通用条款）", cut)]
    room = cap - entitled
    return [Advice("CAP_HEADROOM",
                   f"封顶余量 {y(room)}：本年度应得合计 {y(entitled)}，地方留成税收 {y(tax)}{paid_note}；"
                   f"本年度奖励合计超过地方留成税收的部分将被核减（通用条款）", room)]


# --------------------------------------------------------------------------- other policies (就高不重复)


def _other_name(claim: Claim | None) -> str:
    return f"“{claim.other_policy_name}”" if claim and claim.other_policy_name else "其他政策"


def _other_policies(ctx: _Ctx) -> list[Advice]:
    out: list[Advice] = []
    for ln in ctx.lines:
        codes = {r.code for r in ln.reasons}
        claim = ctx.claims.get(ln.claim_id)
        if claim is None:
            continue
        name, other = _other_name(claim), fen(claim.other_policy_amount)
        if "OTHER_POLICY_HIGHER" in codes:
            # what this policy alone would give: the engine again without the other policy on this claim
            alone = claim.model_copy(update={"other_policy_amount": ZERO, "other_policy_paid": False})
            again = ctx.rerun(claims=tuple(alone if c.claim_id == claim.claim_id else c for c in ctx.batch.claims))
            e = next(x.entitlement for x in again.lines if x.claim_id == ln.claim_id)
            if claim.other_policy_paid:
                msg = (f"申报编号 {ln.claim_id}（{ln.category_label}）：已按{name}兑现 {y(other)}，不低于本措施应得 "
                       f"{y(e)}，本措施不再补差（通用条款：就高不重复）")
            else:
                msg = (f"申报编号 {ln.claim_id}（{ln.category_label}）：{name} {y(other)} 高于本措施应得 {y(e)}，"
                       f"按就高不重复应按{name}享受，多得 {y(other - e)}；本措施不再兑现（通用条款）")
            out.append(Advice("OTHER_POLICY_PAYS_MORE", msg, fen(other - e)))
        elif "OTHER_POLICY_EXCLUDED" in codes:
            e = ln.entitlement
            out.append(Advice(
                "THIS_POLICY_PAYS_MORE",
                f"申报编号 {ln.claim_id}（{ln.category_label}）：本措施应得 {y(e)} 高于{name} {y(other)}，按本措施享受"
                f"多得 {y(e - other)}；{name}不得再兑现（通用条款：就高不重复）", fen(e - other)))
    return out


# --------------------------------------------------------------------------- claims that bring nothing


def _no_gain(ctx: _Ctx) -> list[Advice]:
    out: list[Advice] = []
    for ln in ctx.lines:
        if ln.status != "ineligible" or not ln.category_code:
            continue
        by_code = {r.code: r for r in ln.reasons}
        what = f"申报编号 {ln.claim_id}（{ln.category_label}{'“' + ln.subject + '”' if ln.subject else ''}）"
        if "SUPERSEDED_BY_HIGHER" in by_code and not ctx.failed:
            if ln.measure == 6:
                rule = "同一项目获多项荣誉奖励的按最高荣誉奖励（第6条）"
            else:
                rule = f"同类奖励按就高不重复只奖最高等级（{ln.article}及通用条款）"
            out.append(Advice("LOWER_TIER_NO_GAIN",
                              f"{what}增加奖励 0 元：{rule}，{_detail(by_code['SUPERSEDED_BY_HIGHER'].message)}；"
                              f"此项标准金额 {y(ln.standard_amount)} 不会兑现，可不申报", ZERO))
        elif "ALREADY_PAID" in by_code and not ctx.failed:
            out.append(Advice("ALREADY_PAID_NO_GAIN", f"{what}增加奖励 0 元：{by_code['ALREADY_PAID'].message}",
                              ZERO))
        elif "DUPLICATE_CLAIM" in by_code and not ctx.failed:
            out.append(Advice("DUPLICATE_NO_GAIN", f"{what}增加奖励 0 元：{by_code['DUPLICATE_CLAIM'].message}，"
                                                   f"请删去重复的一行", ZERO))
    return out


def _detail(message: str) -> str:
    """The parenthesised fact of a message ('…（本批已申报鲁班奖，申报编号 2024-001）' → that fact)."""
    if message.endswith("）") and "（" in message:
        return message[message.rindex("（") + 1:-1]
    return message


def _other_year(ctx: _Ctx) -> list[Advice]:
    """A claim approved in another year belongs to that year's assessment: what would it give there?"""
    out: list[Advice] = []
    if ctx.failed or ctx.company is None:
        return out
    p = ctx.params
    for ln in ctx.lines:
        if ln.status != "ineligible" or {r.code for r in ln.reasons} - {"NOT_ASSESSMENT_YEAR"}:
            continue
        claim = ctx.claims.get(ln.claim_id)
        if claim is None or not p.validity_start <= claim.approved_on <= p.validity_end:
            continue
        year = claim.approved_on.year
        company = ctx.company.model_copy(update={"local_retained_tax": NO_CAP})
        again = ctx.rerun(year=year, companies=(company,), claims=(claim,), hq_claims=(), deposits=(), rejected=(),
                          rejected_deposits=())
        there = next(x for x in again.lines if x.claim_id == ln.claim_id)
        head = f"申报编号 {ln.claim_id}（{ln.category_label}）获批日期 {claim.approved_on}，属于 {year} 年度"
        if there.status in ("awarded", "reduced") and there.entitlement > 0:
            out.append(Advice("OTHER_YEAR",
                              f"{head}，应在 {year} 年度核定：按 {year} 年度规则可得 {y(there.entitlement)}"
                              f"（封顶按该年度地方留成税收另计）", there.entitlement))
        else:
            why = "；".join(r.message for r in there.reasons if r.code != "STANDARD_AMOUNT")
            out.append(Advice("OTHER_YEAR", f"{head}，在 {year} 年度核定亦不增加奖励：{why}", ZERO))
    return out


# --------------------------------------------------------------------------- quality deposit (第18条)


def deposit_cuts(pack: PolicyPack, params: Parameters, company: Company,
                 settlements: Sequence[Decimal]) -> list[tuple[int, Decimal, Decimal]]:
    """Each lower deposit rate a higher credit score would reach: (lowest whole score, rate, saving on the
    listed settlements against the rate in force), asking the pack's deposit_rule score by score."""
    current = pack.deposit_rule(company, True, params).rate
    now = sum((fen(a * current) for a in settlements), ZERO)
    score = company.credit_score
    start = max(int(score) + 1 if score is not None else 0, 0)
    out: list[tuple[int, Decimal, Decimal]] = []
    rate = current
    for s in range(start, 101):
        r = pack.deposit_rule(company.model_copy(update={"credit_score": Decimal(s)}), True, params).rate
        if r < rate:
            then = sum((fen(a * r) for a in settlements), ZERO)
            out.append((s, r, fen(now - then)))
            rate = r
    return out


def _deposit(ctx: _Ctx) -> list[Advice]:
    rows = [d for d in ctx.result.deposits if d.credit_code == ctx.code and d.status == "ok"]
    if not rows or ctx.company is None or ctx.failed:
        return []
    current = ctx.pack.deposit_rule(ctx.company, True, ctx.params).rate
    score = ctx.company.credit_score
    out: list[Advice] = []
    for s, r, saving in deposit_cuts(ctx.pack, ctx.params, ctx.company, [d.settlement_amount for d in rows]):
        now = f"现为 {score_text(score)} 分" if score is not None else "现未评分"
        out.append(Advice(
            "DEPOSIT_TOP_CUT" if out else "DEPOSIT_NEXT_CUT",
            f"信用评价分达到 {s} 分及以上（{now}），质量保证金比例由 {pct(current)} 降为 {pct(r)}（第18条），"
            f"所列 {len(rows)} 个项目可少缴 {y(saving)}", saving))
    return out


# --------------------------------------------------------------------------- upgrades before the window closes


def _upgrades(ctx: _Ctx) -> list[Advice]:
    """A one-time reward held at a lower tier (资质, 基地, 技术中心): what the top tier would add next year,
    computed by the engine with this year's award counted as paid; the window closes at the validity end."""
    if ctx.failed or ctx.company is None:
        return []
    p = ctx.params
    year = ctx.result.year + 1
    on = min(dt.date(year, 6, 30), p.validity_end)
    if on.year != year or on < p.validity_start:
        return []
    families: dict[str, list[Category]] = {}
    for c in ctx.pack.categories:
        if c.family and c.key == "company" and not c.computed and not c.honour_only:
            families.setdefault(c.family, []).append(c)
    paid_now = [Payout(credit_code=ctx.code, category=ln.category_code, subject=ln.subject,
                       reward_year=ctx.result.year, paid_on=max(dt.date(ctx.result.year, 12, 31), p.validity_start),
                       amount=ln.payable, source="本次核定")
                for ln in ctx.lines if ln.payable > 0]
    history = tuple(ctx.batch.history) + tuple(ctx.extra) + tuple(paid_now)
    out: list[Advice] = []
    for fam, cats in families.items():
        held = [c for c in cats if any(x.category == c.code for x in history)]
        if not held:
            continue
        top = max(cats, key=lambda c: c.tier)
        best = max(held, key=lambda c: c.tier)
        if best.tier >= top.tier:
            continue
        hypo = Claim(claim_id="假设", credit_code=ctx.code, category=top.code, subject="", approved_on=on)
        company = ctx.company.model_copy(update={"local_retained_tax": NO_CAP})
        again = ctx.rerun(year=year, companies=(company,), claims=(hypo,), hq_claims=(), deposits=(), rejected=(),
                          rejected_deposits=(), history=history)
        ln = next(x for x in again.lines if x.claim_id == "假设")
        if ln.entitlement <= 0:
            continue
        out.append(Advice(
            "UPGRADE_BEFORE_EXPIRY",
            f"已得{best.label}；若在 {p.validity_end} 前获批{top.label}，按就高不重复补差可再得 {y(ln.entitlement)}"
            f"（{top.article}）。本措施有效期至 {p.validity_end}，此后获批的不再奖励", ln.entitlement))
    return out


# --------------------------------------------------------------------------- HQ relocation (第5条)


def _hq(ctx: _Ctx) -> list[Advice]:
    out: list[Advice] = []
    if ctx.failed:
        return out
    hqs = {h.claim_id: h for h in ctx.batch.hq_claims if h.credit_code == ctx.code}
    for ln in ctx.lines:
        h = hqs.get(ln.claim_id)
        if h is None or ln.status not in ("awarded", "reduced"):
            continue
        nxt = ctx.result.year + 1
        d = ctx.pack.hq_decision(h, nxt, ctx.params)
        if d.failures:
            why = "；".join(r.message for r in d.failures)
            out.append(Advice("HQ_LAST_YEAR", f"总部迁入奖励：{ctx.result.year} 年度为最后一个奖励年度（{why}）", ZERO))
            continue
        out.append(Advice(
            "HQ_NEXT_YEAR",
            f"总部迁入奖励：{nxt} 年为自落户认定当年起第 {d.reward_year_index} 年，按地方财政贡献的 {pct(d.rate)} 奖励"
            f"（第5条）；以本年度地方财政贡献 {y(h.fiscal_contribution)} 计约 {y(d.standard_amount)}",
            d.standard_amount))
    return out


__all__ = ["Advice", "advise"]
