"""`subsidy ledger …`: record an assessment's payouts, list and export them, clawbacks."""
from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console as _Console

from ..errors import SubsidyError
from ..money import yuan_text
from ..output import Col, paragraph, print_table
from ..paths import Out, check_outputs
from . import options

ledger_app = typer.Typer(
    name="ledger",
    help="兑现账本：记录已兑现的奖励，查询、导出，以及外迁和弄虚作假企业的追缴。",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)

LEDGER_HELP = "兑现账本地址（SQLAlchemy URL：sqlite:///ledger.db 或 postgresql+psycopg://…；默认取环境变量 SUBSIDY_LEDGER，再默认 sqlite:///ledger.db）"
_DATE = re.compile(r"^\s*(\d{4})\s*(?:[-/.年])\s*(\d{1,2})\s*(?:[-/.月])\s*(\d{1,2})\s*日?\s*$")


def Console() -> _Console:
    """The terminal's width on a terminal; wide enough for the tables when piped or redirected."""
    console = _Console()
    return console if console.is_terminal else _Console(width=200)


class BadArgument(SubsidyError):
    """A command-line value the ledger commands cannot use."""


def parse_date(text: str, option: str) -> dt.date:
    """2024-03-15, 2024/3/15 or 2024年3月15日."""
    m = _DATE.match(text or "")
    try:
        if not m:
            raise ValueError
        return dt.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        raise BadArgument(f"{option} 的值“{text}”不是日期（应为 2024-03-15、2024/3/15 或 2024年3月15日）") from None


def _ledger_file(ledger: str | None) -> Path | None:
    """The file of an SQLite ledger (the option, SUBSIDY_LEDGER or the default), which no output may replace."""
    from ..ledger.db import resolve_url
    from .assess import sqlite_path

    return sqlite_path(resolve_url(ledger))


def check_year(year: int | None) -> int | None:
    if year is not None and not 2000 <= year <= 2100:
        raise BadArgument(f"年度“{year}”无效（应为 2000–2100 之间的年份）")
    return year


def _pack(policy: str):
    from policies import get_pack

    return get_pack(policy)


def _source_text(p) -> str:
    """申报编号 A-1 for a recorded assessment line; 导入 第5行 for a row of an imported 已兑现奖励 sheet."""
    return f"导入 第{p.source_row}行" if p.imported else f"申报编号 {p.claim_id}"


def _payers_text(payers: dict[str, Decimal]) -> str:
    return "；".join(f"{k} {yuan_text(v)}" for k, v in payers.items())


@ledger_app.command("init")
def init_cmd(
    ledger: Optional[str] = typer.Option(None, "--ledger", metavar="URL", help=LEDGER_HELP),
) -> None:
    """建立兑现账本（新的 SQLite 文件，或在已有的 PostgreSQL 数据库中建表）；已有账本则升级其数据结构。"""
    from .. import ledger as L

    Console().print(f"账本已就绪：{L.init(ledger)}")


def _refuse(e) -> None:
    """A refusal with a list (conflicts, bad rows): the headline, then one numbered item per line, on stderr."""
    import click

    click.echo(f"错误：{e.headline}：", err=True)
    for i, item in enumerate(e.items, 1):
        click.echo(f"  {i}. {item}", err=True)
    raise typer.Exit(e.exit_code)


def _outcome(console, out, *, verb: str, paid_on: dt.date | None = None) -> None:
    console.print(f"{verb} {len(out.new)} 笔，合计 {yuan_text(out.new_amount)} 元；"
                  f"已在账本中（未重复{verb[-2:]}）{out.unchanged} 笔。")
    if paid_on is not None:
        other = [p for p in out.same if p.paid_on != paid_on]
        if other:
            days = "、".join(sorted({str(p.paid_on) for p in other}))
            console.print(f"注意：已在账本中的 {len(other)} 笔兑现日期为 {days}，与本次 --paid-on {paid_on} 不同，"
                          "账本中的日期未改变。")


@ledger_app.command("record")
def record_cmd(
    result: Path = typer.Argument(..., metavar="RESULT.json", help="subsidy assess --json 输出的核定结果"),
    approved_by: str = typer.Option(..., "--approved-by", metavar="姓名", help="审批人"),
    paid_on: str = typer.Option(..., "--paid-on", metavar="日期",
                                help="兑现日期（资金实际拨付的日期，如 2025-01-15；不能晚于今天）"),
    ledger: Optional[str] = typer.Option(None, "--ledger", metavar="URL", help=LEDGER_HELP),
) -> None:
    """把一次核定结果中核定金额大于0的每一项记为已兑现（必须写明兑现日期）。

    同一结果（同一申报汇总表、同一申报编号）重复记录不会重复入账。同一企业、同一奖励类别、同一项目、同一奖励年度已由另一份核定结果记账或已导入，或一次性奖励已在其他年度兑现，即为冲突：整批拒绝、不写入任何记录，逐条列出冲突，退出码 1。
    """
    from .. import ledger as L

    day = parse_date(paid_on, "--paid-on")
    try:
        out = L.record(ledger, result, approved_by=approved_by, paid_on=day)
    except L.LedgerConflict as e:
        _refuse(e)
    console = Console()
    console.print(f"账本：{L.db.shown(L.resolve_url(ledger))}")
    _outcome(console, out, verb="新记录", paid_on=day)


@ledger_app.command("import")
def import_cmd(
    workbook: Path = typer.Argument(..., metavar="已兑现奖励.xlsx",
                                    help="已兑现奖励表（ledger export 的格式），或含“已兑现奖励”工作表的申报汇总表"),
    approved_by: str = typer.Option(..., "--approved-by", metavar="姓名", help="经办人（登记这批历史兑现记录的人）"),
    ledger: Optional[str] = typer.Option(None, "--ledger", metavar="URL", help=LEDGER_HELP),
    policy: str = options.POLICY,
) -> None:
    """导入账本建立之前已兑现的奖励（“已兑现奖励”表），供核定、追缴和账本审计使用。

    任何一行无法读取或不可能是本政策的兑现，整表拒绝（退出码 2）；与账本已有记录冲突，整表拒绝并逐条列出（退出码 1）；同一文件重复导入不会重复入账。导入的记录没有出资财政，显示为“出资财政未记录”。
    """
    from .. import ledger as L

    pack = _pack(policy)
    try:
        out = L.import_history(ledger, workbook, approved_by=approved_by, policy_id=pack.id)
    except (L.LedgerConflict, L.BadImportFile) as e:
        _refuse(e)
    console = Console()
    console.print(f"账本：{L.db.shown(L.resolve_url(ledger))}")
    _outcome(console, out, verb="导入", paid_on=None)
    for note in out.notes:
        console.print(f"注意：{note}")
    if out.new:
        console.print(f"导入的记录没有出资财政，在账本列表、追缴清单和审计中显示为“{L.store.UNRECORDED_TREASURY}”。")


@ledger_app.command("list")
def list_cmd(
    company: Optional[str] = typer.Option(None, "--company", metavar="统一社会信用代码", help="只看这家企业"),
    year: Optional[int] = typer.Option(None, "--year", "-y", metavar="年度", help="只看这个奖励年度"),
    ledger: Optional[str] = typer.Option(None, "--ledger", metavar="URL", help=LEDGER_HELP),
    policy: str = options.POLICY,
) -> None:
    """列出已兑现的奖励：编号、兑现给谁、什么奖励、哪年、何时、多少、由哪级财政出资，来自哪份核定结果（申报编号）或哪次导入；已冲销的兑现另列。"""
    from .. import ledger as L

    pack = _pack(policy)
    codes = [company] if company else None
    rows = L.payouts(ledger, policy_id=pack.id, credit_codes=codes, year=check_year(year))
    console = Console()
    cols = [Col("编号", "key"), Col("统一社会信用代码", "key"), Col("企业名称"), Col("奖励类别"), Col("项目或证书名称"),
            Col("奖励年度", "key"), Col("兑现日期", "key"), Col("兑现金额(元)", "money"), Col("出资财政"), Col("审批人"),
            Col("来源", "key"), Col("追缴")]
    table = []
    for p in rows:
        cb = "" if p.clawback is None else ("待缴回" if p.clawback.open else f"已于 {p.clawback.returned_on} 缴回")
        table.append((str(p.id), p.credit_code, p.company_name, L.store.category_label(pack, p.category), p.subject,
                      str(p.reward_year), str(p.paid_on), yuan_text(p.amount), _payers_text(p.payers), p.approved_by,
                      _source_text(p), cb))
    print_table(console, cols, table, title=f"已兑现奖励（{pack.number}）",
                heading=(2, 3, 4))
    total = sum((p.amount for p in rows), Decimal("0.00"))
    console.print(f"共 {len(rows)} 笔，合计 {yuan_text(total)} 元。")
    reversals = [e for e in L.entries(ledger, policy_id=pack.id, credit_codes=codes, year=year) if e.reversal]
    if reversals:
        print_table(console, [Col("冲销编号", "key"), Col("冲销的兑现", "key"), Col("企业名称"), Col("奖励类别"),
                              Col("奖励年度", "key"), Col("冲销金额(元)", "money"), Col("原因"), Col("审批人"),
                              Col("冲销时间", "key")],
                    [(str(e.id), f"编号 {e.reverses_id}", e.company_name, L.store.category_label(pack, e.category),
                      str(e.reward_year), yuan_text(-e.amount), e.reason, e.approved_by,
                      f"{e.recorded_at:%Y-%m-%d %H:%M}" if e.recorded_at else "") for e in reversals],
                    title="已冲销的兑现（不计入上表和合计）", heading=(2, 3))


@ledger_app.command("export")
def export_cmd(
    output: Path = typer.Option(..., "--output", "-o", metavar="FILE.xlsx", help="输出的已兑现奖励表"),
    company: Optional[str] = typer.Option(None, "--company", metavar="统一社会信用代码", help="只导出这家企业"),
    year: Optional[int] = typer.Option(None, "--year", "-y", metavar="年度", help="只导出这个奖励年度"),
    ledger: Optional[str] = typer.Option(None, "--ledger", metavar="URL", help=LEDGER_HELP),
    policy: str = options.POLICY,
) -> None:
    """导出为“已兑现奖励”表（申报汇总表的格式），可粘贴进申报汇总表供 subsidy assess 使用。"""
    from .. import ledger as L
    from ..ledger.export import write_history_workbook

    check_outputs([Out("--output", output, xlsx=True)], inputs={"--ledger": _ledger_file(ledger)})
    pack = _pack(policy)
    rows = L.payouts(ledger, policy_id=pack.id, credit_codes=[company] if company else None, year=check_year(year))
    write_history_workbook(rows, output, pack=pack)
    Console().print(f"已导出 {len(rows)} 笔已兑现奖励：{output}")


@ledger_app.command("clawback")
def clawback_cmd(
    applications: Path = typer.Option(..., "--applications", metavar="IN.xlsx",
                                      help="申报汇总表（读取企业表的迁出日期和弄虚作假）"),
    record: bool = typer.Option(False, "--record", help="把追缴事项登记到账本（审计时据此列出未缴回的追缴）"),
    approved_by: Optional[str] = typer.Option(None, "--approved-by", metavar="姓名", help="登记追缴的经办人（--record 时必填）"),
    decided_on: Optional[str] = typer.Option(None, "--decided-on", metavar="日期",
                                             help="追缴决定的日期（--record 时使用，默认今天；登记后不能再改）"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", metavar="FILE.xlsx", help="同时输出追缴清单（xlsx）"),
    config: Optional[Path] = options.CONFIG,
    ledger: Optional[str] = typer.Option(None, "--ledger", metavar="URL", help=LEDGER_HELP),
    policy: str = options.POLICY,
) -> None:
    """列出外迁或弄虚作假企业应缴回的已兑现奖励（按出资财政分列）；加 --record 登记到账本。"""
    from .. import ledger as L
    from .. import params as P
    from ..workbook.reader import read_workbook

    if record and not (approved_by and approved_by.strip()):
        raise BadArgument("登记追缴（--record）时须用 --approved-by 写明经办人")
    if decided_on is not None and not record:
        raise BadArgument("--decided-on 只在登记追缴（--record）时使用；不加 --record 时不登记任何事项")
    decided = parse_date(decided_on, "--decided-on") if decided_on is not None else dt.date.today()
    if decided > dt.date.today():
        raise BadArgument(f"--decided-on 的值“{decided_on}”晚于今天，追缴决定的日期不能是将来的日期")
    check_outputs([Out("--output", output, xlsx=True)],
                  inputs={"--applications": applications, "--config": config, "--ledger": _ledger_file(ledger)})
    pack = _pack(policy)
    prm = P.load(config, pack)
    batch = read_workbook(applications, pack=pack)
    dues = L.clawbacks_due(ledger, batch.companies, pack=pack, params=prm)
    console = Console()
    if not dues:
        console.print("账本中没有需要追缴的奖励（企业表中没有迁出或弄虚作假企业在本措施下的兑现记录）。")
        return
    cols = [Col("统一社会信用代码", "key"), Col("企业名称"), Col("奖励类别"), Col("项目或证书名称"), Col("奖励年度", "key"),
            Col("兑现日期", "key"), Col("应缴回(元)", "money"), Col("出资财政"), Col("原因"), Col("状态")]
    from ..ledger.clawback_sheet import by_treasury, reason_text, state_text, write_clawbacks  # SQLAlchemy: lazily

    table = []
    for d in dues:
        p = d.payout
        table.append((p.credit_code, p.company_name, L.store.category_label(pack, p.category), p.subject,
                      str(p.reward_year), str(p.paid_on), yuan_text(p.amount), _payers_text(p.payers),
                      reason_text(d), state_text(d)))
    print_table(console, cols, table, title="追缴清单",
                heading=(1, 2, 3))
    totals = by_treasury(dues)
    print_table(console, [Col("出资财政", "key"), Col("应缴回(元)", "money")],
                [(k, yuan_text(v)) for k, v in totals.items()]
                + [("合计", yuan_text(sum(totals.values(), Decimal("0.00"))))], title="按出资财政汇总")
    if output:
        write_clawbacks(dues, output, pack=pack)
        console.print(f"追缴清单：{output}")
    if record:
        n = L.record_clawbacks(ledger, dues, decided_by=approved_by, decided_on=decided)
        console.print(f"已登记追缴 {n} 笔（决定日期 {decided}；此前已登记 {len(dues) - n} 笔）。", highlight=False)


@ledger_app.command("returned")
def returned_cmd(
    company: str = typer.Argument(..., metavar="统一社会信用代码", help="已缴回奖励资金的企业"),
    returned_on: str = typer.Option(..., "--returned-on", metavar="日期",
                                    help="缴回日期（必填：账本中的缴回日期登记后不能再改）"),
    ledger: Optional[str] = typer.Option(None, "--ledger", metavar="URL", help=LEDGER_HELP),
) -> None:
    """登记企业已缴回全部待缴回的奖励资金（关闭其追缴事项）。"""
    from .. import ledger as L

    day = parse_date(returned_on, "--returned-on")
    if day > dt.date.today():
        raise BadArgument(f"--returned-on 的值“{returned_on}”晚于今天，缴回日期不能是将来的日期")
    n = L.mark_returned(ledger, company, returned_on=day)
    Console().print(f"已登记 {company} 缴回 {n} 笔追缴事项（缴回日期 {day}）。" if n else
                    f"{company} 没有待缴回的追缴事项。")


@ledger_app.command("reverse")
def reverse_cmd(
    payout_id: int = typer.Argument(..., metavar="编号", help="要冲销的兑现记录的编号（见 subsidy ledger list 的“编号”列）"),
    reason: str = typer.Option(..., "--reason", metavar="原因", help="冲销的原因（如：金额记错，应为 400,000.00 元）"),
    approved_by: str = typer.Option(..., "--approved-by", metavar="姓名", help="批准冲销的人"),
    ledger: Optional[str] = typer.Option(None, "--ledger", metavar="URL", help=LEDGER_HELP),
) -> None:
    """冲销一笔记错的兑现：追加一笔冲销记录（写明冲销哪一笔、原因和审批人，金额为负），原记录不改不删。

    冲销后该笔兑现不再计入核定的历史、账本列表、导出、审计和预测；正确的兑现另行记账（ledger record 或 ledger import）。已登记追缴的兑现不能冲销。
    """
    from .. import ledger as L

    original, rev = L.reverse(ledger, payout_id, reason=reason, approved_by=approved_by)
    pack = _pack(original.policy_id)
    console = Console()
    console.print(f"账本：{L.db.shown(L.resolve_url(ledger))}")
    what = L.store.describe(pack, company=original.company_name, code=original.credit_code,
                            category=original.category, subject=original.subject, year=original.reward_year)
    paragraph(console, f"已冲销编号 {original.id}：{what} {original.paid_on} 兑现 {yuan_text(original.amount)} 元"
                       f"（{_payers_text(original.payers)}）。")
    paragraph(console, f"冲销记录编号 {rev.id}，原因：{rev.reason}，审批人：{rev.approved_by}。")


@ledger_app.command("verify")
def verify_cmd(
    head: Optional[str] = typer.Option(None, "--head", metavar="哈希",
                                       help="上次核验时记下的链头哈希：账本中须仍有这一笔（发现其后的记录被整批删除）"),
    ledger: Optional[str] = typer.Option(None, "--ledger", metavar="URL", help=LEDGER_HELP),
) -> None:
    """核验账本的哈希链：逐笔重新计算每笔记录（含出资财政）的哈希值，指出第一处断开的记录（有问题时退出码为1）。"""
    from .. import ledger as L

    if head is not None and not re.fullmatch(r"\s*[0-9a-fA-F]{64}\s*", head):
        raise BadArgument(f"--head 的值“{head}”不是 SHA-256 哈希（应为 64 位十六进制数字）")
    report = L.verify(ledger, head=head)
    console = Console()
    console.print(f"账本：{L.db.shown(L.resolve_url(ledger))}")
    for line in chain_lines(report, head=head):
        paragraph(console, line)
    raise typer.Exit(0 if report.intact else 1)


def chain_lines(report, *, head: str | None = None) -> list[str]:
    """What verify (and audit --ledger) says about the hash chain."""
    if report.first_break is not None:
        b = report.first_break
        return [f"哈希链断开：{b.message}。",
                f"此前的 {report.entries} 笔完好；请从备份核对编号 {b.id} 及其后的记录。"]
    out = [f"哈希链完整：共 {report.entries} 笔记录，逐笔核验一致。", f"链头哈希：{report.head}"]
    if head is not None:
        out.append(f"上次记下的哈希 {head.strip()[:12]}… 仍在链中。" if report.has_hash else
                   f"哈希链断开：账本中没有上次记下的哈希 {head.strip()[:12]}…：该笔及其后的记录被删除或改动过"
                   "（或记下的哈希属于另一本账）。")
    else:
        out.append("请记下链头哈希，下次核验时用 --head 给出，可发现最近的记录被整批删除。")
    return out


@ledger_app.command("grant-reader")
def grant_reader_cmd(
    role: str = typer.Argument(..., metavar="数据库用户", help="要设为只读审计用户的 PostgreSQL 用户（须已存在）"),
    print_sql: bool = typer.Option(False, "--print-sql", help="只打印授权语句（交数据库管理员执行），不连接数据库"),
    ledger: Optional[str] = typer.Option(None, "--ledger", metavar="URL", help=LEDGER_HELP),
) -> None:
    """给 PostgreSQL 账本设一个只读用户：只能查询（审计账本、列出、导出和核验账本、预测），不能记账。

    须用账本所有者（建账的用户）的地址运行；也可加 --print-sql 只打印语句，交数据库管理员执行。
    """
    from ..ledger import roles

    if print_sql:
        for sql in roles.sql_for(ledger, role):
            typer.echo(sql + ";")
        return
    statements = roles.grant_reader(ledger, role)
    from .. import ledger as L

    console = Console()
    console.print(f"账本：{L.db.shown(L.resolve_url(ledger))}")
    console.print(f"已把数据库用户“{role.strip()}”设为只读：可以查询、导出、核验、审计和预测，不能记账。执行的语句：")
    for sql in statements:
        console.print(f"  {sql};", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(ledger_app, name="ledger")
