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
import re
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.chart import BarChart, PieChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.chart.text import RichText
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties
from openpyxl.styles import Alignment
from openpyxl.utils import get_column_letter

from .errors import SubsidyError, UnreadableInput
from .ledger.store import LedgerPayout, category_label
from .ledger.xlsx import FLAG_FILL, put, save, table
from .models import Result
from .money import ZERO, fen, yuan_text
from .params import Parameters
from .policy import PolicyPack
from .workbook import printing

#: the sheets of the award schedule that are compared
COMPARED = ("汇总", "奖励明细", "企业汇总", "出资汇总", "质量保证金", "追缴清单")
#: sheets whose rows are matched by the value of these columns (named by their header), not by position, so one
#: missing or extra row is one difference and not a cascade
KEYED = {
    "奖励明细": ("申报编号",),
    "企业汇总": ("统一社会信用代码",),
    "质量保证金": ("统一社会信用代码", "项目名称"),
    "追缴清单": ("统一社会信用代码", "奖励类别", "项目或证书名称", "奖励年度", "兑现日期"),
}
#: 出资汇总 holds two tables (by treasury and measure, then subtotals): rows are matched by their first two cells
#: (出资财政 and 条款, or 小计); 汇总 by its section and label
TREASURIES = "出资汇总"
SUMMARY = "汇总"
INTERPRETATIONS = "口径说明"
SIGNATURE = "签字"  # 汇总 from this label down is for signatures: filled in by hand, never compared
YEAR_LABEL = "核定年度"
SHA_LABEL = "输入文件 SHA-256"
HQ = "hq_relocation"
REPORT_TITLE = "奖励明细表审计报告"
LEDGER_REPORT_TITLE = "兑现账本审计报告"


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


def _shown(v, money: bool = False) -> str:
    """A value as the difference list shows it (an amount always with two decimals)."""
    if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
        d = Decimal(str(v))
        if money:
            return f"{d:,.2f}"
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
    expected: str  # as shown on the terminal
    found: str
    expected_value: Any = None  # the cell's own value (a number stays a number in the report)
    found_value: Any = None
    money: bool = False  # the cell carries an amount (money format)

    @property
    def cell(self) -> str:
        return f"{self.column}{self.row}" if self.row else ""


@dataclass(frozen=True)
class ParameterDiff:
    """One 口径 parameter whose value in the schedule's 口径说明 differs from the one in force for the audit."""

    key: str
    title: str  # 信用评价分下限（min_credit_score）
    in_schedule: str  # the value as 口径说明 shows it
    in_force: str


@dataclass(frozen=True)
class ScheduleAudit:
    schedule: Path
    applications: Path
    year: int
    result: Result
    schedule_sha256: str  # as the schedule states it
    diffs: tuple[CellDiff, ...]
    parameter_diffs: tuple[ParameterDiff, ...] = ()
    #: the TOML that reproduces the schedule's 口径 ("" = the defaults: no --config), or None when it cannot be
    #: rebuilt from 口径说明
    schedule_config: str | None = None
    config: Path | None = None  # the --config of the audit

    @property
    def clean(self) -> bool:
        return not self.diffs

    @property
    def same_input(self) -> bool:
        return self.schedule_sha256 == self.result.input_sha256

    @property
    def same_parameters(self) -> bool:
        return not self.parameter_diffs

    def rerun_advice(self) -> list[str]:
        """How to re-run the audit with the schedule's 口径 (empty when the 口径 agree)."""
        if self.same_parameters:
            return []
        cmd = f"subsidy audit {_arg(self.schedule)} --applications {_arg(self.applications)}"
        if self.schedule_config == "":
            return [f"该明细表按默认口径核定：重新核对时不要用 --config，即运行 {cmd}"]
        if self.schedule_config is None:
            return [f"请用核定该明细表时所用的配置文件重新核对：{cmd} --config 配置文件.toml"]
        return [f"请用该明细表的口径重新核对：把下面 {len(self.schedule_config.splitlines())} 行存为 口径.toml，"
                f"再运行 {cmd} --config 口径.toml", *self.schedule_config.splitlines()]


def _arg(p: Path) -> str:
    """A path as typed on a command line (quoted when it holds white space)."""
    s = str(p)
    return f'"{s}"' if any(ch.isspace() for ch in s) else s


_MONEY_FORMATS = ("#,##0.00",)


def _read(ws) -> tuple[list[list], set[tuple[int, int]]]:
    """The sheet's values row by row, and the (row, column) indexes of cells with a money format."""
    rows: list[list] = []
    money: set[tuple[int, int]] = set()
    for i, r in enumerate(ws.iter_rows()):
        values = []
        for j, c in enumerate(r):
            v = getattr(c, "value", None)
            values.append(v)
            if v is not None and getattr(c, "number_format", None) in _MONEY_FORMATS:
                money.add((i, j))
        rows.append(values)
    return rows, money


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
    return rows[i][j] if 0 <= i < len(rows) and j < len(rows[i]) else None


def _first_text(row: list) -> str:
    for v in row:
        if isinstance(v, str) and v.strip():
            return v.strip()
    return ""


def _blank(row: list) -> bool:
    return all(v is None or str(v).strip() == "" for v in row)


@dataclass
class _Table:
    """A compared sheet as rows matched by key: key → row index, headers by column, money cells."""

    rows: list[list]
    money: set[tuple[int, int]]
    index: dict[tuple, int]
    what: dict[tuple, str]  # key → how the difference list names the row
    headers: list[str] = field(default_factory=list)  # by column ([] when columns are compared by position)
    header_row: int = -1


def _indexed(rows: list[list], keyof, name) -> tuple[dict[tuple, int], dict[tuple, str]]:
    """(key, occurrence) → row index for every non-blank row that has a key."""
    seen: dict[tuple, int] = defaultdict(int)
    index, what = {}, {}
    for i, r in enumerate(rows):
        if _blank(r):
            continue
        k = keyof(i, r)
        if k is None:
            continue
        n = seen[k]
        seen[k] += 1
        index[(k, n)] = i
        what[(k, n)] = name(k) + (f"（第{n + 1}个）" if n else "")
    return index, what


def _by_headers(rows: list[list], money: set, keys: tuple[str, ...]) -> _Table | None:
    h = next((i for i, r in enumerate(rows)
              if all(any(isinstance(v, str) and v.strip() == k for v in r) for k in keys)), None)
    if h is None:
        return None
    headers = [str(v).strip() if v is not None else "" for v in rows[h]]
    cols = [headers.index(k) for k in keys]

    def keyof(i, r):
        return None if i <= h else tuple(_norm(_cell(rows, i, j)) for j in cols)

    def name(k):
        return "，".join(f"{kk} {v}" for kk, v in zip(keys, k))

    index, what = _indexed(rows, keyof, name)
    return _Table(rows, money, index, what, headers, h)


def _by_treasury(rows: list[list], money: set) -> _Table:
    def keyof(i, r):
        return (_norm(_cell(rows, i, 0)), _norm(_cell(rows, i, 1)))

    index, what = _indexed(rows, keyof, lambda k: " ".join(v for v in k if v))
    return _Table(rows, money, index, what, [str(v or "") for v in rows[0]] if rows else [], 0)


def _by_section(rows: list[list], money: set) -> _Table:
    """汇总: a row is named by the table it is in (the header above it) and its label; signatures are left out."""
    stop = next((i for i, r in enumerate(rows) if _first_text(r) == SIGNATURE), len(rows))
    section: dict[int, str] = {}
    current = ""
    for i, r in enumerate(rows[:stop]):
        if _blank(r):
            current = ""
        elif current == "" and i > 0 and _blank(rows[i - 1]) and len([v for v in r if v not in (None, "")]) >= 2 \
                and all(isinstance(v, str) for v in r if v not in (None, "")):
            current = _norm(r[0])  # a header row (状态 / 出资财政 / 条款) opens a section
        section[i] = current

    def keyof(i, r):
        return None if i >= stop else (section[i], _norm(_cell(rows, i, 0)))

    def name(k):
        return k[1] if not k[0] or k[0] == k[1] else f"{k[0]} {k[1]}"

    index, what = _indexed(rows, keyof, name)
    return _Table(rows, money, index, what)


def _table(sheet: str, rows: list[list], money: set) -> _Table | None:
    if sheet in KEYED:
        return _by_headers(rows, money, KEYED[sheet])
    if sheet == TREASURIES:
        return _by_treasury(rows, money)
    return _by_section(rows, money)


def _diff(sheet: str, item: str, header: str, row: int | None, column: str, e, g, money: bool) -> CellDiff:
    return CellDiff(sheet=sheet, row=row, column=column, item=item, header=header, expected=_shown(e, money),
                    found=_shown(g, money), expected_value=e, found_value=g, money=money)


def _compare(sheet: str, exp: _Table, got: _Table | None) -> list[CellDiff]:
    if got is None:
        keys = "、".join(KEYED.get(sheet, ()))
        return [CellDiff(sheet=sheet, row=None, column="", item=f"“{keys}”列", header=keys,
                         expected="有表头行", found="找不到表头")]
    out: list[CellDiff] = []
    if exp.headers and got.headers and sheet in KEYED:
        gcol = {h: j for j, h in enumerate(got.headers) if h}
        pairs = [(j, gcol.get(h), h) for j, h in enumerate(exp.headers) if h]
        for j, h in enumerate(exp.headers):
            if h and h not in gcol:
                out.append(CellDiff(sheet=sheet, row=got.header_row + 1, column=get_column_letter(j + 1),
                                    item="表头", header=h, expected=h, found="（缺少该列）"))
    else:
        width = max(_width(exp.rows), _width(got.rows))
        pairs = [(j, j, "") for j in range(width)]
    for k, i in exp.index.items():
        what = exp.what[k]
        gi = got.index.get(k)
        if gi is None:
            out.append(CellDiff(sheet=sheet, row=None, column="", item=what, header="整行",
                                expected="应有此行", found="（缺少此行）"))
            continue
        for j, gj, h in pairs:
            if gj is None:
                continue
            e, g = _cell(exp.rows, i, j), _cell(got.rows, gi, gj)
            if _norm(e) != _norm(g):
                header = h or (str(exp.rows[exp.header_row][j] or "") if exp.header_row >= 0 and sheet != SUMMARY
                               else "")
                out.append(_diff(sheet, what, header, gi + 1, get_column_letter(gj + 1), e, g,
                                 (i, j) in exp.money or (gi, gj) in got.money))
    for k, gi in got.index.items():
        if k not in exp.index:
            out.append(CellDiff(sheet=sheet, row=gi + 1, column="A", item=got.what[k], header="整行",
                                expected="（不应有此行）", found="多出此行"))
    return sorted(out, key=lambda d: (d.row or 10**9, d.column))


def compare_schedules(expected: Path, found: Path) -> list[CellDiff]:
    """Every difference of ``found`` against ``expected`` on the compared sheets, rows matched by their key."""
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
            exp = _table(sheet, *_read(ew[sheet]))
            assert exp is not None  # the writer always writes the headers
            out += _compare(sheet, exp, _table(sheet, *_read(fw[sheet])))
        return out
    finally:
        ew.close()
        fw.close()


# --------------------------------------------------------------------------- the schedule's 口径


def schedule_parameters(path: Path) -> dict[str, str]:
    """The 口径 the schedule states in its 口径说明 sheet: parameter key → value as shown ({} when absent)."""
    wb = _open_schedule(path)
    try:
        if INTERPRETATIONS not in wb.sheetnames:
            return {}
        rows = _rows(wb[INTERPRETATIONS])
    finally:
        wb.close()
    from .params import KEYS, LABELS

    by_label = {v: k for k, v in LABELS.items()}
    out: dict[str, str] = {}
    for r in rows[1:]:
        if len(r) < 2 or not isinstance(r[0], str):
            continue
        title = r[0].strip()
        m = re.search(r"[（(]([a-z_]+)[）)]\s*$", title)
        key = m.group(1) if m else (title if title in KEYS else by_label.get(title))
        if key in KEYS and key not in out:
            out[key] = "" if r[1] is None else str(r[1]).strip()
    return out


def _raw_value(key: str, shown: str, pack: PolicyPack):
    """The TOML value of a parameter from its value as 口径说明 shows it (None when it cannot be read back)."""
    from .params import CHOICE_LABELS, CHOICES

    if key in CHOICES:
        for choice in CHOICES[key]:
            if shown in (choice, CHOICE_LABELS.get(choice)):
                return choice
        return None
    if key == "min_credit_score":
        try:
            return Decimal(shown.removesuffix("分").strip())
        except InvalidOperation:
            return None
    if key == "city_share":
        share = {}
        for part in re.split(r"[；;]", shown):
            bits = part.split()
            if len(bits) != 2:
                return None
            try:
                share[bits[0]] = Decimal(bits[1])
            except InvalidOperation:
                return None
        return share
    if key == "validity":
        dates = re.findall(r"\d{4}-\d{2}-\d{2}", shown)
        return [dt.date.fromisoformat(d) for d in dates] if len(dates) == 2 else None
    return None


def _toml(key: str, value) -> str:
    if isinstance(value, dict):
        return f"[{key}]\n" + "\n".join(f'"{k}" = {v}' for k, v in value.items())
    if isinstance(value, list):
        return f"{key} = [{', '.join(d.isoformat() for d in value)}]"
    if isinstance(value, Decimal):
        return f"{key} = {value}"
    return f'{key} = "{value}"'


def schedule_config(stated: dict[str, str], pack: PolicyPack) -> str | None:
    """The TOML that gives the schedule's 口径 from the pack's defaults: "" when they are the defaults, None when
    口径说明 cannot be read back into parameters (the check: the rebuilt parameters show exactly as stated)."""
    from .errors import ConfigError
    from .params import apply, defaults, interpretations

    base = {i.key: i for i in interpretations(defaults(pack), pack)}
    raw: dict[str, Any] = {}
    for key, shown in stated.items():
        if key in base and shown not in (base[key].value_label, base[key].value):
            value = _raw_value(key, shown, pack)
            if value is None:
                return None
            if key == "city_share":
                default_share = defaults(pack).city_share
                value = {k: v for k, v in value.items() if default_share.get(k) != v}
            raw[key] = value
    try:
        rebuilt = {i.key: i for i in interpretations(apply(defaults(pack), raw, pack), pack)}
    except ConfigError:
        return None
    if any(v not in (rebuilt[k].value_label, rebuilt[k].value) for k, v in stated.items() if k in rebuilt):
        return None
    tables = [k for k, v in raw.items() if isinstance(v, dict)]
    return "\n".join([_toml(k, v) for k, v in raw.items() if k not in tables] +
                     [_toml(k, raw[k]) for k in tables])


def parameter_diffs(stated: dict[str, str], in_force) -> list[ParameterDiff]:
    """The parameters whose stated value differs from the one in force (Interpretation objects)."""
    out = []
    for i in in_force:
        if i.key in stated and stated[i.key] not in (i.value_label, i.value):  # an older schedule shows raw values
            out.append(ParameterDiff(key=i.key, title=i.title, in_schedule=stated[i.key], in_force=i.value_label))
    return out


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
    stated = schedule_parameters(schedule)
    pdiffs = parameter_diffs(stated, params.interpretations(prm, pack))
    return ScheduleAudit(schedule=schedule, applications=applications, year=year, result=result,
                         schedule_sha256=str(stated_sha or "").strip(), diffs=tuple(diffs),
                         parameter_diffs=tuple(pdiffs),
                         schedule_config=schedule_config(stated, pack) if pdiffs else None,
                         config=Path(config) if config else None)


def _report_value(v, shown: str):
    """A compared cell as the report writes it: numbers and dates stay numbers and dates, blank says so."""
    if v is None or isinstance(v, bool) or (isinstance(v, str) and not v.strip()):
        return shown
    return v


def _rows_to_sheet(ws, rows: list[list]) -> None:
    for r, values in enumerate(rows, 1):
        for j, v in enumerate(values, 1):
            put(ws, r, j, v)


def write_schedule_audit(a: ScheduleAudit, path: str | Path) -> Path:
    """The audit report: 审计结论 (口径 differences first), 差异明细 (amounts as numbers), 出资汇总, 封顶核查."""
    r = a.result
    head = printing.heading(r.policy.number, r.policy.title, a.year, REPORT_TITLE)
    wb = Workbook()
    ws = wb.active
    ws.title = "审计结论"
    conclusion = "一致：奖励明细表与按申报汇总表重新核算的结果逐格相同" if a.clean else \
        f"不一致：发现 {len(a.diffs)} 处差异，见“差异明细”"
    rows: list[list] = [["项目", "内容"]]
    flagged: list[int] = []
    if not a.same_parameters:
        rows.append(["口径不同", f"该明细表“口径说明”所载口径与本次核对所用的口径有 {len(a.parameter_diffs)} 项不同，"
                                 "重新核算的结果因此不同（下列各项：明细表所用 → 本次核对所用）"])
        flagged.append(len(rows))
        for d in a.parameter_diffs:
            rows.append([d.title, f"明细表：{d.in_schedule}；本次核对：{d.in_force}"])
            flagged.append(len(rows))
        rows.append(["重新核对", "\n".join(a.rerun_advice())])
        flagged.append(len(rows))
    rows.append(["结论", conclusion])
    if not a.clean:
        flagged.append(len(rows))
    rows += [
        ["奖励明细表", str(a.schedule)], ["申报汇总表", str(a.applications)],
        ["政策", f"{r.policy.number} {r.policy.title}"], ["核定年度", a.year],
        ["口径", f"配置文件 {a.config}" if a.config else "默认口径（未用 --config）"],
        ["明细表记载的输入文件 SHA-256", a.schedule_sha256 or "（未记载）"],
        ["申报汇总表的 SHA-256", r.input_sha256],
        ["输入文件是否相同", "相同" if a.same_input else "不同：该明细表不是由这份申报汇总表核定的"],
        ["重新核算的核定总额", r.totals.payable],
        ["审计时间", dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")],
    ]
    if not a.same_input:
        flagged.append(len(rows) - 2)
    _rows_to_sheet(ws, rows)
    money_row = len(rows) - 1
    printing.format_sheet(ws, widths=[34, 102], heading=head)
    ws.cell(row=money_row, column=2).number_format = printing.MONEY_FORMAT
    ws.cell(row=money_row, column=2).alignment = Alignment(horizontal="left", vertical="top")
    ws.cell(row=rows.index(["核定年度", a.year]) + 1, column=2).alignment = Alignment(horizontal="left",
                                                                                   vertical="top")
    for i in flagged:
        ws.cell(row=i, column=1).fill = ws.cell(row=i, column=2).fill = FLAG_FILL
        ws.cell(row=i, column=1).font = printing.BOLD_FONT

    ws = wb.create_sheet("差异明细")
    drows: list[list] = [["工作表", "单元格", "行", "列", "项目", "列名", "应为（重新核算）", "实为（奖励明细表）"]]
    for d in a.diffs:
        drows.append([d.sheet, d.cell, d.row, d.column, d.item, d.header,
                      _report_value(d.expected_value, d.expected), _report_value(d.found_value, d.found)])
    _rows_to_sheet(ws, drows)
    printing.format_sheet(ws, widths=[11, 8, 6, 5, 28, 16, 30, 30], heading=head)
    for i, d in enumerate(a.diffs, 2):
        if d.money:
            for j in (7, 8):
                c = ws.cell(row=i, column=j)
                if isinstance(c.value, (int, float, Decimal)):
                    c.number_format = printing.MONEY_FORMAT

    ws = wb.create_sheet("出资汇总")
    pm = [[payer, _measure_label(m), amt] for payer, ms in r.totals.by_payer_measure.items() for m, amt in ms.items()]
    _rows_to_sheet(ws, [["出资财政", "条款", "金额(元)"], *pm, ["合计", "", r.totals.payable]])
    printing.format_sheet(ws, widths=[22, 12, 18], heading=head, money_cols={3}, bold_rows={len(pm) + 2})

    ws = wb.create_sheet("封顶核查")
    cap_rows: list[list] = [["统一社会信用代码", "企业", "注册地", "地方留成税收", "本年度已兑现", "本次核定", "年度合计",
                             "是否封顶", "核查结论"]]
    for c in r.companies:
        total = c.paid_in_year + c.payable
        over = c.local_retained_tax is not None and total > c.local_retained_tax
        cap_rows.append([c.credit_code, c.company_name, c.region, c.local_retained_tax, c.paid_in_year, c.payable,
                         total, "是" if c.capped else "否", "超过封顶" if over else "未超过"])
    _rows_to_sheet(ws, cap_rows)
    m = printing.money_width(x for row in cap_rows[1:] for x in row[3:7])
    printing.format_sheet(ws, widths=[20, 28, 9, m, m, m, m, 8, 10], heading=head, money_cols={4, 5, 6, 7})
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
        # a one-time reward keyed by company is paid once whatever certificate number each payout wrote
        once[(p.credit_code, p.category, p.subject_norm if c.key == "subject" else "")].append(p)
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
                why = f"奖励年度 {p.reward_year} 在政策有效期（至 {last}）之后（口径“政策到期后的总部迁入奖励：停止兑现”）"
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


#: a chart fills one A4 landscape page (inside the margins and the header), in centimetres
CHART_WIDTH, CHART_HEIGHT = 25.0, 14.5
CHART_NUMBER_FORMAT = "#,##0.00"


def _text(size_pt: int = printing.FONT_SIZE) -> RichText:
    """Chart text properties: the size in points (a chart's own default prints below 9 pt)."""
    cp = CharacterProperties(sz=size_pt * 100)
    return RichText(p=[Paragraph(pPr=ParagraphProperties(defRPr=cp), endParaRPr=cp)])


def _labels(*, percent: bool = False) -> DataLabelList:
    """Value labels on the bars (amounts), or percentages on a pie; nothing else in the label."""
    d = DataLabelList()
    d.showVal = not percent
    d.showPercent = percent
    d.showCatName = percent
    d.showSerName = False
    d.showLegendKey = False
    d.numFmt = "0.0%" if percent else CHART_NUMBER_FORMAT
    d.txPr = _text()
    return d


def _bar(data_ws, title: str, *, x_title: str, n: int, first_col: int = 2, last_col: int = 2,
         stacked: bool = False) -> BarChart:
    """A column chart of the table on ``data_ws`` (categories in column A, rows 2..n+1, series from row 1)."""
    ch = BarChart()
    ch.type = "col"
    ch.title = title
    ch.x_axis.title = x_title
    ch.y_axis.title = "金额（元）"
    ch.y_axis.numFmt = "#,##0"
    ch.y_axis.scaling.min = 0  # an auditor compares heights: the axis starts at zero
    ch.x_axis.delete = ch.y_axis.delete = False  # openpyxl 3.1 would hide the axes otherwise
    ch.width, ch.height = CHART_WIDTH, CHART_HEIGHT
    if stacked:
        ch.grouping, ch.overlap = "stacked", 100
    ch.add_data(Reference(data_ws, min_col=first_col, max_col=last_col, min_row=1, max_row=n + 1),
                titles_from_data=True)
    ch.set_categories(Reference(data_ws, min_col=1, min_row=2, max_row=n + 1))
    ch.dataLabels = _labels()
    ch.x_axis.txPr = ch.y_axis.txPr = _text()
    if last_col == first_col:
        ch.legend = None
    else:
        ch.legend.position = "b"
        ch.legend.txPr = _text()
    return ch


def _pie(data_ws, title: str, *, n: int) -> PieChart:
    ch = PieChart()
    ch.title = title
    ch.width, ch.height = CHART_WIDTH, CHART_HEIGHT
    ch.add_data(Reference(data_ws, min_col=2, min_row=1, max_row=n + 1), titles_from_data=True)
    ch.set_categories(Reference(data_ws, min_col=1, min_row=2, max_row=n + 1))
    ch.dataLabels = _labels(percent=True)
    ch.legend.position = "r"
    ch.legend.txPr = _text()
    return ch


def _chart_sheet(wb: Workbook, title: str, chart, head: printing.Heading) -> None:
    """A sheet holding one chart that fills one A4 landscape page."""
    ws = wb.create_sheet(title)
    ws.add_chart(chart, "A1")
    # one page: the chart never splits across pages
    printing.setup_page(ws, layout=printing.Layout(printing.A4, landscape=True, one_page=True), heading=head,
                        repeat_rows=None)


def _totals_sheet(wb: Workbook, title: str, head_text: str, data: dict, heading: printing.Heading) -> None:
    ws = wb.create_sheet(title)
    rows = [[k, v] for k, v in data.items()]
    table(ws, [head_text, "金额(元)"], rows + [["合计", sum(data.values(), ZERO)]], money_cols={2})
    printing.format_sheet(ws, widths=[24, printing.money_width(data.values(), 18)], heading=heading,
                          money_cols={2}, bold_rows={len(rows) + 2})


def write_ledger_audit(a: LedgerAudit, path: str | Path, *, pack: PolicyPack) -> Path:
    """The ledger audit report: conclusion, totals by year / treasury / measure / 注册地 / year × treasury, each
    chart on a sheet of its own (one page), the flags and every payout in scope."""
    head = printing.heading(pack.number, pack.title, a.year, LEDGER_REPORT_TITLE)
    wb = Workbook()
    ws = wb.active
    ws.title = "审计结论"
    counts: dict[str, int] = defaultdict(int)
    for f in a.flags:
        counts[f.kind] += 1
    rows = [["结论", "未发现问题" if a.clean else f"发现 {len(a.flags)} 项问题，见“问题清单”"],
            ["账本", a.url], ["政策", f"{pack.number} {pack.title}"],
            ["奖励年度", str(a.year) if a.year is not None else "全部"], ["兑现笔数", f"{len(a.payouts)} 笔"],
            ["兑现合计(元)", fen(a.total)]]
    if a.chain is not None:
        rows.append(["哈希链", f"完整：{a.chain.entries} 笔，链头哈希 {a.chain.head}" if a.chain.first_break is None
                     else a.chain.first_break.message])
    rows += [[FLAG_LABELS[k], f"{counts.get(k, 0)} 项"] for k in FLAG_LABELS]
    rows += [["审计时间", dt.datetime.now().replace(microsecond=0).isoformat(sep=" ")]]
    table(ws, ["项目", "内容"], rows, money_cols={2})
    printing.format_sheet(ws, widths=[26, 100], heading=head, money_cols={2})
    ws.cell(row=7, column=2).alignment = Alignment(horizontal="left", vertical="top")
    if not a.clean:
        ws.cell(row=2, column=1).fill = ws.cell(row=2, column=2).fill = FLAG_FILL

    treasuries = sorted(a.by_treasury, key=pack.treasury_rank)
    regions = sorted(a.by_region, key=pack.region_rank)
    tables = [
        ("按年度", "奖励年度", dict(sorted(a.by_year.items()))),
        ("按出资财政", "出资财政", {t: a.by_treasury[t] for t in treasuries}),
        ("按条款", "条款", dict(sorted(a.by_measure.items(), key=lambda kv: _measure_sort(kv[0])))),
        ("按注册地", "注册地", {r: a.by_region[r] for r in regions}),
    ]
    for title, head_text, data in tables:
        _totals_sheet(wb, title, head_text, data, head)
    # year × treasury
    years = sorted(a.by_year_treasury)
    ws = wb.create_sheet("年度出资")
    table(ws, ["奖励年度", *treasuries],
          [[str(y), *[a.by_year_treasury[y].get(t, ZERO) for t in treasuries]] for y in years],
          money_cols=set(range(2, len(treasuries) + 2)))
    printing.format_sheet(ws, widths=[10] + [printing.money_width(a.by_treasury.values(), 13)] * len(treasuries),
                          heading=head, money_cols=set(range(2, len(treasuries) + 2)))
    # the charts, one page each
    for title, head_text, data in tables:
        if not data:
            continue
        chart = (_pie(wb[title], f"{title}兑现金额占比", n=len(data)) if title == "按注册地" else
                 _bar(wb[title], f"{title}兑现金额（元）", x_title=head_text, n=len(data)))
        _chart_sheet(wb, f"图-{title}", chart, head)
    if years and treasuries:
        _chart_sheet(wb, "图-年度出资", _bar(wb["年度出资"], "各年度按出资财政的兑现金额（元）", x_title="奖励年度",
                                        n=len(years), first_col=2, last_col=len(treasuries) + 1, stacked=True),
                     head)

    ws = wb.create_sheet("问题清单")
    table(ws, ["问题", "统一社会信用代码", "企业名称", "奖励年度", "涉及金额(元)", "说明"],
          [[f.label, f.credit_code, f.company_name, f.reward_year, f.amount, f.message] for f in a.flags],
          money_cols={5})
    printing.format_sheet(ws, widths=[16, 20, 20, 8, printing.money_width((f.amount for f in a.flags), 14), 58],
                          heading=head, money_cols={5})
    ws = wb.create_sheet("兑现明细")
    table(ws, ["统一社会信用代码", "企业名称", "注册地", "奖励类别", "条款", "项目或证书名称", "奖励年度", "兑现日期",
               "兑现金额(元)", "出资财政", "审批人", "申报编号", "追缴"],
          [[p.credit_code, p.company_name, p.region, category_label(pack, p.category), _measure_label(p.measure),
            p.subject, p.reward_year, p.paid_on, p.amount, "；".join(f"{k} {yuan_text(v)}" for k, v in p.payers.items()),
            p.approved_by, p.claim_id,
            "" if p.clawback is None else ("待缴回" if p.clawback.open else f"已于 {p.clawback.returned_on} 缴回")]
           for p in a.payouts],
          money_cols={9})
    printing.format_sheet(ws, widths=[20, 13, 6, 12, 6, 12, 6, 11, printing.money_width(p.amount for p in a.payouts),
                                      14, 6, 10, 7], heading=head, money_cols={9})
    return save(wb, path)


def _measure_sort(label: str) -> int:
    digits = "".join(ch for ch in label if ch.isdigit())
    return int(digits) if digits else 10**6
