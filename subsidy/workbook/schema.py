"""The application workbook's sheets and columns (SPEC 4): one definition for the reader and the template."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    header: str
    required: bool = False
    kind: str = "text"  # text, code, amount, date, bool, score, year, enum
    hint: str = ""
    width: int = 16


@dataclass(frozen=True)
class Sheet:
    name: str
    columns: tuple[Column, ...]
    required: bool = False
    purpose: str = ""


COMPANIES = Sheet("企业", (
    Column("统一社会信用代码", True, "code", "18位，GB 32100-2015，含校验位", 22),
    Column("企业名称", True, "text", "", 28),
    Column("注册地", True, "enum", "珠山区、昌江区、浮梁县、乐平市、高新区、昌南新区、市本级，或市外", 10),
    Column("信用评价分", False, "score", "江西省建筑市场信用评价分；空 = 未评价；不得超过100", 10),
    Column("列入黑名单", False, "bool", "是/否，空 = 否", 10),
    Column("拖欠农民工工资", False, "bool", "是/否，空 = 否", 12),
    Column("质量安全事故等级", False, "enum", "无/一般/较大/重大/特别重大，空 = 无", 14),
    Column("弄虚作假", False, "bool", "是/否，空 = 否", 10),
    Column("地方留成税收(元)", False, "amount", "核定年度企业缴纳税收地方留成部分，奖励总额以此封顶", 16),
    Column("迁出日期", False, "date", "已迁出本市的填写迁出日期", 12),
), required=True, purpose="每家申报企业一行")

CLAIMS = Sheet("申报事项", (
    Column("申报编号", False, "text", "唯一；空则记为“申报事项:行号”", 12),
    Column("统一社会信用代码", True, "code", "须在企业表中", 22),
    Column("奖励类别", True, "enum", "从下拉列表选择", 24),
    Column("项目或证书名称", False, "text", "工程项目、标准或工法名称；荣誉、标准、工法必填", 28),
    Column("获批日期", True, "date", "如 2024-03-15", 12),
    Column("其他政策名称", False, "text", "同一事项享受的其他奖励政策", 18),
    Column("其他政策金额(元)", False, "amount", "空 = 0", 14),
    Column("其他政策已兑现", False, "bool", "是/否，空 = 否", 12),
), purpose="资质、荣誉、基地、技术中心、标准、工法，每项一行")

HQ = Sheet("总部迁入", (
    Column("申报编号", False, "text", "唯一；空则记为“总部迁入:行号”", 12),
    Column("统一社会信用代码", True, "code", "须在企业表中", 22),
    Column("迁入方式", True, "enum", "总部迁入 或 设立子公司", 12),
    Column("资质等级", True, "enum", "施工总承包一级、施工总承包特级 或 综合资质", 16),
    Column("落户认定日期", True, "date", "如 2023-06-01", 14),
    Column("地方财政贡献(元)", True, "amount", "核定年度的地方财政贡献", 16),
), purpose="每家企业每个奖励年度一行")

DEPOSITS = Sheet("质量保证金", (
    Column("统一社会信用代码", True, "code", "须在企业表中", 22),
    Column("项目名称", True, "text", "", 28),
    Column("工程价款结算总额(元)", True, "amount", "", 18),
), purpose="每个项目一行")

HISTORY = Sheet("已兑现奖励", (
    Column("统一社会信用代码", True, "code", "", 22),
    Column("奖励类别", True, "enum", "奖励类别，或“总部迁入”", 24),
    Column("项目或证书名称", False, "text", "", 28),
    Column("奖励年度", True, "year", "如 2023", 10),
    Column("兑现日期", True, "date", "如 2023-12-20", 12),
    Column("兑现金额(元)", True, "amount", "", 14),
), purpose="本措施下已经兑现的奖励（用于补差、不重复兑现和追缴）")

SHEETS: tuple[Sheet, ...] = (COMPANIES, CLAIMS, HQ, DEPOSITS, HISTORY)
