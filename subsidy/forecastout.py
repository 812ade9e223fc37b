"""JSON (``subsidy.forecast/1``) and terminal presenters of a Forecast.

Money is a string in yuan with two decimals, as in ``subsidy.assessment/1``; rates are plain decimal strings.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich.console import Console

from .forecast import Forecast, YearAmount
from .jsonout import money_str as m
from .money import yuan_text
from .output import Col, paragraph, print_table

SCHEMA = "subsidy.forecast/1"


def _money(d: dict[str, Decimal]) -> dict[str, str]:
    return {k: m(v) for k, v in d.items()}


def _year(y: YearAmount) -> dict[str, Any]:
    return {"year": y.year, "reward_year_index": y.reward_year_index, "rate": format(y.rate, "f"),
            "contribution": m(y.contribution), "amount": m(y.amount), "payers": _money(y.payers)}


def forecast_json(f: Forecast) -> dict[str, Any]:
    p = f.policy
    years = []
    for y in f.years:
        behind = [{"credit_code": c.credit_code, "company_name": c.company_name, "region": c.region,
                   **_year(ya)} for c in f.companies for ya in c.years if ya.year == y]
        years.append({"year": y, "total": m(f.year_total(y)),
                      "by_payer": _money({t: f.by_year[y].get(t, Decimal("0.00")) for t in f.treasuries}),
                      "companies": behind})
    return {
        "schema": SCHEMA,
        "policy": {"id": p.id, "number": p.number, "title": p.title},
        "ledger": f.ledger,
        "from": f.start,
        "to": f.years[-1] if f.years else None,
        "growth": format(f.growth, "f"),
        "growth_form": "compound",
        "parameters": f.parameters.as_json(),
        "config_file": f.config_file,
        "applications": None if f.applications is None else {
            "file": f.applications, "sha256": f.applications_sha256, "year": f.applications_year},
        "total": m(f.total),
        "by_payer": _money(f.by_payer),
        "years": years,
        "companies": [{
            "credit_code": c.credit_code, "company_name": c.company_name, "region": c.region,
            "recognised_on": c.recognised_on.isoformat(), "base_year": c.base_year,
            "base_contribution": m(c.base_contribution), "source": c.source, "paid_years": list(c.paid_years),
            "total": m(c.total), "years": [_year(y) for y in c.years], "notes": list(c.notes),
        } for c in f.companies],
        "missing": [{"credit_code": x.credit_code, "company_name": x.company_name, "reason": x.reason}
                    for x in f.missing],
        "receivable": {
            "total": m(f.receivable_total), "by_payer": _money(f.receivable_by_payer),
            "clawbacks": [{
                "payout_id": r.payout.id, "credit_code": r.payout.credit_code, "company_name": r.payout.company_name,
                "category_code": r.payout.category, "subject": r.payout.subject, "reward_year": r.payout.reward_year,
                "paid_on": r.payout.paid_on.isoformat(), "amount": m(r.payout.amount), "payers": _money(r.payers),
                "reason_code": r.payout.clawback.reason_code, "decided_on": r.payout.clawback.decided_on.isoformat(),
            } for r in f.receivables],
        },
    }


def growth_text(g: Decimal) -> str:
    pct = (g * 100).normalize()
    return f"{format(pct, 'f')}%（按年复合增长）" if g else "0（按最近一年的地方财政贡献）"


def print_forecast(f: Forecast, *, console: Console) -> None:
    head = f"已承诺的总部迁入奖励（第5条），{f.start} 年起"
    paragraph(console, f"账本：{f.ledger}")
    paragraph(console, f"{head}；地方财政贡献年增长率 {growth_text(f.growth)}。")
    if f.years:
        cols = [Col("出资财政", "key"), *[Col(f"{y}年(元)", "money") for y in f.years], Col("合计(元)", "money")]
        rows = [(t, *[yuan_text(f.by_year[y].get(t, Decimal(0))) for y in f.years], yuan_text(f.by_payer[t]))
                for t in f.treasuries]
        rows.append(("合计", *[yuan_text(f.year_total(y)) for y in f.years], yuan_text(f.total)))
        print_table(console, cols, rows, title="各年度按出资财政")
        cols = [Col("企业"), Col("统一社会信用代码", "key"), Col("奖励年度", "key"), Col("第几年", "key"),
                Col("比例", "key"), Col("预计奖励(元)", "money")]
        rows = [(c.company_name, c.credit_code, str(y.year), f"第{y.reward_year_index}年", f"{y.rate * 100:.0f}%",
                 yuan_text(y.amount)) for c in f.companies for y in c.years]
        print_table(console, cols, rows, title="各企业待兑现年度", heading=(0,))
    else:
        paragraph(console, "没有待兑现的总部迁入奖励。")
    paragraph(console, f"合计已承诺 {yuan_text(f.total)} 元（未计封顶：以后年度的地方留成税收未知）。")
    for c in f.companies:
        for n in c.notes:
            paragraph(console, f"注意：{c.company_name}（{c.credit_code}）：{n}")
    for x in f.missing:
        paragraph(console, f"未计入预测：{x.company_name or x.credit_code}（{x.credit_code}）：{x.reason}")
    if f.receivables:
        parts = "；".join(f"{t} {yuan_text(v)}" for t, v in f.receivable_by_payer.items())
        paragraph(console, f"应收追缴（未缴回）{len(f.receivables)} 笔，合计 {yuan_text(f.receivable_total)} 元：{parts}。")
    else:
        paragraph(console, "应收追缴：无。")
