"""The 追缴清单 workbook of `ledger clawback -o`: one row per payout to return, and totals per treasury."""
from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

from ..policy import PolicyPack
from ..workbook import printing
from .store import ClawbackDue, category_label
from .xlsx import save, table

HEADERS = ["统一社会信用代码", "企业名称", "奖励类别", "项目或证书名称", "奖励年度", "兑现日期", "应缴回(元)",
           "出资财政", "原因", "依据", "状态"]


def state_text(d: ClawbackDue) -> str:
    """未登记 / 待缴回 / 已于 … 缴回."""
    if d.recorded is None:
        return "未登记"
    return "待缴回" if d.recorded.open else f"已于 {d.recorded.returned_on} 缴回"


def reason_text(d: ClawbackDue) -> str:
    return "弄虚作假" if d.reason_code == "FRAUD" else "外迁"


def by_treasury(dues: list[ClawbackDue]) -> dict[str, Decimal]:
    """What each treasury is to get back, sorted by treasury."""
    out: dict[str, Decimal] = defaultdict(lambda: Decimal("0.00"))
    for d in dues:
        for k, v in d.payout.payers.items():
            out[k] += v
    return dict(sorted(out.items()))


def write_clawbacks(dues: list[ClawbackDue], path: str | Path, *, pack: PolicyPack) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "追缴清单"
    rows = []
    for d in dues:
        p = d.payout
        rows.append([p.credit_code, p.company_name, category_label(pack, p.category), p.subject, p.reward_year,
                     p.paid_on, p.amount, "；".join(f"{k} {v:,.2f}" for k, v in p.payers.items()),
                     reason_text(d), d.message, state_text(d)])
    totals = by_treasury(dues)
    table(ws, HEADERS, rows, money_cols={7})
    heading = printing.heading(pack.number, pack.title, None, "追缴清单")
    widths = [20, 14, 12, 12, 5, 11, printing.money_width(d.payout.amount for d in dues), 16, 5, 0, 6]
    widths[9] = int(printing.A4_LANDSCAPE.usable_width() - sum(widths))  # 依据 takes the rest of the page
    printing.format_sheet(ws, widths=widths, heading=heading, money_cols={7})
    ws2 = wb.create_sheet("按出资财政")
    table(ws2, ["出资财政", "应缴回(元)"],
          [[k, v] for k, v in totals.items()] + [["合计", sum(totals.values(), Decimal("0.00"))]], money_cols={2})
    printing.format_sheet(ws2, widths=[22, printing.money_width(totals.values(), 18)], heading=heading,
                          money_cols={2}, bold_rows={len(totals) + 2})
    return save(wb, path)
