"""Saving an ordinary (not write-only) openpyxl workbook: the whole file or nothing.

The workbook is built in memory first and then written through :mod:`subsidy.atomic` (mode 0644 under the usual
umask, a Chinese OutputError, no temporary file left behind): openpyxl writing straight to a file that hits a full
disk would leave a half-closed zip whose clean-up prints a traceback. Every report but the award schedule (which
streams its rows, see writer.py) is saved here."""
from __future__ import annotations

import io
import os

from openpyxl import Workbook

from ..atomic import atomic_write_bytes


def save_workbook(wb: Workbook, path: str | os.PathLike[str]) -> None:
    buf = io.BytesIO()
    wb.save(buf)
    atomic_write_bytes(path, buf.getvalue())
