"""tomllib's parse errors in Chinese, always with a line and column.

tomllib words its errors in English ("Invalid value (at line 1, column 20)", "… (at end of document)"); a clerk
editing 口径.toml reads 第1行第20列：值无效（文本须加引号…）. Python 3.14 gives the position as attributes; older
versions only in the message, which is parsed here.
"""
from __future__ import annotations

import ast
import re
import tomllib

_AT = re.compile(r"^(?P<msg>.*?)\s*\(at (?:line (?P<line>\d+), column (?P<col>\d+)|end of document)\)\s*$", re.S)
_Q = r"""('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""

#: tomllib's messages (CPython 3.11–3.14, tomli 2) → Chinese; {0} is the quoted or named part when there is one
MESSAGES: tuple[tuple[str, str], ...] = (
    (r"Invalid statement", "无法识别的语句（每行应为 名称 = 值，或 [表名]；含中文的名称须加引号，如 \"珠山区\" = 0.3）"),
    (r"Expected newline or end of document after a statement", "一项配置之后应换行（一行只能写一项）"),
    (rf"Expected {_Q}", "此处应为“{0}”"),
    (rf"Found invalid character {_Q}", "有无效的字符“{0}”"),
    (r"Cannot declare (.+) twice", "表 {0} 重复声明"),
    (r"Cannot overwrite a value", "同一配置项写了两次"),
    (r"Expected '\]' at the end of a table declaration", "表名之后缺少“]”"),
    (r"Cannot mutate immutable namespace (.+)", "不能再修改已写定的 {0}"),
    (r"Expected '\]\]' at the end of an array declaration", "缺少“]]”"),
    (r"Cannot redefine namespace (.+)", "不能重新定义 {0}"),
    (r"Expected '=' after a key in a key/value pair", "配置项名之后缺少“=”"),
    (r"Invalid initial character for a key part", "配置项名的首字符无效（含中文的名称须加引号，如 \"珠山区\" = 0.3）"),
    (r"Unclosed array", "数组缺少结尾的“]”"),
    (rf"Duplicate inline table key {_Q}", "内联表中“{0}”写了两次"),
    (r"Unclosed inline table", "内联表缺少结尾的“}}”"),
    (r"Unescaped '\\' in a string", "字符串中的反斜杠“\\”须写成“\\\\”（或改用单引号）"),
    (r"Invalid hex value", "无效的十六进制转义"),
    (r"Escaped character is not a Unicode scalar value", "无效的转义字符"),
    (r"Unterminated string", "字符串缺少结尾的引号"),
    (r"Illegal character '\\n'", "字符串缺少结尾的引号（字符串不能跨行）"),
    (rf"Illegal character {_Q}", "字符串中有不允许的控制字符 {0}"),
    (r"Invalid date or datetime", "无效的日期（应写成 2023-01-13）"),
    (r"Invalid value", "值无效（文字须加英文引号，如 cap_allocation = \"priority\"；数字和日期不加引号）"),
)


def _unquote(s: str) -> str:
    if s[:1] in "'\"":
        try:
            return str(ast.literal_eval(s))
        except (ValueError, SyntaxError):  # pragma: no cover - tomllib quotes with repr()
            return s[1:-1]
    return s


def translate(message: str) -> str:
    """One of tomllib's messages (without its position) in Chinese."""
    for pattern, zh in MESSAGES:
        m = re.fullmatch(pattern, message.strip(), re.S)
        if m:
            return zh.format(*(_unquote(g) for g in m.groups()))
    return "格式有误"


def position(e: tomllib.TOMLDecodeError, text: str) -> tuple[str, int, int]:
    """(message without its position, line, column) — both 1-based; the end of the document is its last column."""
    lineno, colno, msg = getattr(e, "lineno", None), getattr(e, "colno", None), getattr(e, "msg", None)
    m = _AT.match(str(e))
    if msg is None:
        msg = m.group("msg") if m else str(e)
    if lineno is None and m and m.group("line"):
        lineno, colno = int(m.group("line")), int(m.group("col"))
    if lineno is None:  # at end of document
        lines = text.split("\n")
        lineno, colno = len(lines), len(lines[-1]) + 1
    return msg, lineno, colno


def describe(e: tomllib.TOMLDecodeError, text: str) -> str:
    """第N行第M列：… in Chinese."""
    msg, line, col = position(e, text)
    return f"第{line}行第{col}列：{translate(msg)}"
