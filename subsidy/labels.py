"""Chinese names the user sees for the engine's codes. One place, shared by every presenter."""
from __future__ import annotations

STATUS_LABELS = {
    "awarded": "全额核定",
    "reduced": "核减",
    "ineligible": "不予奖励",
    "pending": "待补正",
    "honor_only": "仅通报表彰",
}

DEPOSIT_STATUS_LABELS = {"ok": "已核算", "pending": "待补正"}


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)
