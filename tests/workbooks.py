"""Build small workbooks for tests from plain data: {sheet name: [header row, data rows…]}."""
from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import openpyxl

ROOT = Path(__file__).resolve().parents[1]


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
