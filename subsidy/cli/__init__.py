"""The command line: `subsidy …`. Each command lives in its own module, listed in COMMAND_MODULES.

The library raises named exceptions (subsidy.errors); here each becomes one Chinese line on stderr and exit 2.
Click's own usage errors are translated the same way (subsidy.cli.zh, which also puts --help in Chinese).
Nobody sees a traceback.
"""
from __future__ import annotations

import atexit
import importlib
import os
import sys
import threading

import click
import typer

from . import zh

cx = zh.cx
_NO_ARGS = getattr(cx, "NoArgsIsHelpError", ())
zh.install()

from ..errors import SubsidyError

app = typer.Typer(
    name="subsidy",
    help="景德镇市建筑业奖励政策（景府办字〔2023〕2号）核算工具：申报汇总表进，奖励明细表出，每一笔都有条款依据。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

#: the plug-ins: each module has register(app)
COMMAND_MODULES = (
    "subsidy.cli.assess",
    "subsidy.cli.ledger",
    "subsidy.cli.audit",
    "subsidy.cli.check",
    "subsidy.cli.serve",
    "subsidy.cli.compare",
    "subsidy.cli.merge",
    "subsidy.cli.forecast",
)

for _name in COMMAND_MODULES:
    try:
        _mod = importlib.import_module(_name)
    except ModuleNotFoundError as _e:  # a command module not written yet
        if _e.name != _name:
            raise
        continue
    _mod.register(app)


def command():
    """The click command tree the CLI runs, with its Chinese metavars (built once)."""
    global _command
    if _command is None:
        import typer.main

        _command = zh.localise(typer.main.get_command(app))
    return _command


_command = None


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `subsidy` command."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        rv = command().main(args=argv, standalone_mode=False, prog_name="subsidy")
        return rv if isinstance(rv, int) else 0
    except SubsidyError as e:
        click.echo(f"错误：{e}", err=True)
        return e.exit_code
    except (typer.Exit, click.exceptions.Exit) as e:
        return e.exit_code
    except _NO_ARGS:  # help was shown
        return 0
    except (cx.UsageError, click.UsageError) as e:
        click.echo(f"错误：{zh.usage_message(e, argv)}", err=True)
        return 2
    except (cx.ClickException, click.ClickException) as e:
        click.echo(f"错误：{e.format_message()}", err=True)
        return 2
    except (typer.Abort, click.Abort):
        click.echo("已中止", err=True)
        return 130
    except KeyboardInterrupt:
        click.echo("已中止", err=True)
        return 130
    except MemoryError:
        click.echo("错误：内存不足，无法处理该文件", err=True)
        return 2
    except Exception as e:  # noqa: BLE001 - the last guard: a defect, still one line and no traceback
        click.echo(f"错误：程序内部错误（{e.__class__.__name__}：{e}），请将命令和输入文件报告给维护人员", err=True)
        return 1


def run() -> None:  # pragma: no cover - console script
    exit_now(main())


def exit_now(code: int) -> None:
    """End the process once the command is done, without the interpreter's teardown.

    At exit Python frees every object one by one: after a 100k-claim batch that is a third of a second spent on
    nothing the user sees (issue 12). Everything a command writes is closed by then (outputs go through
    subsidy.atomic); the exit handlers still run (openpyxl's scratch-file cleanup, multiprocessing's joins) and the
    terminal streams are flushed. While another thread still runs (a web server's), the normal exit waits for it."""
    if threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said there
            pass
    os._exit(code)
