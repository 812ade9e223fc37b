"""`ledger export`: the ledger as an 已兑现奖励 sheet (SPEC 4) that the reader accepts and `assess` merges."""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook

from ..policy import PolicyPack
from ..workbook import printing
from ..workbook.schema import COMPANIES, HISTORY
from .store import LedgerPayout, category_label
from .xlsx import save, table

HQ = "hq_relocation"


def history_rows(payouts: list[LedgerPayout], pack: PolicyPack) -> list[list]:
    return [[p.credit_code, "总部迁入" if p.category == HQ else category_label(pack, p.category), p.subject,
             p.reward_year, p.paid_on, p.amount] for p in payouts]


def write_history_workbook(payouts: list[LedgerPayout], path: str | Path, *, pack: PolicyPack) -> Path:
    """Sheet 已兑现奖励 with the ledger's payouts, and an empty 企业 sheet (the reader requires one) to fill in."""
    wb = Workbook()
    ws = wb.active
    ws.title = COMPANIES.name
    table(ws, [c.header for c in COMPANIES.columns], [], widths=[c.width for c in COMPANIES.columns])
    heading = printing.heading(pack.number, pack.title, None, "兑现账本导出")
    printing.format_sheet(ws, widths=[c.width for c in COMPANIES.columns], heading=heading)
    ws = wb.create_sheet(HISTORY.name)
    table(ws, [c.header for c in HISTORY.columns], history_rows(payouts, pack),
          widths=[c.width for c in HISTORY.columns], money_cols={6})
    printing.format_sheet(ws, widths=[c.width for c in HISTORY.columns], heading=heading, money_cols={6})
    wb.active = 1
    return save(wb, path)
