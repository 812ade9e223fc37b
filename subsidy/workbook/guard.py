"""A pre-parse guard of the .xlsx package: refuse hostile zips before python-calamine sees them.

python-calamine is fast, but it trusts its input: a worksheet part that inflates to gigabytes is inflated, and a
single value cell at XFD1048576 makes it allocate the whole dense rectangle up to that cell (half a terabyte: the
process aborts inside Rust, beyond any ``except``). So before parsing, every part of the zip is checked here,
in bounded memory:

* the zip directory itself: not too many parts, every declared size within the limits;
* every part is stream-decompressed from its local header (never trusting the declared sizes, which can lie),
  counting the bytes it inflates to, and refused as soon as it passes :data:`MAX_PART_BYTES` (or the whole
  package passes :data:`MAX_TOTAL_BYTES`); the inflated text is never kept, only a short overlap between chunks;
* an XML part with a ``<!DOCTYPE`` or ``<!ENTITY`` declaration is refused (XML entity expansion; a workbook never
  has one);
* in every worksheet part, the rows and columns of cells that hold something are tracked, and a sheet whose used
  rectangle would pass :data:`MAX_AREA_CELLS` cells is refused, naming the sheet and the far cell.

A sheet that merely *claims* a huge ``<dimension ref="A1:XFD1048576">`` costs nothing: neither this guard nor
calamine allocates by the claimed dimension; only cells that exist count.

While it streams the worksheet parts, the guard also notes the cells calamine would hand over as blank although
they are not: error values (``<c t="e"><v>#N/A</v>``) and formulas without a computed value (written by a program,
never opened in Excel). Read as blank, either could change money without a word (a blank 其他政策金额 is 0), so
:func:`check_package` returns them per sheet, and the reader makes their rows pending, naming the value.

Every refusal raises :class:`~subsidy.errors.UnreadableInput` with one Chinese sentence.
"""
from __future__ import annotations

import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Callable

from ..errors import UnreadableInput

MB = 1024 * 1024

# The limits follow what reading costs in memory (README "Speed and memory"): calamine holds the used rectangle of
# the sheet being read densely (about 50 bytes a cell), and a whole `subsidy assess` run peaks at about 160 bytes
# per cell read (1.8 GB for 1M claims: 11.4 million cells over the five sheets). MAX_AREA_CELLS keeps the largest
# workbook accepted — about 1.4 million claims with their companies — within about 2.6 GB; the byte limits are
# set from it (a cell takes 40 to 55 bytes of sheet XML), so that a zip bomb is refused long before memory is at
# stake. A refusal names the limit and how to split the file (SPLIT).

#: the used rectangles (rows × columns between the first and last value cell) of the sheets read, all together
MAX_AREA_CELLS = 16_000_000
#: one part of the package may inflate to at most this many bytes (64 bytes a cell of MAX_AREA_CELLS)
MAX_PART_BYTES = 1024 * MB
#: all parts together may inflate to at most this many bytes
MAX_TOTAL_BYTES = 1536 * MB
#: an input file larger than this is not read at all (1M claims are about 56 MB; the byte limits bind first)
MAX_FILE_BYTES = 200 * MB
#: a workbook has a few dozen parts; a zip with more is not one
MAX_PARTS = 10_000
#: what a user can do about a workbook over a limit (a workbook too large to read in one run)
SPLIT = ("如确有这么多数据，请按注册地或企业拆分为几个文件分别核定（同一企业在各表的行放在同一个文件中；"
         "不同文件之间的同一项目多家申报须另行核对）")

_CHUNK_IN = 256 * 1024  # compressed bytes fed at a time
_CHUNK_OUT = 1 * MB  # inflated bytes produced at a time
_OVERLAP = 64  # inflated bytes kept from the previous chunk, so a tag split between two chunks is still seen
#: a window that ends inside a tag carries the whole unfinished tag over (_split), up to this many bytes: no
#: workbook has a longer one, and a part that has is refused
_MAX_CARRY = 64 * 1024

_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, (skipped), name length, extra length
_LOCAL_SIG = b"PK\x03\x04"

_DECLARATIONS = tuple(
    marker.encode(enc) for marker in ("<!DOCTYPE", "<!ENTITY") for enc in ("utf-8", "utf-16-le", "utf-16-be")
)
# Cell and row start tags, as every spreadsheet program writes them ("plain"): an optional namespace prefix, then
# attributes name="value" — double quotes, no < > & ' in a value, no attribute twice — a reference r in capitals and
# digits without a leading zero. calamine (quick-xml) reads far more: single quotes, a > or < inside a value, spaces
# around =, the same attribute twice, lower-case or zero-padded references. It places such a cell where no search
# for plain tags can bound it (a cell at XFD1048576 aborts the process), so a sheet read by the exact pass with any
# other c or row tag is refused (_Area.scan, _OddTag). A tag that is self-closing (group "close") holds nothing: an
# empty <c r=".." s="1"/> of a formatted but blank cell is skipped by calamine too.
_PFX = rb'(?:[A-Za-z_][\w.-]*:)?'
_PLAIN_ATTR = rb'\s+(?!r=)[A-Za-z_][\w.:-]*="[^"<>&\']*"'  # one attribute other than r
_OPEN = re.compile(rb'<' + _PFX + rb'(?:c|row)(?=[\s/>])')  # every cell or row start tag, plain or not
_CELL = re.compile(rb'<' + _PFX + rb'c(?:' + _PLAIN_ATTR + rb')*\s+r="([A-Z]{1,3})([1-9][0-9]{0,6})"(?:'
                   + _PLAIN_ATTR + rb')*\s*(/?)>')
_ROW = re.compile(rb'<' + _PFX + rb'row(?:' + _PLAIN_ATTR + rb')*\s+r="([1-9][0-9]{0,6})"(?:' + _PLAIN_ATTR
                  + rb')*\s*(/?)>')
_LOOSE_CELL = re.compile(rb'<' + _PFX + rb'c(?:' + _PLAIN_ATTR + rb')*\s*(/?)>')  # no reference
_LOOSE_ROW = re.compile(rb'<' + _PFX + rb'row(?:' + _PLAIN_ATTR + rb')*\s*(/?)>')
MAX_COLUMNS = 16384
_QUICK_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')
_QUICK_ROW = re.compile(rb'<row r="([0-9]{1,7})"')
_SHEET = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?sheet\s[^>]*>')
_ATTR = re.compile(rb'([\w:.-]+)\s*=\s*"([^"]*)"')
_REL = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?Relationship\s[^>]*>')
# a cell start tag with its attributes, and what follows it up to its end tag (error cells and formulas only)
_CELL_TAG = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?c\s([^>]*?)(/?)>')
_CELL_END = re.compile(rb'</(?:[A-Za-z_][\w.-]*:)?c>')
_VALUE = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?v(?:\s[^>]*)?>([^<]*)</(?:[A-Za-z_][\w.-]*:)?v>')
_FORMULA = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?f[\s>/]')
_REF = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
_TYPE = re.compile(rb'\bt="([a-zA-Z]+)"')
#: a chunk holding an error cell (t="e") or a formula tag may hold a cell calamine reads as blank: only then is
#: the part read again, exactly
_FORMULA_TAG = re.compile(rb'<f[\s>/]')
#: a cell that holds a value: its <v> or its inline string
_VALUED = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:v|is)>")
#: what the reader is told about a formula that has no computed value
UNCALCULATED = "（公式未计算）"


@dataclass
class PackageInfo:
    """What the guard learnt of a package it let through."""

    #: sheet name → {(Excel row, 0-based column): error value or UNCALCULATED}
    odd_cells: dict[str, dict[tuple[int, int], str]] = field(default_factory=dict)
    #: the sheets with at least one cell that holds a value (``<v>`` or an inline string), whatever their size
    valued: set[str] = field(default_factory=set)


def _mb(n: int) -> str:
    return f"{n // MB} MB"


def column_number(letters: str) -> int:
    """A → 1, Z → 26, AA → 27, XFD → 16384."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _column_letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


@dataclass
class _Area:
    """The used rectangle of one worksheet part, grown as its cells stream past (0 = nothing seen yet).

    calamine places a cell or row without an ``r`` reference right after the previous one, so those widen or
    lengthen the rectangle by their count: ``loose_cols`` is the most cells (of any kind) in one row of a chunk
    where unreferenced cells occur, ``loose_rows`` the number of unreferenced rows."""

    min_row: int = 0
    max_row: int = 0
    min_col: int = 0
    max_col: int = 0
    loose_cols: int = 0
    loose_rows: int = 0

    def rows(self, found: list[bytes]) -> None:
        if found:
            numbers = [int(x) for x in set(found)]
            lo, hi = min(numbers), max(numbers)
            self.min_row = min(self.min_row or lo, lo)
            self.max_row = max(self.max_row, hi)

    def cells(self, found: list[tuple[bytes, bytes]]) -> None:
        if found:
            numbers = [column_number(c.decode()) for c in {c for c, _ in found}]
            lo, hi = min(numbers), max(numbers)
            self.min_col = min(self.min_col or lo, lo)
            self.max_col = max(self.max_col, hi)
            self.rows([r for _, r in found])

    #: a row tag only places cells that carry no reference of their own: until such a cell is seen, row tags
    #: (a formatted but empty row at the bottom of the sheet, say) do not grow the rectangle
    counting_rows: bool = False
    last_row_tag: int = 0
    #: the number of the last row tag read (a refusal names the row it happened in)
    last_row: int = 0

    def scan(self, window: bytes, chunk: bytes = b"", *, prefixed: bool = False) -> None:
        """``window``: whole tags only (_split). _OddTag when a cell or row tag in it is not plain."""
        # (prefixed tags are matched by these patterns themselves)
        cells, rows = _CELL.findall(window), _ROW.findall(window)
        loose_cells, loose_rows = _LOOSE_CELL.findall(window), _LOOSE_ROW.findall(window)
        if len(cells) + len(rows) + len(loose_cells) + len(loose_rows) != len(_OPEN.findall(window)):
            raise _OddTag(*_first_odd_tag(window, self.last_row))
        if rows:
            self.last_row = int(rows[-1][0])
        self.cells([(c, r) for c, r, close in cells if not close])
        row_tags = [r for r, close in rows if not close]
        if b"" in loose_cells:  # never in what Excel, WPS or openpyxl write: only then count per row
            self.loose_cols = max(self.loose_cols, max(piece.count(b"<c") for piece in window.split(b"</row>")))
            if not self.counting_rows and self.last_row_tag:
                self.rows([str(self.last_row_tag).encode()])
            self.counting_rows = True
        if self.counting_rows:
            self.rows(row_tags)
        elif row_tags:
            self.last_row_tag = max(self.last_row_tag, *(int(x) for x in row_tags))
        self.loose_rows += loose_rows.count(b"")

    def size(self) -> tuple[int, int]:
        """(rows, columns) of the rectangle: an upper bound, at most 16384 columns."""
        rows = (self.max_row - self.min_row + 1 if self.max_row else 0) + self.loose_rows
        cols = (self.max_col - self.min_col + 1 if self.max_col else 0) + self.loose_cols
        return rows, max(1, min(cols, MAX_COLUMNS))

    def corners(self) -> tuple[str, str]:
        rows, cols = self.size()
        top, left = self.min_row or 1, self.min_col or 1
        return f"{_column_letters(left)}{top}", f"{_column_letters(min(left + cols - 1, MAX_COLUMNS))}{top + rows - 1}"


#: a start tag, its end found past the quoted values (a ">" inside one included): how an odd tag is quoted
_TAG_TEXT = re.compile(rb'<(?:[^<>"\']|"[^"]*"|\'[^\']*\')*>')


class _OddTag(Exception):
    """A cell or row tag that is not plain (see _CELL): (its text, the number of the row it is in or 0), for the
    refusal."""


def _first_odd_tag(window: bytes, row: int) -> tuple[bytes, int]:
    """The first tag of ``window`` that is not plain, and the row it is in (the last plain row tag before it, in
    this window or — ``row`` — an earlier one)."""
    for m in _OPEN.finditer(window):
        at = m.start()
        if not any(p.match(window, at) for p in (_CELL, _ROW, _LOOSE_CELL, _LOOSE_ROW)):
            whole = _TAG_TEXT.match(window, at, at + 200)  # the tag as far as its quotes tell where it ends
            before = _ROW.findall(window, 0, at)
            return window[at:whole.end() if whole else at + 80], int(before[-1][0]) if before else row
    return b"", row  # pragma: no cover - the counts differ only when some tag is odd


class _QuickArea:
    """The fast pass, for the common case — what Excel, WPS, LibreOffice and openpyxl write: every cell tag starts
    ``<c r="…"``. It bounds the used rectangle from above without reading every reference: rows by R, the largest
    last row tag of a chunk so far, columns by T, the rightmost column of the first chunk that has cells (one
    letter). Each chunk is then searched, once, for a cell tag whose reference is not within (rows below (first
    digit of R + 1) × 10^(digits of R − 1)) × (columns A…T) — a cell without a reference included. The rectangle is
    within those bounds when none is found: one search per chunk instead of one match per cell (row tags place only
    cells without a reference, and there are none). Anything it cannot bound this way — such a cell, a prefixed tag,
    a sheet wider than Z — makes it ``loose``, and the exact pass (:class:`_Area`) measures the part instead."""

    def __init__(self) -> None:
        self.loose = False
        self.max_row = 0  # R
        self.max_col = 0  # T, as a column number (0: no cell seen yet)
        self._outside: dict[tuple[int, int, int], re.Pattern] = {}

    def scan(self, window: bytes, chunk: bytes = b"", *, prefixed: bool = False) -> None:
        """``prefixed``: the caller found _PREFIXED in the window."""
        if self.loose:
            return
        if prefixed:
            self.loose = True
            return
        end = len(window)
        while (last := window.rfind(b'<row r="', 0, end)) >= 0:  # the last row tag whole in the window
            m = _QUICK_ROW.match(window, last)
            if m:
                self.max_row = max(self.max_row, int(m.group(1)))
                break
            end = last
        if not self.max_col:
            letters = {c for c, _ in _QUICK_CELL.findall(window)}
            if not letters:
                if _ANY_CELL.search(window):  # cells, but none with a plain reference
                    self.loose = True
                return  # no cell yet (the sheet's header part): the next chunk sets T
            if any(len(c) > 1 for c in letters):
                self.loose = True  # a sheet wider than 26 columns: measured exactly
                return
            self.max_col = column_number(max(letters).decode())
        if self._outside_pattern().search(window):
            self.loose = True

    def _outside_pattern(self) -> re.Pattern:
        """Any cell start tag but one written as Excel writes it with its reference within the bound of (R, T),
        compiled once per bound."""
        digits = str(max(self.max_row, 1))
        key = (digits[:2], len(digits), self.max_col)
        found = self._outside.get(key)
        if found is None:
            head, k, _ = key
            # a row number of k digits whose first two are at most R's, or of fewer digits (no leading zero)
            if k == 1:
                rows = f"[1-{head}]"
            else:
                a, b = int(head[0]), int(head[1])
                first_two = (f"[1-{a - 1}]\\d|" if a > 1 else "") + f"{a}[0-{b}]"
                rows = rf"(?:{first_two})\d{{{k - 2}}}|[1-9]\d{{0,{k - 2}}}"
            # the whole tag as Excel, WPS and openpyxl write it — the reference first and within the bound, then
            # the other attributes of a cell (CT_Cell), single spaces — so that no second r can follow (calamine
            # would place the cell by it); any other form goes to the exact pass, which refuses what is not plain
            inside = rf'r="[A-{chr(64 + self.max_col)}](?:{rows})"(?: (?:s|t|cm|vm|ph)="[0-9A-Za-z]*+")*+ ?/?>'
            found = self._outside[key] = re.compile(rf"<c(?:>|\s(?!{inside}))".encode())
        return found

    def size(self) -> tuple[int, int]:
        """(rows, columns) of the bound: rows up to R with its digits after the first two all 9 (under 1.1 R)."""
        digits = str(max(self.max_row, 1))
        rows = int(digits) if len(digits) == 1 else (int(digits[:2]) + 1) * 10 ** (len(digits) - 2) - 1
        return rows, max(1, self.max_col)

    def cells(self) -> int:
        rows, cols = self.size()
        return rows * cols


#: a prefixed tag (x:c, x:row, x:f) or anything that looks like one: the exact passes handle prefixes
_PREFIXED = re.compile(rb':(?:c|row|f)[\s>/]')
_ANY_CELL = re.compile(rb'<c[\s>]')


def check_package(zf: zipfile.ZipFile, data: bytes, name: str, *,
                  sheet_wanted: Callable[[str], bool] = lambda s: True) -> PackageInfo:
    """Refuse the package ``zf`` (opened on ``data``) if any part is hostile; ``name`` is used in messages.

    ``sheet_wanted(sheet_name)`` says which sheets will be read: only their used rectangle is limited, and only
    their error cells and uncalculated formulas are reported."""
    info_out = PackageInfo()
    label = f"“{name}”"
    infos = zf.infolist()
    if len(infos) > MAX_PARTS:
        raise UnreadableInput(f"{label}包含的文件过多（{len(infos)} 个），不是正常的 Excel 工作簿")
    sheets = _sheet_parts(zf)
    declared = 0
    for info in infos:
        if info.file_size > MAX_PART_BYTES:
            raise _too_big(label, info.filename, sheets.get(info.filename))
        declared += info.file_size
        if declared > MAX_TOTAL_BYTES:
            raise _too_big_total(label)
    total = 0
    cells = 0  # the used rectangles of the sheets read so far
    for info in infos:
        if info.is_dir():
            continue
        wanted = info.filename in sheets and sheet_wanted(sheets[info.filename])
        area = _QuickArea() if wanted else None
        xml = info.filename.endswith((".xml", ".rels", ".vml")) or wanted
        suspect: list[bool] = [False] if wanted else []
        valued: list[bool] = [False] if info.filename in sheets else []
        total = _scan(data, info, label, xml=xml, area=area, total=total, suspect=suspect, valued=valued,
                      sheet=sheets.get(info.filename))
        if valued and valued[0]:
            info_out.valued.add(sheets[info.filename])
        if suspect and suspect[0]:
            odd = _odd_cells(zf, info)
            if odd:
                info_out.odd_cells[sheets[info.filename]] = odd
        if area is None:
            continue
        if area.loose or cells + area.cells() > MAX_AREA_CELLS:
            # the quick bound is not good enough: measure the part again, exactly (hostile or huge files only)
            area = _Area()
            _scan(data, info, label, xml=True, area=area, total=0, sheet=sheets.get(info.filename))
        rows, cols = area.size()
        cells += rows * cols
        if cells > MAX_AREA_CELLS:
            first, last = area.corners()
            earlier = f"，连同前面各表共 {cells:,} 个单元格" if cells > rows * cols else ""
            raise UnreadableInput(
                f"{label}的工作表“{sheets[info.filename]}”数据区域过大（{first}:{last}，{rows} 行 × {cols} 列{earlier}，"
                f"超过一次能读取的 {MAX_AREA_CELLS:,} 个单元格的上限），已拒绝读取：如有远处多余的单元格，请删除后再提交；"
                f"{SPLIT}")
    return info_out


def _odd_cells(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> dict[tuple[int, int], str]:
    """The error cells and the formulas without a value of one worksheet part (already checked for size)."""
    try:
        with zf.open(info) as f:
            xml = f.read(MAX_PART_BYTES + 1)
    except Exception:  # noqa: BLE001 - calamine will say the file is damaged
        return {}
    out: dict[tuple[int, int], str] = {}
    for m in _CELL_TAG.finditer(xml):
        attrs, closed = m.group(1), m.group(2)
        if closed:
            continue
        end = _CELL_END.search(xml, m.end())
        body = xml[m.end():end.start() if end else len(xml)]
        t = _TYPE.search(attrs)
        kind = t.group(1) if t else b"n"
        value = _VALUE.search(body)
        if kind == b"e":
            what = (value.group(1).decode("utf-8", "replace").strip() if value else "") or "#错误"
        elif _FORMULA.search(body) and kind not in (b"str", b"inlineStr") and not (value and value.group(1).strip()):
            what = UNCALCULATED
        else:
            continue
        ref = _REF.search(attrs)
        if ref:
            out[(int(ref.group(2)), column_number(ref.group(1).decode()) - 1)] = what
    return out


def _too_big(label: str, part: str, sheet: str | None = None) -> UnreadableInput:
    return UnreadableInput(f"{label}中的{_part_text(part, sheet)}解压后超过一次能读取的 {_mb(MAX_PART_BYTES)} 上限，已拒绝读取：{SPLIT}；"
                           "否则可能是恶意构造的压缩包（zip 炸弹）")


def _too_big_total(label: str) -> UnreadableInput:
    return UnreadableInput(f"{label}解压后的总大小超过一次能读取的 {_mb(MAX_TOTAL_BYTES)} 上限，已拒绝读取：{SPLIT}；"
                           "否则可能是恶意构造的压缩包（zip 炸弹）")


def _damaged(label: str) -> UnreadableInput:
    return UnreadableInput(f"{label}已损坏，无法作为 Excel 工作簿读取")


def _scan(data: bytes, info: zipfile.ZipInfo, label: str, *, xml: bool, area: _Area | None, total: int,
          suspect: list[bool] | None = None, valued: list[bool] | None = None, sheet: str | None = None) -> int:
    """Inflate one part chunk by chunk; return the running total of inflated bytes. ``suspect[0]`` is set when
    the part may hold an error cell or a formula."""
    start = info.header_offset
    head = data[start:start + _LOCAL_HEADER.size]
    if len(head) < _LOCAL_HEADER.size:
        raise _damaged(label)
    sig, name_len, extra_len = _LOCAL_HEADER.unpack(head)
    if sig != _LOCAL_SIG:
        raise _damaged(label)
    begin = start + _LOCAL_HEADER.size + name_len + extra_len
    if info.compress_type == zipfile.ZIP_STORED:
        chunks = _stored(data, begin, info.compress_size)
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        chunks = _inflate(data, begin, label)
    else:  # Excel only ever deflates; calamine could not read anything else either
        raise _damaged(label)
    size = 0
    tail = b""
    for chunk in chunks:
        size += len(chunk)
        total += len(chunk)
        if size > MAX_PART_BYTES:
            raise _too_big(label, info.filename, sheet)
        if total > MAX_TOTAL_BYTES:
            raise _too_big_total(label)
        if xml:
            window = tail + chunk
            if b"!" in window and any(d in window for d in _DECLARATIONS):
                raise UnreadableInput(
                    f"{label}中的“{info.filename}”含有 DOCTYPE 或 ENTITY 声明（可能是 XML 实体扩展攻击），"
                    "正常的 Excel 工作簿不会有，已拒绝读取")
            # (_PREFIXED begins with ":", which memchr finds far faster than the pattern's own scan; most chunks of a
            # sheet have no colon at all)
            prefixed = (area is not None or bool(suspect)) and b":" in window and _PREFIXED.search(window) is not None
            whole, tail = _split(window)
            if area is not None:
                try:
                    area.scan(whole, chunk, prefixed=prefixed)
                except _OddTag as e:
                    raise _odd_tag(label, info.filename, sheet, *e.args) from None
            if suspect and not suspect[0] and (prefixed or b't="e"' in window or _FORMULA_TAG.search(window)):
                suspect[0] = True
            if valued and not valued[0] and _VALUED.search(window):
                valued[0] = True
            if len(tail) > _MAX_CARRY:
                raise UnreadableInput(f"{label}中的{_part_text(info.filename, sheet)}有一个长于 {_MAX_CARRY // 1024} KB "
                                      "的 XML 标记，正常的 Excel 工作簿不会有，已拒绝读取")
    return total


def _part_text(part: str, sheet: str | None) -> str:
    return f"工作表“{sheet}”（{part}）" if sheet and sheet != part else f"“{part}”"


def _odd_tag(label: str, part: str, sheet: str | None, tag: bytes, row: int) -> UnreadableInput:
    shown = tag.decode("utf-8", "replace")
    shown = shown if len(shown) <= 60 else shown[:60] + "…"
    if not row:
        where = ""
    elif re.match(rb"<" + _PFX + rb"row", tag):  # an odd row tag: the row after the last one read
        where = f"第{row}行之后"
    else:
        where = f"第{row}行"
    return UnreadableInput(
        f"{label}中的{_part_text(part, sheet)}{where}有写法异常的单元格标记“{shown}”，Excel、WPS 等软件保存的工作簿不会有，"
        "无法确定该单元格的位置，已拒绝读取：请用 Excel 或 WPS 打开后另存为 .xlsx 再提交")


def _split(window: bytes) -> tuple[bytes, bytes]:
    """(what of ``window`` is read now, what the next window starts with). When the window ends inside a tag (a
    ``<`` with no ``>`` after it), the tag is read with the next window, whole, however long its attributes (with a
    fixed overlap alone, a cell tag whose reference came more than 64 bytes after its start slipped past every search
    when a chunk ended inside it, and a cell at XFD1048576 reached calamine); what is read now holds whole tags only.
    The next window also starts with the last _OVERLAP bytes, so a marker split between chunks is seen."""
    keep = max(len(window) - _OVERLAP, 0)
    lt = window.rfind(b"<")
    if lt >= 0 and window.find(b">", lt) < 0:
        return window[:lt], window[min(lt, keep):]
    return window, window[keep:]


def _stored(data: bytes, begin: int, size: int):
    end = min(len(data), begin + size)
    for i in range(begin, end, _CHUNK_OUT):
        yield data[i:min(end, i + _CHUNK_OUT)]


def _inflate(data: bytes, begin: int, label: str):
    """Raw deflate from ``begin`` until the stream ends (self-terminating: no declared size is needed)."""
    d = zlib.decompressobj(-15)
    view = memoryview(data)
    pos = begin
    try:
        while not d.eof:
            if d.unconsumed_tail:
                buf = d.unconsumed_tail
            elif pos < len(data):
                buf = view[pos:pos + _CHUNK_IN]
                pos += len(buf)
            else:
                return  # truncated stream: calamine will say the file is damaged
            out = d.decompress(buf, _CHUNK_OUT)
            if out:
                yield out
    except zlib.error:
        raise _damaged(label) from None


# --------------------------------------------------------------------------- which part is which sheet


#: workbook.xml and its relationships are read whole to name the sheets only up to this size
_MAX_INDEX_BYTES = 16 * MB


def _small_part(zf: zipfile.ZipFile, part: str) -> bytes:
    """A small index part (workbook.xml, its rels), or b"" when absent, unreadable or too large to be one: the
    sheets are then named by their part names, and the main scan still applies every limit to it."""
    try:
        with zf.open(part) as f:
            data = f.read(_MAX_INDEX_BYTES + 1)
    except Exception:  # noqa: BLE001 - KeyError, BadZipFile, zlib.error, …: the main scan will judge the part
        return b""
    return b"" if len(data) > _MAX_INDEX_BYTES or any(d in data for d in _DECLARATIONS) else data


def _attrs(tag: bytes) -> dict[bytes, bytes]:
    return {k.split(b":")[-1]: v for k, v in _ATTR.findall(tag)}


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """worksheet part name → sheet name, from xl/workbook.xml and its relationships; every other worksheet part
    (one the workbook does not name) maps to its own part name."""
    out: dict[str, str] = {}
    rels = _small_part(zf, "xl/_rels/workbook.xml.rels")
    book = _small_part(zf, "xl/workbook.xml")
    targets: dict[bytes, str] = {}
    for tag in _REL.findall(rels):
        a = _attrs(tag)
        target = a.get(b"Target", b"").decode("utf-8", "replace")
        if not target:
            continue
        part = target.lstrip("/") if target.startswith("/") else "xl/" + target
        targets[a.get(b"Id", b"")] = _normalise(part)
    for tag in _SHEET.findall(book):
        a = _attrs(tag)
        part = targets.get(a.get(b"id", b""))
        if part:
            out[part] = _unescape(a.get(b"name", b"").decode("utf-8", "replace"))
    for info in zf.infolist():
        if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
            out.setdefault(info.filename, info.filename)
    return out


def _normalise(part: str) -> str:
    stack: list[str] = []
    for piece in part.split("/"):
        if piece == "..":
            if stack:
                stack.pop()
        elif piece and piece != ".":
            stack.append(piece)
    return "/".join(stack)


def _unescape(s: str) -> str:
    return (s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
            .replace("&amp;", "&"))
