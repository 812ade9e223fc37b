"""The forecast workbook (预测表): promised 第5条 rewards by year and treasury, the companies behind them, what could
not be forecast, open clawbacks receivable, the 口径 in force, and charts on their own sheets.

Print-ready through subsidy.workbook.report (A4 landscape, header row repeated, page numbers, wrapped text with row
heights, money ``#,##0.00``).
"""
from __future__ import annotations

import os
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.chart import BarChart

from ..forecast import Forecast
from ..forecastout import growth_text
from ..money import yuan_text
from ..params import interpretations
from . import printing
from .files import save_workbook
from .report import CHANGED_FILL, Sheet, chart_sheet, labels, money_chart, text_width

ZERO = Decimal("0.00")


def _payers(d: dict[str, Decimal]) -> str:
    return "；".join(f"{k} {yuan_text(v)}" for k, v in d.items())


def _summary(wb: Workbook, f: Forecast, head: printing.Heading) -> None:
    s = Sheet(wb, "汇总", (24, 20, 16, 40), first=True, page_header=head)
    s.title("已承诺的总部迁入奖励预测")
    p = f.policy
    for label, value in (
            ("政策", f"{p.number} {p.title}"),
            ("预测内容", f"第5条总部迁入奖励：{f.start} 年起各企业尚未兑现的奖励年度（自落户认定当年起第1–{p.hq_period}年）"),
            ("账本", f.ledger),
            ("申报汇总表", f"{f.applications}（按 {f.applications_year} 年度的申报读取，SHA-256 {f.applications_sha256}）"
             if f.applications else "未给出（只用账本记载的落户认定日期和地方财政贡献）"),
            ("地方财政贡献年增长率", growth_text(f.growth)),
            ("口径", f"配置文件 {f.config_file}" if f.config_file else "政策默认口径（见“口径说明”）"),
    ):
        s.pair(label, value, span=3)
    s.blank()
    s.header(["年度", "预计奖励（元）", "涉及企业（家）", "说明"])
    for y in f.years:
        n = sum(1 for c in f.companies for ya in c.years if ya.year == y)
        s.append([str(y), f.year_total(y), n, "各出资财政见“按年度和出资财政”"], money=(2,))
    s.append(["合计", f.total, len([c for c in f.companies if c.years]), "未计封顶（以后年度的地方留成税收未知）"],
             bold=True, money=(2,))
    s.blank()
    s.pair("应收追缴（元）", f.receivable_total, money=True, bold=True)
    s.pair("应收追缴笔数", f"{len(f.receivables)} 笔，见“应收追缴”", span=3)
    s.pair("未计入预测的企业", f"{len(f.missing)} 家，见“未计入预测”" if f.missing else "无", span=3)
    notes = [f"{c.company_name}（{c.credit_code}）：{n}" for c in f.companies for n in c.notes]
    for n in notes:
        s.pair("注意", n, span=3)
    s.blank()
    s.note("说明：每家企业以最近一年的地方财政贡献为基数（账本记载的，或申报汇总表的），按年增长率逐年复合增长，"
           "每年的预计数精确计算后四舍五入到分；奖励比例（前两年100%、后三年50%）取自政策参数，出资财政按"
           "受益财政分担口径（city_share）拆分。账本中已兑现的奖励年度不再计入。")


def _by_year(wb: Workbook, f: Forecast, head: printing.Heading) -> Sheet:
    widths = (10, *[max(14, text_width(t) + 9) for t in f.treasuries], 16)
    s = Sheet(wb, "按年度和出资财政", widths, ("年度", *[f"{t}（元）" for t in f.treasuries], "合计（元）"),
              page_header=head)
    cols = tuple(range(2, len(f.treasuries) + 3))
    for y in f.years:
        s.append([str(y), *[f.by_year[y].get(t, ZERO) for t in f.treasuries], f.year_total(y)], money=cols)
    s.append(["合计", *[f.by_payer[t] for t in f.treasuries], f.total], bold=True, money=cols)
    return s


def _companies(wb: Workbook, f: Forecast, head: printing.Heading) -> None:
    s = Sheet(wb, "企业明细", (30, 20, 9, 11, 8, 8, 7, 16, 16, 30, 20),
              ("企业", "统一社会信用代码", "注册地", "落户认定日期", "奖励年度", "第几年", "比例",
               "预计地方财政贡献（元）", "预计奖励（元）", "出资财政", "依据"), page_header=head)
    for c in f.companies:
        basis = f"{c.source}记载的 {c.base_year} 年度地方财政贡献 {yuan_text(c.base_contribution)} 元"
        if c.paid_years:
            basis += f"；已兑现 {'、'.join(str(y) for y in c.paid_years)} 年度"
        for y in c.years:
            s.append([c.company_name, c.credit_code, c.region, str(c.recognised_on), str(y.year),
                      f"第{y.reward_year_index}年", f"{y.rate * 100:.0f}%", y.contribution, y.amount,
                      _payers(y.payers), basis], money=(8, 9))
        if not c.years:
            s.append([c.company_name, c.credit_code, c.region, str(c.recognised_on), "—", "—", "—", None, ZERO,
                      "；".join(c.notes), basis], money=(9,), fill=CHANGED_FILL)
    s.append(["合计", None, None, None, None, None, None, None, f.total, None, None], bold=True, money=(9,))


def _missing(wb: Workbook, f: Forecast, head: printing.Heading) -> None:
    s = Sheet(wb, "未计入预测", (28, 22, 90), ("企业", "统一社会信用代码", "原因"), page_header=head)
    for x in f.missing:
        s.append([x.company_name, x.credit_code, x.reason], fill=CHANGED_FILL)
    if not f.missing:
        s.append(["（无）", None, "每家有总部迁入兑现或申报的企业都已预测"])


def _receivable(wb: Workbook, f: Forecast, head: printing.Heading) -> None:
    s = Sheet(wb, "应收追缴", (24, 20, 18, 20, 9, 12, 16, 30, 14),
              ("企业", "统一社会信用代码", "奖励类别", "项目或证书名称", "奖励年度", "兑现日期", "应缴回（元）",
               "出资财政", "原因"), page_header=head)
    pack = f.policy
    for r in f.receivables:
        p = r.payout
        try:
            label = pack.category(p.category).label
        except KeyError:
            label = p.category
        why = "弄虚作假" if p.clawback.reason_code == "FRAUD" else f"外迁（{p.clawback.moved_out_on}）"
        s.append([p.company_name, p.credit_code, label, p.subject, str(p.reward_year), str(p.paid_on), p.amount,
                  _payers(r.payers), why], money=(7,))
    s.append(["合计", None, None, None, None, None, f.receivable_total, _payers(f.receivable_by_payer), None],
             bold=True, money=(7,))


def _parameters(wb: Workbook, f: Forecast, head: printing.Heading) -> None:
    s = Sheet(wb, "口径说明", (30, 30, 70), ("口径参数", "取值", "理由"), page_header=head)
    for it in interpretations(f.parameters, f.policy):
        s.append([f"{it.label}（{it.key}）", it.value_label, it.why])


def _chart(title: str, ws, *, first_col: int, last_col: int, n: int, names: list[str], x_title: str,
           stacked: bool) -> BarChart:
    ch = BarChart()
    ch.type = "col"
    ch.grouping = "stacked" if stacked else "clustered"
    if stacked:
        ch.overlap = 100
    money_chart(ch, ws, title=title, x_title=x_title, cols=(first_col, last_col), n=n, names=names)
    ch.dataLabels = labels()
    ch.dataLabels.position = "ctr" if stacked else "outEnd"
    return ch


def build_forecast(f: Forecast) -> Workbook:
    wb = Workbook()
    wb.properties.creator = "subsidy"
    wb.properties.title = f"总部迁入奖励预测 {f.start}年起"
    head = printing.heading(f.policy.number, f.policy.title, f"{f.start}年起", "总部迁入奖励预测")
    _summary(wb, f, head)
    by_year = _by_year(wb, f, head)
    _companies(wb, f, head)
    _missing(wb, f, head)
    _receivable(wb, f, head)
    _parameters(wb, f, head)
    n = len(f.years)
    if n and f.treasuries:
        k = len(f.treasuries)
        chart_sheet(wb, "图表-各年度合计", _chart(
            f"{f.start}年起各年度已承诺的总部迁入奖励（元）", by_year.ws, first_col=k + 2, last_col=k + 2, n=n,
            names=["预计奖励"], x_title="年度", stacked=False), heading=head)
        chart_sheet(wb, "图表-各出资财政", _chart(
            f"{f.start}年起各年度各出资财政承担的总部迁入奖励（元）", by_year.ws, first_col=2, last_col=k + 1, n=n,
            names=list(f.treasuries), x_title="年度", stacked=False), heading=head)
    return wb


def write_forecast(f: Forecast, path: str | os.PathLike[str]) -> None:
    save_workbook(build_forecast(f), path)
