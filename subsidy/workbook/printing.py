"""How every workbook the tool writes prints: one definition of paper, margins, fonts, headers and row heights.

A clerk prints a sheet from Excel, WPS or LibreOffice without touching the page setup, so each sheet carries it:

* paper and orientation per sheet (:data:`A4` landscape by default, :data:`A3` for a very wide table, portrait for
  a document-like page such as a summary with signatures);
* the header row repeated on every page (print titles), a page header naming the policy and the year, and the
  footer 第 &P 页 共 &N 页;
* one font (:data:`FONT_NAME` at :data:`FONT_SIZE` pt, wrapped, top-aligned) and column widths chosen so that the
  sheet fits the paper's width at 100%: the printed text stays at :data:`FONT_SIZE` pt (a sheet whose columns
  would not fit, e.g. with enormous amounts, is fitted to the page width instead);
* explicit row heights for wrapped text, because LibreOffice does not recompute the height of a wrapped row when it
  opens an xlsx (the cell would print as one clipped line). Heights are estimated from the text's width in
  CJK-aware units (:func:`text_width`: a CJK character counts as two Latin characters), cheaply enough to be called
  for each of 100,000 streamed rows.

Column widths are in Excel's units (the width of a digit of the workbook's default font, Calibri 11: 7 px at
96 dpi). LibreOffice renders Calibri with the metric-compatible Carlito (Debian: fonts-crosextra-carlito, installed
by ``.ci/run``), so the widths agree in both.

Two ways to use it:

* :func:`setup_page` on any openpyxl worksheet (write-only included) before it is saved: paper, margins, print
  titles, header and footer. The award schedule's streaming writer uses this and :func:`line_count` /
  :func:`row_height` for its rows.
* :func:`format_sheet` on an ordinary (not write-only) openpyxl worksheet that already holds its cells: it also
  sets the font, wrapping and money format of every cell and the height of every row, then calls
  :func:`setup_page`. The audit reports, the ledger's export and clawback workbooks, and other reports use this.

Example::

    from subsidy.workbook import printing
    ws.append(["出资财政", "金额(元)"]) ...
    printing.format_sheet(ws, widths=[20, 18], heading=printing.heading(pack, 2024, "审计报告"),
                          money_cols={2})
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable

from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins

#: the font of every cell the tool writes (LibreOffice: Carlito, same metrics); CJK falls back to the system's
FONT_NAME = "Calibri"
#: printed size of table text, in points; never printed below 9 pt (see module docstring)
FONT_SIZE = 10
MONEY_FORMAT = "#,##0.00"
#: points per printed line of FONT_SIZE text: CJK fonts have tall lines (Noto Sans CJK 1.448 em, measured
#: 14.4 pt at 10 pt in LibreOffice; Microsoft YaHei 1.32 em)
LINE_HEIGHT = 14.6
#: points added to a wrapped row's height for the cell's top and bottom padding and the last line's descent
ROW_PADDING = 5.0
#: fraction of a column's width that text is assumed to fill (line-breaking rules and word wrap waste some)
FILL = 0.95

BODY_FONT = Font(name=FONT_NAME, size=FONT_SIZE)
BOLD_FONT = Font(name=FONT_NAME, size=FONT_SIZE, bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)

FOOTER = "第 &P 页 共 &N 页"


@dataclass(frozen=True)
class Paper:
    """A paper size: its code in SpreadsheetML (``pageSetup/@paperSize``) and its short and long sides in inches."""

    name: str
    code: int
    short: float
    long: float


A4 = Paper("A4", 9, 8.27, 11.69)
A3 = Paper("A3", 8, 11.69, 16.54)

#: margins in inches: narrow sides, room for the header and footer
MARGIN_SIDE = 0.5
MARGIN_TOP = 0.75
MARGIN_BOTTOM = 0.75
MARGIN_HEADER = 0.3
#: column width units per inch of paper. Excel draws a unit as 7 px at 96 dpi (5.25 pt); LibreOffice draws it as
#: the width of Carlito's digit at 11 pt, 5.55 pt (measured): the wider one decides what fits.
UNITS_PER_INCH = 72 / 5.55


@dataclass(frozen=True)
class Layout:
    """Paper and orientation of one sheet; ``one_page`` shrinks the whole sheet onto a single page."""

    paper: Paper = A4
    landscape: bool = True
    one_page: bool = False

    @property
    def width_in(self) -> float:
        return self.paper.long if self.landscape else self.paper.short

    @property
    def height_in(self) -> float:
        return self.paper.short if self.landscape else self.paper.long

    def usable_width(self) -> float:
        """The sum of column widths (Excel units) that prints at 100% on one page width, one unit to spare."""
        return (self.width_in - 2 * MARGIN_SIDE) * UNITS_PER_INCH - 1

    @property
    def usable_height_pt(self) -> float:
        """Points of rows that fit on one page between the top and bottom margins."""
        return (self.height_in - MARGIN_TOP - MARGIN_BOTTOM) * 72


A4_LANDSCAPE = Layout(A4, landscape=True)
A4_PORTRAIT = Layout(A4, landscape=False)
A3_LANDSCAPE = Layout(A3, landscape=True)


@dataclass(frozen=True)
class Heading:
    """The page header: the policy on the left, the document (and year) and the sheet's name on the right."""

    policy: str
    document: str

    @staticmethod
    def _escape(s: str) -> str:
        return s.replace("&", "&&")


def heading(policy_number: str, policy_title: str, year: int | str | None, document: str) -> Heading:
    """景府办字〔2023〕2号《…》 | 2024 年度 奖励明细表 (``year`` None: 全部年度; a str is used as it is)."""
    if year is None:
        when = "全部年度"
    elif isinstance(year, int):
        when = f"{year} 年度"
    else:
        when = year
    return Heading(policy=f"{policy_number}《{policy_title}》", document=f"{when} {document}".strip())


# --------------------------------------------------------------------------- text measures


def text_width(s: str) -> int:
    """Width of one line of text in Latin-character units: CJK (and other wide) characters count 2.

    ``(len + UTF-8 length) / 2`` gives 1 for ASCII and 2 for the 3-byte CJK range, computed in C."""
    if s.isascii():
        return len(s)
    return (len(s) + len(s.encode("utf-8", "surrogatepass"))) // 2


def capacity(width: float) -> float:
    """Latin-character units that one printed line of a column ``width`` wide holds, with a margin of safety."""
    return max(1.0, (width - 1.0) * FILL)


def line_count(s: str, width: float) -> int:
    """Printed lines of ``s`` wrapped in a column ``width`` wide (explicit line breaks included)."""
    return lines_in(s, capacity(width))


def lines_in(s: str, cap: float) -> int:
    """Printed lines of ``s`` where one line holds ``cap`` units (see :func:`capacity`); the fast path of
    :func:`line_count` for a caller that computed the capacity once per column."""
    if "\n" in s:
        return sum(_lines(part, cap) for part in s.split("\n"))
    return _lines(s, cap)


def _lines(s: str, cap: float) -> int:
    n = len(s)
    if n * 2 <= cap:  # cannot overflow even if every character were wide
        return 1
    w = n if s.isascii() else text_width(s)  # isascii() is O(1) in CPython
    return 1 if w <= cap else math.ceil(w / cap)


def row_height(lines: int, size: float = FONT_SIZE) -> float:
    """Row height in points for ``lines`` printed lines of ``size`` pt text."""
    return round(lines * LINE_HEIGHT * size / FONT_SIZE + ROW_PADDING, 1)


def money_width(amounts: Iterable[Decimal | None], minimum: float = 12) -> float:
    """A column width that shows the largest amount in :data:`MONEY_FORMAT` (no ``####``): a digit is about one
    unit at :data:`FONT_SIZE` pt, a separator half of one."""
    top = max((abs(a) for a in amounts if a is not None), default=Decimal(0))
    shown = f"{top:,.2f}"
    digits = sum(ch.isdigit() for ch in shown)
    return max(minimum, math.ceil(digits + 0.55 * (len(shown) - digits) + 1.5))


# --------------------------------------------------------------------------- page setup


def setup_page(ws, *, layout: Layout = A4_LANDSCAPE, heading: Heading | None = None,
               repeat_rows: str | None = "1:1", widths: Iterable[float] | None = None) -> None:
    """Paper, orientation, margins, print titles (``repeat_rows``, e.g. "1:1", printed at the top of every page;
    None: none), the page header (policy and year) and footer (第 N 页 共 M 页). Works on ordinary and write-only
    worksheets; call it before the sheet is written (write-only) or saved.

    Scaling: 100% when the columns (``widths``) fit the paper's width; otherwise fit to one page wide (it then
    prints smaller than :data:`FONT_SIZE`). Fit-to-width is not set when it is not needed: LibreOffice shrinks a
    sheet a little more than needed to save a page when it is set. A ``one_page`` layout always fits one page."""
    ps = ws.page_setup
    ps.paperSize = layout.paper.code
    ps.orientation = "landscape" if layout.landscape else "portrait"
    fit_width = widths is not None and not check_fits(widths, layout)
    if layout.one_page or fit_width:
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ps.fitToWidth = 1
        ps.fitToHeight = 1 if layout.one_page else 0
    else:
        ws.sheet_properties.pageSetUpPr.fitToPage = False
        ps.scale = 100
    ws.page_margins = PageMargins(left=MARGIN_SIDE, right=MARGIN_SIDE, top=MARGIN_TOP, bottom=MARGIN_BOTTOM,
                                  header=MARGIN_HEADER, footer=MARGIN_HEADER)
    ws.print_options.horizontalCentered = False
    if repeat_rows:
        ws.print_title_rows = repeat_rows
    header_footer(ws.HeaderFooter, heading)


def header_footer(hf, heading: Heading | None) -> None:
    """The page header (policy; document, year and sheet name) and footer (第 N 页 共 M 页) of a worksheet's or a
    chart sheet's ``HeaderFooter``."""
    if heading is not None:
        right = f"{Heading._escape(heading.document)} · &A"  # &A: the sheet's name
        for part, text in ((hf.oddHeader.left, Heading._escape(heading.policy)), (hf.oddHeader.right, right)):
            part.text = text
            part.font = f"{FONT_NAME},Regular"
            part.size = 9
    hf.oddFooter.center.text = FOOTER
    hf.oddFooter.center.font = f"{FONT_NAME},Regular"
    hf.oddFooter.center.size = 9


def format_sheet(ws, *, widths: list[float], heading: Heading | None = None, layout: Layout = A4_LANDSCAPE,
                 header_row: int | None = 1, money_cols: Iterable[int] = (), bold_rows: Iterable[int] = (),
                 min_heights: dict[int, float] | None = None) -> None:
    """Make an ordinary worksheet print: every cell in :data:`FONT_NAME` :data:`FONT_SIZE` pt, wrapped and
    top-aligned (header row bold and centred), Decimal/number cells in ``money_cols`` (1-based) with
    :data:`MONEY_FORMAT`, column widths, each row's height from its longest wrapped text, then :func:`setup_page`
    with the header row as print title. Cells that already carry a bold font or a fill keep them."""
    for j, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(j)].width = w
    money = set(money_cols)
    bold = set(bold_rows)
    min_heights = min_heights or {}
    for row in ws.iter_rows():
        lines = 1
        r = row[0].row
        for cell in row:
            v = cell.value
            j = cell.column
            is_header = r == header_row
            if is_header:
                cell.font, cell.alignment = BOLD_FONT, HEADER_ALIGNMENT
            else:
                cell.font = BOLD_FONT if (cell.font is not None and cell.font.b) or r in bold else BODY_FONT
                cell.alignment = WRAP
            if v is None:
                continue
            if j in money and isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
                cell.number_format = MONEY_FORMAT
            if isinstance(v, str) and j <= len(widths):
                lines = max(lines, line_count(v, widths[j - 1]))
        h = row_height(lines) if lines > 1 else None
        if r in min_heights:
            h = max(h or 0, min_heights[r])
        if h:
            ws.row_dimensions[r].height = h
    setup_page(ws, layout=layout, heading=heading, repeat_rows=f"{header_row}:{header_row}" if header_row else None,
               widths=widths)


def check_fits(widths: Iterable[float], layout: Layout) -> bool:
    """Whether columns of these widths print on one page width of ``layout`` at 100%."""
    widths = list(widths)
    return sum(widths) <= layout.usable_width()
