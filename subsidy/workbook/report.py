"""Small print-ready reports (口径比较表, 口径扫描表, 预测表): table sheets and chart sheets, shared by their writers.

Written with openpyxl in normal mode (the tables are small), saved through subsidy.atomic. Money cells are numbers
with ``#,##0.00``; every text is a string cell (never a formula). Printing follows subsidy.workbook.printing (A4
landscape, 100% or one page wide, header row repeated on every page, the page header naming the policy, document
and sheet, footer 第 &P 页 共 &N 页, 10 pt text wrapped with row heights set); a chart sits on its own chart sheet
(one A4 landscape page) with a title, axis titles and value labels (:func:`labels`).

Usage::

    head = printing.heading(pack.number, pack.title, "2025年起", "总部迁入奖励预测")
    s = Sheet(wb, "按年度", (12, 18), ("年度", "金额（元）"), page_header=head)
    s.append([2025, Decimal("400000.00")], money=(2,))
    chart_sheet(wb, "图表", money_chart(BarChart(), ws, title=…, x_title="年度", cols=(2, 2), n=…, names=["金额"]),
                heading=head)
    save_workbook(wb, path)  # subsidy.workbook.files
"""
from __future__ import annotations

from decimal import Decimal
from typing import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import Reference
from openpyxl.chart.data_source import NumFmt
from openpyxl.chart.series import SeriesLabel
from openpyxl.chart.label import DataLabel, DataLabelList
from openpyxl.chart.text import RichText
from openpyxl.descriptors import Typed
from openpyxl.drawing.text import CharacterProperties, Paragraph, ParagraphProperties, RichTextProperties
from openpyxl.drawing.xdr import XDRPositiveSize2D
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins, PrintPageSetup

from . import printing

MONEY_FORMAT = printing.MONEY_FORMAT
FONT_SIZE = printing.FONT_SIZE
FONT_NAME = printing.FONT_NAME
_FONT = printing.BODY_FONT
_BOLD = printing.BOLD_FONT
_TITLE = Font(name=FONT_NAME, size=16, bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
CHANGED_FILL = PatternFill("solid", fgColor="FFF2CC")  # a row that differs, or needs the reader's eye
_THIN = Side(style="thin", color="808080")
_WRAP = Alignment(wrap_text=True, vertical="center")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


# --------------------------------------------------------------------------- printing (subsidy.workbook.printing)


_EMU_PER_CM = 360_000


def chart_sheet(wb: Workbook, title: str, chart, *, heading: printing.Heading) -> None:
    """A chart on its own sheet, printed on one A4 landscape page, with the page header and footer of every
    other sheet."""
    cs = wb.create_chartsheet(title)
    cs.add_chart(chart)
    # Excel stretches a chart sheet's chart over the page; LibreOffice takes the anchor's size: the printable area
    chart.anchor.ext = XDRPositiveSize2D(cx=26 * _EMU_PER_CM, cy=17 * _EMU_PER_CM)
    cs.pageSetup = PrintPageSetup(paperSize=printing.A4.code, orientation="landscape")
    cs.pageMargins = PageMargins(left=printing.MARGIN_SIDE, right=printing.MARGIN_SIDE, top=printing.MARGIN_TOP,
                                 bottom=printing.MARGIN_BOTTOM, header=printing.MARGIN_HEADER,
                                 footer=printing.MARGIN_HEADER)
    printing.header_footer(cs.HeaderFooter, heading)


text_width = printing.text_width


def lines_needed(s: str, width: float) -> int:
    return printing.line_count(s, width)


class Sheet:
    """A table sheet: header row 1 (frozen, repeated on every printed page), wrapped rows with heights set."""

    def __init__(self, wb: Workbook, title: str, widths: Sequence[float], headers: Sequence[str] | None = None,
                 *, first: bool = False, page_header: printing.Heading | None = None):
        self.ws = wb.active if first else wb.create_sheet(title)
        self.ws.title = title
        self.widths = list(widths)
        self.row = 0  # the last row written
        for i, w in enumerate(widths, 1):
            self.ws.column_dimensions[get_column_letter(i)].width = w
        printing.setup_page(self.ws, heading=page_header, repeat_rows="1:1" if headers else None, widths=widths)
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
            self.ws.row_dimensions[r].height = printing.row_height(n)
        return r

    def note(self, text: str) -> None:
        """A paragraph over the whole width of the sheet."""
        r = self.append([text])
        self.ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(self.widths))
        self.ws.row_dimensions[r].height = printing.row_height(lines_needed(text, sum(self.widths)))

    def blank(self) -> None:
        self.row += 1
        self.ws.row_dimensions[self.row].height = printing.row_height(1)

    def _height(self, r: int, values: Sequence) -> None:
        n = 1
        for v, w in zip(values, self.widths):
            if isinstance(v, str) and v:
                n = max(n, lines_needed(v, w))
        self.ws.row_dimensions[r].height = printing.row_height(n)


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


def labels(num_format: str = "#,##0", *, vertical: bool = False) -> DataLabelList:
    """Value labels on every point of a chart."""
    return _label_style(_DataLabels(), num_format, vertical=vertical)


def change_labels(values: Sequence[Decimal], num_format: str = "#,##0") -> DataLabelList:
    """Labels on the first point and wherever the value changes: several lines that run together would
    otherwise print their labels over each other."""
    points = [i for i, v in enumerate(values) if i == 0 or v != values[i - 1]]
    labels = [_label_style(_DataLabel(idx=i, dLblPos="t"), num_format) for i in points]
    d = _DataLabels(dLbl=labels)
    d.showVal = d.showSerName = d.showCatName = d.showLegendKey = d.showPercent = False
    return d


def money_chart(ch, ws, *, title: str, x_title: str, cols: tuple[int, int], n: int, names: Sequence[str]):
    """A bar or line chart ``ch`` of money over the table on ``ws``: columns ``cols`` of the ``n`` rows below the
    header (categories in column A), one series a column named by ``names``; title, axis titles (金额（元） on
    the value axis, whole yuan), both axes shown, category labels below the plot even when a value is negative.
    The legend stands below when there are several series. The caller adds the labels it wants."""
    ch.title = title
    ch.x_axis.title = x_title
    ch.y_axis.title = "金额（元）"
    ch.y_axis.numFmt = "#,##0"
    ch.x_axis.delete = ch.y_axis.delete = False  # openpyxl 3.1 would hide the axes otherwise
    ch.x_axis.tickLblPos = "low"
    ch.add_data(Reference(ws, min_col=cols[0], max_col=cols[1], min_row=1, max_row=n + 1), titles_from_data=True)
    ch.set_categories(Reference(ws, min_col=1, min_row=2, max_row=n + 1))
    for series, name in zip(ch.series, names, strict=True):
        series.tx = SeriesLabel(v=name)  # the name without the header's unit and line break
    if len(names) > 1:
        ch.legend.position = "b"
    else:
        ch.legend = None
    return ch
