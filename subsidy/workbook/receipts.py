"""The 收件清单 sheet of a merged batch: what `subsidy merge` received, and where each row of the batch came from.

A sheet the reader knows and assess does not read (SPEC 4). Three parts, top to bottom: the files (number, name,
SHA-256, companies, rows per sheet, notes) with the reconciliation received = written + joined per sheet; the files
found and not read, and what the bureau should know (same name under two codes, projects claimed by several
companies); the source of every row of the batch (the file's number in the list above and its row). Printed with
the shared page setup (printing.py): A4 landscape at 100%, rows as tall as their wrapped text.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook import Workbook

from ..policy import PolicyPack
from . import printing
from .application import COLUMNS

if TYPE_CHECKING:
    from ..merge import Merged

RECEIPTS = "收件清单"
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
#: 序号, 文件, SHA-256, 企业, the five sheets' row counts, 备注: A4 landscape at 100% (printing.check_fits)
WIDTHS = (5, 24, 34, 24, 6, 6, 6, 6, 6, 20)


def _safe(v):
    if isinstance(v, str):
        v = ILLEGAL_CHARACTERS_RE.sub("?", v)
    return v


class _Sheet:
    """Rows written one after the other, in the shared print style (printing.py), each as tall as its text."""

    def __init__(self, ws):
        self.ws = ws
        self.r = 0

    def row(self, values=(), *, bold: bool = False, header: bool = False, wrap: bool = True) -> int:
        self.r += 1
        lines = 1
        for j, v in enumerate(values, start=1):
            if v is None or v == "":
                continue
            cell = self.ws.cell(row=self.r, column=j, value=_safe(v))
            if isinstance(v, str) and cell.data_type == "f":  # a file called "=x.xlsx" stays text
                cell.data_type = "s"
                cell.quotePrefix = True
            cell.font = printing.BOLD_FONT if bold or header else printing.BODY_FONT
            if header:
                cell.fill = HEADER_FILL
                cell.alignment = printing.HEADER_ALIGNMENT
            elif wrap:
                cell.alignment = printing.WRAP
            if wrap and isinstance(v, str) and j <= len(WIDTHS):
                lines = max(lines, printing.line_count(v, WIDTHS[j - 1]))
        if lines > 1:
            self.ws.row_dimensions[self.r].height = printing.row_height(lines)
        return self.r


def add_receipts(wb: Workbook, merged: "Merged", *, pack: PolicyPack) -> None:
    """Append the 收件清单 sheet to the merged batch ``wb``."""
    ws = wb.create_sheet(RECEIPTS)
    s = _Sheet(ws)
    sheets = list(COLUMNS)
    n_companies = len(merged.rows.companies)
    s.row([RECEIPTS], bold=True, wrap=False)
    ws.cell(row=1, column=1).font = Font(name=printing.FONT_NAME, size=14, bold=True)
    s.row([f"合并时间：{merged.merged_at:%Y-%m-%d %H:%M:%S}；收到 {len(merged.received)} 个文件，合并为 {n_companies} 家企业。"
           "本表记录收到的文件和申报汇总表每一行的来源，核定时不读取本表。"], wrap=False)
    s.row()
    s.row(["序号", "文件", "SHA-256", "企业（统一社会信用代码 企业名称）", *(f"{x}表" for x in sheets), "备注"],
          header=True)
    for i, rec in enumerate(merged.received, start=1):
        s.row([i, rec.name, rec.sha256, "\n".join(f"{c} {n}" for c, n in rec.companies) or "（无）",
               *(rec.rows[x] for x in sheets), "\n".join(rec.notes) or None])
    s.row([None, "合计：收到的行", None, None, *(merged.received_rows(x) for x in sheets)], bold=True)
    s.row([None, "写入本申报汇总表的行", None, None, *(merged.written_rows(x) for x in sheets)], bold=True)
    s.row([None, "与另一文件相同、合为一行的行", None, None, *(merged.joined_rows(x) for x in sheets),
           "收到的行 = 写入的行 + 合为一行的行"], bold=True)

    if merged.skipped:
        s.row()
        s.row([None, "未读取的文件", "原因"], header=True)
        for k in merged.skipped:
            s.row([None, k.name, k.why])
    if merged.notes:
        s.row()
        s.row([None, "提示"], header=True)
        for note in merged.notes:
            s.row([None, note], wrap=False)

    s.row()
    s.row([None, "本申报汇总表的行", "申报编号 / 企业 / 项目", "来源（上表的文件序号和行）"], header=True)
    numbers = {rec.name: i for i, rec in enumerate(merged.received, start=1)}
    for sheet in sheets:
        models = getattr(merged.rows, {"企业": "companies", "申报事项": "claims", "总部迁入": "hq_claims",
                                       "质量保证金": "deposits", "已兑现奖励": "history"}[sheet])
        for i, (model, sources) in enumerate(zip(models, merged.sources[sheet]), start=2):
            s.row([None, f"{sheet} 第{i}行", _label(sheet, model, pack),
                   "；".join(f"文件{numbers[x.file]} 第{x.row}行" for x in sources)])

    for j, w in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(j)].width = w
    ws.freeze_panes = "A5"
    printing.setup_page(ws, heading=printing.heading(pack.number, pack.title, "", "申报汇总表"), repeat_rows=None,
                        widths=WIDTHS)


def _label(sheet: str, m, pack: PolicyPack) -> str:
    if sheet == "企业":
        return f"{m.credit_code} {m.name}"
    if sheet in ("申报事项", "总部迁入"):
        return m.claim_id
    if sheet == "质量保证金":
        return f"{m.credit_code} {m.project}"
    subject = f"“{m.subject}”" if m.subject else ""
    return f"{m.credit_code} {m.reward_year}年度 {pack.category(m.category).label}{subject}"
