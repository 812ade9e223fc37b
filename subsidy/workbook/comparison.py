"""The comparison workbook (口径比较表) and the sweep workbook (口径扫描表): print-ready, with native Excel charts.

Written with openpyxl in normal mode (the tables are small: totals, changed lines, companies paid), saved through
subsidy.atomic. Money cells are numbers with ``#,##0.00``; every text is a string cell (never a formula).
Printing: A4 landscape, one page wide, header row repeated on every page, footer 第 &P 页 共 &N 页, 10 pt text
wrapped with row heights set, each chart on its own chart sheet with a title, axis titles and value labels.
"""
from __future__ import annotations

import os
from decimal import Decimal
from typing import Sequence

from openpyxl import Workbook
from openpyxl.chart import BarChart, LineChart

from . import printing
from .files import save_workbook
from ..compare import Comparison, LineChange, Sweep
from ..labels import STATUS_LABELS, status_label
from ..models import STATUSES
from ..money import yuan_text
from .report import CHANGED_FILL, Sheet, change_labels, chart_sheet, labels, money_chart, text_width

#: value labels on a sweep's line chart only up to this many values (more would overprint each other)
LABELLED_POINTS = 25
_CHANGED_FILL = CHANGED_FILL


# --------------------------------------------------------------------------- the comparison


def _config_text(config_file: str | None) -> str:
    return f"配置文件 {config_file}" if config_file else "政策默认口径"


def _diff_text(c: Comparison) -> str:
    rows = c.changed_parameters
    if not rows:
        return "无（两种口径相同）"
    return "\n".join(f"{p.title}：{p.base} → {p.alternative}" for p in rows)


def _summary(wb: Workbook, c: Comparison, head: str) -> None:
    s = Sheet(wb, "汇总", (26, 22, 22, 22), first=True, page_header=head)
    s.title("口径比较表")
    p = c.policy
    for label, value in (("政策", f"{p.number} {p.title}"), ("核定年度", str(c.year)),
                         ("输入文件 SHA-256", c.input_sha256),
                         ("基准口径", _config_text(c.base.config_file)),
                         ("备选口径", _config_text(c.alternative.config_file)),
                         ("不同的口径参数", _diff_text(c)),
                         *(("注意", n.message) for n in c.notices)):
        s.pair(label, value, span=3)
    s.blank()
    s.header(["项目", "基准口径", "备选口径", "差额（备选−基准）"])
    b, a = c.base, c.alternative
    s.append(["核定总额（元）", b.total, a.total, c.difference_total], bold=True, money=(2, 3, 4))
    s.append(["追缴合计（元）", b.clawback, a.clawback, c.difference_clawback], money=(2, 3, 4))
    for st in STATUSES:
        nb, na = int(b.by_status.get(st, 0)), int(a.by_status.get(st, 0))
        s.append([f"{STATUS_LABELS[st]}（条）", nb, na, na - nb])
    for st in sorted(set(b.by_status) | set(a.by_status)):
        if st not in STATUS_LABELS:  # a status the labels do not know yet is still shown
            nb, na = int(b.by_status.get(st, 0)), int(a.by_status.get(st, 0))
            s.append([f"{status_label(st)}（条）", nb, na, na - nb])
    s.blank()
    s.pair("金额或状态变化的申报", f"{len(c.lines)} 条，见“变化明细”", span=3)
    s.pair("核定金额变化的企业", f"{sum(1 for x in c.companies if x.difference)} 家，见“按企业”", span=3)
    s.pair("数据问题", f"{c.issues} 处（两种口径下相同；待补正的申报不计金额）", span=3)
    s.blank()
    s.note("说明：同一份申报汇总表读取一次，按两套口径各核定一遍；每一边的金额与 subsidy assess 按该口径核定的"
           "结果逐分一致。各出资财政的差额之和、各条变化申报的差额之和都等于核定总额的差额。")


def _totals_table(wb: Workbook, title: str, first: str, keys: Sequence[str], shown: Sequence[str],
                  base: dict, alt: dict, diff: dict, total: tuple, *, head: str) -> Sheet:
    s = Sheet(wb, title, (22, 22, 22, 22), (first, "基准口径（元）", "备选口径（元）", "差额（元）"), page_header=head)
    for k, label in zip(keys, shown):
        s.append([label, base[k], alt[k], diff[k]], money=(2, 3, 4), fill=_CHANGED_FILL if diff[k] else None)
    s.append(["合计", *total], bold=True, money=(2, 3, 4))
    return s


def _line_cells(x: LineChange) -> list:
    def reasons(rs, payers) -> str:
        text = "；".join(r.message for r in rs) or "—"
        if payers:
            text += "\n出资：" + "；".join(f"{k} {yuan_text(v)}" for k, v in payers.items())
        return text

    who = x.company_name or "（企业信息有误）"
    return [x.claim_id, f"{who}\n{x.credit_code}" if x.credit_code else who,
            f"{x.category_label}\n{x.article}" if x.article else x.category_label,
            x.base_payable, x.alternative_payable, x.difference,
            status_label(x.base_status), status_label(x.alternative_status),
            reasons(x.base_reasons, x.base_payers), reasons(x.alternative_reasons, x.alternative_payers)]


def build_comparison(c: Comparison) -> Workbook:
    wb = Workbook()
    wb.properties.creator = "subsidy"
    wb.properties.title = f"口径比较表 {c.year}"
    head = printing.heading(c.policy.number, c.policy.title, c.year, "口径比较表")
    _summary(wb, c, head)
    treasuries = _totals_table(wb, "按出资财政", "出资财政", c.treasuries, c.treasuries, c.base.by_payer,
                               c.alternative.by_payer, c.difference_by_payer,
                               (c.base.total, c.alternative.total, c.difference_total), head=head)
    _totals_table(wb, "按条款", "条款", c.measures, [f"第{m}条" for m in c.measures], c.base.by_measure,
                  c.alternative.by_measure, c.difference_by_measure,
                  (c.base.total, c.alternative.total, c.difference_total), head=head)
    s = Sheet(wb, "按企业", (22, 34, 10, 18, 18, 18),
              ("统一社会信用代码", "企业", "注册地", "基准口径（元）", "备选口径（元）", "差额（元）"), page_header=head)
    for x in c.companies:
        s.append([x.credit_code, x.company_name, x.region, x.base, x.alternative, x.difference], money=(4, 5, 6),
                 fill=_CHANGED_FILL if x.difference else None)
    s.append(["合计", None, None, sum((x.base for x in c.companies), Decimal(0)),
              sum((x.alternative for x in c.companies), Decimal(0)),
              sum((x.difference for x in c.companies), Decimal(0))], bold=True, money=(4, 5, 6))
    s = Sheet(wb, "变化明细", (11, 22, 15, 14, 14, 14, 8, 8, 26, 26),
              ("申报编号", "企业", "奖励类别", "基准口径\n核定金额（元）", "备选口径\n核定金额（元）", "差额（元）",
               "基准口径\n状态", "备选口径\n状态", "基准口径下的原因", "备选口径下的原因"), page_header=head)
    for x in c.lines:
        s.append(_line_cells(x), money=(4, 5, 6))
    s.append(["合计", f"{len(c.lines)} 条", None, sum((x.base_payable for x in c.lines), Decimal(0)),
              sum((x.alternative_payable for x in c.lines), Decimal(0)),
              sum((x.difference for x in c.lines), Decimal(0))], bold=True, money=(4, 5, 6))
    s = Sheet(wb, "口径对照", (30, 30, 30, 8, 46), ("口径参数", "基准口径", "备选口径", "是否不同", "理由"),
              page_header=head)
    for p in c.parameters:
        s.append([p.title, p.base, p.alternative, "不同" if p.differs else "相同", p.why],
                 fill=_CHANGED_FILL if p.differs else None)
    n = len(c.treasuries)
    if n:
        ws = treasuries.ws
        chart_sheet(wb, "图表-出资财政", _bar(
            f"{c.year}年度各出资财政核定金额：基准口径与备选口径（元）", ws, cols=(2, 3), n=n), heading=head)
        chart_sheet(wb, "图表-差额", _bar(
            f"{c.year}年度各出资财政的差额：备选口径−基准口径（元）", ws, cols=(4, 4), n=n), heading=head)
    return wb


def _bar(title: str, ws, *, cols: tuple[int, int], n: int) -> BarChart:
    """Columns ``cols`` of the first ``n`` rows below the header, one series a column, treasuries as categories."""
    ch = BarChart()
    ch.type = "col"
    ch.grouping = "clustered"
    money_chart(ch, ws, title=title, x_title="出资财政", cols=cols, n=n,
                names=("基准口径", "备选口径") if cols[0] != cols[1] else ("差额",))
    ch.dataLabels = labels(vertical=cols[0] != cols[1])  # two bars side by side: upright labels would overlap
    ch.dataLabels.position = "outEnd"
    return ch


# --------------------------------------------------------------------------- the sweep


def _value_format(sw: Sweep) -> str:
    places = max(0, -min(v.as_tuple().exponent for v in sw.spec.values))
    return "0" if places == 0 else "0." + "0" * places


def build_sweep(sw: Sweep) -> Workbook:
    wb = Workbook()
    wb.properties.creator = "subsidy"
    wb.properties.title = f"口径扫描表 {sw.year}"
    head = printing.heading(sw.policy.number, sw.policy.title, sw.year, "口径扫描表")
    spec = sw.spec
    s = Sheet(wb, "汇总", (26, 66), first=True, page_header=head)
    s.title("口径扫描表")
    p = sw.policy
    lo = min(sw.rows, key=lambda r: r.total)
    hi = max(sw.rows, key=lambda r: r.total)
    for label, value in (
            ("政策", f"{p.number} {p.title}"),
            ("核定年度", str(sw.year)),
            ("输入文件 SHA-256", sw.input_sha256),
            ("扫描参数", f"{spec.title}：{spec.start} 至 {spec.stop}，步长 {spec.step}，共 {len(spec.values)} 个取值"),
            ("其余口径", _config_text(sw.start_file) + "（扫描的参数取各个取值）"),
            ("基准口径", _config_text(sw.base.config_file)),
            *(("注意", n.message) for n in sw.notices),
    ):
        s.pair(label, value)
    s.pair("基准核定总额（元）", sw.base.total, money=True, bold=True)
    s.pair(f"最低：取值 {lo.value}（元）", lo.total, money=True)
    s.pair(f"最高：取值 {hi.value}（元）", hi.total, money=True)
    s.blank()
    s.note("说明：同一份申报汇总表读取一次，按每个取值各核定一遍；每一行的金额与 subsidy assess 按该取值的口径核定"
           "的结果逐分一致。各出资财政的金额见“逐值结果”，折线图见图表页。")

    heads = [spec.label, "核定总额\n（元）", "较基准差额\n（元）", "变化申报\n（条）",
             *[f"{t}\n（元）" for t in sw.treasuries]]
    t = Sheet(wb, "逐值结果", (14, 16, 16, 9, *[max(14, text_width(t) + 2) for t in sw.treasuries]), heads,
              page_header=head)
    fmt = _value_format(sw)
    money_cols = (2, 3, *range(5, 5 + len(sw.treasuries)))
    for row in sw.rows:
        r = t.append([row.value, row.total, row.difference, row.changed_lines,
                      *[row.by_payer[k] for k in sw.treasuries]], money=money_cols)
        t.ws.cell(r, 1).number_format = fmt
    t.append(["基准口径", sw.base.total, Decimal("0.00"), None, *[sw.base.by_payer[k] for k in sw.treasuries]],
             bold=True, money=money_cols)

    s = Sheet(wb, "口径", (30, 34, 34, 46), ("口径参数", "基准口径", "扫描所用口径", "理由"), page_header=head)
    swept = spec.key.split(".", 1)[0]
    for x in sw.parameters:
        used = x.alternative
        if x.key == swept:
            used = f"逐值变化：{spec.label}取 {spec.start} 至 {spec.stop}，步长 {spec.step}"
            rest = "；".join(f"{r} {v}" for r, v in sw.start.city_share.items() if r not in spec.regions)
            if spec.regions and rest:
                used += f"（其余：{rest}）"
        s.append([x.title, x.base, used, x.why], fill=_CHANGED_FILL if used != x.base else None)

    n = len(sw.rows)
    ws = t.ws
    chart_sheet(wb, "图表-核定总额", _line(
        f"{sw.year}年度核定总额随{spec.label}的变化（元）", ws, cols=(2, 2), n=n, x_title=spec.label, names=["核定总额"],
        labelled=n <= LABELLED_POINTS), heading=head)
    if sw.treasuries:
        chart_sheet(wb, "图表-各出资财政", _line(
            f"{sw.year}年度各出资财政核定金额随{spec.label}的变化（元）", ws, cols=(5, 4 + len(sw.treasuries)), n=n,
            x_title=spec.label, labelled=False, legend=True, names=sw.treasuries,
            values=[[r.by_payer[k] for r in sw.rows] for k in sw.treasuries]), heading=head)
    return wb


def _line(title: str, ws, *, cols: tuple[int, int], n: int, x_title: str, labelled: bool, names: Sequence[str],
          legend: bool = False, values: Sequence[Sequence[Decimal]] = ()) -> LineChart:
    """Columns ``cols`` of the first ``n`` rows below the header, one line a column, the swept values as the
    categories. ``labelled``: every point's value; else with ``values`` (one list a column) the values where a
    line changes."""
    ch = money_chart(LineChart(), ws, title=title, x_title=x_title, cols=cols, n=n, names=names)
    for series in ch.series:
        series.marker.symbol = "circle"
        series.smooth = False
    if labelled:
        ch.dataLabels = labels()
        ch.dataLabels.position = "t"
    elif values:
        for series, column in zip(ch.series, values):
            changes = sum(1 for i in range(1, len(column)) if column[i] != column[i - 1])
            if changes < LABELLED_POINTS:
                series.dLbls = change_labels(column)
    if not legend:
        ch.legend = None  # (money_chart puts a legend below for several lines)
    return ch


# --------------------------------------------------------------------------- saving


def write_comparison(c: Comparison, path: str | os.PathLike[str]) -> None:
    """The 口径比较表 at ``path``, atomically."""
    save_workbook(build_comparison(c), path)


def write_sweep(sw: Sweep, path: str | os.PathLike[str]) -> None:
    """The 口径扫描表 at ``path``, atomically."""
    save_workbook(build_sweep(sw), path)
