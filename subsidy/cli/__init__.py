"""The command line: `subsidy …`. Each command lives in its own module, listed in COMMAND_MODULES.

The library raises named exceptions (subsidy.errors); here each becomes one Chinese line on stderr and exit 2.
Click's own usage errors are translated the same way. Nobody sees a traceback.
"""
from __future__ import annotations

import importlib
import sys

import click
import typer

try:  # typer ≥ 0.22 carries its own copy of click; its exceptions are the ones raised
    from typer._click import exceptions as cx
except ImportError:  # pragma: no cover - older typer on plain click
    from click import exceptions as cx

_NO_ARGS = getattr(cx, "NoArgsIsHelpError", ())


def _chinese_help_option() -> None:
    """Click words its --help option in English; users see Chinese."""
    try:
        from typer._click.core import Command
    except ImportError:  # pragma: no cover
        from click import Command
    original = Command.get_help_option

    def get_help_option(self, ctx):
        opt = original(self, ctx)
        if opt is not None:
            opt.help = "显示本帮助并退出"
        return opt

    Command.get_help_option = get_help_option


_chinese_help_option()


def _chinese_help_panels() -> None:
    """Typer's rich help words its panels and tags in English; users see Chinese."""
    try:
        from typer import rich_utils
    except ImportError:  # pragma: no cover - typer without rich
        return
    for name, text in (("DEFAULT_STRING", "[默认：{}]"), ("REQUIRED_LONG_STRING", "[必填]"),
                       ("ARGUMENTS_PANEL_TITLE", "参数"), ("OPTIONS_PANEL_TITLE", "选项"),
                       ("COMMANDS_PANEL_TITLE", "命令"), ("ENVVAR_STRING", "[环境变量：{}]")):
        if hasattr(rich_utils, name):
            setattr(rich_utils, name, text)


_chinese_help_panels()

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
)

for _name in COMMAND_MODULES:
    try:
        _mod = importlib.import_module(_name)
    except ModuleNotFoundError as _e:  # a command module not written yet
        if _e.name != _name:
            raise
        continue
    _mod.register(app)


def _param_name(e) -> str:
    p = getattr(e, "param", None)
    if p is None:
        return getattr(e, "param_hint", None) or ""
    if getattr(p, "param_type_name", "") == "argument":
        return getattr(p, "metavar", None) or p.human_readable_name
    return max(p.opts, key=len) if p.opts else p.human_readable_name


def _given(argv: list[str], name: str) -> str | None:
    """The value typed after option ``name`` (``--year abc`` or ``--year=abc``)."""
    for i, a in enumerate(argv):
        if a == name and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith(name + "="):
            return a[len(name) + 1:]
    return None


_KINDS = (("integer", "整数"), ("int", "整数"), ("float", "数字"), ("number", "数字"), ("date", "日期"),
          ("path", "文件路径"), ("file", "文件"))


def _usage_message(e: Exception, argv: list[str] | None = None) -> str:
    """Click's usage errors, in Chinese."""
    if isinstance(e, cx.MissingParameter):
        return f"缺少参数 {_param_name(e)}（用 --help 查看用法）"
    if isinstance(e, cx.NoSuchOption):
        return f"没有这个选项：{e.option_name}（用 --help 查看用法）"
    if isinstance(e, cx.BadOptionUsage):
        if "requires an argument" in e.message:
            return f"选项 {e.option_name} 需要一个值"
        return f"选项 {e.option_name} 用法有误：{e.message}"
    if isinstance(e, cx.BadParameter):
        name = _param_name(e)
        value = _given(argv or [], name)
        kind = next((zh for en, zh in _KINDS if en in e.message.lower()), None)
        shown = f"“{value}”" if value is not None else ""
        return f"参数 {name} 的值{shown}无效" + (f"，应为{kind}" if kind else f"：{e.message}")
    msg = getattr(e, "message", str(e))
    if msg.startswith("No such command"):
        return f"没有这个命令：{msg.split(' ')[-1].strip('.').strip(chr(39))}（用 subsidy --help 查看全部命令）"
    if msg.startswith("Got unexpected extra argument"):
        return f"多余的参数：{msg.split('(')[-1].rstrip(')')}"
    return f"命令行参数错误：{msg}"


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `subsidy` command."""
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        rv = app(args=argv, standalone_mode=False, prog_name="subsidy")
        return rv if isinstance(rv, int) else 0
    except SubsidyError as e:
        click.echo(f"错误：{e}", err=True)
        return e.exit_code
    except (typer.Exit, click.exceptions.Exit) as e:
        return e.exit_code
    except _NO_ARGS:  # help was shown
        return 0
    except (cx.UsageError, click.UsageError) as e:
        click.echo(f"错误：{_usage_message(e, argv)}", err=True)
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
    sys.exit(main())
