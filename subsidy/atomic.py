"""Atomic file output: write a temporary file beside the target, fsync it, then ``os.replace`` it.

Either the whole new file is in place or the target is untouched: on any exception the temporary file is
removed and the exception re-raised. A target that cannot be written at all (missing directory, no
permission, a directory in the way) raises :class:`~subsidy.errors.OutputError` with a Chinese sentence.
"""
from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable, Iterator

from .errors import OutputError


def _umask() -> int:
    try:  # Linux: read it without changing it (thread-safe)
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    old = os.umask(0o022)
    os.umask(old)
    return old


def output_error(target: str | os.PathLike[str], e: OSError) -> OutputError:
    """The Chinese OutputError for an OSError met while writing ``target``."""
    if e.errno == errno.ENOENT:
        why = "目录不存在"
    elif e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "没有写入权限"
    elif e.errno == errno.EISDIR:
        why = "同名目录已存在"
    elif e.errno == errno.ENOSPC:
        why = "磁盘空间不足"
    else:
        why = e.strerror or e.__class__.__name__
    return OutputError(f"无法写入文件 {target}：{why}")


def _check_target(target: Path) -> Path:
    directory = target.parent
    if not directory.is_dir():
        raise OutputError(f"无法写入文件 {target}：目录不存在")
    if target.is_dir():
        raise OutputError(f"无法写入文件 {target}：同名目录已存在")
    return directory


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path in the target's directory; on a clean exit it becomes ``path``.

    The body writes the whole file to the yielded path (by name: e.g. a library's ``save(path)``).
    """
    target = Path(path)
    directory = _check_target(target)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    except OSError as e:
        raise output_error(target, e) from None
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        try:
            mode = (target.stat().st_mode & 0o777) if target.exists() else (0o666 & ~_umask())
            os.chmod(tmp, mode)
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(tmp, target)
        except OSError as e:
            raise output_error(target, e) from None
        _fsync_dir(directory)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def atomic_write(path: str | os.PathLike[str], writer: Callable[[BinaryIO], None]) -> None:
    """Call ``writer`` with a binary file open on a temporary file; publish it as ``path`` when it returns."""
    target = Path(path)
    with atomic_path(target) as tmp:
        try:
            with open(tmp, "wb") as f:
                writer(f)
        except OSError as e:  # e.g. the disk filled up while writing
            raise output_error(target, e) from e


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    atomic_write(path, lambda f: f.write(data))
