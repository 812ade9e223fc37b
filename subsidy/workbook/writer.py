"""The award schedule workbook (奖励明细表, SPEC 5): eight sheets written from a Result.

openpyxl in write-only mode writes each sheet's frame (column widths, frozen header, auto filter), the styles
(NamedStyles registered once, each resolved to one cell-style id) and the package; the rows themselves are
rendered here straight to SpreadsheetML, because openpyxl's per-cell serializer is ~10x slower (100k claim lines:
~12 s against ~1.5 s), and deflated as they are written: saving copies the deflated sheet into the package
(_Deflated, _FixedTimeZip.write) — the same bytes zipfile would write, without 100 MB of XML written to disk and
read back. Money is the Decimal written as a number with
format ``#,##0.00``. Every text is an inline string and no formula is ever written; text that a spreadsheet could
take for a formula (= + - @, tab, CR) also carries the quote prefix so it stays text when edited. No clock is
read: the document properties and the zip entries carry a fixed time, so the same Result gives the same bytes.
The file appears atomically (subsidy.atomic).
"""
from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import os
import queue
import threading
import zlib
from copy import copy
from itertools import islice
from decimal import Decimal
from math import ceil
from operator import itemgetter
from typing import Any, Callable, Iterable, Sequence
from zipfile import ZIP64_LIMIT, ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet import _writer as _openpyxl_writer
from openpyxl.writer.excel import ExcelWriter

from ..atomic import atomic_path, scratch_file
from ..gcpause import paused_gc

# openpyxl streams each write-only sheet to a scratch file in TMPDIR; a run killed mid-way (SIGKILL: no cleanup
# runs) would leave them there for good. While a schedule is written they go beside it instead, named like our own
# temporary files, so the next run writing into that folder removes them (subsidy.atomic.clean_stale).
_SCRATCH_DIR: contextvars.ContextVar[str | None] = contextvars.ContextVar("subsidy_scratch_dir", default=None)
_openpyxl_temp = _openpyxl_writer.create_temporary_file


def _scratch(suffix: str = "") -> str:
    directory = _SCRATCH_DIR.get()
    if directory is None:
        return _openpyxl_temp(suffix)
    path = scratch_file(directory, "openpyxl", suffix)
    _openpyxl_writer.ALL_TEMP_FILES.append(path)  # openpyxl's own atexit cleanup still covers it
    return path


_openpyxl_writer.create_temporary_file = _scratch
from ..labels import DEPOSIT_STATUS_LABELS, STATUS_LABELS, status_label
from ..models import STATUSES, FenColumn, ReasonsColumn, Result, columns_of, said
from ..money import ZERO, fen, from_fen_int, yuan_text
from . import printing

MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = "0.00%"
DATE_FORMAT = "yyyy-mm-dd"
SHEETS = ("汇总", "奖励明细", "企业汇总", "出资汇总", "质量保证金", "追缴清单", "数据问题", "口径说明")
TITLE = "奖励明细表"
#: no clock is read: document properties and zip entries carry this fixed time
FIXED_TIME = dt.datetime(2000, 1, 1)
_RISKY_START = ("=", "+", "-", "@", "\t", "\r", "\n")
#: the first characters that keep a printable text from being written as it is (quote prefix, xml:space)
_PLAIN_NOT_FIRST = frozenset("=+-@ ")
_FIRST_CHAR, _LAST_CHAR = itemgetter(slice(0, 1)), itemgetter(slice(-1, None))  # "" for an empty text

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_THIN = Side(style="thin", color="808080")


def _named_styles() -> list[NamedStyle]:
    body = Font(name=printing.FONT_NAME, size=printing.FONT_SIZE)
    bold = Font(name=printing.FONT_NAME, size=printing.FONT_SIZE, bold=True)
    top = Alignment(vertical="top", wrap_text=True)
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)
    return [
        NamedStyle(name="subsidy_header", font=bold, fill=_HEADER_FILL, alignment=center,
                   border=Border(bottom=_THIN)),
        NamedStyle(name="subsidy_title", font=Font(name=printing.FONT_NAME, bold=True, size=16)),
        NamedStyle(name="subsidy_label", font=bold, alignment=top),
        NamedStyle(name="subsidy_cell", font=body, alignment=top),
        NamedStyle(name="subsidy_spill", font=body, alignment=Alignment(vertical="top")),
        NamedStyle(name="subsidy_number", font=body, alignment=top),
        NamedStyle(name="subsidy_money", number_format=MONEY_FORMAT, font=body, alignment=top),
        NamedStyle(name="subsidy_money_bold", number_format=MONEY_FORMAT, font=bold, alignment=top),
        NamedStyle(name="subsidy_percent", number_format=PERCENT_FORMAT, font=body, alignment=top),
        NamedStyle(name="subsidy_date", number_format=DATE_FORMAT, font=body, alignment=top),
        NamedStyle(name="subsidy_text", number_format="@", font=body, alignment=top),
        NamedStyle(name="subsidy_sign", border=Border(bottom=_THIN), font=body),
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
#: zlib level of the package: 3 deflates 100k lines' 110 MB of XML in 0.5 s to 13 MB; the default 6 takes 1.2 s
#: for 11 MB (issue 12)
COMPRESS_LEVEL = 3
#: a sheet's XML goes to its deflating thread in pieces of about _PIECE bytes, at most _QUEUED of them waiting
#: (_Deflated)
_PIECE = 1 << 20
_QUEUED = 2
#: texts a column remembers rendered at once, and the misses after which a column is judged (see _Memo)
_SEEN = 4096
_TRIAL = 512
#: rows a many-row sheet hands to _Sheet.extend at a time
_BATCH = 512
_NO_WRAP = (1e9,) * len(_COLUMNS)
#: the elements that follow <mergeCells> in a worksheet (pageMargins is always written)
_AFTER_MERGES = ("phoneticPr", "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions",
                 "pageMargins")


class _Deflated:
    """A sheet's XML deflated as it is written, as the package will hold it: the rows never sit uncompressed on
    disk, and saving copies the deflated bytes into the package instead of reading the sheet back to compress it
    (_FixedTimeZip.write). The same compressor as zipfile's (level COMPRESS_LEVEL, raw deflate), fed the same
    bytes in the same order: the same stream.

    The deflating runs in a thread of its own while the caller renders the next rows: zlib lets go of the
    interpreter while it compresses (and checksums a large piece), so on two cores the sheet's 0.7 s of deflate at
    100k claims overlaps the rendering instead of following it. At most _QUEUED pieces wait for it (a few MB). An
    error of the thread (a full disk) is raised to the caller at its next write or at close."""

    def __init__(self, part: str) -> None:
        self.part = part  # openpyxl's file of the sheet: the name saving will ask for
        self.path = _scratch(".deflate")
        self.f = open(self.path, "wb")
        self.deflate = zlib.compressobj(COMPRESS_LEVEL, zlib.DEFLATED, -15)
        self.crc = 0
        self.size = 0
        self.closed = False
        self.error: BaseException | None = None
        self.pieces: queue.Queue[bytes | None] = queue.Queue(_QUEUED)
        self.held: list[bytes] = []  # written, not yet handed to the thread
        self.held_size = 0
        self.thread = threading.Thread(target=self._deflate_all, name=f"subsidy deflate {part}", daemon=True)
        self.thread.start()

    def _deflate_all(self) -> None:
        """The thread: each piece deflated, in order, until the end mark (None); the deflated bytes written a
        megabyte at a time. Each time zlib gives the interpreter back, the thread waits for it (up to the switch
        interval, while the caller renders): the fewer such calls a piece costs, the less the thread waits."""
        get, compress, write = self.pieces.get, self.deflate.compress, self.f.write
        out: list[bytes] = []
        held = 0
        while (data := get()) is not None:
            if self.error is None:  # after an error, the pieces are only taken, so that the writer never waits
                try:
                    done = compress(data)
                    out.append(done)
                    held += len(done)
                    if held >= _PIECE:
                        write(b"".join(out))
                        out.clear()
                        held = 0
                except BaseException as e:  # noqa: BLE001 - handed to the caller (write, close)
                    self.error = e
        if out and self.error is None:
            try:
                write(b"".join(out))
            except BaseException as e:  # noqa: BLE001
                self.error = e

    def write(self, text: str) -> None:
        if self.error is not None:
            raise self.error
        data = text.encode("utf-8")
        self.held.append(data)
        self.held_size += len(data)
        if self.held_size >= _PIECE:
            self._hand_over()

    def _hand_over(self) -> None:
        """The bytes held so far, as one piece for the thread: few large pieces, since each costs the thread a wait
        for the interpreter (up to its switch interval) once it has compressed it."""
        if self.held:
            data = b"".join(self.held)
            self.held.clear()
            self.held_size = 0
            self.size += len(data)
            self.crc = zlib.crc32(data, self.crc)  # here: zlib lets go of the interpreter, the thread can take it
            self.pieces.put(data)

    def _stop(self) -> None:
        """The thread finishes what was handed to it and ends."""
        if self.thread.is_alive():
            self._hand_over()
            self.pieces.put(None)
            self.thread.join()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self._stop()
                if self.error is not None:
                    raise self.error
                self.f.write(self.deflate.flush())
            finally:
                self.f.close()
            _DEFLATED[self.part] = self

    def discard(self) -> None:
        self.closed = True
        _DEFLATED.pop(self.part, None)
        with contextlib.suppress(Exception):
            self._stop()
        with contextlib.suppress(Exception):
            self.f.close()
        with contextlib.suppress(OSError):
            os.remove(self.path)


#: openpyxl's file of a sheet → the sheet deflated, ready to be copied into the package
_DEFLATED: dict[str, _Deflated] = {}


class _Memo(dict):
    """One column's texts → (rendered cell, printed lines): a text seen before in the column is rendered and
    measured once. It keeps the first _SEEN texts it meets; a column whose texts seldom repeat (申报编号, 来源: each
    row its own) is no longer remembered once more than half of its first rows missed (_TRIAL misses within
    2 × _TRIAL rows), so that it holds no memory for nothing. What is remembered never changes what is written."""

    __slots__ = ("misses", "off")

    def __init__(self, *, off: bool = False) -> None:
        super().__init__()
        self.misses = 0
        self.off = off

    def miss(self, text: str, known: tuple[str | None, int], row: int) -> None:
        if self.off:
            return
        self.misses += 1
        if self.misses == _TRIAL and row < 2 * _TRIAL:
            self.off = True
            self.clear()
        elif len(self) < _SEEN:
            self[text] = known


#: the kinds of value extend renders a column of at once: rendered cells and None; texts
_RENDERED = frozenset({_Frag, type(None)})
_TEXT = {str}
#: a blank text: no cell, one line
_BLANK = (None, 1)


#: a row sized by its ``texts`` (headers, labels) remembers nothing
_NO_MEMOS = tuple(_Memo(off=True) for _ in _COLUMNS)
#: printed lines → the row tag's height attributes
_HEIGHTS: dict[int, str] = {}


def _height(lines: int) -> str:
    found = _HEIGHTS.get(lines)
    if found is None:
        found = _HEIGHTS[lines] = f' ht="{printing.row_height(lines)}" customHeight="1"'
    return found


class _Sheet:
    """One sheet: openpyxl writes its frame (columns, frozen pane, filter, page setup); the rows are rendered here.

    openpyxl's own cell serializer costs ~10 µs a cell (about 12 s for 100k claim lines); rendering the
    ``<row>`` elements directly is ~10x faster. Strings are always inline strings and nothing is ever
    written as ``<f>``, so no text can become a formula. Each row's height is set from its longest wrapped
    text (LibreOffice does not recompute it when it opens the file): a string that cannot overflow its column
    even if every character were wide costs one comparison.
    """

    def __init__(self, ws, sid: dict[str, int], widths: Sequence[float]):
        self.ws = ws
        self.sid = sid
        self.row_idx = 0
        #: per column, the units one printed line holds; columns past the widths never wrap
        self.caps = tuple(printing.capacity(w) for w in widths) + (1e9,) * (len(_COLUMNS) - len(widths))
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
        self.f = _Deflated(self.path)
        self.f.write(head + "<sheetData>")
        self._text_sid = f' s="{sid["subsidy_cell"]}"'
        self._quoted_sid = f' s="{sid["subsidy_text_quoted"]}"'
        self._number_sid = f' s="{sid["subsidy_number"]}"'
        self.merges: list[str] = []
        self._memos = tuple(_Memo() for _ in _COLUMNS)  # per column: text → (cell, lines)
        self._moneys: dict[Decimal, _Frag] = {}  # amount → its cell (see money)
        self._rows: list[str] = []  # rendered rows not written yet, in pieces (see append)

    # ---- cells

    def styled_text(self, s: str, style: str) -> _Frag:
        return _Frag(f' t="inlineStr" s="{self.sid[style]}"><is><t>{_escape(s)}</t></is></c>')

    def number(self, x: Decimal | int | float | None, style: str = "subsidy_number") -> _Frag | None:
        if x is None:
            return None
        v = format(x, "f") if isinstance(x, Decimal) else str(x)
        return _Frag(f' t="n" s="{self.sid[style]}"><v>{v}</v></c>')

    def money(self, x: Decimal | None, style: str = "subsidy_money") -> _Frag | None:
        if x is None:
            return None
        if x and style == "subsidy_money":  # the amounts many rows share, rendered once (not 0: 0.00 and -0.00
            # are equal keys written differently)
            found = self._moneys.get(x)
            if found is None:
                found = _Frag(f' t="n" s="{self.sid[style]}"><v>{fen(x):f}</v></c>')
                if len(self._moneys) < _SEEN:
                    self._moneys[x] = found
            return found
        return _Frag(f' t="n" s="{self.sid[style]}"><v>{fen(x):f}</v></c>')

    def moneys(self, column: Sequence[Decimal | None]) -> list[_Frag | None]:
        """:meth:`money` of every amount of a column (the engine's columns of integer fen — models.FenColumn —
        written from their integers: each distinct amount rendered once)."""
        if not isinstance(column, FenColumn):
            return list(map(self.money, column))
        sid, known = self.sid["subsidy_money"], {}
        return [known.get(t) or known.setdefault(t, _Frag(f' t="n" s="{sid}"><v>{t}</v></c>')) if t is not None
                else None for t in column.texts()]

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
        style = self._quoted_sid if s.startswith(_RISKY_START) else self._text_sid
        return f' t="inlineStr"{style}><is><t{space}>{_escape(s)}</t></is></c>'

    def _measured(self, v: str, cap: float) -> tuple[str | None, int]:
        """A text cell rendered (None: nothing left once illegal characters are removed) and the printed lines it
        takes in a column holding ``cap`` units (printing.lines_in, with its first test inlined)."""
        n = printing.lines_in(v, cap) if len(v) * 2 > cap or "\n" in v else 1  # else it fits even if all wide
        return self._text(v), n

    # ---- rows

    def append(self, values: Sequence[Any] = (), *, texts: Sequence[str | None] | None = None,
               height: float | None = None, merge: int = 0) -> None:
        """One row. ``texts``: the text of pre-rendered cells (headers, labels) to size the row by (given: the
        row is sized by these alone); ``height``: at least this many points (a signature line); ``merge``: the
        last value's cell spans this many columns."""
        self.row_idx += 1
        r = self.row_idx
        if not values:
            return
        if merge > 1:
            first = len(values)
            self.merges.append(f"{_COLUMNS[first - 1]}{r}:{_COLUMNS[first + merge - 2]}{r}")
        # the row's pieces go straight into the buffer of rows not written yet; its start tag, known once every
        # cell is measured, takes the place kept for it
        out = self._rows
        at = len(out)
        out.append("")
        lines = 1
        if texts is None:
            caps, memos = self.caps, self._memos
        else:
            caps, memos = _NO_WRAP, _NO_MEMOS
        ref = f"{r}\""
        for col, cap, memo, v in zip(_COLUMNS, caps, memos, values):
            t = v.__class__
            if t is str:
                if not v:
                    continue
                # a text seen before in this column is rendered and measured once (labels, statuses, the reasons
                # most lines share): see _Memo
                known = memo.get(v)
                if known is None:
                    known = self._measured(v, cap)
                    memo.miss(v, known, r)
                frag, n = known
                if n > lines:
                    lines = n
                if frag is not None:
                    out.append(f'<c r="{col}{ref}{frag}')
            elif t is _Frag:
                if v:
                    out.append(f'<c r="{col}{ref}{v}')
            elif v is None:
                continue
            elif t is int:
                out.append(f'<c r="{col}{ref} t="n"{self._number_sid}><v>{v}</v></c>')
            elif t is Decimal:
                out.append(f'<c r="{col}{ref} t="n"{self._number_sid}><v>{v:f}</v></c>')
            else:
                raise TypeError(f"cell value of type {t.__name__}")
        if texts is not None:
            for cap, text in zip(self.caps, texts):
                if text:
                    lines = max(lines, printing.lines_in(text, cap))
        if height is None:
            out[at] = f'<row r="{r}">' if lines == 1 else f'<row r="{r}"{_height(lines)}>'
        else:
            ht = printing.row_height(lines) if lines > 1 else None
            if ht is None or height > ht:
                ht = height
            out[at] = f'<row r="{r}" ht="{ht}" customHeight="1">' if ht else f'<row r="{r}">'
        out.append("</row>")
        if len(out) >= 4096:  # written a few hundred rows at a time: one encode and write for them all
            self.flush()

    def flush(self) -> None:
        if self._rows:
            self.f.write("".join(self._rows))
            self._rows.clear()

    def extend(self, rows: Sequence[Sequence[Any]]) -> None:
        """Rows of one length, each written exactly as ``append(row)`` writes it, a column at a time: the path of
        the sheets with a row per claim, company or deposit. A column of texts (blank ones included) or of
        rendered cells and None is rendered in one pass; any other mix makes the rows go through append one by
        one."""
        if not rows:
            return
        if len({len(row) for row in rows}) != 1:
            for row in rows:
                self.append(row)
            return
        self._extend(list(zip(*rows)), rows)

    def _extend(self, columns: Sequence[Sequence[Any]], rows: Sequence[Sequence[Any]] | None = None) -> None:
        """extend of the rows whose columns are ``columns`` (``rows``: the same rows, when the caller has them)."""
        n = len(columns[0])
        first = self.row_idx + 1
        refs = [f'{r}"' for r in range(first, first + n)]
        cells: list[list[str]] = []
        widths: list[list[int]] = []
        for col, cap, memo, values in zip(_COLUMNS, self.caps, self._memos, columns):
            kinds = set(map(type, values))
            if kinds <= _RENDERED:
                cells.append([f'<c r="{col}{ref}{v}' if v else "" for ref, v in zip(refs, values)])
            elif kinds == _TEXT:
                pieces, lines = self._texts(col, cap, memo, values, refs, first)
                cells.append(pieces)
                widths.append(lines)
            else:
                for row in rows if rows is not None else map(list, zip(*columns)):
                    self.append(row)
                return
        self.row_idx += n
        lines = map(max, zip(*widths)) if widths else (1 for _ in range(n))
        tags = [f'<row r="{r}">' if n == 1 else f'<row r="{r}"{_height(n)}>'
                for r, n in zip(range(first, self.row_idx + 1), lines)]
        out = self._rows
        for row in zip(tags, *cells):
            out.extend(row)
            out.append("</row>")
        if len(out) >= 4096:
            self.flush()

    def extend_all(self, rows: Iterable[Sequence[Any]]) -> None:
        """Every row of ``rows`` through extend, _BATCH at a time: the sheets with a row per claim, company or
        deposit."""
        rows = iter(rows)
        while batch := list(islice(rows, _BATCH)):
            self.extend(batch)

    def extend_columns(self, n: int, columns: Callable[[int, int], Sequence[Sequence[Any]]],
                       done: Callable[[int], None] = lambda k: None) -> None:
        """extend_all of ``n`` rows given by their columns — ``columns(start, end)``: the columns of rows
        start … end-1 — _BATCH rows at a time (the same batches, so the same bytes) without making the rows;
        ``done(k)`` after each batch of k rows."""
        for start in range(0, n, _BATCH):
            batch = columns(start, min(start + _BATCH, n))
            self._extend(batch)
            done(len(batch[0]))

    def _texts(self, col: str, cap: float, memo: _Memo, values: Sequence[str], refs: list[str],
               first: int) -> tuple[list[str], list[int]]:
        """One column of texts for extend: each text's cell (or "") and printed lines, as append renders it."""
        if memo.off:
            joined = "".join(values)
            if joined.isprintable() and "&" not in joined and "<" not in joined and ">" not in joined \
                    and _PLAIN_NOT_FIRST.isdisjoint(map(_FIRST_CHAR, values)) \
                    and " " not in map(_LAST_CHAR, values):
                # texts no other row repeats, all plain (nothing to remove, escape, preserve or quote): rendered
                # as _text renders them, measured as _measured measures them (printable: no line break)
                sid = self._text_sid
                cells = [f'<c r="{col}{ref} t="inlineStr"{sid}><is><t>{v}</t></is></c>' if v else ""
                         for ref, v in zip(refs, values)]
                if max(map(len, values)) * 2 <= cap:  # none can overflow even if every character were wide
                    return cells, [1] * len(values)
                return (cells,
                        [1 if (n := len(v)) * 2 <= cap  # printing.lines_in, inlined (no line break)
                         else 1 if (w := n if v.isascii() else (n + len(v.encode("utf-8", "surrogatepass"))) >> 1)
                         <= cap else ceil(w / cap) for v in values])
            known: list = [None] * len(values)
        else:
            known = list(map(memo.get, values))
        for i, k in enumerate(known):
            if k is None:
                v = values[i]
                if not v:
                    known[i] = _BLANK
                elif (k := memo.get(v)) is not None:  # met earlier in this same batch
                    known[i] = k
                else:
                    k = known[i] = self._measured(v, cap)
                    memo.miss(v, k, first + i)
        return ([f'<c r="{col}{ref}{k[0]}' if k[0] is not None else "" for ref, k in zip(refs, known)],
                [k[1] for k in known])

    def spacer(self, height: float = 7.0) -> None:
        """An empty row a few points high (keeps a one-page sheet short)."""
        self.row_idx += 1
        self._rows.append(f'<row r="{self.row_idx}" ht="{height}" customHeight="1"/>')

    def close(self) -> None:
        if not self.f.closed:
            self.flush()
            tail = self.tail
            if self.merges:  # <mergeCells> follows <sheetData> and <autoFilter> (CT_Worksheet's order)
                merged = (f'<mergeCells count="{len(self.merges)}">'
                          + "".join(f'<mergeCell ref="{m}"/>' for m in self.merges) + "</mergeCells>")
                at = min(i for i in (tail.find(f"<{e}") for e in _AFTER_MERGES) if i >= 0)
                tail = tail[:at] + merged + tail[at:]
            self.f.write(tail)
            self.f.close()
            self._memos = ()
            self._moneys = {}


class _Book:
    def __init__(self, heading: printing.Heading | None = None) -> None:
        self.wb = Workbook(write_only=True)
        self.sheets: list[_Sheet] = []
        self.heading = heading
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
              rows: int | None = None, *, layout: printing.Layout = printing.A4_LANDSCAPE) -> _Sheet:
        """A sheet with its column widths and page setup; with headers: bold header row (repeated on every
        printed page), frozen below it, auto filter."""
        ws = self.wb.create_sheet(title)
        for i, w in enumerate(widths, 1):
            ws.column_dimensions[get_column_letter(i)].width = w
        printing.setup_page(ws, layout=layout, heading=self.heading,
                            repeat_rows="1:1" if headers is not None else None, widths=widths)
        if headers is not None:
            ws.freeze_panes = "A2"
            ws.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{1 + max(rows or 0, 0)}"
        sheet = _Sheet(ws, self.sid, widths)
        self.sheets.append(sheet)
        if headers is not None:
            sheet.append([sheet.header(h) for h in headers], texts=headers)
        return sheet

    def close(self) -> None:
        for s in self.sheets:
            s.close()

    def discard(self) -> None:
        for s in self.sheets:
            s.f.discard()
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


#: 汇总 is a document page: portrait, and always one page with its signature block
SUMMARY_LAYOUT = printing.Layout(printing.A4, landscape=False, one_page=True)
#: the widest tables (12 columns, long sentences) cannot print legibly on A4: A3 landscape at 10 pt
WIDE_LAYOUT = printing.A3_LANDSCAPE
SIGNATURE_HEIGHT = 26.0  # points: room to sign
SUMMARY_WIDTHS = (22, 18, 52)


def _summary(book: _Book, result: Result) -> None:
    """A document page: labels in A, numbers in B; long texts (policy, SHA-256) are not wrapped and run on into
    the empty C; signature lines across B:C."""
    c = book.sheet("汇总", SUMMARY_WIDTHS, layout=SUMMARY_LAYOUT)
    t = result.totals
    p = result.policy
    label, money = c.label, c.money

    def spill(text: str) -> _Frag:
        return c.styled_text(text, "subsidy_spill")

    c.append([c.styled_text(TITLE, "subsidy_title")], height=26)
    c.append([label("政策"), spill(f"{p.number} {p.title}")])
    c.append([label("有效期"), spill(f"{p.validity_start.isoformat()} 至 {p.validity_end.isoformat()}")])
    c.append([label("核定年度"), result.year])
    c.append([label("输入文件 SHA-256"), spill(result.input_sha256)])
    c.append([label("核定总额"), money(t.payable, "subsidy_money_bold")])
    c.append([label("申报条数"), len(result.lines)])
    c.spacer()
    c.append([c.header("状态"), c.header("条数")])
    for s in STATUSES:
        c.append([STATUS_LABELS[s], int(t.by_status.get(s, 0))])
    for s, n in t.by_status.items():  # a status the labels do not know yet is still shown
        if s not in STATUS_LABELS:
            c.append([status_label(s), int(n)])
    c.spacer()
    c.append([c.header("出资财政"), c.header("金额")])
    for payer, amount in t.by_payer.items():
        c.append([payer, money(amount)])
    c.append([label("合计"), money(sum(map(fen, t.by_payer.values()), ZERO), "subsidy_money_bold")])
    c.spacer()
    c.append([c.header("条款"), c.header("金额")])
    for m in sorted(t.by_measure, key=_measure_key):
        c.append([_measure_label(m), money(t.by_measure[m])])
    c.append([label("合计"), money(sum(map(fen, t.by_measure.values()), ZERO), "subsidy_money_bold")])
    c.spacer()
    c.append([label("追缴合计"), money(t.clawback)])
    c.append([label("追缴条数"), len(result.clawbacks)])
    c.append([label("数据问题"), len(result.issues)])
    for n in result.notices:  # a sentence: wrapped across B:C (merged)
        c.append([label("注意"), n.message], texts=[None, None], merge=2,
                 height=printing.row_height(printing.line_count(n.message, sum(SUMMARY_WIDTHS[1:]))))
    c.spacer()
    c.append([label("签字")])
    for who in ("经办人", "审核人", "负责人", "日期"):
        c.append([label(who), c.blank("subsidy_sign"), c.blank("subsidy_sign")], height=SIGNATURE_HEIGHT)


def _lines(book: _Book, result: Result) -> None:
    headers = ("申报编号", "统一社会信用代码", "企业", "奖励类别", "条款", "项目或证书名称", "标准金额", "核定金额",
               "状态", "原因", "出资财政", "来源")
    columns = columns_of(result.lines, *_LINE)
    m = printing.money_width(_widest(columns[_LINE.index("standard_amount")]))
    widths = [10, 20, 16, 14, 7, 16, m, m, 9, 0, 20, 12]
    widths[9] = int(WIDE_LAYOUT.usable_width() - sum(widths))  # 原因 takes the rest of the page
    c = book.sheet("奖励明细", widths, headers, len(result.lines), layout=WIDE_LAYOUT)
    (claim_id, credit_code, company_name, category_label, article, subject, standard, payable, status, reasons,
     payers, sheet, row) = columns
    standard, payable = c.moneys(standard), c.moneys(payable)  # the cells, each distinct amount rendered once
    if isinstance(reasons, ReasonsColumn):
        reasons = reasons.raw  # Reason objects and (code, message) pairs, read through said
    # the cells column by column; many lines share their reasons and their payers (the engine's shared objects):
    # each is joined into text once
    reason_text: dict[int, tuple[tuple, str]] = {}
    payers_text: dict[int, tuple[dict, str]] = {}

    def why(reasons: tuple) -> str:
        found = reason_text.get(id(reasons))
        if found is None or found[0] is not reasons:
            found = reason_text[id(reasons)] = (reasons, said(reasons[0])[1] if len(reasons) == 1
                                                else "；".join([said(r)[1] for r in reasons]))
        return found[1]

    def paid(payers: dict) -> str:
        if not payers:
            return ""
        found = payers_text.get(id(payers))
        if found is None or found[0] is not payers:
            found = payers_text[id(payers)] = (payers, _payers_text(payers))
        return found[1]

    def cells(a: int, b: int) -> list[Sequence]:
        return [
            claim_id[a:b], credit_code[a:b], company_name[a:b], category_label[a:b], article[a:b], subject[a:b],
            standard[a:b], payable[a:b],
            list(map(STATUS_LABELS.get, status[a:b], status[a:b])), list(map(why, reasons[a:b])),
            list(map(paid, payers[a:b])), [s if r is None else f"{s}:{r}" for s, r in zip(sheet[a:b], row[a:b])],
        ]  # the last: _source

    step, counted = 1000, [0]  # progress by the thousand lines

    def done(k: int) -> None:
        counted[0] += k
        while counted[0] >= step:
            book.advance(step)
            counted[0] -= step

    c.extend_columns(len(claim_id), cells, done)
    book.advance(counted[0])


def _widest(amounts: Sequence[Decimal | None]) -> Sequence[Decimal | None]:
    """What printing.money_width needs of a column: the amounts, or of the engine's integer fen (models.FenColumn)
    only the widest."""
    if isinstance(amounts, FenColumn):
        fens = [abs(n) for n in amounts.ints() if n is not None]
        return [from_fen_int(max(fens))] if fens else []
    return amounts


#: the fields of a line the schedule shows, read as columns (the engine's lines are columns: models.Rows)
_LINE = ("claim_id", "credit_code", "company_name", "category_label", "article", "subject", "standard_amount",
         "payable", "status", "reasons", "payers", "sheet", "row")


def _companies(book: _Book, result: Result) -> None:
    headers = ("统一社会信用代码", "企业", "注册地", "地方留成税收", "本年度已兑现", "申报合计", "应得合计(封顶前)",
               "核定合计", "是否封顶", "前提条件")
    columns = columns_of(result.companies, "credit_code", "company_name", "region", "local_retained_tax",
                         "paid_in_year", "requested", "entitled", "payable", "capped", "preconditions", "valid")
    m = printing.money_width(x for col in columns[3:7] for x in _widest(col))
    widths = [20, 16, 7, m, m, m, m, m, 5, 0]
    widths[9] = int(printing.A4_LANDSCAPE.usable_width() - sum(widths))
    c = book.sheet("企业汇总", widths, headers, len(result.companies))
    columns = (*columns[:3], *map(c.moneys, columns[3:8]), *columns[8:])
    c.extend_all([
        code, name, region, tax, paid, requested, entitled, payable,
        "是" if capped else "否", _preconditions_text(preconditions, valid),
    ] for code, name, region, tax, paid, requested, entitled, payable, capped, preconditions, valid in zip(*columns))


def _preconditions_text(preconditions, valid: bool) -> str:
    """企业汇总's 前提条件 column: the failed preconditions, or why none could be judged, or 满足."""
    if preconditions:
        return "；".join(r.message for r in preconditions)
    return "企业信息有误，待补正" if not valid else "满足"


def _treasuries(book: _Book, result: Result) -> None:
    rows = _payer_measure(result)
    c = book.sheet("出资汇总", (22, 12, printing.money_width([result.totals.payable], 16)),
                   ("出资财政", "条款", "金额"), len(rows))
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
    columns = columns_of(result.deposits, "credit_code", "company_name", "project", "settlement_amount",
                         "credit_score", "rate", "old_deposit", "base_deposit", "deposit", "saving", "note", "status")
    big = printing.money_width(columns[3])
    m = printing.money_width(_widest(columns[6]))
    widths = [20, 22, 22, big, 7, 8, m, m, m, m, 0, 8]
    widths[10] = int(WIDE_LAYOUT.usable_width() - sum(widths))
    c = book.sheet("质量保证金", widths, headers, len(result.deposits), layout=WIDE_LAYOUT)
    number = c.number
    columns = (*columns[:3], c.moneys(columns[3]), *columns[4:6], *map(c.moneys, columns[6:10]), *columns[10:])
    c.extend_all([
        code, name, project, settlement, number(score), number(rate, "subsidy_percent"), old,
        base, deposit, saving, _guarantee(note), DEPOSIT_STATUS_LABELS.get(status, status),
    ] for code, name, project, settlement, score, rate, old, base, deposit, saving, note, status in zip(*columns))


def _clawbacks(book: _Book, result: Result) -> None:
    headers = ("统一社会信用代码", "企业", "奖励类别", "项目或证书名称", "奖励年度", "兑现日期", "金额", "应退财政", "原因")
    widths = [20, 16, 12, 14, 6, 11, printing.money_width(cb.amount for cb in result.clawbacks), 18, 0]
    widths[8] = int(printing.A4_LANDSCAPE.usable_width() - sum(widths))
    c = book.sheet("追缴清单", widths, headers, len(result.clawbacks))
    for cb in result.clawbacks:
        c.append([
            cb.credit_code, cb.company_name, cb.category_label, cb.subject, cb.reward_year, c.date(cb.paid_on),
            c.money(cb.amount), _payers_text(cb.payers), cb.message,
        ])


def _issues(book: _Book, result: Result) -> None:
    widths = [12, 6, 20, 26, 0]
    widths[4] = int(printing.A4_LANDSCAPE.usable_width() - sum(widths))
    c = book.sheet("数据问题", widths, ("表", "行", "列", "值", "问题"), len(result.issues))
    for i in result.issues:
        c.append([i.sheet, i.row, i.column, i.value, i.message])


def _interpretations(book: _Book, result: Result) -> None:
    widths = [28, 36, 0]
    widths[2] = int(printing.A4_LANDSCAPE.usable_width() - sum(widths))
    c = book.sheet("口径说明", widths, ("参数", "取值", "理由"), len(result.interpretations))
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
        info._compresslevel = self.compresslevel  # what ZipFile itself does for a name (3.11: a private field)
        info.external_attr = 0o600 << 16
        return info

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, ZipInfo):
            zinfo_or_arcname = self._info(zinfo_or_arcname)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        info = self._info(arcname or os.path.basename(filename))
        deflated = _DEFLATED.pop(filename, None)
        if deflated is not None:  # one of our sheets, deflated as it was written
            try:
                if info.compress_type != ZIP_DEFLATED or info._compresslevel != COMPRESS_LEVEL:  # pragma: no cover
                    raise RuntimeError("a deflated sheet saved into a package of other compression")
                self._write_deflated(info, deflated)
            finally:
                deflated.discard()
            return
        with open(filename, "rb") as src, self.open(info, "w") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)

    def _write_deflated(self, info: ZipInfo, deflated: _Deflated) -> None:
        """The entry as ``self.open(info, "w")`` writes it (zipfile 3.11's _open_to_write and _ZipWriteFile.close,
        on a seekable file: no data descriptor, header written with the final sizes), from bytes already deflated
        by the same compressor."""
        if self._writing:  # pragma: no cover - as zipfile says it
            raise ValueError("Can't write to the ZIP file while there is another write handle open on it.")
        if deflated.size > ZIP64_LIMIT:  # pragma: no cover - as zipfile refuses it (a sheet over 2 GB)
            raise RuntimeError("File size too large, try using force_zip64")
        info.flag_bits = 0x00
        info.CRC = deflated.crc
        info.file_size = deflated.size
        info.compress_size = os.path.getsize(deflated.path)
        if info.compress_size > ZIP64_LIMIT:  # pragma: no cover
            raise RuntimeError("Compressed size too large, try using force_zip64")
        self.fp.seek(self.start_dir)
        info.header_offset = self.fp.tell()
        self._writecheck(info)
        self._didModify = True
        self.fp.write(info.FileHeader(False))
        with open(deflated.path, "rb") as src:
            while chunk := src.read(1 << 20):
                self.fp.write(chunk)
        self.start_dir = self.fp.tell()
        self.filelist.append(info)
        self.NameToInfo[info.filename] = info


def _discard_temp_files(wb: Workbook) -> None:
    """openpyxl streams write-only sheets to temp files; remove them when the save did not happen."""
    for ws in wb._sheets:
        writer = getattr(ws, "_writer", None)
        if writer is None:
            continue
        deflated = _DEFLATED.get(getattr(writer, "out", None))
        if deflated is not None:
            deflated.discard()
        with contextlib.suppress(Exception):
            writer.xf.close()
        with contextlib.suppress(Exception):
            writer.cleanup()


def build(result: Result, *, advance: Callable[[int], None] | None = None) -> Workbook:
    """The unsaved write-only workbook (sheets already streamed to openpyxl's temp files).

    ``advance(n)`` is told as the 奖励明细 rows are written (a progress bar on large batches)."""
    p = result.policy
    book = _Book(printing.heading(p.number, p.title, result.year, TITLE))
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
    archive = _FixedTimeZip(path, "w", ZIP_DEFLATED, allowZip64=True, compresslevel=COMPRESS_LEVEL)
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
    token = _SCRATCH_DIR.set(os.path.dirname(os.path.abspath(path)))
    try:
        with paused_gc():  # a row's lists and strings are acyclic: the collector would rescan the Result for nothing
            if not atomic:
                _build_and_save(result, path, advance)
                return
            with atomic_path(path) as tmp:
                _build_and_save(result, tmp, advance)
    finally:
        _SCRATCH_DIR.reset(token)


def _build_and_save(result: Result, path: str | os.PathLike[str], advance: Callable[[int], None] | None) -> None:
    wb = build(result, advance=advance)
    try:
        save(wb, path)
    except BaseException:
        _discard_temp_files(wb)  # whatever failed, the sheets' scratch files go with it
        raise

