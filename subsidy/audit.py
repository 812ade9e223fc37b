"""The finance bureau's audit (SPEC 7): re-verify an award schedule, and audit the payout ledger.

Re-verification recomputes the schedule from the applications (reader → engine, the same parameters) and
writes the expected schedule with the same writer; then the two workbooks are compared cell by cell on every
sheet that carries money. It therefore does not depend on the schedule's layout: whatever the writer puts in a
cell is what the cell must hold. Rows of 奖励明细 and 企业汇总 are matched by their key (申报编号, 统一社会信用代码)
so an inserted or deleted row is reported as such, not as a cascade of differences.

The ledger audit totals the recorded payouts by year, treasury, measure and 注册地, draws native Excel charts
(openpyxl.chart) and flags one-time rewards paid twice, upgrades paid above the top-up, payouts above the
company's cap in a year, payouts outside the policy's validity and open clawbacks.
"""
from __future__ import annotations

import datetime as dt
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, PieChart, Reference
from openpyxl.utils import get_column_letter

from .errors import SubsidyError, UnreadableInput
from .ledger.store import LedgerPayout, category_label
from .ledger.xlsx import FLAG_FILL, save, table
from .models import Result
from .money import ZERO, fen, yuan_text
from .params import Parameters
from .policy import PolicyPack

#: the sheets of the award schedule that are compared, and the key column of those compared row by row
COMPARED = ("汇总", "奖励明细", "企业汇总", "出资汇总", "质量保证金", "追缴清单")
KEYED = {"奖励明细": "申报编号", "企业汇总": "统一社会信用代码"}
SUMMARY = "汇总"
SIGNATURE = "签字"  # 汇总 from this label down is for signatures: filled in by hand, never compared
YEAR_LABEL = "核定年度"
SHA_LABEL = "输入文件 SHA-256"
HQ = "hq_relocation"


class BadSchedule(SubsidyError):
    """The file given as SCHEDULE.xlsx is not an award schedule."""


# --------------------------------------------------------------------------- cell values


def _norm(v) -> str:
    """A cell's value as compared: numbers by value (to 1/10000), dates by day, text trimmed, blank = ''."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time(0) else v.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (int, float, Decimal)):
        return _num(Decimal(str(v)))
    s = str(v).strip()
    try:
        d = Decimal(s.replace(",", ""))
        if d.is_finite() and s:
            return _num(d)
    except InvalidOperation:
        pass
    return s


def _num(d: Decimal) -> str:
    q = d.quantize(Decimal("0.0001"))
    return "0" if q == 0 else format(q.normalize(), "f")


def _shown(v) -> str:
    """A value as the difference list shows it."""
    if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
        d = Decimal(str(v))
        if d == d.to_integral() and abs(d) < 10000:  # counts, years
            return str(int(d))
        return f"{d:,.2f}" if d == d.quantize(Decimal("0.01")) else _num(d)
    return _norm(v) or "（空）"


# --------------------------------------------------------------------------- schedule re-verification


@dataclass(frozen=True)
class CellDiff:
    sheet: str
    row: int | None  # Excel row in the schedule that was sent (None: a row that is missing from it)
    column: str  # column letter
    item: str  # what the cell is: 申报编号 A-01 / 核定总额 / …
    header: str  # the column's header, when the sheet has one
    expected: str
    found: str

    @property
    def cell(self) -> str:
        return f"{self.column}{self.row}" if self.row else ""


@dataclass(frozen=True)
class ScheduleAudit:
    schedule: Path
    applications: Path
    year: int
    result: Result
    schedule_sha256: str  # as the schedule states it
    diffs: tuple[CellDiff, ...]

    @property
    def clean(self) -> bool:
        return not self.diffs

    @property
    def same_input(self) -> bool:
        return self.schedule_sha256 == self.result.input_sha256


def _rows(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _open_schedule(path: Path):
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise UnreadableInput(f"找不到奖励明细表：{path}") from None
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds for a file that is not a workbook
        raise UnreadableInput(f"“{path}”不是可读取的 Excel 工作簿（.xlsx），无法核对") from None


def _label_value(rows: list[list], label: str):
    for r in rows:
        for j, v in enumerate(r[:-1]):
            if isinstance(v, str) and v.strip() == label:
                return r[j + 1]
    return None


def schedule_year(path: str | Path) -> int:
    """The 核定年度 stated in the schedule's 汇总 sheet."""
    wb = _open_schedule(Path(path))
    try:
        if SUMMARY not in wb.sheetnames:
            raise BadSchedule(f"“{path}”没有“{SUMMARY}”工作表，不是 subsidy 输出的奖励明细表；请用 --year 指定核定年度")
        v = _label_value(_rows(wb[SUMMARY]), YEAR_LABEL)
    finally:
        wb.close()
    try:
        return int(Decimal(str(v).strip()))
    except (InvalidOperation, ValueError, TypeError):
        raise BadSchedule(f"奖励明细表“{path}”的汇总表中找不到核定年度，请用 --year 指定") from None


def _width(rows: list[list]) -> int:
    return max((len(r) for r in rows), default=0)


def _cell(rows: list[list], i: int, j: int):
    return rows[i][j] if i < len(rows) and j < len(rows[i]) else None


def _first_text(row: list) -> str:
    for v in row:
        if isinstance(v, str) and v.strip():
            return v.strip()
    return ""


def _compare_positional(sheet: str, exp: list[list], got: list[list], *, has_header: bool) -> list[CellDiff]:
    out = []
    n = max(len(exp), len(got))
    if sheet == SUMMARY:  # the signature block is filled in by hand: compare up to it
        stops = [i for rows in (exp, got) for i, r in enumerate(rows) if _first_text(r) == SIGNATURE][:2]
        if stops:
            n = max(stops)
    width = max(_width(exp), _width(got))
    headers = exp[0] if has_header and exp else []
    for i in range(n):
        for j in range(width):
            e, g = _cell(exp, i, j), _cell(got, i, j)
            if _norm(e) != _norm(g):
                item = _first_text(exp[i]) if i < len(exp) else ""
                out.append(CellDiff(sheet=sheet, row=i + 1, column=get_column_letter(j + 1), item=item,
                                    header=str(headers[j]) if j < len(headers) and headers[j] is not None else "",
                                    expected=_shown(e), found=_shown(g)))
    return out


def _keyed(rows: list[list], key: str) -> tuple[int, list, dict[tuple, int]]:
    """(header row index, headers, (key, occurrence) → row index)."""
    h = next((i for i, r in enumerate(rows) if any(isinstance(v, str) and v.strip() == key for v in r)), None)
    if h is None:
        return -1, [], {}
    headers = [str(v).strip() if v is not None else "" for v in rows[h]]
    k = headers.index(key)
    seen: dict[str, int] = defaultdict(int)
    index = {}
    for i in range(h + 1, len(rows)):
        r = rows[i]
        if all(v is None or str(v).strip() == "" for v in r):
            continue
        kv = _norm(_cell(rows, i, k))
        index[(kv, seen[kv])] = i
        seen[kv] += 1
    return h, headers, index


def _compare_keyed(sheet: str, key: str, exp: list[list], got: list[list]) -> list[CellDiff]:
    eh, eheaders, eidx = _keyed(exp, key)
    gh, gheaders, gidx = _keyed(got, key)
    if gh < 0:
        return [CellDiff(sheet=sheet, row=None, column="", item=f"“{key}”列", header=key,
                         expected="有表头行", found="找不到表头")]
    out = []
    gcol = {h: j for j, h in enumerate(gheaders) if h}
    for j, h in enumerate(eheaders):
        if h and h not in gcol:
            out.append(CellDiff(sheet=sheet, row=gh + 1, column=get_column_letter(j + 1), item="表头", header=h,
                                expected=h, found="（缺少该列）"))
    for (kv, n), i in eidx.items():
        what = f"{key} {kv}" + (f"（第{n + 1}个）" if n else "")
        gi = gidx.get((kv, n))
        if gi is None:
            out.append(CellDiff(sheet=sheet, row=None, column="", item=what, header="整行",
                                expected="应有此行", found="（缺少此行）"))
            continue
        for j, h in enumerate(eheaders):
            if not h or h not in gcol:
                continue
            e, g = _cell(exp, i, j), _cell(got, gi, gcol[h])
            if _norm(e) != _norm(g):
                out.append(CellDiff(sheet=sheet, row=gi + 1, column=get_column_letter(gcol[h] + 1), item=what,
                                    header=h, expected=_shown(e), found=_shown(g)))
    for (kv, n), gi in gidx.items():
        if (kv, n) not in eidx:
            out.append(CellDiff(sheet=sheet, row=gi + 1, column="A", item=f"{key} {kv}", header="整行",
                                expected="（不应有此行）", found="多出此行"))
    return sorted(out, key=lambda d: (d.row or 10**9, d.column))


def compare_schedules(expected: Path, found: Path) -> list[CellDiff]:
    """Every difference of ``found`` against ``expected`` on the compared sheets."""
    ew, fw = _open_schedule(expected), _open_schedule(found)
    try:
        out: list[CellDiff] = []
        for sheet in COMPARED:
            if sheet not in ew.sheetnames:
                continue
            if sheet not in fw.sheetnames:
                out.append(CellDiff(sheet=sheet, row=None, column="", item="整张工作表", header="",
                                    expected="应有此工作表", found="（缺少该工作表）"))
                continue
            exp, got = _rows(ew[sheet]), _rows(fw[sheet])
            if sheet in KEYED:
                out += _compare_keyed(sheet, KEYED[sheet], exp, got)
            else:
                out += _compare_positional(sheet, exp, got, has_header=sheet != SUMMARY)
        return out
    finally:
        ew.close()
        fw.close()


def audit_schedule(schedule: str | Path, applications: str | Path, *, year: int | None = None,
                   config: str | Path | None = None, ledger: str | None = None,
                   policy: str = "jdz-2023") -> ScheduleAudit:
    """Recompute the schedule from the applications and compare every compared cell."""
    from policies import get_pack

    from . import engine, params
    from .workbook.reader import read_workbook
    from .workbook.writer import write_schedule

    schedule, applications = Path(schedule), Path(applications)
    wb = _open_schedule(schedule)
    try:
        if not set(COMPARED) & set(wb.sheetnames):
            raise BadSchedule(f"“{schedule}”中没有奖励明细表的工作表（{'、'.join(COMPARED)}），不是 subsidy 输出的奖励明细表")
        stated_sha = _label_value(_rows(wb[SUMMARY]), SHA_LABEL) if SUMMARY in wb.sheetnames else None
    finally:
        wb.close()
    if year is None:
        year = schedule_year(schedule)
    pack = get_pack(policy)
    prm = params.load(config, pack)
    batch = read_workbook(applications, pack=pack)
    extra = ()
    if ledger:
        # what the schedule could have seen: not its own payouts, nothing of a later reward year
        from .ledger import payouts

        extra = tuple(p.as_payout() for p in payouts(ledger, policy_id=pack.id,
                                                      credit_codes={c.credit_code for c in batch.companies})
                      if p.input_sha256 != batch.input_sha256 and p.reward_year <= year)
    result = engine.assess(batch, year=year, pack=pack, params=prm, extra_history=extra, ledger_used=bool(ledger))
    with tempfile.TemporaryDirectory(prefix="subsidy-audit-") as tmp:
        expected = Path(tmp) / "expected.xlsx"
        write_schedule(result, expected)
        diffs = compare_schedules(expected, schedule)
    return ScheduleAudit(schedule=schedule, applications=applications, year=year, result=result,
                         schedule_sha256=str(stated_sha or "").strip(), diffs=tuple(diffs))


def write_schedule_audit(a: ScheduleAudit, path: str | Path) -> Path:
    r = a.result
    wb = Workbook()
    ws = wb.active
    ws.title = "审计结论"
    conclusion = "一致：奖励明细表与按申报汇总表重新核算的结果逐格相同" if a.clean else \
        f"不一致：发现 {len(a.diffs)} 处差异，见“差异明细”"
    rows = [
        ["奖励明细表", str(a.schedule)], ["申报汇总表", str(a.applications)], ["政策", f"{r.policy.number} {r.policy.title}"],
        ["核定年度", a.year], ["明细表记载的输入文件 SHA-256", a.schedule_sha256 or "（未记载）"],
        ["申报汇总表的 SHA-256", r.input_sha256],
        ["输入文件是否相同", "相同" if a.same_input else "不同：该明细表不是由这份申报汇总表核定的"],
        ["重新核算的核定总额", r.totals.payable], ["结论", conclusion],
        ["审计时间", dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")],
    ]
    table(ws, ["项目", "内容"], rows, widths=[30, 90], money_cols={2})
    if not a.clean:
        ws.cell(row=1 + [r[0] for r in rows].index("结论") + 1, column=2).fill = FLAG_FILL
    ws = wb.create_sheet("差异明细")
    table(ws, ["工作表", "单元格", "行", "列", "项目", "列名", "应为（重新核算）", "实为（奖励明细表）"],
          [[d.sheet, d.cell, d.row, d.column, d.item, d.header, d.expected, d.found] for d in a.diffs],
          widths=[12, 10, 8, 6, 30, 20, 40, 40])
    ws = wb.create_sheet("出资汇总")
    pm = [[payer, _measure_label(m), amt] for payer, ms in r.totals.by_payer_measure.items() for m, amt in ms.items()]
    table(ws, ["出资财政", "条款", "金额(元)"], pm + [["合计", "", r.totals.payable]], widths=[20, 12, 18],
          money_cols={3})
    ws = wb.create_sheet("封顶核查")
    cap_rows = []
    for c in r.companies:
        total = c.paid_in_year + c.payable
        over = c.local_retained_tax is not None and total > c.local_retained_tax
        cap_rows.append([c.credit_code, c.company_name, c.region, c.local_retained_tax, c.paid_in_year, c.payable,
                         total, "是" if c.capped else "否", "超过封顶" if over else "未超过"])
    table(ws, ["统一社会信用代码", "企业", "注册地", "地方留成税收", "本年度已兑现", "本次核定", "年度合计", "是否封顶",
               "核查结论"], cap_rows, widths=[22, 28, 10, 16, 16, 16, 16, 10, 12], money_cols={4, 5, 6, 7})
    return save(wb, path)


def _measure_label(m: str | int | None) -> str:
    return "" if m in (None, "None", "") else f"第{m}条"


# --------------------------------------------------------------------------- ledger audit


@dataclass(frozen=True)
class Flag:
    kind: str  # PAID_TWICE, ABOVE_TOP_UP, CAP_EXCEEDED, OUTSIDE_VALIDITY, OPEN_CLAWBACK
    credit_code: str
    company_name: str
    reward_year: int | None
    amount: Decimal
    message: str

    @property
    def label(self) -> str:
        return FLAG_LABELS[self.kind]


FLAG_LABELS = {
    "PAID_TWICE": "一次性奖励重复兑现",
    "ABOVE_TOP_UP": "升级兑现超过补差",
    "CAP_EXCEEDED": "超过地方留成税收封顶",
    "OUTSIDE_VALIDITY": "不在政策有效期内",
    "OPEN_CLAWBACK": "追缴未缴回",
    "CHAIN_BROKEN": "哈希链断开（账本记录被改动）",
}


@dataclass(frozen=True)
class LedgerAudit:
    url: str
    policy: str
    year: int | None
    payouts: tuple[LedgerPayout, ...]  # the payouts in scope (the year's, or all)
    flags: tuple[Flag, ...]
    by_year: dict[int, Decimal] = field(default_factory=dict)
    by_treasury: dict[str, Decimal] = field(default_factory=dict)
    by_measure: dict[str, Decimal] = field(default_factory=dict)
    by_region: dict[str, Decimal] = field(default_factory=dict)
    by_year_treasury: dict[int, dict[str, Decimal]] = field(default_factory=dict)
    chain: object = None  # ledger.chain.ChainReport of the whole ledger

    @property
    def total(self) -> Decimal:
        return sum((p.amount for p in self.payouts), ZERO)

    @property
    def clean(self) -> bool:
        return not self.flags


def _add(d: dict, k, v: Decimal) -> None:
    d[k] = d.get(k, ZERO) + v


def _what(pack: PolicyPack, p: LedgerPayout) -> str:
    return category_label(pack, p.category) + (f"「{p.subject}」" if p.subject else "")


def ledger_flags(all_payouts: list[LedgerPayout], *, pack: PolicyPack, params: Parameters,
                 year: int | None = None) -> list[Flag]:
    """The findings on the ledger; with ``year``, those that involve a payout of that reward year."""
    flags: list[Flag] = []

    def involves(ps) -> bool:
        return year is None or any(p.reward_year == year for p in ps)

    cats = {c.code: c for c in pack.categories}
    once: dict[tuple, list[LedgerPayout]] = defaultdict(list)
    family: dict[tuple, list[LedgerPayout]] = defaultdict(list)
    for p in all_payouts:
        c = cats.get(p.category)
        if c is None or c.key == "year":
            continue
        once[(p.credit_code, p.category, p.subject_norm)].append(p)
        if c.family:
            family[(p.credit_code, c.family, p.subject_norm if c.key == "subject" else "")].append(p)
    for ps in once.values():
        if len(ps) > 1 and involves(ps):
            p = ps[0]
            when = "、".join(f"{q.reward_year}年度（{q.paid_on}，{yuan_text(q.amount)} 元）" for q in ps)
            flags.append(Flag("PAID_TWICE", p.credit_code, p.company_name, ps[-1].reward_year,
                              sum((q.amount for q in ps[1:]), ZERO),
                              f"{_what(pack, p)} 是一次性奖励，兑现了 {len(ps)} 次：{when}"))
    if params.tier_upgrade == "top_up":
        for ps in family.values():
            if len({p.category for p in ps}) < 2 or not involves(ps):
                continue
            top = max(cats[p.category].standard_amount(dt.date(p.reward_year, 12, 31)) for p in ps)
            paid = sum((p.amount for p in ps), ZERO)
            if paid > top:
                p = ps[0]
                flags.append(Flag("ABOVE_TOP_UP", p.credit_code, p.company_name, max(q.reward_year for q in ps),
                                  paid - top,
                                  f"同类奖励（{'、'.join(_what(pack, q) for q in ps)}）累计兑现 {yuan_text(paid)} 元，"
                                  f"超过最高等级标准 {yuan_text(top)} 元（就高不重复，升级只补差）"))
    per_year: dict[tuple, list[LedgerPayout]] = defaultdict(list)
    for p in all_payouts:
        per_year[(p.credit_code, p.reward_year)].append(p)
    for (code, y), ps in sorted(per_year.items()):
        if year is not None and y != year:
            continue
        caps = [p.local_retained_tax for p in sorted(ps, key=lambda q: q.id) if p.local_retained_tax is not None]
        if not caps:
            continue
        cap, paid = caps[-1], sum((p.amount for p in ps), ZERO)
        if paid > cap:
            flags.append(Flag("CAP_EXCEEDED", code, ps[0].company_name, y, paid - cap,
                              f"{y}年度兑现合计 {yuan_text(paid)} 元，超过该企业地方留成税收 {yuan_text(cap)} 元"
                              "（通用条款：企业所得奖励资金总额不得超过该企业缴纳税收地方留成部分）"))
    first, last = params.validity_start, params.validity_end
    for p in all_payouts:
        if year is not None and p.reward_year != year:
            continue
        why = None
        if p.paid_on < first:
            why = f"兑现日期 {p.paid_on} 早于政策施行日 {first}"
        elif p.category == HQ:
            if p.reward_year < first.year:
                why = f"奖励年度 {p.reward_year} 早于政策施行年度"
            elif params.hq_after_expiry == "stop" and p.reward_year > last.year:
                why = f"奖励年度 {p.reward_year} 在政策有效期（至 {last}）之后（口径 hq_after_expiry=stop）"
        elif not first.year <= p.reward_year <= last.year:
            why = f"奖励年度 {p.reward_year} 不在政策有效期 {first} 至 {last} 内"
        if why:
            flags.append(Flag("OUTSIDE_VALIDITY", p.credit_code, p.company_name, p.reward_year, p.amount,
                              f"{_what(pack, p)}：{why}"))
    for p in all_payouts:
        if p.clawback is not None and p.clawback.open and (year is None or p.reward_year == year):
            reason = "弄虚作假" if p.clawback.reason_code == "FRAUD" else f"外迁（迁出日期 {p.clawback.moved_out_on}）"
            flags.append(Flag("OPEN_CLAWBACK", p.credit_code, p.company_name, p.reward_year, p.amount,
                              f"{_what(pack, p)}（{p.paid_on} 兑现）因{reason}应缴回，{p.clawback.decided_on} "
                              f"由 {p.clawback.decided_by} 登记，尚未缴回"))
    return flags


def chain_flags(url: str | None, report) -> list[Flag]:
    """The first entry where the ledger's hash chain breaks (whatever the year audited: the chain is one)."""
    from .ledger import entries

    b = report.first_break
    if b is None:
        return []
    row = next((e for e in entries(url) if e.id == b.id), None)
    return [Flag("CHAIN_BROKEN", row.credit_code if row else "", row.company_name if row else "",
                 row.reward_year if row else None, row.amount if row else ZERO,
                 f"{b.message}（请从备份核对编号 {b.id} 及其后的记录）")]


def audit_ledger(url: str | None, *, year: int | None = None, config: str | Path | None = None,
                 policy: str = "jdz-2023") -> LedgerAudit:
    from policies import get_pack

    from . import params as P
    from .ledger import db, payouts, verify

    pack = get_pack(policy)
    prm = P.load(config, pack)
    everything = payouts(url, policy_id=pack.id)
    scope = [p for p in everything if year is None or p.reward_year == year]
    report = verify(url)
    a = LedgerAudit(url=db.shown(db.resolve_url(url)), policy=pack.id, year=year, payouts=tuple(scope),
                    flags=tuple(chain_flags(url, report) + ledger_flags(everything, pack=pack, params=prm, year=year)),
                    chain=report)
    for p in scope:
        _add(a.by_year, p.reward_year, p.amount)
        _add(a.by_measure, _measure_label(p.measure), p.amount)
        _add(a.by_region, p.region or "（未记录）", p.amount)
        for t, v in p.payers.items():
            _add(a.by_treasury, t, v)
            _add(a.by_year_treasury.setdefault(p.reward_year, {}), t, v)
    return a


def _bar(ws, title: str, *, cats: tuple[int, int, int], vals: tuple[int, int, int], anchor: str,
         y_title: str = "金额（元）", stacked: bool = False, series_titles: bool = False) -> BarChart:
    """A native bar chart; cats/vals = (column, first row, last row); vals may span several columns."""
    ch = BarChart()
    ch.type = "col"
    ch.title = title
    ch.y_axis.title = y_title
    ch.y_axis.numFmt = "#,##0"
    ch.height, ch.width = 9, 18
    if stacked:
        ch.grouping, ch.overlap = "stacked", 100
    col, r1, r2 = vals
    last_col = col if not series_titles else ws.max_column
    data = Reference(ws, min_col=col, max_col=last_col, min_row=r1, max_row=r2)
    ch.add_data(data, titles_from_data=True)
    ch.set_categories(Reference(ws, min_col=cats[0], min_row=cats[1] + 1, max_row=cats[2]))
    if not series_titles:
        ch.legend = None
    ws.add_chart(ch, anchor)
    return ch


def _pie(ws, title: str, *, n: int, anchor: str) -> None:
    ch = PieChart()
    ch.title = title
    ch.height, ch.width = 9, 12
    ch.add_data(Reference(ws, min_col=2, min_row=1, max_row=n + 1), titles_from_data=True)
    ch.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
    ws.add_chart(ch, anchor)


def _totals_sheet(wb: Workbook, title: str, head: str, data: dict, *, pie: bool = False) -> None:
    ws = wb.create_sheet(title)
    rows = [[k, v] for k, v in data.items()]
    table(ws, [head, "金额(元)"], rows + [["合计", sum(data.values(), ZERO)]], widths=[20, 18], money_cols={2})
    if rows:
        if pie:
            _pie(ws, f"{title}（元）", n=len(rows), anchor="D2")
        else:
            _bar(ws, f"{title}（元）", cats=(1, 1, len(rows) + 1), vals=(2, 1, len(rows) + 1), anchor="D2")


def write_ledger_audit(a: LedgerAudit, path: str | Path, *, pack: PolicyPack) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "审计结论"
    counts = defaultdict(int)
    for f in a.flags:
        counts[f.kind] += 1
    rows = [["账本", a.url], ["政策", f"{pack.number} {pack.title}"],
            ["奖励年度", str(a.year) if a.year is not None else "全部"], ["兑现笔数", len(a.payouts)],
            ["兑现合计(元)", fen(a.total)]]
    if a.chain is not None:
        rows.append(["哈希链", f"完整：{a.chain.entries} 笔，链头哈希 {a.chain.head}" if a.chain.first_break is None
                     else a.chain.first_break.message])
    rows += [[FLAG_LABELS[k], f"{counts.get(k, 0)} 项"] for k in FLAG_LABELS]
    rows += [["结论", "未发现问题" if a.clean else f"发现 {len(a.flags)} 项问题，见“问题清单”"],
             ["审计时间", dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")]]
    table(ws, ["项目", "内容"], rows, widths=[26, 80], money_cols={2})
    _totals_sheet(wb, "按年度", "奖励年度", dict(sorted(a.by_year.items())))
    _totals_sheet(wb, "按出资财政", "出资财政", dict(sorted(a.by_treasury.items())))
    _totals_sheet(wb, "按条款", "条款", dict(sorted(a.by_measure.items(), key=lambda kv: _measure_sort(kv[0]))))
    _totals_sheet(wb, "按注册地", "注册地", dict(sorted(a.by_region.items())), pie=True)
    # year × treasury, stacked
    ws = wb.create_sheet("年度出资")
    treasuries = sorted(a.by_treasury)
    years = sorted(a.by_year_treasury)
    table(ws, ["奖励年度", *treasuries],
          [[str(y), *[a.by_year_treasury[y].get(t, ZERO) for t in treasuries]] for y in years],
          widths=[12] + [16] * len(treasuries), money_cols=set(range(2, len(treasuries) + 2)))
    if years and treasuries:
        _bar(ws, "各年度按出资财政的兑现金额（元）", cats=(1, 1, len(years) + 1), vals=(2, 1, len(years) + 1),
             anchor=f"{get_column_letter(len(treasuries) + 3)}2", stacked=True, series_titles=True)
    ws = wb.create_sheet("问题清单")
    table(ws, ["问题", "统一社会信用代码", "企业名称", "奖励年度", "涉及金额(元)", "说明"],
          [[f.label, f.credit_code, f.company_name, f.reward_year, f.amount, f.message] for f in a.flags],
          widths=[20, 22, 28, 10, 16, 90], money_cols={5})
    ws = wb.create_sheet("兑现明细")
    table(ws, ["统一社会信用代码", "企业名称", "注册地", "奖励类别", "条款", "项目或证书名称", "奖励年度", "兑现日期",
               "兑现金额(元)", "出资财政", "审批人", "申报编号", "追缴"],
          [[p.credit_code, p.company_name, p.region, category_label(pack, p.category), _measure_label(p.measure),
            p.subject, p.reward_year, p.paid_on, p.amount, "；".join(f"{k} {yuan_text(v)}" for k, v in p.payers.items()),
            p.approved_by, p.claim_id,
            "" if p.clawback is None else ("待缴回" if p.clawback.open else f"已于 {p.clawback.returned_on} 缴回")]
           for p in a.payouts],
          widths=[22, 28, 10, 22, 8, 26, 10, 12, 16, 36, 10, 12, 16], money_cols={9})
    return save(wb, path)


def _measure_sort(label: str) -> int:
    digits = "".join(ch for ch in label if ch.isdigit())
    return int(digits) if digits else 10**6
