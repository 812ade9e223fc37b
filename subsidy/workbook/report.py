"""Small print-ready reports (口径比较表, 口径扫描表, 预测表): table sheets and chart sheets, shared by their writers.

Written with openpyxl in normal mode (the tables are small), saved through subsidy.atomic. Money cells are numbers
with ``#,##0.00``; every text is a string cell (never a formula). Printing: A4 landscape, one page wide, header row
repeated on every page, footer 第 &P 页 共 &N 页, 10 pt text wrapped with row heights set; a chart sits on its own
chart sheet (one A4 landscape page) with a title, axis titles and value labels (:func:`labels`).

Usage::

    s = Sheet(wb, "按年度", (12, 18), ("年度", "金额（元）"), page_header="预测表　&A")
    s.append([2025, Decimal("400000.00")], money=(2,))
    chart_sheet(wb, "图表", bar_chart, header="预测表　&A")
    save(wb, path)
"""
from __future__ import annotations

import os
from decimal import Decimal
from typing import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart.data_source import NumFmt
from openpyxl.chart.label import DataLabel, DataLabelList
from openpyxl.chart.text import RichText
from openpyxl.descriptors import Typed
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RichTextProperties
from openpyxl.drawing.xdr import XDRPositiveSize2D
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins, PrintPageSetup

from ..atomic import atomic_path

from .printing import FONT_NAME, FONT_SIZE, LINE_HEIGHT, MONEY_FORMAT, row_height  # noqa: E402
from .printing import line_count as lines_needed, text_width  # noqa: E402,F401  (the same measures as the schedule)
_FONT = Font(name=FONT_NAME, size=FONT_SIZE)
_BOLD = Font(name=FONT_NAME, size=FONT_SIZE, bold=True)
_TITLE = Font(name=FONT_NAME, size=16, bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
CHANGED_FILL = PatternFill("solid", fgColor="FFF2CC")  # a row that differs, or needs the reader's eye
_THIN = Side(style="thin", color="808080")
_WRAP = Alignment(wrap_text=True, vertical="center")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


# --------------------------------------------------------------------------- printing
# Paper, margins, print titles, scaling and the footer come from the shared page setup (subsidy.workbook.printing);
# these reports add their own centred page header (report, year, sheet name).


def print_setup(ws, *, title_rows: str | None = "1:1", header: str | None = None,
                widths: Sequence[float] | None = None) -> None:
    """A4 landscape (100% when ``widths`` fit the page, else one page wide), header row repeated, page numbers in
    the footer, ``header`` centred above."""
    from . import printing

    printing.setup_page(ws, layout=printing.A4_LANDSCAPE, heading=None, repeat_rows=title_rows,
                        widths=list(widths) if widths is not None else None)
    if widths is None:  # nothing to measure: one page wide
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
    _header_footer(ws, header)


def _header_footer(sheet, header: str | None) -> None:
    sheet.oddFooter.center.text = "第 &P 页 共 &N 页"
    sheet.oddFooter.center.size = 9
    if header:
        sheet.oddHeader.center.text = header
        sheet.oddHeader.center.size = 9


_EMU_PER_CM = 360_000


def chart_sheet(wb: Workbook, title: str, chart, *, header: str | None = None) -> None:
    """A chart on its own sheet, printed on one A4 landscape page."""
    cs = wb.create_chartsheet(title)
    cs.add_chart(chart)
    # Excel stretches a chart sheet's chart over the page; LibreOffice takes the anchor's size: the printable area
    chart.anchor.ext = XDRPositiveSize2D(cx=26 * _EMU_PER_CM, cy=17 * _EMU_PER_CM)
    cs.pageSetup = PrintPageSetup(paperSize=9, orientation="landscape")  # A4
    cs.pageMargins = PageMargins(left=0.5, right=0.5, top=0.6, bottom=0.7, header=0.3, footer=0.3)
    _header_footer(cs, header)


class Sheet:
    """A table sheet: header row 1 (frozen, repeated on every printed page), wrapped rows with heights set."""

    def __init__(self, wb: Workbook, title: str, widths: Sequence[float], headers: Sequence[str] | None = None,
                 *, first: bool = False, page_header: str | None = None):
        self.ws = wb.active if first else wb.create_sheet(title)
        self.ws.title = title
        self.widths = list(widths)
        self.row = 0  # the last row written
        for i, w in enumerate(widths, 1):
            self.ws.column_dimensions[get_column_letter(i)].width = w
        print_setup(self.ws, title_rows="1:1" if headers else None, header=page_header, widths=self.widths)
        if headers:
            self.ws.freeze_panes = "A2"
            self.header(headers)

    def header(self, headers: Sequence[str]) -> None:
        self.row = r = self.row + 1
        for j, h in enumerate(headers, 1):
            c = self.ws.cell(r, j, h)
            c.font, c.fill, c.alignment, c.border = _BOLD, _HEADER_FILL, _CENTER, Border(bottom=_THIN)
        self._height(r, headers)

    def append(self, values: Iterable, *, bold: bool = False, money: Iterable[int] = (), fill=None) -> int:
        """One row; ``money`` names the 1-based columns that are money (given as Decimal)."""
        self.row = r = self.row + 1
        money = set(money)
        values = list(values)
        for j, v in enumerate(values, 1):
            if v is None:
                continue
            c = self.ws.cell(r, j)
            if isinstance(v, str):
                c.value = ILLEGAL_CHARACTERS_RE.sub("", v)
                c.data_type = "s"  # a text that starts with = stays text
            else:
                c.value = v
            c.font = _BOLD if bold else _FONT
            c.alignment = _WRAP
            if j in money:
                c.number_format = MONEY_FORMAT
            if fill is not None:
                c.fill = fill
        self._height(r, values)
        return r

    def title(self, text: str) -> None:
        self.row = r = self.row + 1
        self.ws.cell(r, 1, text).font = _TITLE
        self.ws.row_dimensions[r].height = 24

    def pair(self, label: str, value, *, span: int = 1, money: bool = False, bold: bool = False) -> int:
        """A label and its value, the value merged over ``span`` columns (the row as tall as the value needs)."""
        r = self.append([label, value], money=(2,) if money else (), bold=bold)
        self.ws.cell(r, 1).font = _BOLD
        if span > 1:
            self.ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=1 + span)
        if isinstance(value, str):
            width = sum(self.widths[1:1 + span])
            n = max(lines_needed(value, width), lines_needed(label, self.widths[0]))
            self.ws.row_dimensions[r].height = row_height(n)
        return r

    def note(self, text: str) -> None:
        """A paragraph over the whole width of the sheet."""
        r = self.append([text])
        self.ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(self.widths))
        self.ws.row_dimensions[r].height = row_height(lines_needed(text, sum(self.widths)))

    def blank(self) -> None:
        self.row += 1
        self.ws.row_dimensions[self.row].height = LINE_HEIGHT

    def _height(self, r: int, values: Sequence) -> None:
        n = 1
        for v, w in zip(values, self.widths):
            if isinstance(v, str) and v:
                n = max(n, lines_needed(v, w))
        self.ws.row_dimensions[r].height = row_height(n)


class _DataLabels(DataLabelList):
    """openpyxl writes a label's number format without sourceLinked="0", so LibreOffice shows the cells' format
    (two decimals) instead: this one writes the whole <c:numFmt>."""

    numFmt = Typed(expected_type=NumFmt, allow_none=True)
    __elements__ = DataLabelList.__elements__
    __nested__ = tuple(n for n in DataLabelList.__nested__ if n != "numFmt")
    __attrs__ = DataLabelList.__attrs__


class _DataLabel(DataLabel):
    """One point's label, with the same fix as _DataLabels."""

    numFmt = Typed(expected_type=NumFmt, allow_none=True)
    __elements__ = DataLabel.__elements__
    __nested__ = tuple(n for n in DataLabel.__nested__ if n != "numFmt")
    __attrs__ = DataLabel.__attrs__


def _label_style(label, num_format: str, *, vertical: bool = False):
    label.showVal = True
    label.showSerName = label.showCatName = label.showLegendKey = label.showPercent = False
    label.numFmt = NumFmt(formatCode=num_format, sourceLinked=False)
    size = CharacterProperties(sz=900)
    body = RichTextProperties(rot=-5_400_000, vert="horz") if vertical else RichTextProperties()
    label.txPr = RichText(bodyPr=body, p=[Paragraph(pPr=ParagraphProperties(defRPr=size), r=[], endParaRPr=size)])
    return label


def _labels(num_format: str = "#,##0", *, vertical: bool = False) -> DataLabelList:
    """Every point's value."""
    return _label_style(_DataLabels(), num_format, vertical=vertical)


def _change_labels(values: Sequence[Decimal], num_format: str = "#,##0") -> DataLabelList:
    """Labels on the first point and wherever the value changes: several lines that run together would
    otherwise print their labels over each other."""
    points = [i for i, v in enumerate(values) if i == 0 or v != values[i - 1]]
    labels = [_label_style(_DataLabel(idx=i, dLblPos="t"), num_format) for i in points]
    d = _DataLabels(dLbl=labels)
    d.showVal = d.showSerName = d.showCatName = d.showLegendKey = d.showPercent = False
    return d


def labels(num_format: str = "#,##0", *, vertical: bool = False) -> DataLabelList:
    """Value labels on every point of a chart (public name of :func:`_labels`)."""
    return _labels(num_format, vertical=vertical)


def save(wb: Workbook, path: str | os.PathLike[str]) -> None:
    """The workbook at ``path``, atomically (whole file or nothing)."""
    with atomic_path(path) as tmp:
        wb.save(tmp)
