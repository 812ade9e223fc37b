"""Reading the application workbook (申报汇总表, SPEC 4) into a validated :class:`subsidy.models.Batch`."""
from __future__ import annotations

from .reader import read_bytes, read_workbook

__all__ = ["read_bytes", "read_workbook"]
