"""`subsidy compare`: what a change of 口径 costs — one batch under two sets of 口径, or a sweep of one parameter."""
from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from ..errors import SubsidyError
from . import options
from .assess import check_year, ledger_url, read_inputs, sqlite_path


class BadArgument(SubsidyError):
    """A command-line value or combination compare cannot use."""


def publish(wb, output: Path, doc: dict, json_out: str | None) -> None:
    """The workbook and the JSON file appear together, or neither does; ``--json -`` prints the JSON."""
    from ..atomic import atomic_paths
    from ..compareout import dumps, write

    if json_out and json_out != "-":
        with atomic_paths([output, json_out]) as (xlsx_tmp, json_tmp):
            wb.save(xlsx_tmp)
            json_tmp.write_bytes(dumps(doc))
        return
    with atomic_paths([output]) as (xlsx_tmp,):
        wb.save(xlsx_tmp)
    if json_out == "-":
        write(doc, "-")


#: the command's help: one paragraph a string, wrapped by the terminal
HELP = "\n\n".join((
    "口径比较：同一批申报按两套口径各核定一遍，列出差额和变化的申报，或逐值扫描一个参数。",
    "基准口径为政策默认口径（或 --base 给出的配置文件），备选口径为 --config 给出的配置文件（不用 --sweep 时必填）；"
    "两边的金额都与 subsidy assess 按该口径核定的结果逐分一致。比较表（xlsx）列出核定总额、各出资财政、各条款、"
    "各企业的差额，核定金额、状态或出资财政变化的每条申报（附两种口径下的原因），以及各出资财政的柱形图。",
    "逐值扫描（--sweep 参数=起:止:步长）：对一个数值口径参数的每个取值核定一遍，一行列出核定总额、与基准口径的差额和"
    "各出资财政的金额，并附折线图；最多 200 个取值，小数步长精确（0.1、0.2、…）。可扫描的参数：min_credit_score"
    "（信用评价分下限）、city_share（全部区县的市财政承担比例，市本级始终为 1）、city_share.珠山区 等（只改一个区县）。"
    "同时给了 --config 时，扫描的取值覆盖其中的同名参数，其余口径按 --config。",
))

SWEEP = typer.Option(None, "--sweep", metavar="参数=起:止:步长",
                     help="逐值扫描一个数值参数，如 min_credit_score=60:90:5（见上）")


def compare(
    applications: Path = typer.Argument(..., metavar="IN.xlsx", help="申报汇总表（xlsx）"),
    year: int = typer.Option(..., "--year", "-y", metavar="年度", help="核定年度（成果获批的年度）"),
    config: Optional[Path] = typer.Option(None, "--config", metavar="ALT.toml",
                                          help="备选口径配置文件（TOML）"),
    base: Optional[Path] = typer.Option(None, "--base", metavar="BASE.toml",
                                        help="基准口径配置文件（默认：政策默认口径）"),
    sweep: Optional[str] = SWEEP,
    output: Path = typer.Option(..., "--output", "-o", metavar="比较.xlsx", help="比较表（xlsx，附图表）"),
    json_out: Optional[str] = options.JSON_OUT,
    ledger: Optional[str] = options.LEDGER_HISTORY,
    policy: str = options.POLICY,
) -> None:
    from policies import get_pack

    from .. import compare as C
    from .. import compareout, params
    from ..paths import Out, check_outputs
    from ..workbook.comparison import build_comparison, build_sweep

    check_year(year)
    pack = get_pack(policy)
    spec = C.parse_sweep(sweep, pack) if sweep is not None else None
    if spec is None and config is None:
        raise BadArgument("缺少备选口径：请用 --config 给出备选口径的配置文件，或用 --sweep 扫描一个参数")
    base_prm = params.load(base, pack)
    alt_prm = params.load(config, pack) if config is not None else None
    check_outputs([Out("-o", output, xlsx=True), Out("--json", json_out)],
                  inputs={"IN.xlsx": applications, "--config": config, "--base": base,
                          "--ledger": sqlite_path(ledger_url(ledger))})

    to_stdout = json_out == "-"
    console = Console(stderr=to_stdout)
    batch, extra, ledger_used = read_inputs(applications, ledger=ledger, pack=pack, console=console)
    base_file = str(base) if base is not None else None
    alt_file = str(config) if config is not None else None
    if spec is None:
        with console.status("正在按两套口径核定…") if console.is_terminal else nullcontext():
            result = C.compare(batch, year=year, pack=pack, base=base_prm, alternative=alt_prm,
                               extra_history=extra, ledger_used=ledger_used, base_file=base_file,
                               alternative_file=alt_file)
        publish(build_comparison(result), output, compareout.comparison_json(result), json_out)
        compareout.print_comparison(result, console=console)
    else:
        start = alt_prm if alt_prm is not None else base_prm
        status = console.status("正在核定…") if console.is_terminal else None
        with status or nullcontext():
            def on_value(i: int, value) -> None:
                if status is not None:
                    status.update(f"正在按 {spec.key} = {value} 核定（{i + 1}/{len(spec.values)}）…")

            result = C.sweep(batch, year=year, pack=pack, base=base_prm, start=start, spec=spec,
                             extra_history=extra, ledger_used=ledger_used, base_file=base_file,
                             start_file=alt_file or base_file, on_value=on_value)
        publish(build_sweep(result), output, compareout.sweep_json(result), json_out)
        compareout.print_sweep(result, console=console)
    console.print(f"比较表：{output}", highlight=False)
    if json_out and not to_stdout:
        console.print(f"JSON：{json_out}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("compare", help=HELP, short_help=HELP.split("\n")[0])(compare)
