"""The command line: `subsidy …`. Each command lives in its own module, listed in COMMAND_MODULES.

The library raises named exceptions (subsidy.errors); here each becomes one Chinese line on stderr and exit 2.
Click's own usage errors are translated the same way. Nobody sees a traceback.
"""
from __future__ import annotations

import importlib
import sys

import click
import typer

from ..errors import SubsidyError

app = typer.Typer(
    name="subsidy",
    help="景德镇市建筑业奖励政策（景府办字〔2023〕2号）核算工具：申报汇总表进，奖励明细表出，每一笔都有条款依据。",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

#: the plug-ins: each module has register(app)
COMMAND_MODULES = (
    "subsidy.cli.assess",
    "subsidy.cli.ledger",
    "subsidy.cli.audit",
    "subsidy.cli.check",
    "subsidy.cli.serve",
)

for _name in COMMAND_MODULES:
    try:
        _mod = importlib.import_module(_name)
    except ModuleNotFoundError as _e:  # a command module not written yet
        if _e.name != _name:
            raise
        continue
    _mod.register(app)


def _usage_message(e: click.UsageError) -> str:
    if isinstance(e, click.MissingParameter):
        name = e.param.opts[0] if e.param is not None and e.param.opts else (e.param_hint or "")
        if e.param is not None and e.param.param_type_name == "argument":
            name = e.param.human_readable_name
        return f"缺少参数 {name}"
    if isinstance(e, click.NoSuchOption):
        return f"没有这个选项：{e.option_name}"
    if isinstance(e, click.BadParameter):
        hint = e.param.opts[0] if e.param is not None and e.param.opts else (e.param_hint or "")
        return f"参数 {hint} 的值无效：{e.message}"
    if isinstance(e, click.BadArgumentUsage):
        return f"命令行参数错误：{e.message}"
    msg = e.message
    if msg.startswith("No such command"):
        return f"没有这个命令：{msg.split(' ')[-1].strip('.')}（用 subsidy --help 查看全部命令）"
    if msg.startswith("Got unexpected extra argument"):
        return f"多余的参数：{msg.split('(')[-1].rstrip(')')}"
    return f"命令行参数错误：{msg}"


def fail(message: str, code: int = 2) -> "typer.Exit":
    """Print one Chinese line on stderr and return the Exit to raise."""
    click.echo(f"错误：{message}", err=True)
    return typer.Exit(code)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `subsidy` command."""
    try:
        rv = app(args=argv, standalone_mode=False, prog_name="subsidy")
        return rv if isinstance(rv, int) else 0
    except SubsidyError as e:
        click.echo(f"错误：{e}", err=True)
        return e.exit_code
    except click.exceptions.Exit as e:
        return e.exit_code
    except click.UsageError as e:
        click.echo(f"错误：{_usage_message(e)}", err=True)
        return 2
    except click.Abort:
        click.echo("已中止", err=True)
        return 130
    except KeyboardInterrupt:
        click.echo("已中止", err=True)
        return 130


def run() -> None:  # pragma: no cover - console script
    sys.exit(main())
