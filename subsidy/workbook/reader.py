"""The application workbook (申报汇总表, SPEC 4) read into a validated :class:`Batch`.

The file is read once, with python-calamine. A file that is not a workbook at all (missing, not an .xlsx,
corrupt, encrypted, no 企业 sheet, a required column missing) raises :class:`UnreadableInput`; anything wrong
inside a row becomes an :class:`Issue` naming sheet, Excel row, column and value, and a claim row that cannot be
used becomes a :class:`RejectedRow` so that it is still one line of the output (SPEC 2.2 step 1).
"""
from __future__ import annotations

import gc
import hashlib
import io
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from python_calamine import CalamineWorkbook, PasswordError

from ..errors import UnreadableInput
from ..models import (
    AccidentLevel,
    Batch,
    Claim,
    Company,
    DepositRow,
    HqClaim,
    Issue,
    Payout,
    RejectedRow,
)
from ..policy import Category, PolicyPack
from ..text import norm_label
from ..uscc import problem
from . import guard, schema
from .cells import (
    CellError,
    cell_text,
    column_letter,
    is_blank,
    nfkc,
    parse_amount,
    parse_bool,
    parse_date,
    parse_score,
    parse_year,
)

# --------------------------------------------------------------------------- the format (SPEC 4)

COMPANY = "企业"
CLAIM = "申报事项"
HQ = "总部迁入"
DEPOSIT = "质量保证金"
HISTORY = "已兑现奖励"
SHEETS = (COMPANY, CLAIM, HQ, DEPOSIT, HISTORY)

C_ID = "申报编号"
C_CODE = "统一社会信用代码"
C_NAME = "企业名称"
C_REGION = "注册地"
C_SCORE = "信用评价分"
C_BLACKLIST = "列入黑名单"
C_WAGE = "拖欠农民工工资"
C_ACCIDENT = "质量安全事故等级"
C_FRAUD = "弄虚作假"
C_TAX = "地方留成税收(元)"
C_MOVED = "迁出日期"
C_CATEGORY = "奖励类别"
C_SUBJECT = "项目或证书名称"
C_APPROVED = "获批日期"
C_OTHER_NAME = "其他政策名称"
C_OTHER_AMOUNT = "其他政策金额(元)"
C_OTHER_PAID = "其他政策已兑现"
C_MODE = "迁入方式"
C_QUALIFICATION = "资质等级"
C_RECOGNISED = "落户认定日期"
C_FISCAL = "地方财政贡献(元)"
C_PROJECT = "项目名称"
C_SETTLEMENT = "工程价款结算总额(元)"
C_YEAR = "奖励年度"
C_PAID_ON = "兑现日期"
C_PAID = "兑现金额(元)"

#: sheet → (required columns, optional columns), from the one definition in schema.py (shared with the template);
#: an optional column that is absent reads as blank
COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    sh.name: (tuple(c.header for c in sh.columns if c.required), tuple(c.header for c in sh.columns if not c.required))
    for sh in schema.SHEETS
}
assert tuple(COLUMNS) == SHEETS

INVALID_ROW = "INVALID_ROW"
UNKNOWN_COMPANY = "UNKNOWN_COMPANY"
INVALID_COMPANY = "INVALID_COMPANY"

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_ACCIDENTS = {level.value: level for level in AccidentLevel}
_REQUIRED = "必填，不能为空"
#: at most this many other rows are named in a duplicate message (keeps the work linear)
_MAX_NAMED = 5


# --------------------------------------------------------------------------- API


def read_workbook(path: str | Path, *, pack: PolicyPack) -> Batch:
    """Read the application workbook at ``path``. Raises :class:`UnreadableInput` with one Chinese sentence."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > guard.MAX_FILE_BYTES and p.is_file():
            raise UnreadableInput(f"“{p.name}”过大（{size // guard.MB} MB，上限 {guard.MAX_FILE_BYTES // guard.MB} MB），"
                                  "不像是一份申报汇总表")
        data = p.read_bytes()
    except FileNotFoundError:
        raise UnreadableInput(f"找不到文件：{path}") from None
    except IsADirectoryError:
        raise UnreadableInput(f"“{path}”是文件夹，不是 Excel 工作簿") from None
    except PermissionError:
        raise UnreadableInput(f"没有权限读取文件：{path}") from None
    except OSError:
        raise UnreadableInput(f"无法读取文件：{path}") from None
    return read_bytes(data, pack=pack, name=p.name)


def read_bytes(data: bytes, *, pack: PolicyPack, name: str = "上传文件") -> Batch:
    """Read an application workbook given as bytes (an upload); ``name`` is used in messages."""
    sha = hashlib.sha256(data).hexdigest()
    wb = _open(data, name)
    # a bulk load makes hundreds of thousands of small objects: the cyclic collector would only rescan them
    # over and over (it doubles the time on 100k rows), so it pauses while the rows are read
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        by_name: dict[str, str] = {}
        for actual in wb.sheet_names:
            by_name.setdefault(norm_label(actual), actual)
        if COMPANY not in by_name:
            present = "、".join(f"“{s}”" for s in wb.sheet_names) or "无"
            raise UnreadableInput(f"“{name}”中没有“{COMPANY}”工作表（现有工作表：{present}）")
        # every present sheet is checked for its required columns before any row is read
        tables = {s: _load_table(wb, by_name[s], s, name) if s in by_name else _Table(s) for s in SHEETS}
        return _Reader(pack).batch(tables, sha)
    finally:
        wb.close()
        if gc_was_enabled:
            gc.enable()


# --------------------------------------------------------------------------- opening the file


def _open(data: bytes, name: str) -> CalamineWorkbook:
    label = f"“{name}”"
    if not data:
        raise UnreadableInput(f"{label}是空文件（0字节），不是 Excel 工作簿")
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_STREAM in data:
            raise UnreadableInput(f"{label}设有打开密码（已加密），请取消密码后再提交")
        raise UnreadableInput(f"{label}是旧版 Excel（.xls）等格式，不是 .xlsx 工作簿，请在 Excel 中另存为 .xlsx 后再提交")
    if not data.startswith(b"PK"):
        raise UnreadableInput(f"{label}不是 Excel 工作簿（.xlsx）文件")
    if len(data) > guard.MAX_FILE_BYTES:
        raise UnreadableInput(f"{label}过大（{len(data) // guard.MB} MB，上限 {guard.MAX_FILE_BYTES // guard.MB} MB），"
                              "不像是一份申报汇总表")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = zf.namelist()
    except Exception:  # noqa: BLE001 - any failure of the zip layer: the file is damaged
        raise UnreadableInput(f"{label}已损坏，无法作为 Excel 工作簿读取") from None
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise UnreadableInput(f"{label}不是 Excel 工作簿（.xlsx）文件")
    # zip bombs, XML entity declarations, a value cell at XFD1048576: refused before calamine allocates for them
    guard.check_package(zf, data, name, sheet_wanted=lambda s: norm_label(s) in SHEETS)
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError:
        raise UnreadableInput(f"{label}设有打开密码（已加密），请取消密码后再提交") from None
    except Exception:  # noqa: BLE001 - calamine's own errors (zip, xml): the file is damaged
        raise UnreadableInput(f"{label}已损坏，无法作为 Excel 工作簿读取") from None


@dataclass
class _Table:
    """One sheet: where its header is, which known column sits where, and its non-blank data rows."""

    sheet: str
    header_row: int | None = None
    #: (Excel row, column → raw value), produced lazily and consumed once: a sheet's rows never all sit in memory
    #: beside the models made from them
    rows: Iterable[tuple[int, dict[str, Any]]] = ()
    issues: list[Issue] = field(default_factory=list)  # about the header itself


def _quoted(names: Iterable[str]) -> str:
    return "、".join(f"“{n}”" for n in names)


def _load_table(wb: CalamineWorkbook, actual: str, sheet: str, name: str) -> _Table:
    """The sheet's header is checked now; its data rows are read later, one at a time."""
    try:
        ws = wb.get_sheet_by_name(actual)
        # iter_rows pads the rows above the used area (index i is Excel row i + 1) but starts at its first column
        it = iter(ws.iter_rows())
        col0 = ws.start[1] if ws.start else 0
    except Exception:  # noqa: BLE001 - damaged sheet XML
        raise UnreadableInput(f"“{name}”已损坏，工作表“{actual}”无法读取") from None
    required, optional = COLUMNS[sheet]
    table = _Table(sheet)
    header_i, header = None, None
    for i, r in enumerate(it):
        if not all(is_blank(c) for c in r):
            header_i, header = i, r
            break
    if header_i is None:
        if sheet == COMPANY:
            raise UnreadableInput(f"工作表“{sheet}”是空的，缺少必需的列{_quoted(required)}")
        return table  # an optional sheet left blank: no rows
    table.header_row = header_i + 1
    wanted = {norm_label(c): c for c in required + optional}
    index: dict[str, int] = {}
    for j, cell in enumerate(header):
        column = wanted.get(norm_label(cell_text(cell)))
        if column is None:
            continue  # unknown column: ignored
        if column in index:
            table.issues.append(
                Issue(
                    sheet=sheet,
                    row=header_i + 1,
                    column=column,
                    value=cell_text(cell),
                    message=f"{column}：表头中此列出现多次，只读取第一次出现的{column_letter(col0 + index[column])}列，"
                    f"忽略{column_letter(col0 + j)}列",
                )
            )
            continue
        index[column] = j
    missing = [c for c in required if c not in index]
    if missing:
        raise UnreadableInput(f"工作表“{sheet}”缺少必需的列{_quoted(missing)}（表头取第{header_i + 1}行）")
    table.rows = _data_rows(it, header_i + 1, tuple(index.items()))
    return table


def _data_rows(it: Iterator[list[Any]], first: int, columns: tuple[tuple[str, int], ...]
               ) -> Iterator[tuple[int, dict[str, Any]]]:
    for i, r in enumerate(it, start=first):
        values = {c: r[j] for c, j in columns}
        # a row blank in every column we read is skipped (remarks in unknown columns do not make a row)
        if all(is_blank(v) for v in values.values()):
            continue
        yield i + 1, values


# --------------------------------------------------------------------------- rows


class _Row:
    """One data row being read: its raw values and the issues found in its cells."""

    __slots__ = ("sheet", "row", "values", "bad")

    def __init__(self, sheet: str, row: int, values: dict[str, Any]):
        self.sheet = sheet
        self.row = row
        self.values = values
        self.bad: list[Issue] = []

    def raw(self, column: str) -> Any:
        return self.values.get(column, "")

    def text(self, column: str) -> str:
        v = self.values.get(column, "")
        return v.strip() if type(v) is str else cell_text(v)

    def fail(self, column: str, message: str, value: str | None = None) -> None:
        self.bad.append(
            Issue(
                sheet=self.sheet,
                row=self.row,
                column=column,
                value=self.text(column) if value is None else value,
                message=f"{column}：{message}",
            )
        )

    def parse(self, column: str, fn: Callable[[Any], Any], *, required: bool = False, default: Any = None) -> Any:
        v = self.values.get(column, "")
        if is_blank(v):
            if required:
                self.fail(column, _REQUIRED)
            return default
        try:
            return fn(v)
        except CellError as e:
            self.fail(column, e.message)
            return default

    def code(self, *, validate: bool) -> str:
        """统一社会信用代码 as read: NFKC, trimmed, upper case. Blank is always a bad cell."""
        code = nfkc(self.text(C_CODE)).strip().upper()
        if not code:
            self.fail(C_CODE, _REQUIRED)
        elif validate:
            why = problem(code)
            if why:
                self.fail(C_CODE, f"“{code}”无效：{why}")
        return code


def _others(rows: list[tuple[str, int]], me: tuple[str, int], *, with_sheet: bool) -> str:
    """The other rows of a duplicate group, named; at most _MAX_NAMED of them, so the work stays linear."""
    named = [r for r in rows[: _MAX_NAMED + 1] if r != me][:_MAX_NAMED]
    text = "、".join(f"“{s}”表第{n}行" if with_sheet else f"第{n}行" for s, n in named)
    rest = len(rows) - 1 - len(named)
    return text + (f"等另外{rest}行" if rest > 0 else "")


@dataclass
class _Pending:
    """A claim row read but not yet judged (duplicates are only known once every row is read)."""

    sheet: str
    row: int
    claim_id: str
    code: str
    label: str
    subject: str
    bad: list[Issue]
    build: Callable[[], Claim | HqClaim] | None


class _Reader:
    def __init__(self, pack: PolicyPack):
        self.pack = pack
        self.regions = frozenset(pack.regions) | {pack.outside_region}
        self._categories: dict[str, Category | None] = {}
        hq = next((c for c in pack.categories if c.computed), None)
        self.hq_label = hq.label if hq else HQ
        # filled while reading 企业
        self.companies: dict[str, Company] = {}
        self.invalid_rows: dict[str, list[int]] = {}

    def category(self, label: str) -> Category | None:
        """pack.category_by_label, cached per distinct raw text: 100k rows share a few labels, normalised once each."""
        try:
            return self._categories[label]
        except KeyError:
            found = self._categories[label] = self.pack.category_by_label(label)
            return found

    # ..................................................................... the batch

    def batch(self, tables: dict[str, _Table], sha: str) -> Batch:
        issues: list[Issue] = []
        companies, invalid = self.read_companies(tables[COMPANY], issues)
        claims, hq_claims, rejected = self.read_claims(tables[CLAIM], tables[HQ], issues)
        deposits, rejected_deposits = self.read_deposits(tables[DEPOSIT], issues)
        history, unreadable = self.read_history(tables[HISTORY], issues)
        return Batch(
            companies=tuple(companies),
            claims=tuple(claims),
            hq_claims=tuple(hq_claims),
            deposits=tuple(deposits),
            history=tuple(history),
            rejected=tuple(rejected),
            rejected_deposits=tuple(rejected_deposits),
            invalid_companies=tuple(invalid),
            unreadable_history=tuple(sorted(unreadable)),
            issues=tuple(issues),
            input_sha256=sha,
        )

    # ..................................................................... 企业

    def read_companies(self, table: _Table, issues: list[Issue]) -> tuple[list[Company], list[str]]:
        issues.extend(table.issues)
        read: list[tuple[_Row, str, Company | None]] = []
        rows_by_code: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for n, values in table.rows:
            r = _Row(COMPANY, n, values)
            code = r.code(validate=True)
            name = r.text(C_NAME)
            if not name:
                r.fail(C_NAME, _REQUIRED)
            region = norm_label(r.text(C_REGION))
            if region not in self.regions:
                allowed = "、".join([*self.pack.regions, self.pack.outside_region])
                if region:
                    r.fail(C_REGION, f"“{r.text(C_REGION)}”不是有效的注册地（应为：{allowed}）")
                else:
                    r.fail(C_REGION, f"{_REQUIRED}（应为：{allowed}）")
            score = r.parse(C_SCORE, parse_score)
            blacklisted = r.parse(C_BLACKLIST, parse_bool, default=False)
            wage = r.parse(C_WAGE, parse_bool, default=False)
            fraud = r.parse(C_FRAUD, parse_bool, default=False)
            accident_text = norm_label(r.text(C_ACCIDENT))
            accident = _ACCIDENTS.get(accident_text or AccidentLevel.none.value)
            if accident is None:
                r.fail(C_ACCIDENT, f"“{r.text(C_ACCIDENT)}”不是有效的事故等级（应为：{'、'.join(_ACCIDENTS)}）")
            tax = r.parse(C_TAX, parse_amount)
            moved = r.parse(C_MOVED, parse_date)
            company = None
            if not r.bad:
                company = Company(
                    credit_code=code,
                    name=name,
                    region=region,
                    credit_score=score,
                    blacklisted=blacklisted,
                    wage_arrears=wage,
                    accident=accident,
                    fraud=fraud,
                    local_retained_tax=tax,
                    moved_out_on=moved,
                    row=n,
                )
            if code:
                rows_by_code[code].append((COMPANY, n))
            read.append((r, code, company))

        companies: list[Company] = []
        for r, code, company in read:
            same = rows_by_code.get(code, ())
            if len(same) > 1:
                others = _others(same, (COMPANY, r.row), with_sheet=False)  # type: ignore[arg-type]
                r.fail(C_CODE, f"“{code}”在“{COMPANY}”表中重复出现（另见{others}），这些行都不能使用")
            issues.extend(r.bad)
            if r.bad:
                if code:
                    self.invalid_rows.setdefault(code, []).append(r.row)
            else:
                assert company is not None
                companies.append(company)
                self.companies[code] = company
        return companies, list(self.invalid_rows)

    # ..................................................................... 申报事项 and 总部迁入

    def read_claims(
        self, claims_table: _Table, hq_table: _Table, issues: list[Issue]
    ) -> tuple[list[Claim], list[HqClaim], list[RejectedRow]]:
        pending = [self._claim_row(n, v) for n, v in claims_table.rows]
        pending += [self._hq_row(n, v) for n, v in hq_table.rows]

        # the same 申报编号 on several rows (both sheets together): every one of them is unusable
        by_id: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for p in pending:
            by_id[p.claim_id].append((p.sheet, p.row))
        for p in pending:
            same = by_id[p.claim_id]
            if len(same) > 1:
                others = _others(same, (p.sheet, p.row), with_sheet=True)
                p.bad.append(
                    Issue(
                        sheet=p.sheet,
                        row=p.row,
                        column=C_ID,
                        value=p.claim_id,
                        message=f"{C_ID}：“{p.claim_id}”重复（另见{others}），重复编号的各行都不能使用",
                    )
                )

        claims: list[Claim] = []
        hq_claims: list[HqClaim] = []
        rejected: list[RejectedRow] = []
        sheet_issues = {CLAIM: claims_table.issues[:], HQ: hq_table.issues[:]}
        for p in pending:
            code = self._company_problem(p) if not p.bad else INVALID_ROW
            sheet_issues[p.sheet].extend(p.bad)
            if code is None:
                assert p.build is not None
                model = p.build()
                (claims if isinstance(model, Claim) else hq_claims).append(model)  # type: ignore[arg-type]
                continue
            rejected.append(
                RejectedRow(
                    sheet=p.sheet,
                    row=p.row,
                    claim_id=p.claim_id,
                    credit_code=p.code,
                    category_label=p.label,
                    subject=p.subject,
                    code=code,
                    message="；".join(i.message for i in p.bad),
                )
            )
        issues.extend(sheet_issues[CLAIM])
        issues.extend(sheet_issues[HQ])
        return claims, hq_claims, rejected

    def _company_problem(self, p: _Pending) -> str | None:
        """None when the row's company is a good 企业 row; else the RejectedRow code, with its issue added."""
        code = p.code
        if code in self.companies:
            return None
        value = code
        if code in self.invalid_rows:
            rows = "、".join(str(n) for n in self.invalid_rows[code][:_MAX_NAMED])
            msg = f"企业“{code}”在“{COMPANY}”表中的信息有误（见“{COMPANY}”表第{rows}行），本行待企业信息更正后处理"
            result = INVALID_COMPANY
        else:
            why = problem(code)
            if why is None:
                msg = f"“{COMPANY}”表中没有统一社会信用代码为“{code}”的企业"
                result = UNKNOWN_COMPANY
            else:
                msg = f"“{code}”无效：{why}（“{COMPANY}”表中也没有该企业）"
                result = INVALID_ROW
        p.bad.append(Issue(sheet=p.sheet, row=p.row, column=C_CODE, value=value, message=f"{C_CODE}：{msg}"))
        return result

    def _claim_row(self, n: int, values: dict[str, Any]) -> _Pending:
        r = _Row(CLAIM, n, values)
        claim_id = r.text(C_ID) or f"{CLAIM}:{n}"
        code = r.code(validate=False)  # judged against 企业 afterwards (SPEC 2.2 step 1)
        label = r.text(C_CATEGORY)
        category = None
        if not label:
            r.fail(C_CATEGORY, _REQUIRED)
        else:
            category = self.category(label)
            if category is None:
                r.fail(C_CATEGORY, f"“{label}”不是本政策的奖励类别")
            elif category.computed:
                r.fail(C_CATEGORY, f"“{label}”请填在“{HQ}”表，不能在“{CLAIM}”表申报")
                category = None
        subject = r.text(C_SUBJECT)
        if category is not None and category.key == "subject" and not subject:
            r.fail(C_SUBJECT, f"{_REQUIRED}（“{category.label}”按项目或证书逐项奖励）")
        approved = r.parse(C_APPROVED, parse_date, required=True)
        other_name = r.text(C_OTHER_NAME)
        other_amount = r.parse(C_OTHER_AMOUNT, parse_amount, default=Decimal("0.00"))
        other_paid = r.parse(C_OTHER_PAID, parse_bool, default=False)

        build = None
        if not r.bad:
            assert category is not None

            def build() -> Claim:
                return Claim.trusted(
                    claim_id=claim_id,
                    credit_code=code,
                    category=category.code,
                    subject=subject,
                    approved_on=approved,
                    other_policy_name=other_name,
                    other_policy_amount=other_amount,
                    other_policy_paid=other_paid,
                    row=n,
                )

        return _Pending(CLAIM, n, claim_id, code, label, subject, r.bad, build)

    def _hq_row(self, n: int, values: dict[str, Any]) -> _Pending:
        r = _Row(HQ, n, values)
        claim_id = r.text(C_ID) or f"{HQ}:{n}"
        code = r.code(validate=False)
        mode = r.text(C_MODE)  # judged by the engine (HQ_QUALIFICATION), blank included
        qualification = r.text(C_QUALIFICATION)
        recognised = r.parse(C_RECOGNISED, parse_date, required=True)
        fiscal = r.parse(C_FISCAL, parse_amount, required=True)

        build = None
        if not r.bad:

            def build() -> HqClaim:
                return HqClaim(
                    claim_id=claim_id,
                    credit_code=code,
                    mode=mode,
                    qualification=qualification,
                    recognised_on=recognised,
                    fiscal_contribution=fiscal,
                    row=n,
                )

        return _Pending(HQ, n, claim_id, code, self.hq_label, "", r.bad, build)

    # ..................................................................... 质量保证金

    def read_deposits(self, table: _Table, issues: list[Issue]) -> tuple[list[DepositRow], list[RejectedRow]]:
        issues.extend(table.issues)
        deposits: list[DepositRow] = []
        rejected: list[RejectedRow] = []
        for n, values in table.rows:
            r = _Row(DEPOSIT, n, values)
            code = r.code(validate=False)
            project = r.text(C_PROJECT)
            if not project:
                r.fail(C_PROJECT, _REQUIRED)
            amount = r.parse(C_SETTLEMENT, parse_amount, required=True)
            p = _Pending(DEPOSIT, n, f"{DEPOSIT}:{n}", code, "", project, r.bad, None)
            status = self._company_problem(p) if not r.bad else INVALID_ROW
            issues.extend(r.bad)
            if status is None:
                deposits.append(DepositRow(credit_code=code, project=project, settlement_amount=amount, row=n))
            else:
                rejected.append(
                    RejectedRow(
                        sheet=DEPOSIT,
                        row=n,
                        claim_id=p.claim_id,
                        credit_code=code,
                        subject=project,
                        code=status,
                        message="；".join(i.message for i in r.bad),
                    )
                )
        return deposits, rejected

    # ..................................................................... 已兑现奖励

    def read_history(self, table: _Table, issues: list[Issue]) -> tuple[list[Payout], set[str]]:
        issues.extend(table.issues)
        history: list[Payout] = []
        unreadable: set[str] = set()
        for n, values in table.rows:
            r = _Row(HISTORY, n, values)
            code = r.code(validate=True)
            label = r.text(C_CATEGORY)
            category = None
            if not label:
                r.fail(C_CATEGORY, _REQUIRED)
            else:
                category = self.category(label)
                if category is None:
                    r.fail(C_CATEGORY, f"“{label}”不是本政策的奖励类别，也不是“{self.hq_label}”")
            subject = r.text(C_SUBJECT)
            year = r.parse(C_YEAR, parse_year, required=True)
            paid_on = r.parse(C_PAID_ON, parse_date, required=True)
            amount = r.parse(C_PAID, parse_amount, required=True)
            if r.bad:
                issues.extend(r.bad)
                if code and problem(code) is None:
                    unreadable.add(code)
                continue
            assert category is not None
            history.append(
                Payout(
                    credit_code=code,
                    category=category.code,
                    subject=subject,
                    reward_year=year,
                    paid_on=paid_on,
                    amount=amount,
                    source=HISTORY,
                    row=n,
                )
            )
        return history, unreadable


# --------------------------------------------------------------------------- 已兑现奖励 alone (`ledger import`)


@dataclass(frozen=True)
class HistoryWorkbook:
    """The 已兑现奖励 sheet of a workbook, read for ``subsidy ledger import``."""

    name: str  # the file's name, for messages
    sha256: str
    payouts: tuple[Payout, ...]  # the rows that could be read
    issues: tuple[Issue, ...]  # every problem of the sheet (an unreadable row, a repeated header)
    companies: dict[str, tuple[str, str]]  # 统一社会信用代码 → (企业名称, 注册地), from the 企业 sheet when it has them


def read_history_workbook(path: str | Path, *, pack: PolicyPack) -> HistoryWorkbook:
    """Read the 已兑现奖励 sheet of ``path``: a sheet as ``ledger export`` writes it, or a whole 申报汇总表. The
    企业 sheet is optional here and only gives company names and 注册地. Raises :class:`UnreadableInput`."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > guard.MAX_FILE_BYTES and p.is_file():
            raise UnreadableInput(f"“{p.name}”过大（{size // guard.MB} MB，上限 {guard.MAX_FILE_BYTES // guard.MB} MB），"
                                  "不像是一份已兑现奖励表")
        data = p.read_bytes()
    except FileNotFoundError:
        raise UnreadableInput(f"找不到文件：{path}") from None
    except IsADirectoryError:
        raise UnreadableInput(f"“{path}”是文件夹，不是 Excel 工作簿") from None
    except PermissionError:
        raise UnreadableInput(f"没有权限读取文件：{path}") from None
    except OSError:
        raise UnreadableInput(f"无法读取文件：{path}") from None
    sha = hashlib.sha256(data).hexdigest()
    wb = _open(data, p.name)
    try:
        by_name: dict[str, str] = {}
        for actual in wb.sheet_names:
            by_name.setdefault(norm_label(actual), actual)
        if HISTORY not in by_name:
            present = "、".join(f"“{s}”" for s in wb.sheet_names) or "无"
            raise UnreadableInput(f"“{p.name}”中没有“{HISTORY}”工作表（现有工作表：{present}）")
        reader = _Reader(pack)
        issues: list[Issue] = []
        payouts, _ = reader.read_history(_load_table(wb, by_name[HISTORY], HISTORY, p.name), issues)
        companies: dict[str, tuple[str, str]] = {}
        if COMPANY in by_name:
            try:
                table = _load_table(wb, by_name[COMPANY], COMPANY, p.name)
            except UnreadableInput:
                table = _Table(COMPANY)  # names are a courtesy: a 企业 sheet that cannot be read gives none
            for n, values in table.rows:
                r = _Row(COMPANY, n, values)
                code = nfkc(r.text(C_CODE)).strip().upper()
                region = norm_label(r.text(C_REGION))
                if code and code not in companies:
                    companies[code] = (r.text(C_NAME), region if region in reader.regions else "")
        return HistoryWorkbook(name=p.name, sha256=sha, payouts=tuple(payouts), issues=tuple(issues),
                               companies=companies)
    finally:
        wb.close()
