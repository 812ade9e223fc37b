"""The award schedule workbook (奖励明细表, SPEC 5): eight sheets written from a Result.

openpyxl in write-only mode writes each sheet's frame (column widths, frozen header, auto filter), the styles
(NamedStyles registered once, each resolved to one cell-style id) and the package; the rows themselves are
rendered here straight to SpreadsheetML and streamed to openpyxl's temp file, because openpyxl's per-cell
serializer is ~10x slower (100k claim lines: ~12 s against ~1.5 s). Money is the Decimal written as a number with
format ``#,##0.00``. Every text is an inline string and no formula is ever written; text that a spreadsheet could
take for a formula (= + - @, tab, CR) also carries the quote prefix so it stays text when edited. No clock is
read: the document properties and the zip entries carry a fixed time, so the same Result gives the same bytes.
The file appears atomically (subsidy.atomic).
"""
from __future__ import annotations

import contextlib
import datetime as dt
import os
from copy import copy
from decimal import Decimal
from typing import Any, Callable, Sequence
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.writer.excel import ExcelWriter

from ..atomic import atomic_path, output_error
from ..labels import DEPOSIT_STATUS_LABELS, STATUS_LABELS, status_label
from ..models import STATUSES, Result
from ..money import ZERO, fen, yuan_text

MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.00%"
DATE_FORMAT = "yyyy-mm-dd"
SHEETS = ("汇总", "奖励明细", "企业汇总", "出资汇总", "质量保证金", "追缴清单", "数据问题", "口径说明")
TITLE = "奖励明细表"
#: no clock is read: document properties and zip entries carry this fixed time
FIXED_TIME = dt.datetime(2000, 1, 1)
_RISKY_START = ("=", "+", "-", "@", "\t", "\r", "\n")

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_THIN = Side(style="thin", color="808080")


def _named_styles() -> list[NamedStyle]:
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    return [
        NamedStyle(name="subsidy_header", font=Font(bold=True), fill=_HEADER_FILL, alignment=center,
                   border=Border(bottom=_THIN)),
        NamedStyle(name="subsidy_title", font=Font(bold=True, size=16)),
        NamedStyle(name="subsidy_label", font=Font(bold=True)),
        NamedStyle(name="subsidy_money", number_format=MONEY_FORMAT),
        NamedStyle(name="subsidy_money_bold", number_format=MONEY_FORMAT, font=Font(bold=True)),
        NamedStyle(name="subsidy_percent", number_format=PERCENT_FORMAT),
        NamedStyle(name="subsidy_date", number_format=DATE_FORMAT),
        NamedStyle(name="subsidy_text", number_format="@"),
        NamedStyle(name="subsidy_sign", border=Border(bottom=_THIN)),
    ]


class _Frag(str):
    """The part of a ``<c>`` element after its ``r`` attribute: a cell already rendered."""

    __slots__ = ()


def _escape(s: str) -> str:
    if "&" in s:
        s = s.replace("&", "&amp;")
    if "<" in s:
        s = s.replace("<", "&lt;")
    if ">" in s:
        s = s.replace(">", "&gt;")
    if "\r" in s:
        s = s.replace("\r", "&#13;")  # a bare CR would be normalised away by any XML reader
    return s


_COLUMNS = tuple(get_column_letter(i) for i in range(1, 64))


class _Sheet:
    """One sheet: openpyxl writes its frame (columns, frozen pane, filter); the rows are rendered here.

    openpyxl's own cell serializer costs ~10 µs a cell (about 12 s for 100k claim lines); rendering the
    ``<row>`` elements directly is ~10x faster. Strings are always inline strings and nothing is ever
    written as ``<f>``, so no text can become a formula.
    """

    def __init__(self, ws, sid: dict[str, int]):
        self.ws = ws
        self.sid = sid
        self.row_idx = 0
        ws.close()  # head and tail with an empty <sheetData>, then our rows go between them
        self.path = ws._writer.out
        with open(self.path, encoding="utf-8") as f:
            frame = f.read()
        head, sep, tail = frame.partition("<sheetData></sheetData>")
        if not sep:
            head, sep, tail = frame.partition("<sheetData />")
        if not sep:  # pragma: no cover - a new openpyxl version changed its output
            raise RuntimeError("openpyxl write-only frame without an empty <sheetData>")
        self.tail = "</sheetData>" + tail
        self.f = open(self.path, "w", encoding="utf-8")
        self.f.write(head + "<sheetData>")
        self._text_sid = f' s="{sid["subsidy_text_quoted"]}"'

    # ---- cells

    def styled_text(self, s: str, style: str) -> _Frag:
        return _Frag(f' t="inlineStr" s="{self.sid[style]}"><is><t>{_escape(s)}</t></is></c>')

    def number(self, x: Decimal | int | float | None, style: str | None = None) -> _Frag | None:
        if x is None:
            return None
        s = f' s="{self.sid[style]}"' if style else ""
        v = format(x, "f") if isinstance(x, Decimal) else str(x)
        return _Frag(f' t="n"{s}><v>{v}</v></c>')

    def money(self, x: Decimal | None, style: str = "subsidy_money") -> _Frag | None:
        return None if x is None else _Frag(f' t="n" s="{self.sid[style]}"><v>{fen(x):f}</v></c>')

    def date(self, d: dt.date) -> _Frag:
        return self.number(to_excel(d), "subsidy_date")

    def header(self, text: str) -> _Frag:
        return self.styled_text(text, "subsidy_header")

    def label(self, text: str) -> _Frag:
        return self.styled_text(text, "subsidy_label")

    def blank(self, style: str) -> _Frag:
        return _Frag(f' s="{self.sid[style]}"/>')

    def _text(self, s: str) -> str | None:
        if not s.isprintable():
            s = ILLEGAL_CHARACTERS_RE.sub("", s)
            if not s:
                return None
        space = ' xml:space="preserve"' if s[0].isspace() or s[-1].isspace() else ""
        quoted = self._text_sid if s.startswith(_RISKY_START) else ""
        return f' t="inlineStr"{quoted}><is><t{space}>{_escape(s)}</t></is></c>'

    # ---- rows

    def append(self, values: Sequence[Any] = ()) -> None:
        self.row_idx += 1
        r = self.row_idx
        if not values:
            return
        out = [f'<row r="{r}">']
        for col, v in zip(_COLUMNS, values):
            if v is None or v == "":
                continue
            t = type(v)
            if t is _Frag:
                out.append(f'<c r="{col}{r}"{v}')
            elif t is str:
                frag = self._text(v)
                if frag is not None:
                    out.append(f'<c r="{col}{r}"{frag}')
            elif t is int or t is Decimal:
                out.append(f'<c r="{col}{r}" t="n"><v>{v:f}</v></c>' if t is Decimal
                           else f'<c r="{col}{r}" t="n"><v>{v}</v></c>')
            else:
                raise TypeError(f"cell value of type {t.__name__}")
        out.append("</row>")
        self.f.write("".join(out))

    def close(self) -> None:
        if not self.f.closed:
            self.f.write(self.tail)
            self.f.close()


class _Book:
    def __init__(self) -> None:
        self.wb = Workbook(write_only=True)
        self.sheets: list[_Sheet] = []
        self.advance: Callable[[int], None] = lambda n: None
        for style in _named_styles():
            self.wb.add_named_style(style)
        probe = self.wb.create_sheet("_probe")
        self.sid: dict[str, int] = {}
        for style in self.wb._named_styles:
            if not style.name.startswith("subsidy_"):
                continue
            c = WriteOnlyCell(probe)
            c.style = style.name
            self.sid[style.name] = self.wb._cell_styles.add(c._style)
            if style.name == "subsidy_text":
                quoted = copy(c._style)
                quoted.quotePrefix = 1
                self.sid["subsidy_text_quoted"] = self.wb._cell_styles.add(quoted)
        self.wb.remove(probe)

    def sheet(self, title: str, widths: Sequence[float], headers: Sequence[str] | None = None,
              rows: int | None = None) -> _Sheet:
        """A sheet with its column widths; with headers: bold header row, frozen below it, auto filter."""
        ws = self.wb.create_sheet(title)
        for i, w in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(i)].width = w
        # printed for sign-off: one page wide, as many pages tall as needed
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.page_setup.paperSize = "9"  # A4
        ws.page_setup.orientation = "portrait" if headers is None or len(headers) <= 6 else "landscape"
        if headers is not None:
            ws.print_title_rows = "1:1"
            ws.freeze_panes = "A2"
            ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{1 + max(rows or 0, 0)}"
        sheet = _Sheet(ws, self.sid)
        self.sheets.append(sheet)
        if headers is not None:
            sheet.append([sheet.header(h) for h in headers])
        return sheet

    def close(self) -> None:
        for s in self.sheets:
            s.close()

    def discard(self) -> None:
        for s in self.sheets:
            with contextlib.suppress(Exception):
                s.f.close()
        _discard_temp_files(self.wb)


def _payers_text(payers: dict[str, Decimal]) -> str:
    return "；".join(f"{k} {yuan_text(v)}" for k, v in payers.items())


def _source(sheet: str, row: int | None) -> str:
    return sheet if row is None else f"{sheet}:{row}"


def _measure_label(m: str) -> str:
    return f"第{m}条" if str(m).isdigit() else str(m)


def _measure_key(m: str) -> tuple:
    return (0, int(m)) if str(m).isdigit() else (1, str(m))


def _payer_measure(result: Result) -> list[tuple[str, str, Decimal]]:
    out = []
    for payer, measures in result.totals.by_payer_measure.items():
        for m in sorted(measures, key=_measure_key):
            out.append((payer, m, fen(measures[m])))
    return out


# --------------------------------------------------------------------------- sheets


def _summary(book: _Book, result: Result) -> None:
    c = book.sheet("汇总", (24, 70, 18))
    t = result.totals
    p = result.policy
    label, money = c.label, c.money
    c.append([c.styled_text(TITLE, "subsidy_title")])
    c.append()
    c.append([label("政策"), f"{p.number} {p.title}"])
    c.append([label("有效期"), f"{p.validity_start.isoformat()} 至 {p.validity_end.isoformat()}"])
    c.append([label("核定年度"), result.year])
    c.append([label("输入文件 SHA-256"), result.input_sha256])
    c.append([label("核定总额"), money(t.payable, "subsidy_money_bold")])
    c.append([label("申报条数"), len(result.lines)])
    c.append()
    c.append([c.header("状态"), c.header("条数")])
    for s in STATUSES:
        c.append([STATUS_LABELS[s], int(t.by_status.get(s, 0))])
    for s, n in t.by_status.items():  # a status the labels do not know yet is still shown
        if s not in STATUS_LABELS:
            c.append([status_label(s), int(n)])
    c.append()
    c.append([c.header("出资财政"), c.header("金额")])
    for payer, amount in t.by_payer.items():
        c.append([payer, money(amount)])
    c.append([label("合计"), money(sum(map(fen, t.by_payer.values()), ZERO), "subsidy_money_bold")])
    c.append()
    c.append([c.header("条款"), c.header("金额")])
    for m in sorted(t.by_measure, key=_measure_key):
        c.append([_measure_label(m), money(t.by_measure[m])])
    c.append([label("合计"), money(sum(map(fen, t.by_measure.values()), ZERO), "subsidy_money_bold")])
    c.append()
    c.append([label("追缴合计"), money(t.clawback)])
    c.append([label("追缴条数"), len(result.clawbacks)])
    c.append([label("数据问题"), len(result.issues)])
    for n in result.notices:
        c.append([label("注意"), n.message])
    c.append()
    c.append([label("签字")])
    for who in ("经办人", "审核人", "负责人", "日期"):
        c.append([label(who), c.blank("subsidy_sign")])
        c.append()


def _lines(book: _Book, result: Result) -> None:
    headers = ("申报编号", "统一社会信用代码", "企业", "奖励类别", "条款", "项目或证书名称", "标准金额", "核定金额",
               "状态", "原因", "出资财政", "来源")
    c = book.sheet("奖励明细", (14, 22, 30, 22, 9, 28, 15, 15, 12, 50, 40, 14), headers, len(result.lines))
    append, money = c.append, c.money
    step = 1000
    for i, ln in enumerate(result.lines, 1):
        if i % step == 0:
            book.advance(step)
        append([
            ln.claim_id, ln.credit_code, ln.company_name, ln.category_label, ln.article, ln.subject,
            money(ln.standard_amount), money(ln.payable), status_label(ln.status),
            "；".join(r.message for r in ln.reasons), _payers_text(ln.payers), _source(ln.sheet, ln.row),
        ])
    book.advance(len(result.lines) % step)


def _companies(book: _Book, result: Result) -> None:
    headers = ("统一社会信用代码", "企业", "注册地", "地方留成税收", "本年度已兑现", "申报合计", "应得合计(封顶前)",
               "核定合计", "是否封顶", "前提条件")
    c = book.sheet("企业汇总", (22, 30, 10, 16, 15, 15, 17, 15, 10, 50), headers, len(result.companies))
    money = c.money
    for co in result.companies:
        if co.preconditions:
            pre = "；".join(r.message for r in co.preconditions)
        elif not co.valid:
            pre = "企业信息有误，待补正"
        else:
            pre = "满足"
        c.append([
            co.credit_code, co.company_name, co.region, money(co.local_retained_tax), money(co.paid_in_year),
            money(co.requested), money(co.entitled), money(co.payable), "是" if co.capped else "否", pre,
        ])


def _treasuries(book: _Book, result: Result) -> None:
    rows = _payer_measure(result)
    c = book.sheet("出资汇总", (20, 10, 18), ("出资财政", "条款", "金额"), len(rows))
    subtotal: dict[str, Decimal] = {}
    for payer, m, amount in rows:
        c.append([payer, _measure_label(m), c.money(amount)])
        subtotal[payer] = subtotal.get(payer, ZERO) + amount
    c.append()
    c.append([c.header("出资财政"), c.header("范围"), c.header("金额")])
    for payer, amount in subtotal.items():
        c.append([payer, "小计", c.money(amount)])
    c.append([c.label("合计"), None, c.money(sum(subtotal.values(), ZERO), "subsidy_money_bold")])


def _guarantee(note: str) -> str:
    if "保函" in note:
        return note
    extra = "可以保函方式缴纳，不改变金额（第18条）"
    return f"{note}；{extra}" if note else extra


def _deposits(book: _Book, result: Result) -> None:
    headers = ("统一社会信用代码", "企业", "项目名称", "结算总额", "信用评价分", "比例", "原比例3%金额",
               "基准1.5%金额", "核定保证金", "节省", "说明", "状态")
    c = book.sheet("质量保证金", (22, 30, 26, 17, 11, 9, 15, 15, 15, 14, 60, 10), headers, len(result.deposits))
    money = c.money
    for d in result.deposits:
        c.append([
            d.credit_code, d.company_name, d.project, money(d.settlement_amount), c.number(d.credit_score),
            c.number(d.rate, "subsidy_percent"), money(d.old_deposit), money(d.base_deposit), money(d.deposit),
            money(d.saving), _guarantee(d.note), DEPOSIT_STATUS_LABELS.get(d.status, d.status),
        ])


def _clawbacks(book: _Book, result: Result) -> None:
    headers = ("统一社会信用代码", "企业", "奖励类别", "项目或证书名称", "奖励年度", "兑现日期", "金额", "应退财政", "原因")
    c = book.sheet("追缴清单", (22, 30, 22, 28, 10, 12, 15, 36, 50), headers, len(result.clawbacks))
    for cb in result.clawbacks:
        c.append([
            cb.credit_code, cb.company_name, cb.category_label, cb.subject, cb.reward_year, c.date(cb.paid_on),
            c.money(cb.amount), _payers_text(cb.payers), cb.message,
        ])


def _issues(book: _Book, result: Result) -> None:
    c = book.sheet("数据问题", (14, 8, 22, 30, 70), ("表", "行", "列", "值", "问题"), len(result.issues))
    for i in result.issues:
        c.append([i.sheet, i.row, i.column, i.value, i.message])


def _interpretations(book: _Book, result: Result) -> None:
    c = book.sheet("口径说明", (20, 50, 80), ("参数", "取值", "理由"), len(result.interpretations))
    for i in result.interpretations:
        c.append([i.title, i.value_label, i.why])
    c.append()
    p = result.policy
    c.append([c.label("说明"), None,
              f"本奖励明细表由 subsidy 按{p.number}《{p.title}》核算；"
              "口径参数政策未作规定的，取上表所列值，可通过 --config 调整。"])


# --------------------------------------------------------------------------- saving


class _FixedTimeZip(ZipFile):
    """A ZipFile whose entries carry FIXED_TIME instead of the clock or a temp file's mtime."""

    def _info(self, name: str) -> ZipInfo:
        info = ZipInfo(name, date_time=FIXED_TIME.timetuple()[:6])
        info.compress_type = self.compression
        info.external_attr = 0o600 << 16
        return info

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, ZipInfo):
            zinfo_or_arcname = self._info(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        info = self._info(arcname or os.path.basename(filename))
        with open(filename, "rb") as src, self.open(info, "w") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)


def _discard_temp_files(wb: Workbook) -> None:
    """openpyxl streams write-only sheets to temp files; remove them when the save did not happen."""
    for ws in wb._sheets:
        writer = getattr(ws, "_writer", None)
        if writer is None:
            continue
        with contextlib.suppress(Exception):
            writer.xf.close()
        with contextlib.suppress(Exception):
            writer.cleanup()


def build(result: Result, *, advance: Callable[[int], None] | None = None) -> Workbook:
    """The unsaved write-only workbook (sheets already streamed to openpyxl's temp files).

    ``advance(n)`` is told as the 奖励明细 rows are written (a progress bar on large batches)."""
    book = _Book()
    book.advance = advance or (lambda n: None)
    book.wb.properties.creator = "subsidy"
    book.wb.properties.title = f"{TITLE} {result.year}"
    book.wb.properties.created = FIXED_TIME
    try:
        for part in (_summary, _lines, _companies, _treasuries, _deposits, _clawbacks, _issues,
                     _interpretations):
            part(book, result)
        book.close()
    except BaseException:
        book.discard()
        raise
    return book.wb


def save(wb: Workbook, path: str | os.PathLike[str]) -> None:
    """Save without reading the clock (openpyxl's own save stamps 'modified' with now)."""
    wb.properties.modified = FIXED_TIME
    archive = _FixedTimeZip(path, "w", ZIP_DEFLATED, allowZip64=True)
    try:
        ExcelWriter(wb, archive).save()
    except BaseException:
        with contextlib.suppress(Exception):
            archive.close()
        _discard_temp_files(wb)
        raise


def write_schedule(result: Result, path: str | os.PathLike[str], *,
                   advance: Callable[[int], None] | None = None, atomic: bool = True) -> None:
    """Write the award schedule workbook to ``path`` atomically (OutputError when it cannot be written).

    ``atomic=False``: ``path`` is already a temporary file of the caller's (subsidy.atomic.atomic_paths, which
    publishes it with others); an OSError then goes to the caller, who names the real target."""
    if not atomic:
        save(build(result, advance=advance), path)
        return
    with atomic_path(path) as tmp:
        save(build(result, advance=advance), tmp)

