"""The 收件清单 sheet of a merged batch: what `subsidy merge` received, and where each row of the batch came from.

A sheet the reader knows and assess does not read (SPEC 4). Three parts, top to bottom: the files (name, SHA-256,
companies, rows per sheet, notes) with the reconciliation received = written + joined per sheet; the files found
and not read, and what the bureau should know (same name under two codes, projects claimed by several companies);
the source of every row of the batch (file, sheet, row).
"""
from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook

from ..policy import PolicyPack
from .application import COLUMNS

if TYPE_CHECKING:
    from ..merge import Merged

RECEIPTS = "收件清单"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
BOLD = Font(bold=True)
WRAP = Alignment(wrap_text=True, vertical="top")
WIDTHS = (6, 34, 34, 38, 8, 10, 10, 11, 11, 40)
SOURCE_WIDTH = sum(WIDTHS[4:])  # the source of a row: columns E–J merged


def _safe(v):
    if isinstance(v, str):
        v = ILLEGAL_CHARACTERS_RE.sub("?", v)
    return v


def _cells(text: str) -> int:
    """Display width in character units (a CJK character counts two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _lines(text: str, width: float) -> int:
    room = max(int(width) - 1, 1)
    return sum(max(1, -(-_cells(part) // room)) for part in text.split("\n"))


class _Sheet:
    def __init__(self, ws):
        self.ws = ws
        self.r = 0

    def row(self, values=(), *, bold: bool = False, header: bool = False, wrap: bool = True,
            spans: dict[int, float] | None = None) -> int:
        """Write a row; with ``wrap`` its height fits the wrapped text (LibreOffice does not grow rows itself).
        ``spans``: column → width for a cell merged across several columns."""
        self.r += 1
        if wrap:
            lines = max([_lines(str(v), (spans or {}).get(j, WIDTHS[j - 1])) for j, v in enumerate(values, start=1)
                         if v is not None and v != "" and j <= len(WIDTHS)] or [1])
            if lines > 1:
                self.ws.row_dimensions[self.r].height = 15 * lines
        for j, v in enumerate(values, start=1):
            if v is None:
                continue
            cell = self.ws.cell(row=self.r, column=j, value=_safe(v))
            if isinstance(v, str) and cell.data_type == "f":  # a file called "=x.xlsx" stays text
                cell.data_type = "s"
                cell.quotePrefix = True
            if wrap:
                cell.alignment = WRAP
            if bold or header:
                cell.font = BOLD
            if header:
                cell.fill = HEADER_FILL
        return self.r


def add_receipts(wb: Workbook, merged: "Merged", *, pack: PolicyPack) -> None:
    """Append the 收件清单 sheet to the merged batch ``wb``."""
    ws = wb.create_sheet(RECEIPTS)
    s = _Sheet(ws)
    sheets = list(COLUMNS)
    n_companies = len(merged.rows.companies)
    s.row([RECEIPTS], bold=True, wrap=False)
    ws.cell(row=1, column=1).font = Font(bold=True, size=14)
    s.row([f"合并时间：{merged.merged_at:%Y-%m-%d %H:%M:%S}；收到 {len(merged.received)} 个文件，合并为 {n_companies} 家企业。"
           "本表记录收到的文件和每行的来源，核定（subsidy assess）不读取本表。"], wrap=False)
    s.row()
    s.row(["序号", "文件", "SHA-256", "企业（统一社会信用代码 企业名称）", *(f"{x}表" for x in sheets), "备注"],
          header=True)
    for i, rec in enumerate(merged.received, start=1):
        s.row([i, rec.name, rec.sha256, "\n".join(f"{c} {n}" for c, n in rec.companies) or "（无）",
               *(rec.rows[x] for x in sheets), "\n".join(rec.notes) or None])
    s.row(["", "合计：收到的行", "", "", *(merged.received_rows(x) for x in sheets)], bold=True)
    s.row(["", "写入本申报汇总表的行", "", "", *(merged.written_rows(x) for x in sheets)], bold=True)
    s.row(["", "与另一文件相同、合为一行的行", "", "", *(merged.joined_rows(x) for x in sheets),
           "收到的行 = 写入的行 + 合为一行的行"], bold=True)

    if merged.skipped:
        s.row()
        s.row(["", "未读取的文件", "原因"], header=True)
        for k in merged.skipped:
            s.row(["", k.name, k.why])
    if merged.notes:
        s.row()
        s.row(["", "提示"], header=True)
        for note in merged.notes:
            r = s.row(["", note], wrap=False)
            ws.cell(row=r, column=2).alignment = Alignment(wrap_text=False, vertical="top")

    s.row()
    r = s.row(["", "逐行来源（表）", "本表的行", "申报编号 / 企业 / 项目", "来源（文件、表、行）"], header=True)
    ws.merge_cells(start_row=r, start_column=5, end_row=r, end_column=10)
    for sheet in sheets:
        models = getattr(merged.rows, {"企业": "companies", "申报事项": "claims", "总部迁入": "hq_claims",
                                       "质量保证金": "deposits", "已兑现奖励": "history"}[sheet])
        for i, (model, sources) in enumerate(zip(models, merged.sources[sheet]), start=2):
            r = s.row(["", sheet, f"第{i}行", _label(sheet, model, pack), "\n".join(x.text() for x in sources)],
                      spans={5: SOURCE_WIDTH})
            ws.merge_cells(start_row=r, start_column=5, end_row=r, end_column=10)

    for j, w in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    ws.freeze_panes = "A5"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "4:4"
    ws.oddFooter.center.text = "第 &P 页 共 &N 页"


def _label(sheet: str, m, pack: PolicyPack) -> str:
    if sheet == "企业":
        return f"{m.credit_code} {m.name}"
    if sheet in ("申报事项", "总部迁入"):
        return m.claim_id
    if sheet == "质量保证金":
        return f"{m.credit_code} {m.project}"
    subject = f"“{m.subject}”" if m.subject else ""
    return f"{m.credit_code} {m.reward_year}年度 {pack.category(m.category).label}{subject}"
