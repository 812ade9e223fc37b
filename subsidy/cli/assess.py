"""`subsidy assess` and `subsidy template`: the bureau's main job."""
from __future__ import annotations

import os
from contextlib import nullcontext
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from ..errors import SubsidyError
from . import options

YEAR_MIN, YEAR_MAX = 2000, 2100


class BadArgument(SubsidyError):
    """A command-line value that the CLI cannot use."""


def ledger_url(option: str | None) -> str | None:
    """--ledger, or SUBSIDY_LEDGER from the environment when the option is absent."""
    return option or os.environ.get("SUBSIDY_LEDGER") or None


def check_year(year: int) -> int:
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise BadArgument(f"核定年度“{year}”无效（应为 {YEAR_MIN}–{YEAR_MAX} 之间的年份）")
    return year


def run_assessment(path: Path, *, year: int, config: Path | None, ledger: str | None, policy: str,
                   console: Console | None = None):
    """read → validate → pipeline → Result. Shared by assess, check and audit."""
    from policies import get_pack

    from .. import engine, params

    pack = get_pack(policy)
    prm = params.load(config, pack)
    check_year(year)
    batch, extra, ledger_used = read_inputs(path, ledger=ledger, pack=pack, console=console)
    with busy(console, path, f"正在核定 {len(batch.claims) + len(batch.hq_claims):,} 条申报…"):
        return engine.assess(batch, year=year, pack=pack, params=prm, extra_history=extra, ledger_used=ledger_used)


def read_inputs(path: Path, *, ledger: str | None, pack, console: Console | None = None):
    """The batch read and validated once, and the ledger's history of its companies when a ledger is named
    (option or SUBSIDY_LEDGER): (Batch, extra history, whether a ledger was read). Shared by assess and
    compare, which assesses the same batch under several sets of 口径."""
    from ..workbook.reader import read_workbook

    with busy(console, path, "正在读取申报汇总表…"):
        batch = read_workbook(path, pack=pack)
    extra = ()
    url = ledger_url(ledger)
    if url:
        from ..ledger import history

        extra = tuple(history(url, credit_codes={c.credit_code for c in batch.companies}, policy_id=pack.id))
    return batch, extra, bool(url)


def busy(console: Console | None, path: Path, message: str):
    """A status line naming the stage of a long run: only on a terminal and for a large input file."""
    big = console is not None and console.is_terminal and _size(path) > LARGE_FILE
    return console.status(message) if big else nullcontext()


LARGE_FILE = 1_000_000  # bytes: above this the terminal shows what stage a long run is in


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def default_output(path: Path, year: int) -> Path:
    return path.with_name(f"{path.stem}-奖励明细表-{year}.xlsx")


def assess(
    applications: Path = typer.Argument(..., metavar="IN.xlsx", help="申报汇总表（xlsx）"),
    year: int = typer.Option(..., "--year", "-y", metavar="年度", help="核定年度（奖励所属的年度，即成果获批的年度）"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", metavar="OUT.xlsx",
                                          help="奖励明细表输出路径（默认：输入文件名-奖励明细表-年度.xlsx）"),
    json_out: Optional[str] = options.JSON_OUT,
    config: Optional[Path] = options.CONFIG,
    ledger: Optional[str] = options.LEDGER_HISTORY,
    policy: str = options.POLICY,
) -> None:
    """核定一批申报：校验申报汇总表，逐项核定奖励，输出奖励明细表（xlsx）和可选的 JSON。"""
    from ..atomic import atomic_paths
    from ..jsonout import write_json
    from ..output import print_summary, progress
    from ..paths import Out, check_outputs
    from ..workbook.writer import write_schedule

    check_year(year)
    out = output or default_output(applications, year)
    # refused before anything runs: an output that is an input, or the other output, or not an .xlsx
    check_outputs([Out("-o", out, xlsx=True), Out("--json", json_out)],
                  inputs={"IN.xlsx": applications, "--config": config, "--ledger": sqlite_path(ledger_url(ledger))})
    to_stdout = json_out == "-"
    console = Console(stderr=to_stdout)
    result = run_assessment(applications, year=year, config=config, ledger=ledger, policy=policy, console=console)
    files = [out] + ([Path(json_out)] if json_out and not to_stdout else [])
    with progress(len(result.lines) * (2 if json_out else 1), "正在写出结果", console=console) as advance:
        with atomic_paths(files) as tmps:  # the schedule and its JSON are replaced together, or neither
            write_schedule(result, tmps[0], advance=advance, atomic=False)
            if len(tmps) > 1:
                write_json(result, str(tmps[1]), atomic=False)
                advance(len(result.lines))
        if to_stdout:
            write_json(result, "-")
    print_summary(result, console=console)
    console.print(f"奖励明细表：{out}")
    if json_out and not to_stdout:
        console.print(f"JSON：{json_out}")


def sqlite_path(url: str | None) -> Path | None:
    """The file of an SQLite ledger URL (sqlite:///path), to keep an output from overwriting it."""
    if url and url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return Path(url[len("sqlite:///"):].split("?")[0])
    return None


def template(
    output: Path = typer.Argument(..., metavar="OUT.xlsx", help="空白申报汇总表的输出路径"),
    force: bool = typer.Option(False, "--force", help="文件已存在时覆盖（默认不覆盖，以免覆盖已填写的申报汇总表）"),
    policy: str = options.POLICY,
) -> None:
    """生成空白申报汇总表：各表表头、下拉选项和填表说明。"""
    from policies import get_pack

    from ..paths import Out, check_outputs
    from ..workbook.template import write_template

    check_outputs([Out("OUT.xlsx", output, xlsx=True, replace=False)], force=force)
    write_template(output, pack=get_pack(policy))
    Console().print(f"已生成空白申报汇总表：{output}")


def register(app: typer.Typer) -> None:
    app.command("assess")(assess)
    app.command("template")(template)
