"""`subsidy audit`: the finance bureau re-verifies a schedule, or audits the payout ledger."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console as _Console

from ..errors import SubsidyError
from ..money import yuan_text
from ..output import Col, print_table
from . import options

MAX_SHOWN = 50  # differences printed on the terminal; the report workbook has them all


def Console() -> _Console:
    """The terminal's width on a terminal; wide enough for the tables when piped or redirected."""
    console = _Console()
    return console if console.is_terminal else _Console(width=200)


class BadArgument(SubsidyError):
    """A command-line combination the audit cannot use."""


def audit(
    schedule: Optional[Path] = typer.Argument(None, metavar="SCHEDULE.xlsx", help="要核对的奖励明细表（不给则审计账本）"),
    applications: Optional[Path] = typer.Option(None, "--applications", metavar="IN.xlsx",
                                                help="核定该明细表所用的申报汇总表（核对明细表时必填）"),
    ledger: Optional[str] = typer.Option(None, "--ledger", metavar="URL",
                                         help="兑现账本（SQLAlchemy URL；默认取环境变量 SUBSIDY_LEDGER，再默认 sqlite:///ledger.db）"),
    year: Optional[int] = typer.Option(None, "--year", "-y", metavar="年度", help="核定年度（核对明细表时默认取明细表汇总表所载年度；审计账本时只看该奖励年度）"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", metavar="AUDIT.xlsx", help="审计报告工作簿"),
    config: Optional[Path] = typer.Option(None, "--config", metavar="FILE.toml", help="口径参数配置文件（TOML），须与核定时相同"),
    policy: str = options.POLICY,
) -> None:
    """财政审计：重新核算并逐格核对奖励明细表（有差异时退出码为1），或审计兑现账本（合计、图表和问题清单）。"""
    from .. import audit as A
    from ..paths import Out, check_outputs
    from .assess import ledger_url, sqlite_path

    check_outputs([Out("-o", output, xlsx=True)],
                  inputs={"SCHEDULE.xlsx": schedule, "--applications": applications, "--config": config,
                          "--ledger": sqlite_path(ledger_url(ledger))})
    if year is not None and not 2000 <= year <= 2100:
        raise BadArgument(f"年度“{year}”无效（应为 2000–2100 之间的年份）")
    console = Console()
    if schedule is not None:
        if applications is None:
            raise BadArgument("核对奖励明细表时须用 --applications 给出核定所用的申报汇总表")
        a = A.audit_schedule(schedule, applications, year=year, config=config, ledger=ledger, policy=policy)
        if output:
            A.write_schedule_audit(a, output)
        if not a.same_parameters:  # first: it explains every difference that follows
            lines = [f"注意：该明细表“口径说明”所载口径与本次核对所用的口径有 {len(a.parameter_diffs)} 项不同，"
                     "重新核算的结果因此不同：",
                     *(f"  {d.title}：明细表为 {d.in_schedule}，本次核对为 {d.in_force}" for d in a.parameter_diffs),
                     *a.rerun_advice()]
            for line in lines:  # whole lines (the TOML is copied from here): never broken by the console
                console.print(line, highlight=False, markup=False, soft_wrap=True)
        console.print(f"核对 {schedule}（{a.year} 年度）与按 {applications} 重新核算的结果；"
                      f"重新核算的核定总额 {yuan_text(a.result.totals.payable)} 元。")
        if not a.same_input:
            console.print("注意：明细表记载的输入文件 SHA-256 与申报汇总表不同，该明细表不是由这份申报汇总表核定的。")
        if a.clean:
            console.print("结论：一致，未发现差异。")
        else:
            print_table(console, [Col("工作表", "key"), Col("单元格", "key"), Col("项目"), Col("列名"), Col("应为"),
                                  Col("实为")],
                        [(d.sheet, d.cell, d.item, d.header, d.expected, d.found) for d in a.diffs[:MAX_SHOWN]],
                        title=f"差异 {len(a.diffs)} 处", heading=(0, 1))
            if len(a.diffs) > MAX_SHOWN:
                console.print(f"……另有 {len(a.diffs) - MAX_SHOWN} 处差异，见审计报告。")
            console.print(f"结论：不一致，发现 {len(a.diffs)} 处差异。")
            if not ledger and a.same_parameters:
                console.print("提示：如该明细表核定时使用了兑现账本（--ledger），核对时须给出同一账本。")
        if output:
            console.print(f"审计报告：{output}")
        raise typer.Exit(0 if a.clean else 1)
    if applications is not None:
        raise BadArgument("--applications 只用于核对奖励明细表：请同时给出 SCHEDULE.xlsx")
    from policies import get_pack

    a = A.audit_ledger(ledger, year=year, config=config, policy=policy)
    if output:
        A.write_ledger_audit(a, output, pack=get_pack(policy))
    scope = f"{a.year} 年度" if a.year is not None else "全部年度"
    console.print(f"账本 {a.url}（{scope}）：兑现 {len(a.payouts)} 笔，合计 {yuan_text(a.total)} 元。")
    pack = get_pack(policy)
    print_table(console, [Col("出资财政", "key"), Col("金额(元)", "money")],
                [(k, yuan_text(v)) for k, v in sorted(a.by_treasury.items(), key=lambda kv: pack.treasury_rank(kv[0]))],
                title="按出资财政")
    if a.chain is not None:
        from .ledger import chain_lines

        from ..output import paragraph

        for line in chain_lines(a.chain)[:2]:
            paragraph(console, line)
    if a.clean:
        console.print("结论：未发现问题。")
    else:
        print_table(console, [Col("问题"), Col("企业"), Col("奖励年度", "key"), Col("涉及金额(元)", "money"), Col("说明")],
                    [(f.label, f"{f.company_name}（{f.credit_code}）", str(f.reward_year or ""), yuan_text(f.amount),
                      f.message) for f in a.flags[:MAX_SHOWN]],
                    title=f"问题 {len(a.flags)} 项", heading=(0, 1))
        console.print(f"结论：发现 {len(a.flags)} 项问题。")
    if output:
        console.print(f"审计报告：{output}")
    raise typer.Exit(0 if a.clean else 1)


def register(app: typer.Typer) -> None:
    app.command("audit")(audit)
