"""`subsidy forecast`: what is already promised for the coming years (第5条 relocated headquarters)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from . import options
from .assess import check_year
from .ledger import LEDGER_HELP, _ledger_file

HELP = "\n\n".join((
    "已承诺奖励预测：按账本中的总部迁入（第5条）兑现，预测各企业以后年度待兑现的奖励，按年度和出资财政汇总，并列出未缴回的追缴（应收）。",
    "每家总部迁入企业自落户认定当年起奖励五年（前两年100%、后三年50%，比例取自政策参数）；账本中已兑现的年度不计，"
    "从 --from 年起的其余年度以最近一年的地方财政贡献为基数，按 --growth 年增长率复合增长估算，出资财政按受益财政分担口径拆分。"
    "账本中在记录落户认定日期和地方财政贡献之前记账或导入的兑现，取 --applications 申报汇总表“总部迁入”表中的数据"
    "（按 --from 上一年度的申报读取）；两者都没有的企业逐一列出原因。",
    "只读用户也可运行（不写账本）。",
))


def forecast(
    start: int = typer.Option(..., "--from", metavar="年度", help="预测的第一个年度（如 2025）"),
    output: Path = typer.Option(..., "--output", "-o", metavar="预测.xlsx", help="预测表（xlsx，附图表）"),
    applications: Optional[Path] = typer.Option(None, "--applications", metavar="IN.xlsx",
                                                help="申报汇总表（补充账本未记载的落户认定日期和地方财政贡献）"),
    growth: Optional[str] = typer.Option(None, "--growth", metavar="增长率",
                                         help="地方财政贡献的年增长率，如 0.05 或 5%（默认 0，负数表示下降）"),
    json_out: Optional[str] = options.JSON_OUT,
    config: Optional[Path] = options.CONFIG,
    ledger: Optional[str] = typer.Option(None, "--ledger", metavar="URL", help=LEDGER_HELP),
    policy: str = options.POLICY,
) -> None:
    from policies import get_pack

    from .. import forecast as F
    from .. import forecastout, params
    from ..atomic import atomic_paths
    from ..compareout import dumps, write
    from ..paths import Out, check_outputs
    from ..workbook.forecast import build_forecast

    check_year(start)
    g = F.parse_growth(growth)
    pack = get_pack(policy)
    prm = params.load(config, pack)
    check_outputs([Out("-o", output, xlsx=True), Out("--json", json_out)],
                  inputs={"--applications": applications, "--config": config, "--ledger": _ledger_file(ledger)})
    to_stdout = json_out == "-"
    console = Console(stderr=to_stdout) if to_stdout else Console()
    if not console.is_terminal:
        console = Console(width=200, stderr=to_stdout)
    f = F.run(ledger, start=start, growth=g, pack=pack, params=prm, applications=applications,
              config_file=str(config) if config is not None else None)
    doc = forecastout.forecast_json(f)
    wb = build_forecast(f)
    if json_out and not to_stdout:
        with atomic_paths([output, json_out]) as (xlsx_tmp, json_tmp):
            wb.save(xlsx_tmp)
            json_tmp.write_bytes(dumps(doc))
    else:
        with atomic_paths([output]) as (xlsx_tmp,):
            wb.save(xlsx_tmp)
        if to_stdout:
            write(doc, "-")
    forecastout.print_forecast(f, console=console)
    console.print(f"预测表：{output}", highlight=False)
    if json_out and not to_stdout:
        console.print(f"JSON：{json_out}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("forecast", help=HELP, short_help=HELP.split("\n")[0])(forecast)
