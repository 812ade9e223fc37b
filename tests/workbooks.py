"""Build small workbooks for tests from plain data: {sheet name: [header row, data rows…]}."""
from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[1]


def complete(sheets: dict[str, list[list]]) -> dict[str, list[list]]:
    """The sheets with every column SPEC 4 requires: the missing headers appended right of the given ones (their
    cells blank). For tests about something else than the column contract."""
    from subsidy.workbook.reader import COLUMNS

    out = {}
    for name, rows in sheets.items():
        if name in COLUMNS and rows:
            head = list(rows[0])
            rows = [head + [c for c in COLUMNS[name] if c not in head], *rows[1:]]
        out[name] = rows
    return out


def workbook_bytes(sheets: dict[str, list[list]]) -> bytes:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def build_example(path: Path) -> Path:
    """The example batch, built fresh by examples/make_example.py."""
    spec = importlib.util.spec_from_file_location("make_example", ROOT / "examples" / "make_example.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.build(path)
