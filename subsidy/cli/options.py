"""Options several commands share: one definition, one wording of their help."""
from __future__ import annotations

import typer

POLICY = typer.Option("jdz-2023", "--policy", metavar="编号", help="政策编号")
CONFIG = typer.Option(None, "--config", metavar="FILE.toml", help="口径参数配置文件（TOML）")
JSON_OUT = typer.Option(None, "--json", metavar="文件|-", help="同时输出 JSON（- 表示标准输出）")
JSON_FLAG = typer.Option(False, "--json", help="以 JSON 输出")
#: assess and check read history from a ledger only when one is named (option or SUBSIDY_LEDGER)
LEDGER_HISTORY = typer.Option(None, "--ledger", metavar="URL",
                              help="兑现账本（SQLAlchemy URL，如 sqlite:///ledger.db；默认取环境变量 SUBSIDY_LEDGER）")
