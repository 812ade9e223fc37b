"""The application workbook (申报汇总表, SPEC 4) read into a validated :class:`Batch`.

The file is read once, with python-calamine. The input contract (SPEC 4) — nothing that can change money is
dropped silently — is enforced before any row is read. These refuse the whole file with
:class:`UnreadableInput` (one Chinese sentence naming the sheet or column and the nearest expected name):

* not a regular file, too large, not an OOXML workbook (.xls, .xlsb, .ods, anything else — judged by content);
* no 企业 sheet; two sheets whose names are equal after NFKC and removing all white space;
* a sheet that carries data but is none of the five (nor the template's 填表说明, nor merge's 收件清单);
* a hidden or very hidden sheet that carries data;
* a sheet without one of its columns.

What is read but not used is shown, never dropped: unrecognised columns (and data under a blank header), rows
above the header, absent optional sheets become issues and notices. Anything wrong inside a row becomes an
:class:`Issue` naming sheet, Excel row, column and value; a claim row that cannot be used becomes a
:class:`RejectedRow` so that it is still one line of the output (SPEC 2.2 step 1) — an error cell (#N/A) or a
formula without a computed value included.
"""
from __future__ import annotations

import ctypes
import datetime as dt
import difflib
import hashlib
import io
import zipfile
from concurrent.futures import Future, ThreadPoolExecutor
from operator import itemgetter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from python_calamine import CalamineWorkbook, PasswordError, SheetTypeEnum, SheetVisibleEnum

from ..errors import UnreadableInput
from ..gcpause import paused_gc
from ..models import (
    AccidentLevel,
    Batch,
    Claim,
    Company,
    DepositRow,
    HqClaim,
    Issue,
    Payout,
    Reason,
    RejectedRow,
    Rows,
    trusted,
)
from ..paths import read_input
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
GUIDE = "填表说明"  # the template's instructions
RECEIPTS = "收件清单"  # what `subsidy merge` received
#: sheets a workbook may carry that assess does not read
IGNORED_SHEETS = (GUIDE, RECEIPTS)

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

#: sheet → its columns, from the one definition in schema.py (shared with the template); every one must be in the
#: header (SPEC 4: a missing column refuses the file — an absent 列入黑名单 must never read as 否)
COLUMNS: dict[str, tuple[str, ...]] = {sh.name: tuple(c.header for c in sh.columns) for sh in schema.SHEETS}
assert tuple(COLUMNS) == SHEETS
#: how many non-blank rows may stand above the header (a title): beyond that the header is not found
_MAX_TITLE_ROWS = 5

#: what an absent optional sheet means for the result (SPEC 4: named in the summary and 汇总)
_ABSENT = {
    CLAIM: "本次没有资质、荣誉、基地、技术中心、标准、工法的申报",
    HQ: "本次没有总部迁入奖励的申报",
    DEPOSIT: "本次不计算工程质量保证金",
    HISTORY: "没有往年已兑现奖励的记录",
}

INVALID_ROW = "INVALID_ROW"
UNKNOWN_COMPANY = "UNKNOWN_COMPANY"
INVALID_COMPANY = "INVALID_COMPANY"

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_ACCIDENTS = {level.value: level for level in AccidentLevel}
_DATE = dt.date
#: the yes/no cells as they are usually typed (is, blank); anything else goes through cells.parse_bool
_BOOLS = {"是": True, "否": False, "": False}


def _plain_bool(v: Any) -> bool:
    """A 是/否 cell read as the general path reads it (blank = 否); CellError for a bad one (the caller then takes
    the general path, which names it)."""
    found = _BOOLS.get(v) if v.__class__ is str else None
    if found is not None:
        return found
    return False if is_blank(v) else parse_bool(v)


_REQUIRED = "必填，不能为空"
_ZERO_AMOUNT = Decimal("0.00")
#: a claim's values in the model's order, from the general path's dict of them
_CLAIM_VALUES = itemgetter(*Claim.model_fields)
_UNSEEN = object()
#: at most this many other rows are named in a duplicate message (keeps the work linear)
_MAX_NAMED = 5


# --------------------------------------------------------------------------- API


def read_workbook(path: str | Path, *, pack: PolicyPack) -> Batch:
    """Read the application workbook at ``path``. Raises :class:`UnreadableInput` with one Chinese sentence."""
    data = read_input(path, max_bytes=guard.MAX_FILE_BYTES, what="申报汇总表")
    return read_bytes(data, pack=pack, name=Path(path).name)


def read_bytes(data: bytes, *, pack: PolicyPack, name: str = "上传文件") -> Batch:
    """Read an application workbook given as bytes (an upload); ``name`` is used in messages."""
    sha = hashlib.sha256(data).hexdigest()
    wb, package = _open(data, name)
    try:
        # a bulk load makes hundreds of thousands of small objects: the cyclic collector would only rescan them
        # over and over (it doubles the time on 100k rows), so it pauses while the rows are read (subsidy.gcpause)
        with paused_gc():
            by_name = _sheet_contract(wb, name, package)
            # a sheet is loaded when its rows are about to be read (the next one meanwhile: _Sheets), and its cells
            # are freed once they are read: at most two sheets sit in calamine's memory at a time (a missing column
            # still refuses the file)
            with _Sheets(wb, [by_name[s] for s in SHEETS if s in by_name]) as sheets:
                tables = _Tables(lambda s: _load_table(sheets.get, by_name[s], s, name,
                                                       package.odd_cells.get(by_name[s], {}))
                                 if s in by_name else _Table(s, present=False))
                return _Reader(pack).batch(tables, sha)
    finally:
        wb.close()
        release_freed_memory()


class _Sheets:
    """The sheets of a workbook parsed by calamine in a thread of their own, in the order they are read (``order``,
    their names in the workbook): while the rows of one are being turned into claims, calamine — which lets go of
    the interpreter while it parses — parses the next. One worker: the workbook is never used by two threads at
    once, and only the sheet being read and the next one sit in calamine's memory."""

    def __init__(self, wb: CalamineWorkbook, order: list[str]):
        self.wb, self.order = wb, order
        _one_malloc_arena()
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="subsidy calamine")
        self.pending: dict[str, Future] = {}
        self.taken: set[str] = set()

    def get(self, actual: str):
        """The sheet named ``actual``, parsed (calamine's errors are raised here, in the caller's thread)."""
        found = self.pending.pop(actual, None) or self.pool.submit(self.wb.get_sheet_by_name, actual)
        self.taken.add(actual)
        later = self.order[self.order.index(actual) + 1:] if actual in self.order else []
        upcoming = next((s for s in later if s not in self.taken), None)
        if upcoming is not None and upcoming not in self.pending:
            self.pending[upcoming] = self.pool.submit(self.wb.get_sheet_by_name, upcoming)
        return found.result()

    def __enter__(self) -> "_Sheets":
        return self

    def __exit__(self, *exc) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)  # before the workbook is closed


class _Tables(dict):
    """sheet → its _Table, loaded on first use."""

    def __init__(self, load: Callable[[str], "_Table"]):
        super().__init__()
        self.load = load

    def __missing__(self, sheet: str) -> "_Table":
        table = self[sheet] = self.load(sheet)
        return table


def _one_malloc_arena() -> None:
    """Let every thread allocate from glibc's main arena (mallopt M_ARENA_MAX = 1). calamine's cells are made in the
    _Sheets thread and freed in the reading one: in an arena of their own, that memory could not serve the claims
    built meanwhile, and the peak at 100k rose by 25 MB. Elsewhere than glibc there is nothing to call."""
    try:
        ctypes.CDLL(None).mallopt(-8, 1)  # M_ARENA_MAX (malloc.h)
    except (AttributeError, OSError):
        pass


def release_freed_memory() -> None:
    """Hand the C heap's free pages back to the system (glibc's malloc_trim). calamine's cells are many small C
    allocations, freed once read; without this the process keeps their pages (tens of MB at 100k claims) for the
    rest of the run. Elsewhere than glibc there is nothing to call, and nothing happens."""
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):
        pass


def _nearest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate closest to ``name`` (normalised), or None when nothing is close at all."""
    pool = {norm_label(c): c for c in candidates if norm_label(c)}
    found = difflib.get_close_matches(norm_label(name), list(pool), n=1, cutoff=0.5)
    return pool[found[0]] if found else None


def _sheet_contract(wb: CalamineWorkbook, name: str, package: guard.PackageInfo, *,
                    require: str = COMPANY) -> dict[str, str]:
    """SPEC 4's rules on sheets: which sheet is which (normalised name → actual name), or a refusal. ``require``
    is the sheet the file cannot do without (企业 for an application workbook, 已兑现奖励 for a ledger import)."""
    label = f"“{name}”"
    try:
        meta = list(wb.sheets_metadata)
    except Exception:  # noqa: BLE001
        raise UnreadableInput(f"{label}已损坏，无法读取其工作表列表") from None
    by_norm: dict[str, str] = {}
    for m in meta:
        key = norm_label(m.name)
        if key in by_norm:
            raise UnreadableInput(
                f"{label}中有两个工作表的名称去掉空格后相同：“{by_norm[key]}”和“{m.name}”，无法确定该读取哪一个，"
                "请删除或改名其中一个")
        by_norm[key] = m.name
    known = {*SHEETS, *IGNORED_SHEETS}
    for m in meta:
        if m.typ != SheetTypeEnum.WorkSheet:
            continue  # a chart sheet holds no cells
        key = norm_label(m.name)
        hidden = m.visible != SheetVisibleEnum.Visible
        if not hidden and key in known:
            continue
        if m.name not in package.valued and not package.odd_cells.get(m.name):
            continue  # an empty sheet changes nothing (e.g. the Sheet1 Excel adds); judged from the XML, so a
            # sheet assess never reads is not loaded just to be looked at
        if hidden:
            kind = "深度隐藏" if m.visible == SheetVisibleEnum.VeryHidden else "隐藏"
            raise UnreadableInput(
                f"{label}中的工作表“{m.name}”是{kind}的，但其中有数据：隐藏的数据既不能核定也不能忽略，"
                "请取消隐藏并核对后保留在规定的表中，或删除该表")
        near = _nearest(m.name, SHEETS)
        hint = f"（最接近的规定表名是“{near}”）" if near else ""
        raise UnreadableInput(
            f"{label}中有无法识别的工作表“{m.name}”{hint}，其中的数据不会被核定：请改为规定的表名"
            f"（{'、'.join(SHEETS)}），或删除该表")
    if require not in by_norm:
        present = "、".join(f"“{m.name}”" for m in meta) or "无"
        raise UnreadableInput(f"{label}中没有“{require}”工作表（现有工作表：{present}）")
    return {key: actual for key, actual in by_norm.items() if key in SHEETS}


# --------------------------------------------------------------------------- opening the file


def _open(data: bytes, name: str) -> tuple[CalamineWorkbook, guard.PackageInfo]:
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
    # only an OOXML workbook reaches calamine, whatever the file is called: calamine would open .xlsb and .ods
    # too, and an .xlsb cell at XFD1048576 aborts the process before any guard of ours could see it
    if "mimetype" in names and b"opendocument" in _small(zf, "mimetype"):
        raise UnreadableInput(f"{label}是 OpenDocument 表格（.ods），不是 .xlsx 工作簿，请另存为 .xlsx 后再提交")
    if "xl/workbook.bin" in names:
        raise UnreadableInput(f"{label}是 Excel 二进制工作簿（.xlsb），不是 .xlsx 工作簿，请另存为 .xlsx 后再提交")
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise UnreadableInput(f"{label}不是 Excel 工作簿（.xlsx）文件")
    # zip bombs, XML entity declarations, a value cell at XFD1048576: refused before calamine allocates for them;
    # every sheet but the ones assess never reads (填表说明, 收件清单) is checked
    package = guard.check_package(zf, data, name, sheet_wanted=lambda s: norm_label(s) not in IGNORED_SHEETS)
    try:
        return CalamineWorkbook.from_filelike(io.BytesIO(data)), package
    except PasswordError:
        raise UnreadableInput(f"{label}设有打开密码（已加密），请取消密码后再提交") from None
    except Exception:  # noqa: BLE001 - calamine's own errors (zip, xml): the file is damaged
        raise UnreadableInput(f"{label}已损坏，无法作为 Excel 工作簿读取") from None


def _small(zf: zipfile.ZipFile, part: str) -> bytes:
    try:
        with zf.open(part) as f:
            return f.read(200)
    except Exception:  # noqa: BLE001
        return b""


class ErrorCell(str):
    """A cell calamine reads as blank although it is not: an error value (#N/A) or a formula never computed."""

    __slots__ = ()


@dataclass
class _Table:
    """One sheet: where its header is, which known column sits where, and its non-blank data rows."""

    sheet: str
    present: bool = True
    header_row: int | None = None
    #: (Excel row, the raw values of the columns read), produced lazily and consumed once: a sheet's rows never all
    #: sit in memory beside the models made from them
    rows: Iterable[tuple[int, tuple]] = ()
    issues: list[Issue] = field(default_factory=list)  # about the header itself
    #: headers the sheet has that the reader does not read (shown in the summary and 数据问题)
    unknown_columns: list[str] = field(default_factory=list)
    #: column letter → first Excel row with data under a blank header (filled while the rows are read)
    stray: dict[str, int] = field(default_factory=dict)
    #: the sheet has error cells or uncalculated formulas (only then are its rows searched for them)
    odd: bool = False
    #: the columns read, in the order of the sheet's header: each row of ``rows`` is a tuple in this order
    names: tuple[str, ...] = ()
    #: a row of ``rows`` → its values in the order of COLUMNS[sheet] (the fast paths unpack it)
    in_order: Callable[[tuple], tuple] | None = None

    def values(self, row: tuple) -> dict[str, Any]:
        """column → raw value of one row of ``rows``, in the order of the header."""
        return dict(zip(self.names, row))


def _quoted(names: Iterable[str]) -> str:
    return "、".join(f"“{n}”" for n in names)


def _load_table(parse: Callable[[str], Any], actual: str, sheet: str, name: str,
                odd: dict[tuple[int, int], str]) -> _Table:
    """The sheet's header is checked now; its data rows are read later, one at a time. ``parse``: the sheet of the
    workbook by its name (CalamineWorkbook.get_sheet_by_name, or _Sheets.get)."""
    try:
        ws = parse(actual)
        # iter_rows pads the rows above the used area (index i is Excel row i + 1) but starts at its first column
        it = iter(ws.iter_rows())
        col0 = ws.start[1] if ws.start else 0
    except Exception:  # noqa: BLE001 - damaged sheet XML
        raise UnreadableInput(f"“{name}”已损坏，工作表“{actual}”无法读取") from None
    columns = COLUMNS[sheet]
    table = _Table(sheet, odd=bool(odd))
    wanted = {norm_label(c): c for c in columns}
    # the header is the first non-blank row that names a column of the sheet; a title above it is shown
    header_i, header = None, None
    above: list[tuple[int, list[Any]]] = []
    for i, r in enumerate(it):
        if all(is_blank(c) for c in r) and not any((i + 1, col0 + j) in odd for j in range(len(r))):
            continue
        if any(norm_label(cell_text(c)) in wanted for c in r) or len(above) >= _MAX_TITLE_ROWS:
            header_i, header = i, r
            break
        above.append((i, r))
    if header_i is None and above:  # no row names a column: the first non-blank row is the header that is wrong
        header_i, header = above.pop(0)
        above = []
    if header_i is None:
        if sheet == COMPANY:
            raise UnreadableInput(f"工作表“{sheet}”是空的，缺少必需的列{_quoted(columns)}")
        return table  # an optional sheet left blank: no rows
    table.header_row = header_i + 1
    for i, r in above:
        text = " ".join(cell_text(c) for c in r if not is_blank(c))
        table.issues.append(Issue(sheet=sheet, row=i + 1, column=None, value=text,
                                  message=f"表头（第{header_i + 1}行）上方的第{i + 1}行不是数据，视为标题，未读取"))
    index: dict[str, int] = {}
    blank_header: list[int] = []
    for j, cell in enumerate(header):
        text = cell_text(cell)
        column = wanted.get(norm_label(text))
        if column is None:
            if is_blank(cell):
                blank_header.append(j)
            else:
                table.unknown_columns.append(text)
                table.issues.append(Issue(
                    sheet=sheet, row=header_i + 1, column=text, value=text,
                    message=f"未识别的列“{text}”（{column_letter(col0 + j)}列）：不是本表规定的列，未读取，不影响核定"))
            continue
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
    missing = [c for c in columns if c not in index]
    if missing:
        near = [(c, n) for c in missing if (n := _nearest(c, table.unknown_columns))]
        hint = "".join(f"；表头中的“{n}”不是规定的列名，是否就是“{c}”？" for c, n in near[:3])
        raise UnreadableInput(f"工作表“{sheet}”缺少列{_quoted(missing)}（表头在第{header_i + 1}行{hint}）")
    table.names = tuple(index)
    table.in_order = itemgetter(*(table.names.index(c) for c in columns))
    table.rows = _data_rows(it, header_i + 1, tuple(index.items()), col0=col0, odd=odd,
                            blank_header=tuple(blank_header), stray=table.stray, width=len(header))
    return table


def _data_rows(it: Iterator[list[Any]], first: int, columns: tuple[tuple[str, int], ...], *, col0: int,
               odd: dict[tuple[int, int], str], blank_header: tuple[int, ...], stray: dict[str, int],
               width: int) -> Iterator[tuple[int, tuple]]:
    places = tuple(j for _, j in columns)
    pick = itemgetter(*places) if len(places) > 1 else (lambda r, j=places[0]: (r[j],))
    unread: tuple[int, ...] = ()  # the places of the row not read: under a blank header, or right of the header
    length = -1
    odd_rows = {row for row, _ in odd}
    for i, r in enumerate(it, start=first):
        values = pick(r)
        if odd_rows and i + 1 in odd_rows:  # error values and uncalculated formulas read as blank: put back what
            # they are
            marks = [odd.get((i + 1, col0 + j)) for j in places]
            if any(m is not None for m in marks):
                values = tuple(v if m is None else ErrorCell(m) for v, m in zip(values, marks))
        # data under a blank header, or right of the header, is not read: noted (once per column) to be shown
        if len(r) != length:
            length = len(r)
            unread = tuple(j for j in (*blank_header, *range(width, length)) if j < length)
        if unread:
            for j in unread:
                if not is_blank(r[j]):
                    stray.setdefault(column_letter(col0 + j), i + 1)
        # a row blank in every column we read is skipped (remarks in unknown columns do not make a row); most rows
        # begin with a text that is not blank, and are not blank without a look at the rest
        v = values[0]
        if (v.__class__ is not str or not v or v.isspace()) and _blank(values):
            continue
        yield i + 1, values


def _blank(values: Iterable[Any]) -> bool:
    """Every value blank (cells.is_blank), in one loop: most rows stop at their first cell."""
    for v in values:
        if v.__class__ is str:
            if v and not v.isspace():
                return False
        elif v is not None:
            return False
    return True


# --------------------------------------------------------------------------- rows


_NO_ERRORS: frozenset[str] = frozenset()


class _Row:
    """One data row being read: its raw values and the issues found in its cells."""

    __slots__ = ("sheet", "row", "values", "bad", "errors")

    def __init__(self, sheet: str, row: int, values: dict[str, Any], *, odd: bool = True):
        """``odd``: the sheet has error cells or uncalculated formulas (guard.PackageInfo.odd_cells) somewhere."""
        self.sheet = sheet
        self.row = row
        self.values = values
        self.bad: list[Issue] = []
        self.errors: frozenset[str] = _NO_ERRORS
        if not odd:
            return
        marked = [c for c, v in values.items() if type(v) is ErrorCell]
        if marked:  # each error cell is named once; the rest of the row reads it as blank without a second message
            self.errors = frozenset(marked)
            for c in marked:
                v = str(values[c])
                what = "公式没有计算结果（请在 Excel 中打开、重新计算并保存后再提交）" if v == guard.UNCALCULATED \
                    else f"单元格是错误值“{v}”，请更正后再提交"
                self.bad.append(Issue(sheet=sheet, row=row, column=c, value=v, message=f"{c}：{what}"))
                values[c] = ""

    def raw(self, column: str) -> Any:
        return self.values.get(column, "")

    def text(self, column: str) -> str:
        v = self.values.get(column, "")
        return v.strip() if type(v) is str else cell_text(v)

    def fail(self, column: str, message: str, value: str | None = None) -> None:
        if column in self.errors:
            return  # the cell's error value is already named: nothing more is known of it
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


@dataclass(slots=True)
class _Pending:
    """A claim row read but not yet judged (duplicates are only known once every row is read)."""

    sheet: str
    row: int
    claim_id: str
    code: str
    label: str
    subject: str
    bad: list[Issue]
    #: the row's fields for the model (Claim on 申报事项, HqClaim on 总部迁入) but its company's code, None when bad
    fields: dict[str, Any] | None


# The fast paths. Most rows of a real batch hold, in every cell, the plain kind its column expects (a text code, a
# known category, a date, a blank or a number). _company_fast, _claim_fast, _payout_fast and the first branch of
# read_deposits read such a row with the same cell parsers as the general path (_Row), without its bookkeeping —
# 100k claims in a fraction of the time. Whatever they do not recognise (a blank required cell, a value a parser
# refuses or would normalise, an unknown company, a sheet with error cells) goes to the general path, which reads
# the row again and names every problem: the result is the same either way (tests/test_reader_fast.py).


class _Reader:
    def __init__(self, pack: PolicyPack):
        self.pack = pack
        self.regions = frozenset(pack.regions) | {pack.outside_region}
        self.region_names = {r: r for r in self.regions}  # the policy's own str object for each 注册地
        self._categories: dict[str, Category | None] = {}
        hq = next((c for c in pack.categories if c.computed), None)
        self.hq_label = hq.label if hq else HQ
        # filled while reading 企业
        self.companies: dict[str, Company] = {}
        #: a good company's code → its own str object (the Company's credit_code): the fast paths look codes up
        #: here, without touching the Company (100k lookups: one cache miss fewer each)
        self.codes: dict[str, str] = {}
        self.invalid_rows: dict[str, list[int]] = {}
        #: each distinct text of a 项目或证书名称 cell, once: 100k rows name far fewer projects, and one object per
        #: text keeps the batch small and makes the engine's comparisons of subjects identity checks
        self._texts: dict[str, str] = {}
        #: 企业 and 已兑现奖励 rows that could not be used (claims and deposits are RejectedRows)
        self.bad_rows: list[tuple[str, int, str]] = []

    def same(self, text: str) -> str:
        """The one str object for ``text`` (see _texts)."""
        return self._texts.setdefault(text, text)

    def firm_code(self, code: str) -> str:
        """The company's own str object for its code (a good 企业 row's), else ``code``: one object per company."""
        return self.codes.get(code, code)

    def unknown_category(self, label: str, *, also: str = "") -> str:
        """Why ``label`` is not a category: ambiguous (naming each reading), or not one of the policy's."""
        readings = self.pack.ambiguous_readings(label)
        if readings:
            named = "或".join(f"“{c.label}”（{c.article}，{c.standard_amount(self.pack.validity_start):,.0f} 元）"
                             for c in readings)
            return f"“{label}”有歧义：可能是{named}，请填写完整的奖励类别"
        return f"“{label}”不是本政策的奖励类别{also}"

    def category(self, label: str) -> Category | None:
        """pack.category_by_label, cached per distinct raw text: 100k rows share a few labels, normalised once each."""
        found = self._categories.get(label, _UNSEEN)
        if found is _UNSEEN:
            found = self._categories[label] = self.pack.category_by_label(label)
        return found  # type: ignore[return-value]

    # ..................................................................... the batch

    def batch(self, tables: dict[str, _Table], sha: str) -> Batch:
        issues: list[Issue] = []
        companies, invalid = self.read_companies(tables[COMPANY], issues)
        claims, hq_claims, rejected = self.read_claims(tables[CLAIM], tables[HQ], issues)
        deposits, rejected_deposits = self.read_deposits(tables[DEPOSIT], issues)
        history, unreadable = self.read_history(tables[HISTORY], issues)
        bad_rows = [*self.bad_rows, *((r.sheet, r.row, r.credit_code) for r in (*rejected, *rejected_deposits))]
        notices: list[Reason] = []
        absent = [s for s in SHEETS if not tables[s].present]
        for s in absent:
            notices.append(Reason(code="ABSENT_SHEET", message=f"申报汇总表中没有“{s}”表：{_ABSENT[s]}"))
        not_read: list[str] = []
        for s in SHEETS:
            t = tables[s]
            for letter, row in t.stray.items():  # known only now that the rows have been read
                issues.append(Issue(sheet=s, row=row, column=f"{letter}列", value="",
                                    message=f"{letter}列没有表头，其中的数据（第{row}行起）未读取，不影响核定；"
                                            "如是申报数据，请填入规定的列"))
            names = [*(f"“{c}”" for c in t.unknown_columns), *(f"{letter}列（无表头）" for letter in t.stray)]
            if names:
                not_read.append(f"“{s}”表的{'、'.join(names)}")
        if not_read:
            notices.append(Reason(code="UNKNOWN_COLUMNS",
                                  message=f"以下列不是规定的列，未读取（见数据问题表）：{'；'.join(not_read)}"))
        # built without validation: every part was read and checked field by field, and validating would turn
        # the claims' columns (models.Rows) into 100k objects
        return trusted(Batch, {
            "companies": tuple(companies),
            "claims": claims,
            "hq_claims": tuple(hq_claims),
            "deposits": tuple(deposits),
            "history": tuple(history),
            "rejected": tuple(rejected),
            "rejected_deposits": tuple(rejected_deposits),
            "invalid_companies": tuple(invalid),
            "unreadable_history": tuple(sorted(unreadable)),
            "issues": tuple(issues),
            "bad_rows": tuple(sorted(bad_rows, key=lambda b: (SHEETS.index(b[0]), b[1]))),
            "input_sha256": sha,
            "notices": tuple(notices),
            "absent_sheets": tuple(absent),
            "history_given": tables[HISTORY].present,
        })

    # ..................................................................... 企业

    def read_companies(self, table: _Table, issues: list[Issue]) -> tuple[list[Company], list[str]]:
        issues.extend(table.issues)
        # (Excel row, raw values, the row read by the general path or None, code, company or None)
        read: list[tuple[int, tuple, _Row | None, str, Company | None]] = []
        first: dict[str, int] = {}  # code → its first row
        twice: dict[str, list[tuple[str, int]]] = {}  # code → its rows, for a code on several rows
        fast = table.in_order if not table.odd else None
        for n, values in table.rows:
            company = self._company_fast(n, fast(values)) if fast else None
            if company is not None:
                r, code = None, company.credit_code
            else:
                r = _Row(COMPANY, n, table.values(values), odd=table.odd)
                code, company = self._company_row(r)
            if code:
                m = first.setdefault(code, n)
                if m != n:
                    twice.setdefault(code, [(COMPANY, m)]).append((COMPANY, n))
            read.append((n, values, r, code, company))
        del first

        companies: list[Company] = []
        for n, values, r, code, company in read:
            same = twice.get(code) if twice else None
            if same is not None:
                if r is None:
                    r = _Row(COMPANY, n, table.values(values), odd=table.odd)
                others = _others(same, (COMPANY, n), with_sheet=False)  # type: ignore[arg-type]
                r.fail(C_CODE, f"“{code}”在“{COMPANY}”表中重复出现（另见{others}），这些行都不能使用")
            if r is not None and r.bad:
                issues.extend(r.bad)
                self.bad_rows.append((COMPANY, n, code))
                if code:
                    self.invalid_rows.setdefault(code, []).append(n)
            else:
                assert company is not None
                companies.append(company)
                self.companies[code] = company
                self.codes[code] = company.credit_code
        return companies, list(self.invalid_rows)

    def _company_row(self, r: _Row) -> tuple[str, Company | None]:
        """The general path: every cell read and judged, every problem an issue of ``r``."""
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
        if r.bad:
            return code, None
        return code, self._company(code, name, region, score, blacklisted, wage, accident, fraud, tax, moved, r.row)

    def _company(self, code: str, name: str, region: str, score: Decimal | None, blacklisted: bool, wage: bool,
                 accident: AccidentLevel, fraud: bool, tax: Decimal | None, moved: dt.date | None,
                 n: int) -> Company:
        # every cell checked by the caller: built without validating again
        return trusted(Company, {
            "credit_code": code, "name": name, "region": self.region_names[region], "credit_score": score,
            "blacklisted": blacklisted, "wage_arrears": wage, "accident": accident, "fraud": fraud,
            "local_retained_tax": tax, "moved_out_on": moved, "sheet": COMPANY, "row": n,
        })

    def _company_fast(self, n: int, values: tuple) -> Company | None:
        """A 企业 row whose every cell is of the plain kind its column expects (see "fast paths"), else None."""
        code, name, region, score, blacklisted, wage, accident, fraud, tax, moved = values
        if code.__class__ is not str or name.__class__ is not str or region.__class__ is not str \
                or accident.__class__ is not str or not code.isascii():
            return None
        code, name, region, accident = code.strip().upper(), name.strip(), region.strip(), accident.strip()
        if not name or region not in self.regions or problem(code) is not None:
            return None
        level = _ACCIDENTS.get(accident or AccidentLevel.none.value)
        if level is None:
            return None
        try:
            score = None if score == "" or is_blank(score) else parse_score(score)
            blacklisted, wage, fraud = _plain_bool(blacklisted), _plain_bool(wage), _plain_bool(fraud)
            tax = None if tax == "" or is_blank(tax) else parse_amount(tax)
            moved = None if moved == "" or is_blank(moved) else parse_date(moved)
        except CellError:
            return None
        return self._company(code, name, region, score, blacklisted, wage, level, fraud, tax, moved, n)

    # ..................................................................... 申报事项 and 总部迁入

    def read_claims(
        self, claims_table: _Table, hq_table: _Table, issues: list[Issue]
    ) -> tuple[Rows[Claim], list[HqClaim], list[RejectedRow]]:
        # each row becomes a Claim's values (a tuple in the model's order: the fast path, a plain row of a good
        # company, judged already) or a _Pending; ``labels`` keeps the fast rows' 奖励类别 text, needed only if a
        # duplicate 申报编号 makes one of them unusable. The claims are handed on as columns (models.Rows): 100k
        # rows make no 100k objects
        rows: list[tuple | _Pending] = []
        labels: list[str] = []
        ids: list[str] = []  # each row's 申报编号, in the order of rows
        if claims_table.in_order is not None and not claims_table.odd:
            self._claims_fast(claims_table, rows, labels, ids)
        else:
            for n, v in claims_table.rows:
                p = self._claim_row(n, claims_table.values(v), claims_table.odd)
                rows.append(p)
                labels.append("")
                ids.append(p.claim_id)
        for n, v in hq_table.rows:
            p = self._hq_row(n, hq_table.values(v), hq_table.odd)
            rows.append(p)
            ids.append(p.claim_id)

        # the same 申报编号 on several rows (both sheets together): every one of them is unusable (looked for row
        # by row only when the set of the numbers says some number is there twice)
        twice: dict[str, list[tuple[str, int]]] = {}
        if len(set(ids)) != len(ids):
            first: dict[str, tuple[str, int]] = {}
            for claim_id, p in zip(ids, rows):
                where = (CLAIM, p[9]) if p.__class__ is tuple else (p.sheet, p.row)
                seen = first.setdefault(claim_id, where)
                if seen is not where:
                    twice.setdefault(claim_id, [seen]).append(where)
            del first
        del ids

        claims: list[tuple] = []
        hq_claims: list[HqClaim] = []
        rejected: list[RejectedRow] = []
        sheet_issues = {CLAIM: claims_table.issues[:], HQ: hq_table.issues[:]}
        for k, p in enumerate(rows):
            if p.__class__ is tuple:
                same = twice.get(p[0]) if twice else None
                if same is None:
                    claims.append(p)
                    continue
                p = _Pending(CLAIM, p[9], p[0], p[1], labels[k], p[3], [], None)
            same = twice.get(p.claim_id) if twice else None
            assert isinstance(p, _Pending)
            if same is not None:
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
            code = self._company_problem(p) if not p.bad else INVALID_ROW
            if code is None:  # a good row of a good company
                assert p.fields is not None
                if p.sheet == CLAIM:
                    claims.append(_CLAIM_VALUES(p.fields))
                else:
                    hq_claims.append(trusted(HqClaim, p.fields))
                continue
            sheet_issues[p.sheet].extend(p.bad)
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
        names = tuple(Claim.model_fields)
        columns = dict(zip(names, map(list, zip(*claims)))) if claims else {name: [] for name in names}
        return Rows(Claim, columns), hq_claims, rejected

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

    def _claim_row(self, n: int, values: dict[str, Any], odd: bool) -> _Pending:
        r = _Row(CLAIM, n, values, odd=odd)
        claim_id = r.text(C_ID) or f"{CLAIM}:{n}"
        code = r.code(validate=False)  # judged against 企业 afterwards (SPEC 2.2 step 1)
        label = r.text(C_CATEGORY)
        category = None
        if not label:
            r.fail(C_CATEGORY, _REQUIRED)
        else:
            category = self.category(label)
            if category is None:
                r.fail(C_CATEGORY, self.unknown_category(label))
            elif category.computed:
                r.fail(C_CATEGORY, f"“{label}”请填在“{HQ}”表，不能在“{CLAIM}”表申报")
                category = None
        subject = self.same(r.text(C_SUBJECT))
        if category is not None and category.key == "subject" and not subject:
            r.fail(C_SUBJECT, f"{_REQUIRED}（“{category.label}”按项目或证书逐项奖励）")
        approved = r.parse(C_APPROVED, parse_date, required=True)
        other_name = r.text(C_OTHER_NAME)
        other_amount = r.parse(C_OTHER_AMOUNT, parse_amount, default=_ZERO_AMOUNT)
        other_paid = r.parse(C_OTHER_PAID, parse_bool, default=False)

        fields = None
        if not r.bad:
            assert category is not None
            fields = {  # Claim's fields in its order, the company's own str object for its code when it is known
                "claim_id": claim_id, "credit_code": self.firm_code(code), "category": category.code, "subject": subject,
                "approved_on": approved, "other_policy_name": other_name, "other_policy_amount": other_amount,
                "other_policy_paid": other_paid, "sheet": CLAIM, "row": n,
            }
        return _Pending(CLAIM, n, claim_id, code, label, subject, r.bad, fields)

    def _claims_fast(self, table: _Table, out: list[tuple | _Pending], labels: list[str], ids: list[str]) -> None:
        """The rows of a 申报事项 sheet without error cells: a row whose every cell is of the plain kind its column
        expects (see "fast paths") becomes its Claim's values here (a tuple in the model's order), any other a
        _Pending of the general path. One loop with
        the per-row work inlined: 100k rows pass through it."""
        pick = table.in_order
        assert pick is not None and not table.odd
        codes = self.codes
        texts = self._texts
        #: a raw 奖励类别 cell → (its category, the text trimmed), for the labels the fast path takes
        usable: dict[str, tuple[Category, str]] = {}
        append, label_of, id_of = out.append, labels.append, ids.append
        as_is = table.names == COLUMNS[CLAIM]  # the header in the usual order: each row's values are in order
        for n, v in table.rows:
            claim_id, code, label, subject, approved, other_name, other_amount, other_paid = v if as_is else pick(v)
            if claim_id.__class__ is str and label.__class__ is str and subject.__class__ is str \
                    and other_name.__class__ is str and code.__class__ is str:
                # the raw code as a key of companies is a good company's code: ASCII, trimmed, upper case already
                credit_code = codes.get(code)
                if credit_code is None and code.isascii():
                    credit_code = codes.get(code.strip().upper())
                found = usable.get(label)
                if found is None and (text := label.strip()):
                    category = self.category(text)
                    if category is not None and not category.computed:
                        found = usable[label] = (category, text)
                claim_id = claim_id.strip()
                subject = subject.strip()
                subject = texts.setdefault(subject, subject)  # self.same, inlined
                if credit_code is not None and found is not None and claim_id \
                        and (subject or found[0].key != "subject"):
                    try:
                        if approved.__class__ is not _DATE:
                            approved = parse_date(approved)  # a blank cell raises: the general path says it is required
                        other_amount = _ZERO_AMOUNT if other_amount == "" else parse_amount(other_amount)
                        paid = _BOOLS.get(other_paid) if other_paid.__class__ is str else None
                        if paid is None:
                            paid = _plain_bool(other_paid)
                    except CellError:
                        pass
                    else:
                        append((claim_id, credit_code, found[0].code, subject, approved,  # Claim's fields
                                other_name.strip(), other_amount, paid, CLAIM, n))
                        label_of(found[1])
                        id_of(claim_id)
                        continue
            p = self._claim_row(n, table.values(v), False)
            append(p)
            label_of("")
            id_of(p.claim_id)

    def _hq_row(self, n: int, values: dict[str, Any], odd: bool) -> _Pending:
        r = _Row(HQ, n, values, odd=odd)
        claim_id = r.text(C_ID) or f"{HQ}:{n}"
        code = r.code(validate=False)
        mode = r.text(C_MODE)  # judged by the engine (HQ_QUALIFICATION), blank included
        qualification = r.text(C_QUALIFICATION)
        recognised = r.parse(C_RECOGNISED, parse_date, required=True)
        fiscal = r.parse(C_FISCAL, parse_amount, required=True)

        fields = None
        if not r.bad:
            fields = {
                "claim_id": claim_id, "credit_code": self.firm_code(code), "mode": mode, "qualification": qualification,
                "recognised_on": recognised, "fiscal_contribution": fiscal, "sheet": HQ, "row": n,
            }
        return _Pending(HQ, n, claim_id, code, self.hq_label, "", r.bad, fields)

    # ..................................................................... 质量保证金

    def read_deposits(self, table: _Table, issues: list[Issue]) -> tuple[list[DepositRow], list[RejectedRow]]:
        issues.extend(table.issues)
        deposits: list[DepositRow] = []
        rejected: list[RejectedRow] = []
        fast = table.in_order if not table.odd else None
        for n, values in table.rows:
            if fast:  # the plain row of a known company: see "fast paths"
                code, project, amount = fast(values)
                if code.__class__ is str and project.__class__ is str and code.isascii() and not is_blank(amount):
                    code, project = self.codes.get(code.strip().upper()), project.strip()
                    if project and code is not None:
                        try:
                            amount = parse_amount(amount)
                        except CellError:
                            pass
                        else:
                            deposits.append(self._deposit(code, project, amount, n))
                            continue
            r = _Row(DEPOSIT, n, table.values(values), odd=table.odd)
            code = r.code(validate=False)
            project = r.text(C_PROJECT)
            if not project:
                r.fail(C_PROJECT, _REQUIRED)
            amount = r.parse(C_SETTLEMENT, parse_amount, required=True)
            p = _Pending(DEPOSIT, n, f"{DEPOSIT}:{n}", code, "", project, r.bad, None)
            status = self._company_problem(p) if not r.bad else INVALID_ROW
            issues.extend(r.bad)
            if status is None:
                deposits.append(self._deposit(self.firm_code(code), project, amount, n))
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

    @staticmethod
    def _deposit(code: str, project: str, amount: Decimal, n: int) -> DepositRow:
        return trusted(DepositRow, {"credit_code": code, "project": project, "settlement_amount": amount,
                                    "sheet": DEPOSIT, "row": n})

    # ..................................................................... 已兑现奖励

    def read_history(self, table: _Table, issues: list[Issue]) -> tuple[list[Payout], set[str]]:
        issues.extend(table.issues)
        history: list[Payout] = []
        unreadable: set[str] = set()
        fast = table.in_order if not table.odd else None
        for n, values in table.rows:
            payout = self._payout_fast(n, fast(values)) if fast else None
            if payout is not None:
                history.append(payout)
                continue
            r = _Row(HISTORY, n, table.values(values), odd=table.odd)
            code = r.code(validate=True)
            label = r.text(C_CATEGORY)
            category = None
            if not label:
                r.fail(C_CATEGORY, _REQUIRED)
            else:
                category = self.category(label)
                if category is None:
                    r.fail(C_CATEGORY, self.unknown_category(label, also=f"，也不是“{self.hq_label}”"))
            subject = self.same(r.text(C_SUBJECT))
            year = r.parse(C_YEAR, parse_year, required=True)
            paid_on = r.parse(C_PAID_ON, parse_date, required=True)
            amount = r.parse(C_PAID, parse_amount, required=True)
            if r.bad:
                issues.extend(r.bad)
                self.bad_rows.append((HISTORY, n, code))
                if code and problem(code) is None:
                    unreadable.add(code)
                continue
            assert category is not None
            history.append(self._payout(code, category, subject, year, paid_on, amount, n))
        return history, unreadable

    def _payout(self, code: str, category: Category, subject: str, year: int, paid_on: dt.date, amount: Decimal,
                n: int) -> Payout:
        return trusted(Payout, {
            "credit_code": self.firm_code(code), "category": category.code, "subject": subject,
            "reward_year": year, "paid_on": paid_on, "amount": amount, "source": HISTORY, "row": n,
        })

    def _payout_fast(self, n: int, values: tuple) -> Payout | None:
        """An 已兑现奖励 row whose every cell is of the plain kind its column expects (see "fast paths"), else None."""
        code, label, subject, year, paid_on, amount = values
        if code.__class__ is not str or label.__class__ is not str or subject.__class__ is not str \
                or not code.isascii():
            return None
        code, label = code.strip().upper(), label.strip()
        category = self.category(label) if label else None
        if category is None or problem(code) is not None or is_blank(year) or is_blank(paid_on) or is_blank(amount):
            return None
        try:
            return self._payout(code, category, self.same(subject.strip()), parse_year(year), parse_date(paid_on),
                                parse_amount(amount), n)
        except CellError:
            return None

# --------------------------------------------------------------------------- 已兑现奖励 alone (`ledger import`)


@dataclass(frozen=True)
class HistoryWorkbook:
    """The 已兑现奖励 sheet of a workbook, read for ``subsidy ledger import``."""

    name: str  # the file's name, for messages
    sha256: str
    payouts: tuple[Payout, ...]  # the rows that could be read
    issues: tuple[Issue, ...]  # what refuses the import: an unreadable row, a column given twice
    notes: tuple[Issue, ...]  # what is shown but changes nothing: unrecognised columns, a title, data under no header
    companies: dict[str, tuple[str, str]]  # 统一社会信用代码 → (企业名称, 注册地), from the 企业 sheet when it has them


def read_history_workbook(path: str | Path, *, pack: PolicyPack) -> HistoryWorkbook:
    """Read the 已兑现奖励 sheet of ``path``: a sheet as ``ledger export`` writes it, or a whole 申报汇总表, under
    SPEC 4's sheet contract (unknown, hidden or look-alike sheets with data refuse the file) except that 企业 is
    optional here: it only gives company names and 注册地. Raises :class:`UnreadableInput`."""
    name = Path(path).name
    data = read_input(path, max_bytes=guard.MAX_FILE_BYTES, what="已兑现奖励表")
    sha = hashlib.sha256(data).hexdigest()
    wb, package = _open(data, name)
    try:
        by_name = _sheet_contract(wb, name, package, require=HISTORY)  # 企业 is optional here
        actual = by_name[HISTORY]
        table = _load_table(wb.get_sheet_by_name, actual, HISTORY, name, package.odd_cells.get(actual, {}))
        header = list(table.issues)
        found: list[Issue] = []
        reader = _Reader(pack)
        payouts, _ = reader.read_history(table, found)
        rows = found[len(header):]
        twice = [i for i in header if i.column in COLUMNS[HISTORY]]  # a column given twice: which one is meant?
        notes = [i for i in header if i.column not in COLUMNS[HISTORY]]
        notes += [Issue(sheet=HISTORY, row=row, column=f"{letter}列", value="",
                        message=f"{letter}列没有表头，其中的数据（第{row}行起）未读取") for letter, row in table.stray.items()]
        companies: dict[str, tuple[str, str]] = {}
        if COMPANY in by_name:
            try:
                ctable = _load_table(wb.get_sheet_by_name, by_name[COMPANY], COMPANY, name,
                                     package.odd_cells.get(by_name[COMPANY], {}))
            except UnreadableInput:
                ctable = _Table(COMPANY)  # names are a courtesy: a 企业 sheet that cannot be read gives none
            for n, values in ctable.rows:
                r = _Row(COMPANY, n, ctable.values(values), odd=ctable.odd)
                code = nfkc(r.text(C_CODE)).strip().upper()
                region = norm_label(r.text(C_REGION))
                if code and code not in companies:
                    companies[code] = (r.text(C_NAME), region if region in reader.regions else "")
        return HistoryWorkbook(name=name, sha256=sha, payouts=tuple(payouts), issues=tuple(twice + rows),
                               notes=tuple(notes), companies=companies)
    finally:
        wb.close()
