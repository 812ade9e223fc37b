"""JSON and terminal presenters of a Comparison (``subsidy.comparison/1``) and a Sweep (``subsidy.sweep/1``).

Money is a string in yuan with two decimals, as in ``subsidy.assessment/1`` (subsidy.jsonout.money_str).
"""
from __future__ import annotations

import json
import sys
from decimal import Decimal
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .atomic import atomic_write_bytes
from .compare import Comparison, Side, Sweep
from .jsonout import money_str as m
from .labels import status_label
from .money import yuan_text

SCHEMA = "subsidy.comparison/1"
SWEEP_SCHEMA = "subsidy.sweep/1"
LINES_SHOWN = 10  # changed lines printed on the terminal; the workbook and JSON have them all


def _money(d: dict[str, Decimal]) -> dict[str, str]:
    return {k: m(v) for k, v in d.items()}


def _reasons(rs) -> list[dict[str, str]]:
    return [{"code": r.code, "message": r.message} for r in rs]


def _head(schema: str, x: Comparison | Sweep) -> dict[str, Any]:
    p = x.policy
    return {"schema": schema, "policy": {"id": p.id, "number": p.number, "title": p.title}, "year": x.year,
            "input": {"sha256": x.input_sha256}, "notices": _reasons(x.notices)}


def _side(s: Side) -> dict[str, Any]:
    return {"config": s.parameters.as_json(), "config_file": s.config_file, "total": m(s.total),
            "by_payer": _money(s.by_payer), "by_measure": _money(s.by_measure), "by_status": dict(s.by_status),
            "clawback": m(s.clawback)}


def comparison_json(c: Comparison) -> dict[str, Any]:
    out = _head(SCHEMA, c)
    out["base"] = _side(c.base)
    out["alternative"] = _side(c.alternative)
    out["difference"] = {"total": m(c.difference_total), "by_payer": _money(c.difference_by_payer),
                         "by_measure": _money(c.difference_by_measure), "clawback": m(c.difference_clawback)}
    out["changed_parameters"] = [p.key for p in c.changed_parameters]
    out["companies"] = [{"credit_code": x.credit_code, "company_name": x.company_name, "region": x.region,
                         "base_payable": m(x.base), "alternative_payable": m(x.alternative),
                         "difference": m(x.difference)} for x in c.companies]
    out["lines"] = [{
        "claim_id": x.claim_id, "credit_code": x.credit_code, "company_name": x.company_name,
        "category_code": x.category_code, "measure": x.measure, "subject": x.subject,
        "base_payable": m(x.base_payable), "alternative_payable": m(x.alternative_payable),
        "difference": m(x.difference), "base_status": x.base_status, "alternative_status": x.alternative_status,
        "base_payers": _money(x.base_payers), "alternative_payers": _money(x.alternative_payers),
        "base_reasons": _reasons(x.base_reasons), "alternative_reasons": _reasons(x.alternative_reasons),
    } for x in c.lines]
    return out


def sweep_json(sw: Sweep) -> dict[str, Any]:
    out = _head(SWEEP_SCHEMA, sw)
    spec = sw.spec
    out["parameter"] = {"key": spec.key, "label": spec.label, "from": str(spec.start), "to": str(spec.stop),
                        "step": str(spec.step), "values": [str(v) for v in spec.values]}
    out["base"] = _side(sw.base)
    out["start"] = {"config": sw.start.as_json(), "config_file": sw.start_file}
    out["rows"] = [{"value": str(r.value), "total": m(r.total), "difference": m(r.difference),
                    "by_payer": _money(r.by_payer), "changed_lines": r.changed_lines} for r in sw.rows]
    return out


def dumps(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write(doc: dict[str, Any], target: str) -> None:
    """``target`` "-" writes UTF-8 to stdout; anything else is a file path, written atomically."""
    data = dumps(doc)
    if target == "-":
        out = sys.stdout
        out.flush()
        buffer = getattr(out, "buffer", None)
        if buffer is not None:
            buffer.write(data)
            buffer.flush()
        else:
            out.write(data.decode("utf-8"))
        return
    atomic_write_bytes(target, data)


# --------------------------------------------------------------------------- terminal


def _config(file: str | None) -> str:
    return file if file else "政策默认口径"


def print_comparison(c: Comparison, *, console: Console) -> None:
    p = c.policy
    say = lambda text: console.print(text, highlight=False, markup=False)  # noqa: E731
    console.print(f"[bold]口径比较[/bold]  {c.year}年度  {escape(p.number)}", highlight=False)
    say(f"基准口径：{_config(c.base.config_file)}")
    say(f"备选口径：{_config(c.alternative.config_file)}")
    _notices(c.notices, console)
    if c.changed_parameters:
        say("不同的口径参数：")
        for x in c.changed_parameters:
            say(f"  {x.title}：{x.base} → {x.alternative}")
    else:
        say("两种口径相同：差额为 0。")
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for h, j in (("出资财政", "left"), ("基准口径", "right"), ("备选口径", "right"), ("差额", "right")):
        table.add_column(h, justify=j)
    for t in c.treasuries:
        table.add_row(escape(t), yuan_text(c.base.by_payer[t]), yuan_text(c.alternative.by_payer[t]),
                      _signed(c.difference_by_payer[t]))
    table.add_row("[bold]合计[/bold]", yuan_text(c.base.total), yuan_text(c.alternative.total),
                  _signed(c.difference_total))
    console.print(table)
    changed = sum(1 for x in c.companies if x.difference)
    say(f"金额或状态变化的申报 {len(c.lines)} 条，金额变化的企业 {changed} 家（见“变化明细”“按企业”表）")
    if c.lines:
        lines = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        for h, j in (("申报编号", "left"), ("企业", "left"), ("差额", "right"), ("状态", "left")):
            lines.add_column(h, justify=j)
        for x in c.lines[:LINES_SHOWN]:
            status = status_label(x.alternative_status)
            if x.base_status != x.alternative_status:
                status = f"{status_label(x.base_status)}→{status}"
            lines.add_row(escape(x.claim_id), escape(x.company_name), _signed(x.difference), status)
        console.print(lines)
        if len(c.lines) > LINES_SHOWN:
            say(f"  … 另有 {len(c.lines) - LINES_SHOWN} 条")


def print_sweep(sw: Sweep, *, console: Console) -> None:
    p = sw.policy
    spec = sw.spec
    say = lambda text: console.print(text, highlight=False, markup=False)  # noqa: E731
    console.print(f"[bold]口径扫描[/bold]  {sw.year}年度  {escape(p.number)}", highlight=False)
    say(f"扫描参数：{spec.title}，{spec.start} 至 {spec.stop}，步长 {spec.step}，共 {len(spec.values)} 个取值")
    say(f"其余口径：{_config(sw.start_file)}；基准口径：{_config(sw.base.config_file)}，"
        f"核定总额 {yuan_text(sw.base.total)} 元")
    _notices(sw.notices, console)
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for h, j in (("取值", "right"), ("核定总额", "right"), ("较基准差额", "right"), ("变化申报", "right")):
        table.add_column(h, justify=j)
    for r in sw.rows:
        table.add_row(str(r.value), yuan_text(r.total), _signed(r.difference), f"{r.changed_lines} 条")
    console.print(table)
    say("各出资财政的金额见比较表“逐值结果”和折线图。")


def _notices(notices, console: Console) -> None:
    for n in notices:
        console.print(f"[yellow]注意：[/yellow]{escape(n.message)}", highlight=False)


def _signed(x: Decimal) -> str:
    return f"+{yuan_text(x)}" if x > 0 else yuan_text(x)
