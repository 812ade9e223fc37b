"""Click and typer speak English; users see Chinese. Everything that localises them lives here.

Two kinds of change:

* ``install()`` — once, at import: the words click and typer print themselves (the usage line's ``Usage:``, the
  help option's text, typer's rich panel titles and tags, the ``<bool>``/``<int>``/``<path>`` type tags and the
  ``{IN.xlsx}`` braces typer puts around a required argument).
* ``localise(command)`` — on the click command tree the CLI runs: ``[选项]`` and ``命令 [参数]…`` in the usage
  line, a Chinese metavar for every value without one (so no ``TEXT``/``INTEGER`` on older typer), commands'
  help texts that wrap instead of being cut with an ellipsis.

``usage_message(e, argv)`` turns click's usage errors into one Chinese sentence: a mistyped command or option is
echoed with the nearest one (没有这个命令“asses”，是否要用“assess”？).
"""
from __future__ import annotations

import ast
import difflib
import re
from typing import Any

import click

try:  # typer ≥ 0.22 carries its own copy of click; its classes and exceptions are the ones in use
    from typer._click import core as _core
    from typer._click import exceptions as cx
except ImportError:  # pragma: no cover - older typer on plain click
    from click import core as _core
    from click import exceptions as cx

USAGE_PREFIX = "用法："
OPTIONS_METAVAR = "[选项]"
SUBCOMMAND_METAVAR = "命令 [参数]…"
HELP_TEXT = "显示本帮助并退出"

#: a value's kind, by the lower-case name of its Python annotation or click type
KIND_WORDS = {"int": "整数", "integer": "整数", "float": "数字", "decimal": "数字", "str": "文本", "text": "文本",
              "string": "文本", "path": "路径", "posixpath": "路径", "windowspath": "路径", "file": "文件",
              "date": "日期", "datetime": "日期"}

_RICH_STRINGS = (("DEFAULT_STRING", "[默认：{}]"), ("REQUIRED_LONG_STRING", "[必填]"),
                 ("ARGUMENTS_PANEL_TITLE", "参数"), ("OPTIONS_PANEL_TITLE", "选项"), ("COMMANDS_PANEL_TITLE", "命令"),
                 ("ENVVAR_STRING", "[环境变量：{}]"), ("DEPRECATED_STRING", "（已停用）"),
                 ("ERRORS_PANEL_TITLE", "错误"), ("ABORTED_TEXT", "已中止"),
                 ("RICH_HELP", "用 [blue]{command_path} {help_option}[/] 查看用法"))


def kind_word(param: Any) -> str | None:
    """整数, 文本, 路径 … for a parameter's value; None for a flag or an unknown kind."""
    if getattr(param, "is_flag", False) or getattr(param, "count", False):
        return None
    desc = getattr(param, "type_descriptor", None)  # typer ≥ 0.22
    ann = getattr(desc, "annotation", None)
    if ann is not None:
        name = ann.__name__ if isinstance(ann, type) else str(ann)
    else:  # click's ParamType
        name = getattr(getattr(param, "type", None), "name", "") or ""
    return KIND_WORDS.get(name.lower().rsplit(".", 1)[-1])


# --------------------------------------------------------------------------- once, at import


def install() -> None:
    """Patch the few places where click and typer word their own output (idempotent)."""
    if getattr(_core.Command, "_subsidy_zh", False):
        return
    Command = _core.Command

    get_help_option = Command.get_help_option

    def chinese_help_option(self, ctx):
        opt = get_help_option(self, ctx)
        if opt is not None:
            opt.help = HELP_TEXT
        return opt

    def format_usage(self, ctx, formatter) -> None:
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), prefix=USAGE_PREFIX)

    Command.get_help_option = chinese_help_option
    Command.format_usage = format_usage
    Command._subsidy_zh = True
    if Command is not click.Command:  # pragma: no branch - typer ≥ 0.22 also leaves plain click importable
        click.Command.format_usage = format_usage

    try:
        from typer import core as tcore
    except ImportError:  # pragma: no cover
        tcore = None
    if tcore is not None and hasattr(tcore, "_TyperParameter"):
        # typer ≥ 0.22 shows a type tag (<int>, <bool>, <path>) beside every value; ours is the Chinese kind or
        # the metavar, nothing for a flag, and nothing beside an argument (its name is its metavar)
        def display_type(self, ctx) -> str | None:
            return kind_word(self)

        tcore._TyperParameter.display_type = display_type
        tcore.TyperArgument.display_type_rich = lambda self, ctx: None

        def usage_name(self) -> str:  # IN.xlsx, [SCHEDULE.xlsx] — not {IN.xlsx}
            name = self.display_name_raw if self.required else f"[{self.display_name_raw}]"
            return name + ("…" if self.nargs != 1 else "")

        if hasattr(tcore.TyperArgument, "_usage_display_name"):
            tcore.TyperArgument._usage_display_name = usage_name

    if tcore is not None:
        # typer's help is drawn by typer.rich_utils (rich.markdown and all: a sixth of the start-up), which only
        # help needs: it is imported and worded in Chinese when help is first drawn, not on every run
        for cls in (getattr(tcore, "TyperCommand", None), getattr(tcore, "TyperGroup", None)):
            if cls is not None and "format_help" in vars(cls):
                cls.format_help = _localising(cls.format_help)


def _localising(format_help):
    def format_help_in_chinese(self, ctx, formatter):
        localise_rich_utils()
        return format_help(self, ctx, formatter)

    return format_help_in_chinese


def localise_rich_utils() -> None:
    """Put typer.rich_utils's own words (选项, 参数, 命令…) in Chinese (idempotent)."""
    try:
        from typer import rich_utils
    except ImportError:  # pragma: no cover - typer without rich
        return
    if getattr(rich_utils, "_subsidy_zh", False):
        return
    rich_utils._subsidy_zh = True
    for name, text in _RICH_STRINGS:
        if hasattr(rich_utils, name):
            setattr(rich_utils, name, text)
    make_rich_text = getattr(rich_utils, "_make_rich_text", None)
    if make_rich_text is not None:
        # Chinese has no spaces: a help text longer than its column is one "word", which rich would cut with an
        # ellipsis; fold it instead, so every word of the help is on screen
        def folding_rich_text(*args, **kwargs):
            text = make_rich_text(*args, **kwargs)
            if hasattr(text, "overflow"):
                text.overflow = "fold"
            return text

        rich_utils._make_rich_text = folding_rich_text


# --------------------------------------------------------------------------- on the command tree


def walk(command: Any, path: tuple[str, ...] = ()):
    """(path, command) for the command and every subcommand, depth first, in the order help lists them."""
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from walk(sub, path + (name,))


def localise(command: Any) -> Any:
    """Set the Chinese metavars on a click command tree (in place) and return it."""
    for _path, cmd in walk(command):
        if getattr(cmd, "options_metavar", None):
            cmd.options_metavar = OPTIONS_METAVAR
        if hasattr(cmd, "commands"):
            cmd.subcommand_metavar = SUBCOMMAND_METAVAR
        for param in getattr(cmd, "params", ()):
            if param.metavar is None and not getattr(param, "is_flag", False):
                param.metavar = kind_word(param) or "值"
    return command


# --------------------------------------------------------------------------- usage errors


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
_QUOTED = re.compile(r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")


def _first_quoted(message: str) -> str | None:
    """The first repr()-quoted name in one of click's messages ('No such command 'asses'.' → asses)."""
    m = _QUOTED.search(message)
    if not m:
        return None
    try:
        return ast.literal_eval(m.group(1))
    except (ValueError, SyntaxError):  # pragma: no cover - click always quotes with repr()
        return m.group(1)[1:-1]


def _help_hint(e) -> str:
    ctx = getattr(e, "ctx", None)
    path = getattr(ctx, "command_path", None) or "subsidy"
    return f"用 {path} --help 查看用法"


def _nearest(word: str, choices) -> str | None:
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def usage_message(e: Exception, argv: list[str] | None = None) -> str:
    """One of click's usage errors as one Chinese sentence."""
    argv = argv or []
    msg = getattr(e, "message", None) or str(e)
    if isinstance(e, cx.MissingParameter):
        return f"缺少参数 {_param_name(e)}（{_help_hint(e)}）"
    if isinstance(e, cx.NoSuchOption):
        possible = sorted(getattr(e, "possibilities", None) or ())
        if possible:
            return f"没有这个选项“{e.option_name}”，是否要用“{'”或“'.join(possible)}”？"
        return f"没有这个选项“{e.option_name}”（{_help_hint(e)}）"
    if isinstance(e, cx.BadOptionUsage):
        if "requires" in msg:
            return f"选项 {e.option_name} 需要一个值"
        if "does not take a value" in msg:
            return f"选项 {e.option_name} 不带值"
        return f"选项 {e.option_name} 用法有误（{_help_hint(e)}）"
    if isinstance(e, cx.BadParameter):
        name = _param_name(e)
        value = _given(argv, name)
        kind = next((zh for en, zh in _KINDS if en in msg.lower()), None)
        shown = f"“{value}”" if value is not None else ""
        return f"参数 {name} 的值{shown}无效" + (f"，应为{kind}" if kind else f"（{_help_hint(e)}）")
    if msg.startswith("No such command"):
        typed = _first_quoted(msg) or ""
        group = getattr(getattr(e, "ctx", None), "command", None)
        near = _nearest(typed, getattr(group, "commands", {}) or {})
        if near:
            return f"没有这个命令“{typed}”，是否要用“{near}”？"
        return f"没有这个命令“{typed}”（{_help_hint(e)}）"
    if msg.startswith("Missing command"):
        return f"缺少命令（{_help_hint(e)}）"
    if msg.startswith("Got unexpected extra argument"):
        extra = re.search(r"\(([^()]*)\)\s*$", msg)
        return f"多余的参数：{extra.group(1) if extra else ''}（{_help_hint(e)}）"
    return f"命令行参数有误（{_help_hint(e)}）"
