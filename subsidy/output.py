"""The terminal presenter (rich): a compact Chinese summary of a Result, and a progress bar for big batches.

The only module that prints to the terminal with rich; everything it shows is also in the workbook and JSON.
"""
from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

from rich.cells import cell_len, chop_cells
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.text import Text

from .labels import STATUS_LABELS, status_label
from .models import STATUSES, Result
from .money import yuan_text

#: batches up to this size finish before a bar would be worth drawing
PROGRESS_THRESHOLD = 2000
ISSUES_SHOWN = 5


def print_summary(result: Result, *, console: Console) -> None:
    t = result.totals
    p = result.policy
    console.print(f"[bold]奖励核定结果[/bold]  {result.year}年度", highlight=False)
    console.print(f"{escape(p.number)}《{escape(p.title)}》", highlight=False)
    counts = "，".join(f"{STATUS_LABELS[s]} {t.by_status.get(s, 0)}" for s in STATUSES)
    extra = "，".join(f"{status_label(s)} {n}" for s, n in t.by_status.items() if s not in STATUS_LABELS)
    console.print(f"申报 {len(result.lines)} 条：{counts}{'，' + extra if extra else ''}", highlight=False, markup=False)
    for n in result.notices:
        paragraph(console, f"注意：{n.message}", style="yellow")

    if t.by_payer:
        print_table(console, [Col("出资财政", "key"), Col("金额（元）", "money")],
                    [(payer, yuan_text(amount)) for payer, amount in t.by_payer.items()])
    console.print(f"[bold]核定总额：{yuan_text(t.payable)} 元[/bold]", highlight=False)
    if result.clawbacks:
        console.print(f"追缴 {len(result.clawbacks)} 笔，合计 {yuan_text(t.clawback)} 元", highlight=False)
    if result.issues:
        console.print(f"[yellow]数据问题 {len(result.issues)} 处[/yellow]（详见“数据问题”表）：", highlight=False)
        print_table(console, [Col("位置", "key"), Col("问题")],
                    [(where(i.sheet, i.row, i.column if i.column and not i.message.startswith(i.column) else None),
                      i.message) for i in result.issues[:ISSUES_SHOWN]])
        if len(result.issues) > ISSUES_SHOWN:
            console.print(f"另有 {len(result.issues) - ISSUES_SHOWN} 处未在此列出", highlight=False)
    else:
        console.print("数据问题：无", highlight=False)


# --------------------------------------------------------------------------- tables that hold at 80 columns


@dataclass(frozen=True)
class Col:
    """A column of a terminal table.

    kind ``money``: right-aligned, never wrapped nor cut; ``key``: codes, dates, years, locations — never broken
    across lines; ``text``: folds onto as many lines as it needs (Chinese has no spaces to wrap at), never cut.
    """

    header: str
    kind: str = "text"

    @property
    def whole(self) -> bool:
        return self.kind in ("money", "key")


#: the narrowest a folding column is allowed to become in a table (cells); below that, records read better
TEXT_MIN = 8
GAP = 2  # cells between two columns


def _widths(cols: Sequence[Col], rows: Sequence[Sequence[str]]) -> list[int]:
    """Each column's widest cell (the header included)."""
    return [max([cell_len(c.header)] + [cell_len(str(r[i])) for r in rows]) for i, c in enumerate(cols)]


def table_width(cols: Sequence[Col], rows: Sequence[Sequence[str]]) -> int:
    """The narrowest the table can be with money and keys whole and text columns at least TEXT_MIN wide."""
    return GAP * (len(cols) - 1) + sum(w if c.whole else min(w, TEXT_MIN) for c, w in zip(cols, _widths(cols, rows)))


def _fit(cols: Sequence[Col], rows: Sequence[Sequence[str]], width: int) -> list[int]:
    """Column widths within ``width``: money and keys at their widest cell, the rest of the room shared among the
    text columns (narrow ones first get all they need), none below TEXT_MIN unless its content is narrower."""
    widths = _widths(cols, rows)
    text = sorted((i for i, c in enumerate(cols) if not c.whole), key=lambda i: widths[i])
    room = width - GAP * (len(cols) - 1) - sum(w for c, w in zip(cols, widths) if c.whole)
    for n, i in enumerate(text):
        share = room // (len(text) - n)
        widths[i] = min(widths[i], max(share, TEXT_MIN))
        room -= widths[i]
    return widths


def _grid(cols: Sequence[Col], widths: Sequence[int], rows: Sequence[Sequence[str]]) -> Iterator[str]:
    """The lines of ``rows`` laid out in columns: text wrapped with wrap_text, money right-aligned."""
    for r in rows:
        cells = [[v] if c.whole else wrap_text(v, w) for c, w, v in zip(cols, widths, r)]
        for k in range(max(len(x) for x in cells)):
            parts = []
            for c, w, x in zip(cols, widths, cells):
                v = x[k] if k < len(x) else ""
                pad = " " * max(w - cell_len(v), 0)
                parts.append(pad + v if c.kind == "money" else v + pad)
            yield (" " * GAP).join(parts).rstrip()


def print_table(console: Console, cols: Sequence[Col], rows: Sequence[Sequence[str]], *, title: str | None = None,
                heading: Sequence[int] = (0,)) -> None:
    """A table when it holds in the console's width with no amount cut and no key broken; otherwise one block
    per row — its ``heading`` cells in bold, then the other cells as 列名：值 pairs, wrapped between pairs — which
    holds at any width."""
    if title:
        console.print(Text(title, style="bold"))
    if not rows:
        return
    rows = [[("" if v is None else str(v)) for v in r] for r in rows]
    if table_width(cols, rows) <= console.width:
        widths = _fit(cols, rows, console.width)
        for k, line in enumerate(_grid(cols, widths, [[c.header for c in cols]])):
            console.print(Text(line, style="bold"), soft_wrap=True)
        console.print(Text("─" * (sum(widths) + GAP * (len(cols) - 1)), style="dim"), soft_wrap=True)
        for line in _grid(cols, widths, rows):
            console.print(Text(line), soft_wrap=True)
        return
    width = max(console.width - 2, 1)
    for r in rows:
        for ln in wrap_text(" · ".join(r[i] for i in heading if r[i]), console.width):
            console.print(Text(ln, style="bold"), soft_wrap=True)
        line = ""
        for i, (c, v) in enumerate(zip(cols, r)):
            if not v or i in heading:
                continue
            pair = f"{c.header}：{v}"
            if line and cell_len(line) + 2 + cell_len(pair) <= width:
                line += "  " + pair
                continue
            if line:
                console.print(Text("  " + line), soft_wrap=True)
            *full, line = wrap_text(pair, width)
            for ln in full:
                console.print(Text("  " + ln), soft_wrap=True)
        if line:
            console.print(Text("  " + line), soft_wrap=True)


#: CJK characters and punctuation: a line may break between any two of them (Chinese has no spaces)
_CJK = "\u2e80-\u2fff\u3000-\u303f\u3040-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef“”‘’…—·"
_TOKEN = re.compile(rf"(\s+)|([{_CJK}])|([^\s{_CJK}]+)")
#: may not begin a line (glued to what precedes) / may not end a line (glued to what follows)
_CLOSING = set("，。、；：！？）》」』】〕”’…%—·]")
_OPENING = set("（《「『【〔“‘[")


def _units(text: str) -> list[tuple[str, str]]:
    """(white space before, unbreakable unit): each CJK character, each run of other characters (an amount, a
    code, a date, a word); closing marks glued to what precedes them and opening marks to what follows."""
    units: list[tuple[str, str]] = []
    space = ""
    for m in _TOKEN.finditer(text):
        blank, cjk, other = m.groups()
        if blank:
            space += blank
            continue
        tok = cjk or other
        if units and not space and (tok[0] in _CLOSING or units[-1][1][-1] in _OPENING):
            units[-1] = (units[-1][0], units[-1][1] + tok)
        else:
            units.append((space, tok))
        space = ""
    return units


def wrap_text(text: str, width: int) -> list[str]:
    """Lines of at most ``width`` cells, broken between CJK characters or at spaces — never inside an amount, a
    code or a date (unless one is wider than a whole line) and never before a closing mark (，。）”)."""
    width = max(width, 1)
    lines: list[str] = []
    line = ""
    for space, unit in _units(text):
        piece = (space if line else "") + unit
        if line and cell_len(line) + cell_len(piece) > width:
            lines.append(line)
            line, piece = "", unit
        if cell_len(unit) > width:  # wider than a whole line: folded
            if line:
                lines.append(line)
                line = ""
            head, core, tail = _marks(unit)
            if (head or tail) and cell_len(core) <= width:
                # only the marks glued to it (（500,000.00）) make it too wide: they come off, the amount stays whole
                if cell_len(head + core) <= width and not (head and cell_len(core + tail) <= width):
                    lines.append(head + core)
                    line = tail
                    continue
                if head:  # at the end of the line before when it fits there
                    if lines and cell_len(lines[-1]) + cell_len(space + head) <= width:
                        lines[-1] += space + head
                    else:
                        lines.append(head)
                if cell_len(core + tail) <= width:
                    line = core + tail
                else:
                    lines.append(core)
                    line = tail
                continue
            *full, line = chop_cells(unit, width)
            lines.extend(full)
            continue
        line += piece
    if line or not lines:
        lines.append(line)
    return lines


def _marks(unit: str) -> tuple[str, str, str]:
    """(opening marks glued before, the rest, closing marks glued after) of a unit. Only a mark that is a unit of
    its own (a CJK one: （，。）) was glued; a % or ] written inside a run of other characters (0.75%) is part of it
    and stays with it."""
    i = 0
    while i < len(unit) and unit[i] in _GLUED_OPENING:
        i += 1
    j = len(unit)
    while j > i and unit[j - 1] in _GLUED_CLOSING:
        j -= 1
    return unit[:i], unit[i:j], unit[j:]


#: the marks _units glues to a neighbour (those the tokenizer reads as units of their own)
_GLUED_OPENING = {c for c in _OPENING if re.fullmatch(f"[{_CJK}]", c)}
_GLUED_CLOSING = {c for c in _CLOSING if re.fullmatch(f"[{_CJK}]", c)}


_MARKER = re.compile(r"^\s*(?:[·•\-]\s|\d+\.\s|[✓✗] [^ ]+ )?")


def paragraph(console: Console, text: str, *, style: str | None = None) -> None:
    """Text on a terminal, wrapped with wrap_text (amounts, codes and dates whole), continuation lines aligned
    after a leading indent or list mark ('    · ', '1. '); one line when piped, for grep and files."""
    if not console.is_terminal:
        console.print(text, style=style, markup=False, highlight=False, soft_wrap=True)
        return
    hang = cell_len(_MARKER.match(text).group(0))
    hang = hang if hang < console.width // 2 else 0
    lines = wrap_text(text[len(_MARKER.match(text).group(0)):], console.width - hang)
    for i, ln in enumerate(lines):
        lead = _MARKER.match(text).group(0) if i == 0 else " " * hang
        console.print(lead + ln, style=style, markup=False, highlight=False, soft_wrap=True)


def where(sheet: str | None, row: int | None, column: str | None = None) -> str:
    """An issue's location: '申报事项 第31行 获批日期' (shown whole, in a key column)."""
    return " ".join(p for p in (sheet or "", f"第{row}行" if row else "", column or "") if p)


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
