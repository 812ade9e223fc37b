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
#: an input file larger than this is not read at all (a province-wide batch of 100k claims is about 5 MB)
MAX_FILE_BYTES = 100 * MB
#: one part of the package may inflate to at most this many bytes
MAX_PART_BYTES = 200 * MB
#: all parts together may inflate to at most this many bytes
MAX_TOTAL_BYTES = 400 * MB
#: a workbook has a few dozen parts; a zip with more is not one
MAX_PARTS = 10_000
#: the used rectangle of one sheet (rows × columns between its first and last value cell); calamine allocates
#: it densely (about 40 bytes a cell with the Python lists): 10 million cells ≈ 400 MB
MAX_AREA_CELLS = 10_000_000

_CHUNK_IN = 256 * 1024  # compressed bytes fed at a time
_CHUNK_OUT = 1 * MB  # inflated bytes produced at a time
_OVERLAP = 64  # inflated bytes kept from the previous chunk, so a tag split between two chunks is still seen

_LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, (skipped), name length, extra length
_LOCAL_SIG = b"PK\x03\x04"

_DECLARATIONS = tuple(
    marker.encode(enc) for marker in ("<!DOCTYPE", "<!ENTITY") for enc in ("utf-8", "utf-16-le", "utf-16-be")
)
# a cell or row that holds something: a start tag that is not self-closing (an empty <c r=".." s="1"/> of a
# formatted but blank cell is skipped by calamine too); an optional namespace prefix
_CELL = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?c\s[^>]*?\br="([A-Z]{1,3})([0-9]{1,7})"[^>/]*>')
_ROW = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?row\s[^>]*?\br="([0-9]{1,7})"[^>/]*>')
_LOOSE_CELL = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?c(?:>|\s(?![^>]*\br=")[^>/]*>)')
_LOOSE_ROW = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?row(?:>|\s(?![^>]*\br=")[^>/]*>)')
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
#: a chunk holding one of these may hold an error cell or a formula: only then is the part read again, exactly
_SUSPECT = (b't="e"', b"<f", b":f")
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

    def scan(self, window: bytes, chunk: bytes = b"") -> None:
        self.cells(_CELL.findall(window))
        row_tags = _ROW.findall(window)
        if _LOOSE_CELL.search(window):  # never in what Excel, WPS or openpyxl write: only then count per row
            self.loose_cols = max(self.loose_cols, max(piece.count(b"<c") for piece in window.split(b"</row>")))
            if not self.counting_rows and self.last_row_tag:
                self.rows([str(self.last_row_tag).encode()])
            self.counting_rows = True
        if self.counting_rows:
            self.rows(row_tags)
        elif row_tags:
            self.last_row_tag = max(self.last_row_tag, *(int(x) for x in row_tags))
        self.loose_rows += len(_LOOSE_ROW.findall(window))

    def size(self) -> tuple[int, int]:
        """(rows, columns) of the rectangle: an upper bound, at most 16384 columns."""
        rows = (self.max_row - self.min_row + 1 if self.max_row else 0) + self.loose_rows
        cols = (self.max_col - self.min_col + 1 if self.max_col else 0) + self.loose_cols
        return rows, max(1, min(cols, MAX_COLUMNS))

    def corners(self) -> tuple[str, str]:
        rows, cols = self.size()
        top, left = self.min_row or 1, self.min_col or 1
        return f"{_column_letters(left)}{top}", f"{_column_letters(min(left + cols - 1, MAX_COLUMNS))}{top + rows - 1}"


class _QuickArea(_Area):
    """The fast pass, for the common case: every ``r="…"`` reference counts (blank cells included), which bounds
    the rectangle from above; any sign of a cell or row without a leading reference makes it ``loose``, and then
    the exact pass (:class:`_Area`) runs instead."""

    _COUNTED = (b"<c ", b'<c r="', b"<row ", b'<row r="')

    def __init__(self) -> None:
        super().__init__()
        self.counts = [0] * len(self._COUNTED)
        self.odd = False  # a <c>, <row> or a prefixed tag was seen
        self._prev = b""

    @property
    def loose(self) -> bool:
        c = self.counts
        return self.odd or c[0] != c[1] or c[2] != c[3]

    def scan(self, window: bytes, chunk: bytes = b"") -> None:
        # when not loose, every cell tag starts <c r="…" and every row tag <row r="…": literal prefixes, fast
        found = _QUICK_CELL.findall(window)
        if found:
            numbers = [column_number(c.decode()) for c in {a for a, _ in found}]
            self.min_col = min(self.min_col or min(numbers), min(numbers))
            self.max_col = max(self.max_col, max(numbers))
            self.rows([r for _, r in found])
        self.rows(_QUICK_ROW.findall(window))
        if not self.odd:
            self.odd = b"<c>" in window or b"<row>" in window or b":c" in window or b":row" in window
        # each occurrence counted once: the previous chunk's last len(p) - 1 bytes cannot hold a whole one
        for i, p in enumerate(self._COUNTED):
            self.counts[i] += (self._prev[len(self._prev) - len(p) + 1:] + chunk).count(p)
        self._prev = chunk[-8:]

    def cells(self) -> int:
        rows, cols = self.size()
        return rows * cols


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
    declared = 0
    for info in infos:
        if info.file_size > MAX_PART_BYTES:
            raise _too_big(label, info.filename)
        declared += info.file_size
        if declared > MAX_TOTAL_BYTES:
            raise _too_big_total(label)
    sheets = _sheet_parts(zf)
    total = 0
    for info in infos:
        if info.is_dir():
            continue
        wanted = info.filename in sheets and sheet_wanted(sheets[info.filename])
        area = _QuickArea() if wanted else None
        xml = info.filename.endswith((".xml", ".rels", ".vml")) or wanted
        suspect: list[bool] = [False] if wanted else []
        valued: list[bool] = [False] if info.filename in sheets else []
        total = _scan(data, info, label, xml=xml, area=area, total=total, suspect=suspect, valued=valued)
        if valued and valued[0]:
            info_out.valued.add(sheets[info.filename])
        if suspect and suspect[0]:
            odd = _odd_cells(zf, info)
            if odd:
                info_out.odd_cells[sheets[info.filename]] = odd
        if area is not None and (area.loose or area.cells() > MAX_AREA_CELLS):
            # the quick bound is not good enough: measure the part again, exactly (hostile files only)
            area = _Area()
            _scan(data, info, label, xml=True, area=area, total=0)
            rows, cols = area.size()
            if rows * cols > MAX_AREA_CELLS:
                first, last = area.corners()
                raise UnreadableInput(
                    f"{label}的工作表“{sheets[info.filename]}”数据区域过大（{first}:{last}，{rows} 行 × {cols} 列，"
                    f"超过 {MAX_AREA_CELLS:,} 个单元格的上限），请删除远处多余的单元格后再提交")
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


def _too_big(label: str, part: str) -> UnreadableInput:
    return UnreadableInput(f"{label}中的“{part}”解压后超过 {_mb(MAX_PART_BYTES)}，可能是恶意构造的压缩包（zip 炸弹），已拒绝读取")


def _too_big_total(label: str) -> UnreadableInput:
    return UnreadableInput(f"{label}解压后的总大小超过 {_mb(MAX_TOTAL_BYTES)}，可能是恶意构造的压缩包（zip 炸弹），已拒绝读取")


def _damaged(label: str) -> UnreadableInput:
    return UnreadableInput(f"{label}已损坏，无法作为 Excel 工作簿读取")


def _scan(data: bytes, info: zipfile.ZipInfo, label: str, *, xml: bool, area: _Area | None, total: int,
          suspect: list[bool] | None = None, valued: list[bool] | None = None) -> int:
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
            raise _too_big(label, info.filename)
        if total > MAX_TOTAL_BYTES:
            raise _too_big_total(label)
        if xml:
            window = tail + chunk
            if b"<!" in window and any(d in window for d in _DECLARATIONS):
                raise UnreadableInput(
                    f"{label}中的“{info.filename}”含有 DOCTYPE 或 ENTITY 声明（可能是 XML 实体扩展攻击），"
                    "正常的 Excel 工作簿不会有，已拒绝读取")
            if area is not None:
                area.scan(window, chunk)
            if suspect and not suspect[0] and any(s in window for s in _SUSPECT):
                suspect[0] = True
            if valued and not valued[0] and _VALUED.search(window):
                valued[0] = True
            tail = window[-_OVERLAP:]
    return total


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
