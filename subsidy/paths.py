"""The files a command is given: inputs read safely, outputs that can never destroy an input.

* :func:`read_input` opens only a regular file (a FIFO would hang the process, ``/dev/zero`` would fill the
  memory), checks its size before reading, and reads at most that many bytes.
* :func:`check_outputs` refuses, before anything runs, an output path that is one of the inputs or another output
  of the same run (``assess X.xlsx -o X.xlsx``, ``--json`` equal to ``-o``), an output that must be a workbook but
  does not end in ``.xlsx``, and an existing file where the command must not replace one (``template``).

Every refusal raises a :class:`~subsidy.errors.SubsidyError` with one Chinese sentence naming the path.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from .errors import OutputError, UnreadableInput

MB = 1024 * 1024


def read_input(path: str | os.PathLike[str], *, max_bytes: int, what: str = "文件") -> bytes:
    """The bytes of the regular file at ``path``; refused (UnreadableInput) when it is anything else or too large."""
    p = Path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError:
        raise UnreadableInput(f"找不到{what}：{p}") from None
    except PermissionError:
        raise UnreadableInput(f"没有权限读取{what}：{p}") from None
    except OSError as e:
        raise UnreadableInput(f"无法读取{what}：{p}（{_why(e)}）") from None
    if stat.S_ISDIR(st.st_mode):
        raise UnreadableInput(f"“{p}”是文件夹，不是{what}")
    if not stat.S_ISREG(st.st_mode):
        raise UnreadableInput(f"“{p}”不是普通文件（是设备、管道或套接字），不能作为{what}读取")
    if st.st_size > max_bytes:
        raise UnreadableInput(f"“{p.name}”过大（{_size(st.st_size)}，上限 {_size(max_bytes)}），不像是{what}")
    try:
        # O_NONBLOCK: if the path was swapped for a FIFO since the stat, opening it does not hang
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except PermissionError:
        raise UnreadableInput(f"没有权限读取{what}：{p}") from None
    except OSError as e:
        raise UnreadableInput(f"无法读取{what}：{p}（{_why(e)}）") from None
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(f.fileno()).st_mode):
            raise UnreadableInput(f"“{p}”不是普通文件，不能作为{what}读取")
        try:
            data = f.read(max_bytes + 1)
        except OSError as e:
            raise UnreadableInput(f"无法读取{what}：{p}（{_why(e)}）") from None
    if len(data) > max_bytes:
        raise UnreadableInput(f"“{p.name}”过大（超过 {_size(max_bytes)}），不像是{what}")
    return data


def _size(n: int) -> str:
    if n < MB:
        return f"{n / 1024:.0f} KB"
    return f"{n / MB:.1f} MB" if n < 10 * MB else f"{n // MB} MB"


def _why(e: OSError) -> str:
    return e.strerror or e.__class__.__name__


@dataclass(frozen=True)
class Out:
    """An output of a command: its option as the user typed it, the path, and what it must be."""

    option: str
    path: str | os.PathLike[str] | None
    xlsx: bool = False  # must end in .xlsx
    replace: bool = True  # an existing file may be replaced (False: refuse unless forced)


def same_file(a: Path, b: Path) -> bool:
    """The same file: by inode when both exist (a hard link, a symlink), else by resolved path."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return os.path.normcase(os.path.realpath(a)) == os.path.normcase(os.path.realpath(b))


def check_outputs(outputs: list[Out], *, inputs: dict[str, str | os.PathLike[str] | None] | None = None,
                  force: bool = False) -> None:
    """Refuse the run before it starts when an output would overwrite an input or another output, is not an .xlsx
    where a workbook is written, or exists where it must not be replaced. ``inputs``: option → path."""
    ins = [(opt, Path(p)) for opt, p in (inputs or {}).items() if p is not None and str(p) != "-"]
    outs = [(o, Path(o.path)) for o in outputs if o.path is not None and str(o.path) != "-"]
    for o, p in outs:
        if o.xlsx and p.suffix.lower() != ".xlsx":
            raise OutputError(f"{o.option} 的输出文件“{p}”应以 .xlsx 结尾（输出的是 Excel 工作簿）")
        for opt, q in ins:
            if same_file(p, q):
                raise OutputError(f"{o.option} 的输出文件“{p}”就是输入文件（{opt}），写出会覆盖输入，请换一个文件名")
        if not o.replace and not force and (p.exists() or p.is_symlink()):
            raise OutputError(f"文件“{p}”已存在，未覆盖（确需覆盖请加 --force）")
    for i, (a, p) in enumerate(outs):
        for b, q in outs[i + 1:]:
            if same_file(p, q):
                raise OutputError(f"{a.option} 与 {b.option} 是同一个文件“{p}”，后写的会覆盖先写的，请分别指定")
