"""An application workbook (申报汇总表, SPEC 4) written from rows the reader has read: a company's own file
(`subsidy check --export`, the web's 下载申报表) and the batch `subsidy merge` makes.

The workbook is the template's (:func:`subsidy.workbook.template.template_workbook`: every sheet and column,
dropdowns, 填表说明) with the rows filled in from row 2. Each cell holds the value **as the reader understood
it**, written so that reading it again gives exactly that value:

* amounts and scores are numbers up to 15 significant digits (which a double holds exactly), else text
  (``"123456789012345.67"``: the reader reads text amounts exactly, a 17-digit double would not be);
* dates are date cells (``yyyy-mm-dd``), years integers, yes/no ``是``/``否``, 奖励类别 the policy's own label
  (an alias such as 施工综合资质 is written as 施工总承包特级资质), the accident level ``无`` when blank;
* text that starts like a formula (``=``) is written as text, never as a formula.

:func:`facts` gives the same values per column, for comparing two files' rows (`merge`) and for naming a value in
a message (:func:`fact_text`).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Iterable, Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from ..errors import SubsidyError
from ..models import Claim, Company, DepositRow, HqClaim, Payout
from ..money import yuan_text
from ..policy import PolicyPack
from . import schema
from .template import template_workbook

COMPANY, CLAIM, HQ, DEPOSIT, HISTORY = (s.name for s in schema.SHEETS)
COLUMNS: dict[str, tuple[str, ...]] = {s.name: tuple(c.header for c in s.columns) for s in schema.SHEETS}
KINDS: dict[str, dict[str, str]] = {s.name: {c.header: c.kind for c in s.columns} for s in schema.SHEETS}
DATE_FORMAT = "yyyy-mm-dd"
AMOUNT_FORMAT = "#,##0.00"
YES, NO = "是", "否"


class UnwritableValue(SubsidyError):
    """A value the reader accepted that an .xlsx cannot hold (a control character)."""


@dataclass(frozen=True)
class ApplicationRows:
    """The rows of an application workbook, as engine models (what the reader read)."""

    companies: Sequence[Company] = ()
    claims: Sequence[Claim] = ()
    hq_claims: Sequence[HqClaim] = ()
    deposits: Sequence[DepositRow] = ()
    history: Sequence[Payout] = ()
    #: False leaves the 已兑现奖励 sheet out: history not given is not the same as "nothing paid" (assess warns)
    history_sheet: bool = True


# --------------------------------------------------------------------------- facts: a row as column → value


def category_label(pack: PolicyPack, code: str) -> str:
    return pack.category(code).label


def facts(sheet: str, row: Any, pack: PolicyPack) -> dict[str, Any]:
    """The row's values by column header, normalised as the reader reads them (Decimal, date, bool, int, str,
    None for blank)."""
    if sheet == COMPANY:
        c: Company = row
        return {"统一社会信用代码": c.credit_code, "企业名称": c.name, "注册地": c.region,
                "信用评价分": c.credit_score, "列入黑名单": c.blacklisted, "拖欠农民工工资": c.wage_arrears,
                "质量安全事故等级": c.accident.value, "弄虚作假": c.fraud, "地方留成税收(元)": c.local_retained_tax,
                "迁出日期": c.moved_out_on}
    if sheet == CLAIM:
        k: Claim = row
        return {"申报编号": k.claim_id, "统一社会信用代码": k.credit_code,
                "奖励类别": category_label(pack, k.category), "项目或证书名称": k.subject, "获批日期": k.approved_on,
                "其他政策名称": k.other_policy_name,
                "其他政策金额(元)": k.other_policy_amount if k.other_policy_amount else None,  # blank = 0 (SPEC 4)
                "其他政策已兑现": k.other_policy_paid}
    if sheet == HQ:
        h: HqClaim = row
        return {"申报编号": h.claim_id, "统一社会信用代码": h.credit_code, "迁入方式": h.mode,
                "资质等级": h.qualification, "落户认定日期": h.recognised_on, "地方财政贡献(元)": h.fiscal_contribution}
    if sheet == DEPOSIT:
        d: DepositRow = row
        return {"统一社会信用代码": d.credit_code, "项目名称": d.project, "工程价款结算总额(元)": d.settlement_amount}
    if sheet == HISTORY:
        p: Payout = row
        return {"统一社会信用代码": p.credit_code, "奖励类别": category_label(pack, p.category),
                "项目或证书名称": p.subject, "奖励年度": p.reward_year, "兑现日期": p.paid_on, "兑现金额(元)": p.amount}
    raise KeyError(sheet)  # pragma: no cover


def fact_text(sheet: str, column: str, value: Any) -> str:
    """A value as a message shows it: amounts 1,250,000.00, dates 2024-03-15, 是/否, （空） for blank."""
    if value is None or value == "":
        return "（空）"
    kind = KINDS[sheet].get(column, "text")
    if isinstance(value, bool):
        return YES if value else NO
    if kind == "amount":
        return yuan_text(value)
    if isinstance(value, Decimal):
        return _plain(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _plain(d: Decimal) -> str:
    s = format(d, "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


# --------------------------------------------------------------------------- cells


#: a double holds every decimal of at most 15 significant digits exactly through text and back (openpyxl writes
#: 16 significant digits, the reader reads through repr())
EXACT_DIGITS = 15


def _exact_number(d: Decimal) -> float | None:
    """The double that reads back as exactly ``d``, or None (then the value is written as text)."""
    digits = len(d.normalize().as_tuple().digits)
    return float(d) if digits <= EXACT_DIGITS else None


def _put(ws, r: int, j: int, kind: str, value: Any, where: str) -> None:
    cell = ws.cell(row=r, column=j)
    if value is None or value == "":
        cell.value = None
        return
    if isinstance(value, bool):
        cell.value = YES if value else NO
    elif isinstance(value, Decimal):
        number = _exact_number(value)
        if number is None:
            _text(cell, _plain(value), where)
        else:
            cell.value = number
            if kind == "amount":
                cell.number_format = AMOUNT_FORMAT
    elif isinstance(value, dt.date):
        cell.value = value
        cell.number_format = DATE_FORMAT
    elif isinstance(value, int):
        cell.value = value
    else:
        _text(cell, str(value), where)


def _text(cell, s: str, where: str) -> None:
    if ILLEGAL_CHARACTERS_RE.search(s):
        raise UnwritableValue(f"{where}含有 Excel 无法保存的控制字符（“{ILLEGAL_CHARACTERS_RE.sub('�', s)}”），"
                              "请删去后再导出")
    cell.value = s
    if cell.data_type == "f" or s.startswith(("=", "+", "-", "@")):  # text that looks like a formula stays text
        cell.data_type = "s"
        cell.quotePrefix = True


SHEET_ROWS = (
    (COMPANY, "companies"),
    (CLAIM, "claims"),
    (HQ, "hq_claims"),
    (DEPOSIT, "deposits"),
    (HISTORY, "history"),
)


def application_workbook(rows: ApplicationRows, *, pack: PolicyPack) -> Workbook:
    """The template with ``rows`` filled in (not saved: the caller adds to it and saves it atomically)."""
    wb = template_workbook(pack)
    for sheet, attr in SHEET_ROWS:
        ws = wb[sheet]
        if sheet == HISTORY and not rows.history_sheet:
            wb.remove(ws)
            continue
        header = COLUMNS[sheet]
        kinds = KINDS[sheet]
        for r, row in enumerate(getattr(rows, attr), start=2):
            values = facts(sheet, row, pack)
            for j, column in enumerate(header, start=1):
                _put(ws, r, j, kinds[column], values[column], f"“{sheet}”表第{r}行“{column}”")
    return wb


def append_note(wb: Workbook, lines: Iterable[str]) -> None:
    """Lines below the template's instructions on 填表说明 (a sheet assess does not read)."""
    from openpyxl.styles import Font

    guide = wb[wb.sheetnames[0]]
    guide.append([])
    for i, text in enumerate(lines):
        guide.append([text])
        if i == 0:
            guide.cell(row=guide.max_row, column=1).font = Font(bold=True)


_SAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def safe_file_name(s: str) -> str:
    """A file name part without the characters Windows and browsers refuse."""
    return _SAFE_NAME.sub("_", s).strip(" .") or "申报表"
