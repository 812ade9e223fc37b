"""`subsidy template`: the blank application workbook, with dropdowns for every enumerated column."""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .files import save_workbook
from ..models import AccidentLevel
from ..policy import PolicyPack
from .schema import SHEETS

ROWS = 2000  # rows that carry the dropdowns
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
#: what an amount cell takes, as 填表说明 says it (the amount columns' input prompt)
AMOUNT_TEXT = "金额可填数字，或“1,234.56”“12.5万”“1.2亿”"
AMOUNT_PROMPT = f"{AMOUNT_TEXT}，不能为负数"
#: where the dropdowns' lists start on 填表说明 (column F, right of the four columns of instructions)
OPTIONS_FIRST_COLUMN = 6
OPTIONS_FIRST_ROW = 5


def _choices(pack: PolicyPack) -> dict[str, list[str]]:
    labels = [c.label for c in pack.categories if not c.computed]
    return {
        "注册地": [*pack.regions, pack.outside_region],
        "是否": ["是", "否"],
        "质量安全事故等级": [a.value for a in AccidentLevel],
        "奖励类别": labels,
        "已兑现类别": [*[c.label for c in pack.categories if not c.honour_only and not c.computed], "总部迁入"],
        "迁入方式": list(pack.hq_modes),
        "资质等级": list(pack.hq_qualifications),
    }


def _list_for(sheet: str, header: str, kind: str) -> str | None:
    if kind == "bool":
        return "是否"
    if header == "奖励类别":
        return "已兑现类别" if sheet == "已兑现奖励" else "奖励类别"
    if kind == "enum":
        return header
    return None


def write_template(path: str | Path, *, pack: PolicyPack) -> None:
    save_workbook(template_workbook(pack), path)


def template_workbook(pack: PolicyPack) -> Workbook:
    """The blank application workbook, not yet saved: `subsidy template` saves it as is; a company's exported
    application and `subsidy merge` fill its five sheets from row 2 (the dropdowns stay)."""
    wb = Workbook()
    wb.remove(wb.active)
    guide = wb.create_sheet("填表说明")
    choices = _choices(pack)

    # the dropdowns' lists stand on 填表说明 (visible, and a sheet assess knows and skips), right of the
    # instructions: a hidden sheet with data would be refused by the reader (SPEC 4), and rightly so
    refs: dict[str, str] = {}
    for j, (name, values) in enumerate(choices.items(), start=OPTIONS_FIRST_COLUMN):
        col = get_column_letter(j)
        refs[name] = f"{guide.title}!${col}${OPTIONS_FIRST_ROW + 1}:${col}${OPTIONS_FIRST_ROW + len(values)}"

    for sheet in SHEETS:
        ws = wb.create_sheet(sheet.name)
        for j, col in enumerate(sheet.columns, start=1):
            cell = ws.cell(row=1, column=j, value=col.header)
            cell.font = Font(bold=True, color="C00000" if col.required else "000000")
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(horizontal="center")
            letter = get_column_letter(j)
            ws.column_dimensions[letter].width = col.width
            rng = f"{letter}2:{letter}{ROWS + 1}"
            listed = _list_for(sheet.name, col.header, col.kind)
            if listed:
                dv = DataValidation(type="list", formula1=f"={refs[listed]}", allow_blank=True,
                                    showErrorMessage=True, errorTitle="无效的值",
                                    error=f"{col.header}请从下拉列表中选择")
            elif col.kind == "date":
                dv = DataValidation(type="date", operator="greaterThan", formula1="36526", allow_blank=True,
                                    showErrorMessage=True, errorTitle="无效的日期", error="请填写日期，如 2024-03-15")
                for row in ws.iter_rows(min_row=2, max_row=ROWS + 1, min_col=j, max_col=j):
                    row[0].number_format = "yyyy-mm-dd"
            elif col.kind == "score":
                dv = DataValidation(type="decimal", operator="lessThanOrEqual", formula1="100", allow_blank=True,
                                    showErrorMessage=True, errorTitle="无效的分数", error="信用评价分不得超过100")
            elif col.kind == "amount":
                # a prompt only, never a refusal: the reader takes text such as 12.5万 or 1.2亿 that a number-only
                # rule would reject (the reader itself refuses negative or unreadable amounts, naming the cell)
                dv = DataValidation(allow_blank=True, showErrorMessage=False)
                col_hint = f"{col.hint}；" if col.hint else ""
                dv.promptTitle, dv.prompt = col.header, f"{col_hint}{AMOUNT_PROMPT}"[:255]
                for row in ws.iter_rows(min_row=2, max_row=ROWS + 1, min_col=j, max_col=j):
                    row[0].number_format = "#,##0.00"
            else:
                dv = None
            if dv is not None:
                if not dv.prompt:
                    dv.promptTitle, dv.prompt = col.header, col.hint or col.header
                dv.showInputMessage = True
                ws.add_data_validation(dv)
                dv.add(rng)
        ws.freeze_panes = "A2"

    guide.column_dimensions["A"].width = 18
    guide.column_dimensions["B"].width = 20
    guide.column_dimensions["C"].width = 10
    guide.column_dimensions["D"].width = 70
    guide.append([f"申报汇总表 — {pack.title}（{pack.number}）"])
    guide["A1"].font = Font(bold=True, size=14)
    guide.append(["只有“企业”表必填；其余各表没有内容可留空。列可以调换顺序，表头文字不要改。红色表头为必填列。"])
    guide.append([f"{AMOUNT_TEXT}；日期可填日期或“2024-03-15”“2024/3/15”“2024年3月15日”；是否填“是/否”。"])
    guide.append([])
    guide.append(["表", "列", "必填", "说明"])
    for c in guide[5]:
        c.font = Font(bold=True)
        c.fill = HEADER_FILL
    for sheet in SHEETS:
        guide.append([sheet.name, "", "是" if sheet.required else "否", sheet.purpose])
        guide.cell(row=guide.max_row, column=1).font = Font(bold=True)
        for col in sheet.columns:
            guide.append(["", col.header, "是" if col.required else "", col.hint])
    guide.append([])
    guide.append(["奖励类别", "", "", "、".join(choices["奖励类别"])])
    for j, (name, values) in enumerate(choices.items(), start=OPTIONS_FIRST_COLUMN):  # written last: append()
        col = get_column_letter(j)                                                    # goes below max_row
        guide.cell(row=OPTIONS_FIRST_ROW, column=j, value=f"{name}（下拉选项）").font = Font(bold=True)
        guide.column_dimensions[col].width = 22
        for i, v in enumerate(values, start=OPTIONS_FIRST_ROW + 1):
            guide.cell(row=i, column=j, value=v)
    return wb
