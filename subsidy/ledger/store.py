"""What the ledger does: record an assessment's payouts, list them, give them back as history, clawbacks.

Every function takes the ledger URL (None: SUBSIDY_LEDGER, else the embedded SQLite file) and opens, migrates
and closes the ledger itself. Amounts are Decimal yuan outside, integer fen inside.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..models import Payout
from ..money import from_fen_int, to_fen_int, yuan_text
from ..policy import PolicyPack
from ..text import norm_subject
from . import db
from .errors import BadResultFile, LedgerConflict
from .resultfile import ResultFile, ResultLine, load
from .schema import ClawbackRow, PayoutRow, PayoutShare

SOURCE = "账本"


@dataclass(frozen=True)
class LedgerClawback:
    reason_code: str
    moved_out_on: dt.date | None
    decided_on: dt.date
    decided_by: str
    returned_on: dt.date | None

    @property
    def open(self) -> bool:
        return self.returned_on is None


@dataclass(frozen=True)
class LedgerPayout:
    """A recorded payout, as the rest of the program sees it."""

    id: int
    policy_id: str
    credit_code: str
    company_name: str
    region: str
    local_retained_tax: Decimal | None
    category: str
    measure: int | None
    subject: str
    subject_norm: str
    reward_year: int
    amount: Decimal
    payers: dict[str, Decimal]
    paid_on: dt.date
    approved_by: str
    claim_id: str
    input_sha256: str
    clawback: LedgerClawback | None = None

    def as_payout(self) -> Payout:
        return Payout(credit_code=self.credit_code, category=self.category, subject=self.subject,
                      reward_year=self.reward_year, paid_on=self.paid_on, amount=self.amount, source=SOURCE)


@dataclass(frozen=True)
class RecordOutcome:
    new: tuple[LedgerPayout, ...] = ()
    unchanged: int = 0  # lines already recorded exactly so (the same result recorded again)

    @property
    def new_amount(self) -> Decimal:
        return sum((p.amount for p in self.new), Decimal("0.00"))


def _pack(policy_id: str) -> PolicyPack:
    from policies import get_pack

    return get_pack(policy_id)


def _view(row: PayoutRow) -> LedgerPayout:
    cb = row.clawback
    return LedgerPayout(
        id=row.id, policy_id=row.policy_id, credit_code=row.credit_code, company_name=row.company_name,
        region=row.region,
        local_retained_tax=None if row.local_retained_tax_fen is None else from_fen_int(row.local_retained_tax_fen),
        category=row.category, measure=row.measure, subject=row.subject, subject_norm=row.subject_norm,
        reward_year=row.reward_year, amount=from_fen_int(row.amount_fen),
        payers={s.treasury: from_fen_int(s.amount_fen) for s in row.shares}, paid_on=row.paid_on,
        approved_by=row.approved_by, claim_id=row.claim_id, input_sha256=row.input_sha256,
        clawback=None if cb is None else LedgerClawback(cb.reason_code, cb.moved_out_on, cb.decided_on,
                                                         cb.decided_by, cb.returned_on))


def category_label(pack: PolicyPack, code: str) -> str:
    try:
        return pack.category(code).label
    except KeyError:
        return code


def describe(pack: PolicyPack, *, company: str, code: str, category: str, subject: str, year: int) -> str:
    """企业甲（9136…）2024年度 鲁班奖「瓷都大厦」"""
    what = category_label(pack, category) + (f"「{subject}」" if subject else "")
    return f"{company or code}（{code}）{year}年度 {what}"


# --------------------------------------------------------------------------- record


def init(url: str | None) -> str:
    """Create the ledger (a new SQLite file, or the tables in an existing PostgreSQL database) or bring its
    schema up to date; returns the URL as it may be shown."""
    engine = db.open_engine(url, create=True)
    engine.dispose()
    return db.shown(engine.url)


def _check_dates(rf: ResultFile, paid_on: dt.date, today: dt.date) -> None:
    if paid_on > today:
        raise BadResultFile(f"兑现日期 {paid_on} 晚于今天 {today}：只能记录已经兑现的奖励")
    if paid_on < dt.date(rf.year, 1, 1):
        raise BadResultFile(f"兑现日期 {paid_on} 早于奖励年度 {rf.year} 年：奖励不能在取得之前兑现")


def _to_record(rf: ResultFile, pack: PolicyPack) -> list[ResultLine]:
    lines = list(rf.lines)
    seen: dict[tuple, ResultLine] = {}
    dups = []
    for ln in lines:
        try:
            pack.category(ln.category)
        except KeyError:
            raise BadResultFile(f"核定结果中申报编号 {ln.claim_id} 的奖励类别“{ln.category}”不属于政策 {pack.id}") from None
        key = (ln.credit_code, ln.category, norm_subject(ln.subject))
        if key in seen:
            dups.append(f"申报编号 {seen[key].claim_id} 与 {ln.claim_id} 是同一奖励事项")
        seen[key] = ln
    if dups:
        raise BadResultFile("核定结果中同一奖励事项出现两次，不能记账：" + "；".join(dups))
    return lines


def _conflicts(rf: ResultFile, pack: PolicyPack, lines: list[ResultLine], existing: list[PayoutRow]
               ) -> tuple[list[str], list[ResultLine], int]:
    """(conflicts, lines to insert, lines already recorded identically)."""
    by_key = {(r.credit_code, r.category, r.subject_norm, r.reward_year): r for r in existing}
    by_once: dict[tuple, list[PayoutRow]] = {}
    for r in existing:
        by_once.setdefault((r.credit_code, r.category, r.subject_norm), []).append(r)
    conflicts, new, unchanged = [], [], 0
    for ln in lines:
        subj = norm_subject(ln.subject)
        what = describe(pack, company=ln.company_name, code=ln.credit_code, category=ln.category,
                        subject=ln.subject, year=rf.year)
        payers_fen = {k: to_fen_int(v) for k, v in ln.payers.items()}
        old = by_key.get((ln.credit_code, ln.category, subj, rf.year))
        if old is not None:
            if old.amount_fen == to_fen_int(ln.payable) and {s.treasury: s.amount_fen for s in old.shares} == payers_fen:
                unchanged += 1
            else:
                conflicts.append(
                    f"申报编号 {ln.claim_id}：{what} 已于 {old.paid_on} 记录兑现 {yuan_text(from_fen_int(old.amount_fen))} 元"
                    f"（申报编号 {old.claim_id}，审批人 {old.approved_by}），本次为 {yuan_text(ln.payable)} 元")
            continue
        if pack.category(ln.category).key != "year":  # a one-time reward: never again in another year
            earlier = [r for r in by_once.get((ln.credit_code, ln.category, subj), []) if r.reward_year != rf.year]
            if earlier:
                r = earlier[0]
                conflicts.append(
                    f"申报编号 {ln.claim_id}：{what} 是一次性奖励，已作为 {r.reward_year} 年度奖励于 {r.paid_on} "
                    f"兑现 {yuan_text(from_fen_int(r.amount_fen))} 元，不得重复兑现")
                continue
        new.append(ln)
    return conflicts, new, unchanged


def record(url: str | None, result: ResultFile | str | Path, *, approved_by: str,
           paid_on: dt.date | None = None, today: dt.date | None = None) -> RecordOutcome:
    """Record every line with payable > 0 as a payout: all of them or, on any conflict, none (LedgerConflict)."""
    rf = result if isinstance(result, ResultFile) else load(result)
    if not approved_by or not approved_by.strip():
        raise BadResultFile("审批人（--approved-by）不能为空")
    today = today or dt.date.today()
    paid_on = paid_on or today
    _check_dates(rf, paid_on, today)
    pack = _pack(rf.policy_id)
    lines = _to_record(rf, pack)
    if not lines:
        return RecordOutcome()
    codes = sorted({ln.credit_code for ln in lines})
    for attempt in range(3):
        try:
            with db.session(url, write=True) as s:
                existing = list(s.scalars(select(PayoutRow).where(
                    PayoutRow.policy_id == rf.policy_id, PayoutRow.credit_code.in_(codes))))
                conflicts, new, unchanged = _conflicts(rf, pack, lines, existing)
                if conflicts:
                    raise LedgerConflict(conflicts)
                now = dt.datetime.now().replace(microsecond=0)
                rows = []
                for ln in new:
                    comp = rf.companies.get(ln.credit_code)
                    row = PayoutRow(
                        policy_id=rf.policy_id, credit_code=ln.credit_code,
                        company_name=ln.company_name or (comp.company_name if comp else ""),
                        region=comp.region if comp else "",
                        local_retained_tax_fen=(to_fen_int(comp.local_retained_tax)
                                                if comp and comp.local_retained_tax is not None else None),
                        category=ln.category, measure=ln.measure, subject=ln.subject.strip(),
                        subject_norm=norm_subject(ln.subject), reward_year=rf.year,
                        amount_fen=to_fen_int(ln.payable), paid_on=paid_on, approved_by=approved_by.strip(),
                        claim_id=ln.claim_id, input_sha256=rf.input_sha256, recorded_at=now,
                        shares=[PayoutShare(treasury=k, amount_fen=to_fen_int(v)) for k, v in ln.payers.items()])
                    s.add(row)
                    rows.append(row)
                s.flush()
                views = tuple(_view(r) for r in rows)
            return RecordOutcome(new=views, unchanged=unchanged)
        except IntegrityError:
            # another writer got there between our read and our write: read again and decide again
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------- read


def payouts(url: str | None, *, policy_id: str | None = None, credit_codes: Iterable[str] | None = None,
            year: int | None = None) -> list[LedgerPayout]:
    """Recorded payouts, oldest reward year first."""
    with db.session(url) as s:
        q = select(PayoutRow)
        if policy_id is not None:
            q = q.where(PayoutRow.policy_id == policy_id)
        if credit_codes is not None:
            codes = sorted({c.strip().upper() for c in credit_codes})
            q = q.where(PayoutRow.credit_code.in_(codes))
        if year is not None:
            q = q.where(PayoutRow.reward_year == year)
        q = q.order_by(PayoutRow.reward_year, PayoutRow.credit_code, PayoutRow.paid_on, PayoutRow.id)
        return [_view(r) for r in s.scalars(q)]


def history(url: str | None, *, credit_codes: Iterable[str] | None = None, policy_id: str) -> list[Payout]:
    """The ledger's payouts under ``policy_id`` as history for the engine (source 账本)."""
    return [p.as_payout() for p in payouts(url, policy_id=policy_id, credit_codes=credit_codes)]


# --------------------------------------------------------------------------- clawback


@dataclass(frozen=True)
class ClawbackDue:
    """A recorded payout a company must return (SPEC 2.5)."""

    payout: LedgerPayout
    reason_code: str  # FRAUD or MOVED_OUT
    moved_out_on: dt.date | None
    message: str
    recorded: LedgerClawback | None = None  # already decided in the ledger


def _years_before(d: dt.date, years: int) -> dt.date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)


def clawbacks_due(url: str | None, companies, *, pack: PolicyPack, params) -> list[ClawbackDue]:
    """What each company (models.Company) that cheated or moved out must return of the ledger's payouts.

    FRAUD: every payout under the policy. MOVED_OUT with 迁出日期 D: payouts with 兑现日期 in (D − 5 years, D].
    A payout due for both reasons is listed once, as FRAUD (it covers the other).
    """
    flagged = {c.credit_code: c for c in companies if pack.clawback_reasons(c, params)}
    if not flagged:
        return []
    out: list[ClawbackDue] = []
    for p in payouts(url, policy_id=pack.id, credit_codes=flagged):
        c = flagged[p.credit_code]
        reasons = pack.clawback_reasons(c, params)
        if "FRAUD" in reasons:
            code = "FRAUD"
            msg = pack.message("CLAWBACK_FRAUD", None, paid_on=p.paid_on)
        elif "MOVED_OUT" in reasons and _years_before(c.moved_out_on, 5) < p.paid_on <= c.moved_out_on:
            code = "MOVED_OUT"
            msg = pack.message("CLAWBACK_MOVED_OUT", None, moved=c.moved_out_on, paid_on=p.paid_on)
        else:
            continue
        out.append(ClawbackDue(payout=p, reason_code=code, moved_out_on=c.moved_out_on, message=msg,
                               recorded=p.clawback))
    return out


def record_clawbacks(url: str | None, dues: Iterable[ClawbackDue], *, decided_by: str,
                     decided_on: dt.date | None = None) -> int:
    """Store the clawbacks not stored yet; returns how many are new."""
    if not decided_by or not decided_by.strip():
        raise BadResultFile("经办人（--approved-by）不能为空")
    decided_on = decided_on or dt.date.today()
    dues = list(dues)
    if not dues:
        return 0
    with db.session(url, write=True) as s:
        have = set(s.scalars(select(ClawbackRow.payout_id).where(
            ClawbackRow.payout_id.in_([d.payout.id for d in dues]))))
        now = dt.datetime.now().replace(microsecond=0)
        n = 0
        for d in dues:
            if d.payout.id in have:
                continue
            s.add(ClawbackRow(payout_id=d.payout.id, reason_code=d.reason_code, moved_out_on=d.moved_out_on,
                              decided_on=decided_on, decided_by=decided_by.strip(), recorded_at=now))
            n += 1
        return n


def mark_returned(url: str | None, credit_code: str, *, returned_on: dt.date) -> int:
    """Close the open clawbacks of a company (the money came back); returns how many were closed."""
    with db.session(url, write=True) as s:
        rows = list(s.scalars(select(ClawbackRow).join(PayoutRow).where(
            PayoutRow.credit_code == credit_code.strip().upper(), ClawbackRow.returned_on.is_(None))))
        for r in rows:
            r.returned_on = returned_on
        return len(rows)
