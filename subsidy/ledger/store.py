"""What the ledger does: record an assessment's payouts, list them, give them back as history, clawbacks.

Every function takes the ledger URL (None: SUBSIDY_LEDGER, else the embedded SQLite file) and opens, migrates
and closes the ledger itself. Amounts are Decimal yuan outside, integer fen inside.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import Issue, Payout
from ..money import from_fen_int, to_fen_int, yuan_text
from ..policy import PolicyPack
from ..text import norm_subject
from . import chain, db
from .errors import BadImportFile, BadResultFile, LedgerConflict, ReversalRefused
from .resultfile import HqLineFacts, ResultFile, ResultLine, load
from .schema import KIND_PAYOUT, KIND_REVERSAL, SOURCE_IMPORT, SOURCE_RESULT, ClawbackRow, PayoutRow, PayoutShare

SOURCE = "账本"
#: the treasury shown for an imported payout, whose split between treasuries was not recorded
UNRECORDED_TREASURY = "出资财政未记录"


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
    source: str = SOURCE_RESULT  # result (ledger record) or import (ledger import)
    source_row: int | None = None
    # 第5条 payouts recorded since migration 0003: 落户认定日期, reward year k, 地方财政贡献 (else None)
    hq_recognised_on: dt.date | None = None
    hq_reward_index: int | None = None
    hq_contribution: Decimal | None = None
    kind: str = KIND_PAYOUT  # payout, or reversal (a correction entry: amounts negated)
    reverses_id: int | None = None  # a reversal: the payout it cancels
    reason: str = ""  # a reversal: why
    revision: int = 0
    recorded_at: dt.datetime | None = None
    entry_hash: str = ""

    @property
    def imported(self) -> bool:
        return self.source == SOURCE_IMPORT

    @property
    def reversal(self) -> bool:
        return self.kind == KIND_REVERSAL

    def as_payout(self) -> Payout:
        return Payout(credit_code=self.credit_code, category=self.category, subject=self.subject,
                      reward_year=self.reward_year, paid_on=self.paid_on, amount=self.amount, source=SOURCE)


@dataclass(frozen=True)
class RecordOutcome:
    new: tuple[LedgerPayout, ...] = ()
    same: tuple[LedgerPayout, ...] = ()  # already in the ledger (the same result, or the same file, again)
    notes: tuple[str, ...] = ()  # what was shown but not read (an import's unrecognised columns, a title row)

    @property
    def unchanged(self) -> int:
        return len(self.same)

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
        payers={s.treasury: from_fen_int(s.amount_fen) for s in row.shares}
        or {UNRECORDED_TREASURY: from_fen_int(row.amount_fen)},
        paid_on=row.paid_on, approved_by=row.approved_by, claim_id=row.claim_id, input_sha256=row.input_sha256,
        source=row.source, source_row=row.source_row,
        hq_recognised_on=row.hq_recognised_on, hq_reward_index=row.hq_reward_index,
        hq_contribution=None if row.hq_contribution_fen is None else from_fen_int(row.hq_contribution_fen),
        kind=row.kind, reverses_id=row.reverses_id, reason=row.reason, revision=row.revision,
        recorded_at=row.recorded_at, entry_hash=row.entry_hash,
        clawback=None if cb is None else LedgerClawback(cb.reason_code, cb.moved_out_on, cb.decided_on,
                                                         cb.decided_by, cb.returned_on))


def category_label(pack: PolicyPack, code: str) -> str:
    try:
        return pack.category(code).label
    except KeyError:
        return code


def describe(pack: PolicyPack, *, company: str, code: str, category: str, subject: str, year: int) -> str:
    """企业甲（9136…）2024年度 鲁班奖「瓷都大厦」"""
    subject = (subject or "").strip()
    what = category_label(pack, category) + (f"「{subject}」" if subject else "")
    return f"{company or code}（{code}）{year}年度 {what}"


# --------------------------------------------------------------------------- record and import


def init(url: str | None) -> str:
    """Create the ledger (a new SQLite file, or the tables in an existing PostgreSQL database) or bring its
    schema up to date; returns the URL as it may be shown."""
    engine = db.open_engine(url, create=True)
    engine.dispose()
    return db.shown(engine.url)


@dataclass(frozen=True)
class Incoming:
    """A payout about to be written: a line of an assessment, or a row of an imported 已兑现奖励 sheet."""

    credit_code: str
    company_name: str
    region: str
    local_retained_tax: Decimal | None
    category: str
    measure: int | None
    subject: str
    reward_year: int
    amount: Decimal
    payers: dict[str, Decimal] | None  # None: not known (an imported payout)
    paid_on: dt.date
    claim_id: str
    input_sha256: str
    source: str
    source_row: int | None
    where: str  # how the user finds it: 申报编号 A-1, or “已兑现奖励”表第5行
    hq: HqLineFacts | None = None  # 第5条 lines of a result that carries them


def match_key(pack: PolicyPack, credit_code: str, category: str, subject: str) -> tuple[str, str, str]:
    """What makes two payouts the same reward, the reward year aside: company, category and, for the categories
    paid per project or certificate, the normalised subject (资质, 基地, 技术中心 are one-time per company whatever
    certificate is named, as in SPEC 2.2 step 4)."""
    try:
        per_subject = pack.category(category).key == "subject"
    except KeyError:
        per_subject = True
    return (credit_code, category, norm_subject(subject) if per_subject else "")


def _once(pack: PolicyPack, category: str) -> bool:
    """A one-time reward: everything but 总部迁入, which is paid per reward year."""
    try:
        return pack.category(category).key != "year"
    except KeyError:
        return True


def _fen_text(fen_: int) -> str:
    return yuan_text(from_fen_int(fen_))


def _payers_text(payers: dict[str, int]) -> str:
    return "、".join(f"{k} {_fen_text(v)} 元" for k, v in payers.items()) or "未记录"


def earlier_text(r: PayoutRow, *, subject: bool = False) -> str:
    """An earlier payout as a conflict message names it: year, date, amount, and where it came from."""
    what = f"「{r.subject}」" if subject and r.subject else ""
    if r.source == SOURCE_IMPORT:
        src = (f"导入自已兑现奖励表第{r.source_row}行，文件 SHA-256 {r.input_sha256[:12]}…，"
               f"经办人 {r.approved_by}")
    else:
        src = f"申报编号 {r.claim_id}，申报汇总表 SHA-256 {r.input_sha256[:12]}…，审批人 {r.approved_by}"
    return f"{r.reward_year}年度{what} {r.paid_on} 兑现 {_fen_text(r.amount_fen)} 元（{src}）"


def _conflicts(pack: PolicyPack, incoming: list[Incoming], existing: list[PayoutRow]
               ) -> tuple[list[str], list[Incoming], list[PayoutRow]]:
    """(conflicts, payouts to insert, payouts already recorded so) — SPEC 7.

    A line of an assessment is already recorded only when the ledger holds it from the same assessment (same
    input SHA-256 and 申报编号, same amount and treasuries): recording the same result again is a no-op. An
    imported row is already recorded when the ledger holds the same reward with the same amount and 兑现日期
    (e.g. an export of the ledger imported back). Anything else with the same key — or a one-time reward recorded
    in another reward year — is a conflict.
    """
    by_key: dict[tuple, list[PayoutRow]] = {}
    by_once: dict[tuple, list[PayoutRow]] = {}
    for r in existing:
        k = match_key(pack, r.credit_code, r.category, r.subject)
        by_key.setdefault((*k, r.reward_year), []).append(r)
        by_once.setdefault(k, []).append(r)
    conflicts: list[str] = []
    new: list[Incoming] = []
    same: list[PayoutRow] = []
    for inc in incoming:
        k = match_key(pack, inc.credit_code, inc.category, inc.subject)
        what = describe(pack, company=inc.company_name, code=inc.credit_code, category=inc.category,
                        subject=inc.subject, year=inc.reward_year)
        head = f"{what} {yuan_text(inc.amount)} 元（{inc.where}）"
        olds = by_key.get((*k, inc.reward_year), [])
        if olds:
            r = olds[0]
            shown_subject = norm_subject(r.subject) != norm_subject(inc.subject)
            if inc.source == SOURCE_RESULT:
                if r.source == SOURCE_RESULT and r.input_sha256 == inc.input_sha256 and r.claim_id == inc.claim_id:
                    old_payers = {s.treasury: s.amount_fen for s in r.shares}
                    new_payers = {t: to_fen_int(v) for t, v in (inc.payers or {}).items()}
                    if r.amount_fen == to_fen_int(inc.amount) and old_payers == new_payers:
                        same.append(r)
                        continue
                    if r.amount_fen != to_fen_int(inc.amount):
                        why = "同一申报已按不同的金额记账"
                    else:
                        why = (f"同一申报已按不同的出资财政记账（账本中为 {_payers_text(old_payers)}，"
                               f"本次为 {_payers_text(new_payers)}）")
                elif r.source == SOURCE_IMPORT:
                    why = "同一奖励已作为历史兑现记录导入账本，不得再次兑现"
                else:
                    why = "同一奖励已由另一份核定结果记账，不得再次兑现"
            else:
                if r.amount_fen == to_fen_int(inc.amount) and r.paid_on == inc.paid_on:
                    same.append(r)
                    continue
                why = "同一奖励已在账本中，但金额或兑现日期不同"
            conflicts.append(f"{head}：{why}；账本中已有：{earlier_text(r, subject=shown_subject)}")
            continue
        if _once(pack, inc.category):
            earlier = [r for r in by_once.get(k, []) if r.reward_year != inc.reward_year]
            if earlier:
                r = earlier[0]
                conflicts.append(
                    f"{head}：一次性奖励已在 {r.reward_year} 年度兑现，不得重复兑现；账本中已有："
                    f"{earlier_text(r, subject=norm_subject(r.subject) != norm_subject(inc.subject))}")
                continue
        new.append(inc)
    return conflicts, new, same


def _live(rows: Iterable[PayoutRow]) -> list[PayoutRow]:
    """The payouts in force among ``rows`` (every entry of some companies): not reversal entries, not reversed."""
    rows = list(rows)
    reversed_ids = {r.reverses_id for r in rows if r.kind == KIND_REVERSAL}
    return [r for r in rows if r.kind == KIND_PAYOUT and r.id not in reversed_ids]


def _chain_fields(row: PayoutRow) -> dict:
    return {f: getattr(row, f) for f in chain.FIELDS if f != "shares"}


def _append(s: Session, rows: list[PayoutRow]) -> None:
    """Give each new entry the next id and its place in the hash chain, then add it. The caller holds the
    writers' lock (db.session(write=True)), so the last entry read here is still the last one when we commit:
    two offices recording at once cannot both chain onto the same entry."""
    last = s.execute(select(PayoutRow.id, PayoutRow.entry_hash).order_by(PayoutRow.id.desc()).limit(1)).first()
    next_id, prev = (last.id + 1, last.entry_hash) if last is not None else (1, chain.GENESIS)
    for row in rows:
        row.id = next_id
        row.prev_hash = prev
        row.entry_hash = chain.entry_hash(_chain_fields(row), {sh.treasury: sh.amount_fen for sh in row.shares}, prev)
        for sh in row.shares:
            sh.payout_id = next_id
        s.add(row)
        next_id, prev = next_id + 1, row.entry_hash
    s.flush()


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _write(url: str | None, pack: PolicyPack, incoming: list[Incoming], *, approved_by: str) -> RecordOutcome:
    """Insert every incoming payout, or — on any conflict — none (LedgerConflict), in one transaction that holds
    the writers' lock; a concurrent writer that got in first makes us read and decide again."""
    if not incoming:
        with db.session(url):  # "0 recorded" is only said of a ledger that could be opened
            return RecordOutcome()
    codes = sorted({x.credit_code for x in incoming})
    for attempt in range(3):
        try:
            with db.session(url, write=True) as s:
                everything = list(s.scalars(select(PayoutRow).where(
                    PayoutRow.policy_id == pack.id, PayoutRow.credit_code.in_(codes))))
                conflicts, new, same = _conflicts(pack, incoming, _live(everything))
                if conflicts:
                    raise LedgerConflict(conflicts)
                revisions: dict[tuple, int] = {}
                for r in everything:
                    k = (r.credit_code, r.category, r.subject_norm, r.reward_year)
                    revisions[k] = max(revisions.get(k, -1), r.revision)
                now = _now()
                rows = []
                for x in new:
                    subject_norm = norm_subject(x.subject)
                    row = PayoutRow(
                        policy_id=pack.id, credit_code=x.credit_code, company_name=x.company_name,
                        region=x.region,
                        local_retained_tax_fen=None if x.local_retained_tax is None else to_fen_int(x.local_retained_tax),
                        category=x.category, measure=x.measure, subject=x.subject.strip(),
                        subject_norm=subject_norm, reward_year=x.reward_year,
                        amount_fen=to_fen_int(x.amount), paid_on=x.paid_on, approved_by=approved_by.strip(),
                        claim_id=x.claim_id, input_sha256=x.input_sha256, source=x.source, source_row=x.source_row,
                        recorded_at=now, kind=KIND_PAYOUT, reverses_id=None, reason="",
                        revision=revisions.get((x.credit_code, x.category, subject_norm, x.reward_year), -1) + 1,
                        hq_recognised_on=x.hq.recognised_on if x.hq else None,
                        hq_reward_index=x.hq.reward_year_index if x.hq else None,
                        hq_contribution_fen=to_fen_int(x.hq.fiscal_contribution) if x.hq else None,
                        shares=[PayoutShare(treasury=k, amount_fen=to_fen_int(v)) for k, v in (x.payers or {}).items()])
                    rows.append(row)
                _append(s, rows)
                views = tuple(_view(r) for r in rows)
                kept = tuple(_view(r) for r in same)
            return RecordOutcome(new=views, same=kept)
        except IntegrityError:
            # another writer got there between our read and our write: read again and decide again
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def check_payment_date(pack: PolicyPack, *, paid_on: dt.date, reward_year: int, today: dt.date) -> str | None:
    """Why a payout of ``reward_year`` cannot have been paid on ``paid_on`` under the policy (None: it can)."""
    start = pack.validity_start
    if paid_on > today:
        return f"兑现日期 {paid_on} 晚于今天 {today}：只能记录已经兑现的奖励"
    if reward_year < start.year:
        return (f"奖励年度 {reward_year} 早于本政策施行年度 {start.year}：不是按本政策（{pack.number}）兑现的奖励，"
                "不能记入本政策的账本")
    if paid_on < start:
        return (f"兑现日期 {paid_on} 早于本政策施行日 {start}：不是按本政策（{pack.number}）兑现的奖励，"
                "不能记入本政策的账本")
    if paid_on < dt.date(reward_year, 1, 1):
        return f"兑现日期 {paid_on} 早于奖励年度 {reward_year} 年：奖励不能在取得之前兑现"
    return None


def _to_record(rf: ResultFile, pack: PolicyPack) -> list[ResultLine]:
    lines = list(rf.lines)
    seen: dict[tuple, ResultLine] = {}
    dups = []
    for ln in lines:
        try:
            pack.category(ln.category)
        except KeyError:
            raise BadResultFile(f"核定结果中申报编号 {ln.claim_id} 的奖励类别“{ln.category}”不属于政策 {pack.id}") from None
        key = match_key(pack, ln.credit_code, ln.category, ln.subject)
        if key in seen:
            what = describe(pack, company=ln.company_name, code=ln.credit_code, category=ln.category,
                            subject=ln.subject, year=rf.year)
            dups.append(f"申报编号 {seen[key].claim_id} 与 {ln.claim_id} 是同一奖励（{what}）")
        else:
            seen[key] = ln
    if dups:
        raise BadResultFile("核定结果中同一奖励出现两次，不能记账：" + "；".join(dups))
    return lines


def record(url: str | None, result: ResultFile | str | Path, *, approved_by: str, paid_on: dt.date,
           today: dt.date | None = None) -> RecordOutcome:
    """Record every line with payable > 0 as a payout made on ``paid_on``: all of them or, on any conflict, none
    (LedgerConflict). The same result recorded again is a no-op (SPEC 7)."""
    rf = result if isinstance(result, ResultFile) else load(result)
    if not approved_by or not approved_by.strip():
        raise BadResultFile("审批人（--approved-by）不能为空")
    if paid_on is None:
        raise BadResultFile("必须用 --paid-on 写明兑现日期")
    pack = _pack(rf.policy_id)
    why = check_payment_date(pack, paid_on=paid_on, reward_year=rf.year, today=today or dt.date.today())
    if why:
        raise BadResultFile(why)
    incoming = []
    for ln in _to_record(rf, pack):
        comp = rf.companies.get(ln.credit_code)
        incoming.append(Incoming(
            credit_code=ln.credit_code, company_name=ln.company_name or (comp.company_name if comp else ""),
            region=comp.region if comp else "", local_retained_tax=comp.local_retained_tax if comp else None,
            category=ln.category, measure=ln.measure, subject=ln.subject, reward_year=rf.year, amount=ln.payable,
            payers=dict(ln.payers), paid_on=paid_on, claim_id=ln.claim_id, input_sha256=rf.input_sha256,
            source=SOURCE_RESULT, source_row=None, where=f"申报编号 {ln.claim_id}", hq=ln.hq))
    return _write(url, pack, incoming, approved_by=approved_by)


def import_history(url: str | None, path: str | Path, *, approved_by: str, policy_id: str = "jdz-2023",
                   today: dt.date | None = None) -> RecordOutcome:
    """Bring the payouts of an 已兑现奖励 sheet (made before the ledger existed) into the ledger, under the same
    conflict rule as `record`: every row or none. Any row that cannot be read, or cannot be a payout under the
    policy, refuses the whole file (BadImportFile, every such row listed)."""
    from ..workbook.reader import HISTORY, read_history_workbook

    if not approved_by or not approved_by.strip():
        raise BadImportFile(["经办人（--approved-by）不能为空"], name=Path(path).name)
    pack = _pack(policy_id)
    today = today or dt.date.today()
    hw = read_history_workbook(path, pack=pack)
    problems = [issue_text(i) for i in hw.issues]
    seen: dict[tuple, Payout] = {}
    once: dict[tuple, Payout] = {}
    incoming = []
    for p in hw.payouts:
        where = f"“{HISTORY}”表第{p.row}行"
        cat = pack.category(p.category)
        what = describe(pack, company=hw.companies.get(p.credit_code, ("", ""))[0], code=p.credit_code,
                        category=p.category, subject=p.subject, year=p.reward_year)
        bad = []
        if p.amount <= 0:
            bad.append("兑现金额为 0，不是一笔兑现（请删除该行）")
        elif cat.honour_only:
            bad.append(f"“{cat.label}”只通报表彰和信用加分，没有奖励资金，不能有兑现金额")
        why = check_payment_date(pack, paid_on=p.paid_on, reward_year=p.reward_year, today=today)
        if why:
            bad.append(why)
        k = match_key(pack, p.credit_code, p.category, p.subject)
        first = seen.get((*k, p.reward_year))
        if first is not None:
            bad.append(f"与第{first.row}行是同一奖励（{what}），同一奖励一个年度只能有一笔兑现（分次兑现请合并为一行）")
        elif _once(pack, p.category) and k in once:
            o = once[k]
            bad.append(f"{what} 是一次性奖励，第{o.row}行已作为 {o.reward_year} 年度奖励兑现，不能再兑现一次")
        seen.setdefault((*k, p.reward_year), p)
        once.setdefault(k, p)
        if bad:
            problems.extend(f"{where}：{b}" for b in bad)
            continue
        name, region = hw.companies.get(p.credit_code, ("", ""))
        incoming.append(Incoming(
            credit_code=p.credit_code, company_name=name, region=region, local_retained_tax=None,
            category=p.category, measure=cat.measure, subject=p.subject, reward_year=p.reward_year, amount=p.amount,
            payers=None, paid_on=p.paid_on, claim_id=f"{HISTORY}:{p.row}", input_sha256=hw.sha256,
            source=SOURCE_IMPORT, source_row=p.row, where=where))
    if problems:
        raise BadImportFile(problems, name=hw.name)
    out = _write(url, pack, incoming, approved_by=approved_by)
    return replace(out, notes=tuple(f"“{i.sheet}”表第{i.row}行：{i.message}" for i in hw.notes))


def issue_text(i: Issue) -> str:
    """A reader's issue as one item of a refusal: sheet, row, column, value and why."""
    msg = i.message
    if i.column and msg.startswith(f"{i.column}："):
        msg = msg[len(i.column) + 1:]
    where = f"“{i.sheet}”表" + (f"第{i.row}行" if i.row else "")
    value = f"（单元格内容“{i.value}”）" if i.value and i.value not in msg else ""
    column = f"“{i.column}”列" if i.column else ""
    return f"{where}{column}：{msg}{value}"


# --------------------------------------------------------------------------- read


def payouts(url: str | None, *, policy_id: str | None = None, credit_codes: Iterable[str] | None = None,
            year: int | None = None) -> list[LedgerPayout]:
    """The payouts in force (reversed payouts and reversal entries left out), oldest reward year first."""
    with db.session(url) as s:
        return _select(s, policy_id=policy_id, credit_codes=credit_codes, year=year, live=True)


def entries(url: str | None, *, policy_id: str | None = None, credit_codes: Iterable[str] | None = None,
            year: int | None = None) -> list[LedgerPayout]:
    """Every entry (payouts, reversed ones included, and reversals), in the order they were recorded."""
    with db.session(url) as s:
        return _select(s, policy_id=policy_id, credit_codes=credit_codes, year=year, live=False)


def _select(s: Session, *, policy_id, credit_codes, year, live: bool) -> list[LedgerPayout]:
    q = select(PayoutRow)
    if policy_id is not None:
        q = q.where(PayoutRow.policy_id == policy_id)
    if credit_codes is not None:
        codes = sorted({c.strip().upper() for c in credit_codes})
        q = q.where(PayoutRow.credit_code.in_(codes))
    if year is not None:
        q = q.where(PayoutRow.reward_year == year)
    if live:
        reversed_ids = select(PayoutRow.reverses_id).where(PayoutRow.reverses_id.is_not(None))
        q = q.where(PayoutRow.kind == KIND_PAYOUT, PayoutRow.id.not_in(reversed_ids))
        q = q.order_by(PayoutRow.reward_year, PayoutRow.credit_code, PayoutRow.paid_on, PayoutRow.id)
    else:
        q = q.order_by(PayoutRow.id)
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
        with db.session(url):  # "nothing to claw back" is only said of a ledger that could be opened
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


# --------------------------------------------------------------------------- corrections and the chain


def reverse(url: str | None, payout_id: int, *, reason: str, approved_by: str) -> tuple[LedgerPayout, LedgerPayout]:
    """Reverse a recorded payout: append an entry that names it, says why and negates its amounts (the payout
    itself is never changed or deleted). Returns (the payout, its reversal). The payout then no longer counts
    anywhere (history, lists, exports, audit, forecast); the corrected payout, if any, is recorded anew."""
    if not reason or not reason.strip():
        raise ReversalRefused("冲销须用 --reason 写明原因")
    if not approved_by or not approved_by.strip():
        raise ReversalRefused("冲销须用 --approved-by 写明审批人")
    with db.session(url, write=True) as s:
        row = s.get(PayoutRow, payout_id)
        if row is None:
            raise ReversalRefused(f"账本中没有编号为 {payout_id} 的兑现记录（编号见 subsidy ledger list 的“编号”列）")
        if row.kind == KIND_REVERSAL:
            raise ReversalRefused(f"编号 {payout_id} 是一笔冲销记录（冲销编号 {row.reverses_id}），不能再冲销")
        earlier = s.scalars(select(PayoutRow).where(PayoutRow.reverses_id == payout_id)).first()
        if earlier is not None:
            raise ReversalRefused(
                f"编号 {payout_id} 的兑现已于 {earlier.recorded_at:%Y-%m-%d} 由 {earlier.approved_by} 冲销"
                f"（冲销编号 {earlier.id}，原因：{earlier.reason}），不能再冲销")
        if row.clawback is not None:
            cb = row.clawback
            state = "尚未缴回" if cb.returned_on is None else f"已于 {cb.returned_on} 缴回"
            raise ReversalRefused(
                f"编号 {payout_id} 的兑现已于 {cb.decided_on} 登记追缴（{state}），不能冲销：已兑现并追缴的奖励不是记错的兑现")
        rev = PayoutRow(
            policy_id=row.policy_id, credit_code=row.credit_code, company_name=row.company_name, region=row.region,
            local_retained_tax_fen=row.local_retained_tax_fen, category=row.category, measure=row.measure,
            subject=row.subject, subject_norm=row.subject_norm, reward_year=row.reward_year,
            amount_fen=-row.amount_fen, paid_on=row.paid_on, approved_by=approved_by.strip(), claim_id=row.claim_id,
            input_sha256=row.input_sha256, source=row.source, source_row=row.source_row, recorded_at=_now(),
            kind=KIND_REVERSAL, reverses_id=row.id, reason=reason.strip(), revision=row.revision,
            hq_recognised_on=row.hq_recognised_on, hq_reward_index=row.hq_reward_index,
            hq_contribution_fen=row.hq_contribution_fen,
            shares=[PayoutShare(treasury=sh.treasury, amount_fen=-sh.amount_fen) for sh in row.shares])
        _append(s, [rev])
        return _view(row), _view(rev)


def verify(url: str | None, *, head: str | None = None) -> chain.ChainReport:
    """Walk the whole hash chain (every policy's entries, in id order); ``head``: a hash noted at an earlier
    verification, which the chain must still hold (a ledger cut short after it is caught so)."""
    table = PayoutRow.__table__
    shares_table = PayoutShare.__table__
    with db.session(url) as s:
        shares: dict[int, dict[str, int]] = {}
        for pid, treasury, amount in s.execute(select(shares_table.c.payout_id, shares_table.c.treasury,
                                                      shares_table.c.amount_fen)):
            shares.setdefault(pid, {})[treasury] = amount
        rows = s.execute(select(table).order_by(table.c.id)).mappings()
        return chain.check(((r, shares.get(r["id"], {})) for r in rows), look_for=head)
