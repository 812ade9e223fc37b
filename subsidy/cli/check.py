"""`subsidy check`, `subsidy deposit`, `subsidy policy`: what a company asks before it applies."""
from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.markup import escape

from ..errors import SubsidyError
from ..deposit import deposit_figures
from ..money import yuan_text
from ..output import Col, paragraph, print_table, where
from . import options


class BadArgument(SubsidyError):
    """A command-line value that cannot be used."""


def _json_bytes(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _emit_json(data: dict[str, Any], target: str) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if target == "-":
        sys.stdout.flush()
        buf = getattr(sys.stdout, "buffer", None)
        if buf is not None:
            buf.write(text.encode("utf-8"))
            buf.flush()
        else:
            sys.stdout.write(text)
        return
    from ..atomic import atomic_write_bytes

    atomic_write_bytes(target, text.encode("utf-8"))


def _m(x: Decimal | None) -> str:
    return "—" if x is None else yuan_text(x)


def _pct(rate: Decimal | None) -> str:
    return "—" if rate is None else f"{(rate * 100).normalize():f}%"


def _print(console: Console, text: str, style: str | None = None) -> None:
    """One paragraph: wrapped on a terminal (an amount, a code or a date is never split), one line when piped."""
    paragraph(console, text, style=style)


# --------------------------------------------------------------------------- check


def print_self_check(sc, console: Console) -> None:
    """The self-check report in the terminal (the same content as the web page)."""
    from ..selfcheck import score_text

    p = sc.policy
    console.print(f"[bold]企业自查结果[/bold]  {escape(sc.company_name or '（企业信息有误）')}  {escape(sc.credit_code)}",
                  highlight=False)
    _print(console, f"注册地：{sc.region or '—'}   信用评价分：{score_text(sc.credit_score) or '未评分'}   "
                    f"核定年度：{sc.year}   政策：{p.number}《{p.title}》")

    console.rule("前提条件（通用条款）", style="dim")
    if not sc.checks:
        _print(console, "企业表中该企业的信息有误，无法判断前提条件（见下方数据问题）", "yellow")
    for c in sc.checks:
        mark, style = ("✓ 满足", "green") if c.passed else ("✗ 不满足", "red")
        console.print(f"[{style}]{mark}[/{style}] {escape(c.label)}：{escape(c.detail)}", highlight=False)

    console.rule("申报事项", style="dim")
    if not sc.claims:
        _print(console, "没有申报事项")
    for c in sc.claims:
        subject = f"“{c.subject}”" if c.subject else ""
        head = (f"{c.claim_id}  {c.category_label or '（类别有误）'}{subject}  {c.article}  "
                f"标准金额 {_m(c.standard_amount)} 元 → 核定 {_m(c.payable)} 元  [{c.status_label}]")
        _print(console, head, "bold")
        for step in c.steps:
            _print(console, f"    · {step.message}")
        if c.payers:
            _print(console, "    · 出资：" + "，".join(f"{k} {yuan_text(v)} 元" for k, v in c.payers.items()))

    console.rule("封顶（企业所得奖励不超过地方留成税收）", style="dim")
    cap = sc.cap
    if cap.local_retained_tax is None:
        _print(console, "地方留成税收：未填写（有奖金的申报待补正）", "yellow")
    else:
        _print(console, f"地方留成税收 {_m(cap.local_retained_tax)} 元；本年度已兑现 {_m(cap.paid_in_year)} 元；"
                        f"申报标准金额合计 {_m(cap.requested)} 元；应得合计 {_m(cap.entitled)} 元；"
                        f"核定合计 {_m(cap.payable)} 元")
        if cap.capped:
            _print(console, f"封顶生效：核减 {_m(-cap.headroom)} 元", "red")
        else:
            _print(console, f"未触及封顶，余量 {_m(cap.headroom)} 元", "green")

    if sc.deposits:
        console.rule("质量保证金（第18条）", style="dim")
        print_table(console, [Col("项目"), Col("结算总额", "money"), Col("比例", "money"), Col("保证金", "money"),
                              Col("基准1.5%", "money"), Col("原3%", "money"), Col("少缴", "money")],
                    [(d.project, _m(d.settlement_amount), _pct(d.rate), _m(d.deposit), _m(d.base_deposit),
                      _m(d.old_deposit), _m(d.saving)) for d in sc.deposits])
        notes = dict.fromkeys(d.note for d in sc.deposits)
        for n in notes:
            _print(console, f"  {n}")

    if sc.clawbacks:
        console.rule("追缴", style="dim")
        for c in sc.clawbacks:
            _print(console, f"{c.category_label}{'“' + c.subject + '”' if c.subject else ''} {c.reward_year}年度 "
                            f"兑现 {c.paid_on} {yuan_text(c.amount)} 元：{c.message}", "red")

    gains = [a for a in sc.advice if a.is_gain]
    notes = [a for a in sc.advice if not a.is_gain]
    console.rule("建议：可多得或少缴的金额", style="dim")
    if not gains:
        _print(console, "暂无")
    for i, a in enumerate(gains, 1):
        _print(console, f"{i}. {a.message}  【{yuan_text(a.amount)} 元】")
    if notes:
        console.rule("提示", style="dim")
        for a in notes:
            _print(console, f"· {a.message}")

    if sc.issues:
        console.rule("数据问题", style="dim")
        print_table(console, [Col("位置", "key"), Col("问题")],
                    [(where(i.sheet, i.row, i.column if i.column and not i.message.startswith(i.column) else None),
                      i.message) for i in sc.issues])
    console.print(f"[bold]核定合计：{yuan_text(sc.payable)} 元[/bold]", highlight=False)


def check(
    applications: Path = typer.Argument(..., metavar="IN.xlsx", help="申报汇总表（xlsx）"),
    company: str = typer.Option(..., "--company", "-c", metavar="代码或名称",
                                help="要自查的企业：统一社会信用代码（或企业表中的企业名称）"),
    year: int = typer.Option(..., "--year", "-y", metavar="年度", help="核定年度（成果获批的年度）"),
    json_out: Optional[str] = options.JSON_OUT,
    export: Optional[Path] = typer.Option(
        None, "--export", metavar="申报表.xlsx",
        help="同时导出该企业的申报表（xlsx），交住建局合并为申报汇总表；申报编号改为“统一社会信用代码-序号”"),
    config: Optional[Path] = options.CONFIG,
    ledger: Optional[str] = options.LEDGER_HISTORY,
    policy: str = options.POLICY,
) -> None:
    """企业自查：逐项说明前提条件、每项申报的标准金额、适用的每条规则和核定金额、封顶余量、质量保证金，并给出带金额的建议。"""
    from ..atomic import atomic_paths
    from ..cli.assess import check_year, ledger_url, sqlite_path
    from ..paths import Out, check_outputs
    from ..selfcheck import read_check_input, self_check, to_json

    check_year(year)
    check_outputs([Out("--json", json_out), Out("--export", export, xlsx=True)],
                  inputs={"IN.xlsx": applications, "--config": config, "--ledger": sqlite_path(ledger_url(ledger))})
    ci = read_check_input(applications, company, year=year, config=config, ledger=ledger, policy=policy)
    sc = self_check(ci.batch, ci.code, year=year, pack=ci.pack, params=ci.params, extra_history=ci.extra_history)
    exported = None
    if export is not None:  # refused (naming each row it could not read) before anything is written
        from ..export import company_file, export_bytes

        exported = company_file(ci.batch, ci.code, pack=ci.pack, extra_history=ci.extra_history)
        workbook = export_bytes(exported, pack=ci.pack, year=year, payable=sc.payable)  # built in memory
    to_stdout = json_out == "-"
    console = Console(stderr=to_stdout)
    files = [*([Path(json_out)] if json_out and not to_stdout else []), *([export] if export is not None else [])]
    if files:
        with atomic_paths(files) as tmps:  # the JSON and the application file appear together, or neither
            tmp = list(tmps)
            if json_out and not to_stdout:
                tmp.pop(0).write_bytes(_json_bytes(to_json(sc)))
            if export is not None:
                tmp.pop(0).write_bytes(workbook)
    if to_stdout:
        _emit_json(to_json(sc), "-")
    print_self_check(sc, console)
    if json_out and not to_stdout:
        _print(console, f"JSON：{json_out}")
    if exported is not None:
        if exported.renumbered:
            _print(console, "申报编号已改为“统一社会信用代码-序号”：" + "，".join(f"{a} → {b}" for a, b in exported.renumbered))
        _print(console, f"申报表：{export}（交住建局，用 subsidy merge 与其他企业的申报表合并）")


# --------------------------------------------------------------------------- deposit


def parse_amount_arg(text: str) -> Decimal:
    from ..workbook.cells import CellError, parse_amount

    try:
        return parse_amount(text)
    except CellError as e:
        raise BadArgument(f"参数 --amount 的值“{text}”无效：{e.message}") from None


def parse_score_arg(text: str | None) -> Decimal | None:
    from ..workbook.cells import CellError, parse_score

    if text is None:
        return None
    try:
        return parse_score(text)
    except CellError as e:
        raise BadArgument(f"参数 --credit-score 的值“{text}”无效：{e.message}") from None


def deposit(
    amount: str = typer.Option(..., "--amount", "-a", metavar="金额",
                               help="工程价款结算总额（元），可写 1,234.56 或 12.5万"),
    credit_score: Optional[str] = typer.Option(None, "--credit-score", "-s", metavar="分数",
                                               help="信用评价分（不填按基准比例1.5%）"),
    json_flag: bool = options.JSON_FLAG,
    policy: str = options.POLICY,
) -> None:
    """质量保证金计算（第18条）：按信用评价分给出预留比例、保证金、与基准1.5%和原3%相比少缴多少。"""
    from ..selfcheck import score_text

    value = parse_amount_arg(amount)
    score = parse_score_arg(credit_score)
    f = deposit_figures(value, score, policy=policy)
    if json_flag:
        _emit_json(f, "-")
        return
    console = Console()
    rate = Decimal(f["rate"])
    console.print("[bold]工程质量保证金（第18条）[/bold]", highlight=False)
    _print(console, f"工程价款结算总额：{yuan_text(Decimal(f['settlement_amount']))} 元")
    _print(console, f"信用评价分：{score_text(score) + ' 分' if score is not None else '未填（按基准比例）'}")
    _print(console, f"预留比例：{_pct(rate)}")
    _print(console, f"质量保证金：{yuan_text(Decimal(f['deposit']))} 元", "bold")
    _print(console, f"基准比例 {_pct(Decimal(f['base_rate']))} 时：{yuan_text(Decimal(f['base_deposit']))} 元，"
                    f"少缴 {yuan_text(Decimal(f['saving']))} 元")
    _print(console, f"原比例 {_pct(Decimal(f['old_rate']))} 时：{yuan_text(Decimal(f['old_deposit']))} 元，"
                    f"少缴 {yuan_text(Decimal(f['saving_vs_old']))} 元")
    for c in f["next_cuts"]:
        _print(console, f"信用评价分达到 {c['credit_score']} 分及以上：比例 {_pct(Decimal(c['rate']))}，"
                        f"可再少缴 {yuan_text(Decimal(c['saving']))} 元")
    _print(console, f"说明：{f['note']}")
    _print(console, "前提：企业满足通用条款的前提条件（未列入黑名单、未拖欠农民工工资、未发生较大以上质量安全事故等），"
                    "否则按基准比例1.5%。")


# --------------------------------------------------------------------------- policy


def policy_cmd(
    config: Optional[Path] = options.CONFIG,
    json_flag: bool = options.JSON_FLAG,
    policy: str = options.POLICY,
) -> None:
    """政策一览：全部24条措施和通用条款——是否核算及原因、奖励金额及条款依据、现行口径参数。"""
    from policies import get_pack

    from ..params import load
    from ..selfcheck import policy_json, policy_overview

    pack = get_pack(policy)
    o = policy_overview(pack, load(config, pack))
    if json_flag:
        _emit_json(policy_json(o), "-")
        return
    console = Console()
    console.print(f"[bold]{escape(o.number)}《{escape(o.title)}》[/bold]", highlight=False)
    _print(console, f"发布 {o.issued}，有效期 {o.validity_start} 至 {o.validity_end}")
    for m in o.measures:
        mark = "[green]核算[/green]" if m.computed else "[dim]不核算[/dim]"
        console.rule(style="dim")
        console.print(f"[bold]{escape(m.article)} {escape(m.title)}[/bold]  {mark}", highlight=False)
        if m.computed:
            if m.text:
                _print(console, f"  条文：{m.text}")
        else:
            _print(console, f"  原因：{m.why}")
        for a in m.amounts:
            label = f"{a.label}：" if a.label else ""
            _print(console, f"  · {label}{a.amount}  —— {a.reference}")
    console.rule("口径参数（现行）", style="dim")
    for i in o.interpretations:
        _print(console, f"· {i.title}：{i.value_label}。{i.why}")


def register(app: typer.Typer) -> None:
    app.command("check")(check)
    app.command("deposit")(deposit)
    app.command("policy")(policy_cmd)
