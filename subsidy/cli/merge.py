"""`subsidy merge`: the companies' application files joined into one 申报汇总表 for `subsidy assess`."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from . import options

HELP = "\n\n".join((
    "合并申报表：把各企业的申报表（自查网页“下载申报表”或 subsidy check --export 导出的，或按空白申报汇总表填写的）"
    "合并为一份申报汇总表，供 subsidy assess 核定。",
    "可以给出文件，也可以给出文件夹（连同其中的子文件夹，按文件名顺序读取其中的 .xlsx 文件；隐藏文件、临时文件"
    "和非表格文件不读，逐一列出）。每个文件都按申报汇总表的规定读取，不是申报表的文件逐一报错。",
    "同一企业在几个文件中信息完全相同时只写一行；信息不同（哪怕只差地方留成税收）、同一申报编号出现在两个文件中、"
    "有无法读取的行或没有申报编号的行时，逐条列出（文件、表、行、列和两边的值），不写出任何文件。"
    "同一质量保证金项目或同一笔已兑现奖励在几个文件中相同时只写一次，不同时报错。",
    "输出的申报汇总表另有“收件清单”表：每个文件的名称、SHA-256、企业、各表行数和合并时间，以及每行的来源；"
    "核定时不读取该表。",
))


def merge(
    inputs: list[Path] = typer.Argument(..., metavar="文件或文件夹", help="各企业的申报表（.xlsx），或存放申报表的文件夹"),
    output: Path = typer.Option(..., "--output", "-o", metavar="OUT.xlsx", help="合并后的申报汇总表（xlsx）"),
    policy: str = options.POLICY,
) -> None:
    from policies import get_pack

    from .. import merge as M
    from ..output import Col, paragraph, print_table
    from ..paths import Out, check_outputs
    from ..workbook.application import application_workbook
    from ..workbook.files import save_workbook
    from ..workbook.receipts import add_receipts

    # an output equal to a file named is refused before anything runs; inside a folder named it is not read
    check_outputs([Out("-o", output, xlsx=True)],
                  inputs={f"文件{i}": p for i, p in enumerate(inputs, start=1) if not p.is_dir()})
    pack = get_pack(policy)
    console = Console(highlight=False)
    err = Console(stderr=True, highlight=False)
    files, skipped = M.collect(inputs, output=output)
    try:
        merged = M.merge(files, pack=pack, skipped=skipped)
    except M.MergeRefused as e:
        _print_skipped(err, skipped)
        paragraph(err, f"不能合并（{len(e.problems)} 处问题，未写出任何文件）：", style="bold red")
        for i, problem in enumerate(e.problems, start=1):
            paragraph(err, f"{i}. {problem}")
        raise
    wb = application_workbook(merged.rows, pack=pack)
    add_receipts(wb, merged, pack=pack)
    save_workbook(wb, output)

    paragraph(console, f"已合并 {len(merged.received)} 个文件：{len(merged.rows.companies)} 家企业", style="bold")
    print_table(console, [Col("表", "key"), Col("收到的行", "money"), Col("写入的行", "money"),
                          Col("相同合为一行", "money")],
                [(s, str(merged.received_rows(s)), str(merged.written_rows(s)), str(merged.joined_rows(s)))
                 for s in M.SHEETS])
    _print_skipped(console, skipped)
    for rec in merged.received:
        for note in rec.notes:
            paragraph(console, f"注意：{rec.name}：{note}", style="yellow")
    for note in merged.notes:
        paragraph(console, f"提示：{note}", style="yellow")
    paragraph(console, f"申报汇总表：{output}（收件清单见“收件清单”表）")


def _print_skipped(console: Console, skipped) -> None:
    from ..output import paragraph

    for k in skipped:
        paragraph(console, f"未读取：{k.name}（{k.why}）")


def register(app: typer.Typer) -> None:
    app.command("merge", help=HELP, short_help="合并申报表：各企业的申报表合并为一份申报汇总表，冲突逐条列出。")(merge)
