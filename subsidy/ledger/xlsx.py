"""Small helpers for the workbooks the ledger and the audit write (openpyxl)."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from ..errors import OutputError
from ..workbook.files import save_workbook

MONEY = "#,##0.00"
DATE = "yyyy-mm-dd"
HEAD_FONT = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
FLAG_FILL = PatternFill("solid", fgColor="FCE4D6")


def put(ws: Worksheet, row: int, col: int, value, *, money: bool = False):
    """One cell: Decimal as a number (money format), dates as dates, text never read as a formula."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, Decimal):
        cell.value = value
        cell.number_format = MONEY if money or value.as_tuple().exponent == -2 else "0.####"
    elif isinstance(value, dt.date):
        cell.value = value
        cell.number_format = DATE
    elif isinstance(value, str):
        cell.value = value
        if value[:1] in ("=", "+", "-", "@"):
            cell.data_type = "s"
    else:
        cell.value = value
    return cell


def table(ws: Worksheet, headers: list[str], rows: list[list], *, widths: list[int] | None = None,
          start_row: int = 1, money_cols: set[int] = frozenset()) -> int:
    """Headers and rows from ``start_row``; returns the last row written."""
    for j, h in enumerate(headers, 1):
        c = put(ws, start_row, j, h)
        c.font, c.fill = HEAD_FONT, HEAD_FILL
        c.alignment = Alignment(horizontal="center")
    r = start_row
    for r, values in enumerate(rows, start_row + 1):
        for j, v in enumerate(values, 1):
            put(ws, r, j, v, money=j in money_cols)
    for j, h in enumerate(headers, 1):
        w = (widths[j - 1] if widths and j <= len(widths) else None) or max(10, min(40, 2 * len(str(h)) + 2))
        ws.column_dimensions[get_column_letter(j)].width = w
    if start_row == 1:
        ws.freeze_panes = "A2"
    return r


def save(wb: Workbook, path: str | Path) -> Path:
    """Write the whole workbook or nothing (subsidy.workbook.files.save_workbook); ``path`` must be an .xlsx."""
    p = Path(path)
    if p.suffix.lower() != ".xlsx":
        raise OutputError(f"输出文件应为 .xlsx：{p}")
    save_workbook(wb, p)
    return p
