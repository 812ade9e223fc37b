"""Atomic file output: write a temporary file beside the target, fsync it, then ``os.replace`` it.

Either the whole new file is in place or the target is untouched: on any exception the temporary file is
removed and the exception re-raised. A target that cannot be written at all (missing directory, no
permission, a directory in the way, a full disk) raises :class:`~subsidy.errors.OutputError` with a Chinese
sentence. The new file gets the target's mode when it replaces one, else 0666 less the umask (0644 usually).

Temporary files are named ``.<target>.subsidy-<pid>-<random>.tmp``: one left behind by a run that was killed
(no ``except`` runs on SIGKILL) is removed by the next run that writes into the same folder, once its process
is gone. :func:`atomic_paths` publishes several files together: all of them, or none (a schedule and its JSON).
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable, Iterator, Sequence

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
    if target.exists() and not target.is_file():
        raise OutputError(f"无法写入文件 {target}：已存在的同名对象不是普通文件（设备或管道），不能替换")
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


_TAG = "subsidy"
_STALE = re.compile(r"^\..+\.%s-(\d+)-[^.]+\.tmp$" % _TAG)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, under another user
        return True
    return True


def clean_stale(directory: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files a killed run left in ``directory`` (their process is gone); return them."""
    removed = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        m = _STALE.match(name)
        if m and not _alive(int(m.group(1))):
            p = Path(directory) / name
            with contextlib.suppress(OSError):
                p.unlink()
                removed.append(p)
    return removed


def scratch_file(directory: str | os.PathLike[str], name: str, suffix: str = "") -> str:
    """A scratch file for a library that streams to disk while a target is written (openpyxl's write-only
    sheets): in the target's folder, named so that a killed run's leftovers are cleaned like our own temps."""
    fd, path = tempfile.mkstemp(prefix=f".{name}.{_TAG}-{os.getpid()}-", suffix=f"{suffix}.tmp", dir=directory)
    os.close(fd)
    return path


def _new_temp(target: Path, directory: Path) -> Path:
    try:
        fd, name = tempfile.mkstemp(prefix=f".{target.name}.{_TAG}-{os.getpid()}-", suffix=".tmp", dir=directory)
    except OSError as e:
        raise output_error(target, e) from None
    os.close(fd)
    return Path(name)


def _finish(tmp: Path, target: Path) -> None:
    """Give ``tmp`` its final mode and flush it to disk (before it replaces ``target``)."""
    mode = (target.stat().st_mode & 0o777) if target.exists() else (0o666 & ~_umask())
    os.chmod(tmp, mode)
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path in the target's directory; on a clean exit it becomes ``path``.

    The body writes the whole file to the yielded path (by name: e.g. a library's ``save(path)``). An OSError in
    the body (a full disk) becomes an OutputError; the temporary file never outlives the call.
    """
    with atomic_paths([path]) as (tmp,):
        yield tmp


@contextlib.contextmanager
def atomic_paths(paths: Sequence[str | os.PathLike[str]]) -> Iterator[tuple[Path, ...]]:
    """Several files published together: yield one temporary path per target; on a clean exit every target is
    replaced, or — when one replacement fails — the ones already replaced are put back as they were."""
    targets = [Path(p) for p in paths]
    dirs = [_check_target(t) for t in targets]
    for d in dict.fromkeys(dirs):
        clean_stale(d)
    tmps: list[Path] = []
    backups: list[Path | None] = []
    done: list[int] = []
    try:
        for t, d in zip(targets, dirs):
            tmps.append(_new_temp(t, d))
        try:
            yield tuple(tmps)
        except OSError as e:  # e.g. the disk filled up while writing
            raise output_error(_which(targets, e), e) from None
        for t, tmp in zip(targets, tmps):
            try:
                _finish(tmp, t)
            except OSError as e:
                raise output_error(t, e) from None
        for i, (t, tmp, d) in enumerate(zip(targets, tmps, dirs)):
            backup = None
            if len(targets) > 1 and t.exists():
                backup = _new_temp(t, d)
                try:
                    os.replace(t, backup)
                except OSError as e:
                    with contextlib.suppress(OSError):
                        backup.unlink()
                    raise output_error(t, e) from None
            backups.append(backup)
            try:
                os.replace(tmp, t)
            except OSError as e:
                done.append(i)  # its old file is in the backup: put back below with the others
                raise output_error(t, e) from None
            done.append(i)
        for d in dict.fromkeys(dirs):
            _fsync_dir(d)
        for b in backups:  # every file in place: the old ones can go
            if b is not None:
                with contextlib.suppress(OSError):
                    b.unlink()
    except BaseException as exc:
        kept = _put_back(targets, tmps, backups, done)
        if kept and isinstance(exc, OutputError):  # never delete an old file that could not be put back
            raise OutputError(f"{exc}；原文件未能还原，保存在 {'、'.join(str(k) for k in kept)}") from None
        raise
    finally:
        for p in tmps:
            with contextlib.suppress(OSError):
                p.unlink()


def _put_back(targets: list[Path], tmps: list[Path], backups: list[Path | None], done: list[int]) -> list[Path]:
    """Undo the replacements made so far (all or nothing); return the backups that could not be put back."""
    kept = []
    for i in reversed(done):
        backup = backups[i] if i < len(backups) else None
        try:
            if backup is not None:
                os.replace(backup, targets[i])
            elif targets[i].exists() and not tmps[i].exists():  # a new file that did not exist before
                targets[i].unlink()
        except OSError:
            if backup is not None:
                kept.append(backup)
    return kept


def _which(targets: list[Path], e: OSError) -> Path:
    """The target an OSError of the body is about (by its file name when it names one)."""
    name = getattr(e, "filename", None)
    if name:
        for t in targets:
            if Path(name).name.startswith(f".{t.name}.") or Path(name) == t:
                return t
    return targets[0]


def atomic_write(path: str | os.PathLike[str], writer: Callable[[BinaryIO], None]) -> None:
    """Call ``writer`` with a binary file open on a temporary file; publish it as ``path`` when it returns."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            writer(f)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    atomic_write(path, lambda f: f.write(data))
