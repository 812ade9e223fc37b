"""The terminal presenter (rich): a compact Chinese summary of a Result, and a progress bar for big batches.

The only module that prints to the terminal with rich; everything it shows is also in the workbook and JSON.
"""
from __future__ import annotations

import contextlib
from typing import Callable, Iterator

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from .labels import STATUS_LABELS, status_label
from .models import STATUSES, Result
from .money import yuan_text

#: batches up to this size finish before a bar would be worth drawing
PROGRESS_THRESHOLD = 2000
ISSUES_SHOWN = 5


def print_summary(result: Result, *, console: Console) -> None:
    t = result.totals
    p = result.policy
    console.print(f"[bold]奖励核定结果[/bold]  {result.year}年度  {escape(p.number)}《{escape(p.title)}》", highlight=False)
    counts = "，".join(f"{STATUS_LABELS[s]} {t.by_status.get(s, 0)}" for s in STATUSES)
    extra = "，".join(f"{status_label(s)} {n}" for s, n in t.by_status.items() if s not in STATUS_LABELS)
    console.print(f"申报 {len(result.lines)} 条：{counts}{'，' + extra if extra else ''}", highlight=False, markup=False)
    for n in result.notices:
        console.print(f"[yellow]注意：[/yellow]{escape(n.message)}", highlight=False)

    if t.by_payer:
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        table.add_column("出资财政")
        table.add_column("金额（元）", justify="right")
        for payer, amount in t.by_payer.items():
            table.add_row(escape(payer), yuan_text(amount))
        console.print(table)
    console.print(f"[bold]核定总额：{yuan_text(t.payable)} 元[/bold]", highlight=False)
    if result.clawbacks:
        console.print(f"追缴 {len(result.clawbacks)} 笔，合计 {yuan_text(t.clawback)} 元", highlight=False)
    if result.issues:
        console.print(f"[yellow]数据问题 {len(result.issues)} 处[/yellow]（详见“数据问题”表）：", highlight=False)
        for i in result.issues[:ISSUES_SHOWN]:
            column = f" {i.column}" if i.column and not i.message.startswith(i.column) else ""
            where = "".join(x for x in (i.sheet, f" 第{i.row}行" if i.row else "", column))
            console.print(f"  - {where}：{i.message}", highlight=False, markup=False)
        if len(result.issues) > ISSUES_SHOWN:
            console.print(f"  … 另有 {len(result.issues) - ISSUES_SHOWN} 处", highlight=False)
    else:
        console.print("数据问题：无", highlight=False)


@contextlib.contextmanager
def progress(total: int, description: str, *, console: Console | None = None) -> Iterator[Callable[[int], None]]:
    """Yield ``advance(n=1)``; a bar is drawn only for more than 2000 items on a terminal."""
    console = console or Console(stderr=True)
    if total <= PROGRESS_THRESHOLD or not console.is_terminal:
        yield lambda n=1: None
        return
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   console=console, transient=True)
    with bar:
        task = bar.add_task(description, total=total)
        yield lambda n=1: bar.advance(task, n)
