"""The hash chain over the ledger's entries (payouts and their reversals), in id order.

Each entry carries ``entry_hash`` = SHA-256 of its canonical text, whose last line is the previous entry's hash
(``prev_hash``; the first entry's is 64 zeros). Changing any money-relevant column of any entry, or of its split
between treasuries, deleting or inserting an entry, changes a hash that a later entry (or the entry itself) no
longer matches: ``verify`` names the first entry where the chain breaks.

The canonical text (an auditor can recompute it by hand; README "账本的哈希链" says the same):

* UTF-8, lines separated by LF (``\\n``), no line break after the last line;
* line 1 is ``subsidy.ledger.payout/1``; then one ``name=value`` line per field of :data:`FIELDS`, in that order;
  the last line is ``prev_hash=<64 lower-case hex digits>``;
* values: integers in decimal (money as integer fen, a reversal's amounts negative), dates ``YYYY-MM-DD``, the time
  of recording ``YYYY-MM-DDTHH:MM:SS``, NULL as nothing after ``=``; in text, ``\\`` is written ``\\\\``, a line
  feed ``\\n`` and a carriage return ``\\r``;
* ``shares`` is ``treasury:fen`` per treasury, sorted by the treasury's name (Unicode code points), joined with
  ``;`` (empty when the split was not recorded, e.g. an imported payout); in a treasury's name ``:`` and ``;``
  are also written ``\\:`` and ``\\;``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

HEADER = "subsidy.ledger.payout/1"
GENESIS = "0" * 64

#: the columns in the canonical text, in this order (``shares`` comes from the payout_shares table)
FIELDS = (
    "id", "kind", "reverses_id", "reason", "revision",
    "policy_id", "credit_code", "company_name", "region", "local_retained_tax_fen",
    "category", "measure", "subject", "subject_norm", "reward_year",
    "amount_fen", "shares", "paid_on", "approved_by",
    "claim_id", "input_sha256", "source", "source_row",
    "hq_recognised_on", "hq_reward_index", "hq_contribution_fen",
    "recorded_at",
)


def _text(s: str) -> str:
    return s.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


def _value(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):  # never stored, but never "True" either
        return "1" if v else "0"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, dt.datetime):
        return v.replace(microsecond=0).isoformat(sep="T")
    if isinstance(v, dt.date):
        return v.isoformat()
    return _text(str(v))


def shares_text(shares: Mapping[str, int]) -> str:
    """``市财政:40000000;高新区财政:40000000`` (sorted by treasury)."""
    return ";".join(f"{_text(t).replace(':', chr(92) + ':').replace(';', chr(92) + ';')}:{int(f)}"
                    for t, f in sorted(shares.items()))


def canonical(row: Mapping, shares: Mapping[str, int], prev_hash: str) -> str:
    """The canonical text of an entry: ``row`` maps every name of FIELDS but ``shares`` to its stored value."""
    lines = [HEADER]
    for name in FIELDS:
        value = shares_text(shares) if name == "shares" else _value(row[name])
        lines.append(f"{name}={value}")
    lines.append(f"prev_hash={prev_hash}")
    return "\n".join(lines)


def entry_hash(row: Mapping, shares: Mapping[str, int], prev_hash: str) -> str:
    return hashlib.sha256(canonical(row, shares, prev_hash).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Break:
    """Where the chain breaks: the entry (its id and position, 1-based) and why."""

    id: int
    position: int
    kind: str  # CONTENT (the entry was changed) or LINK (an entry before it was deleted, inserted or changed)
    message: str


@dataclass(frozen=True)
class ChainReport:
    entries: int
    head: str  # the last entry's hash (GENESIS for an empty ledger)
    first_break: Break | None
    has_hash: bool | None = None  # with a hash to look for (--head): whether the chain holds it

    @property
    def intact(self) -> bool:
        return self.first_break is None and self.has_hash is not False


def check(entries: Iterable[tuple[Mapping, Mapping[str, int]]], *, look_for: str | None = None) -> ChainReport:
    """Walk the chain: ``entries`` are (row, shares) in id order, each row also holding its stored
    ``prev_hash`` and ``entry_hash``. Stops at the first break."""
    prev = GENESIS
    n = 0
    found = None if look_for is None else look_for.strip().lower() == GENESIS
    for n, (row, shares) in enumerate(entries, 1):
        rid = row["id"]
        stored_prev, stored = row["prev_hash"], row["entry_hash"]
        if stored_prev != prev:
            return ChainReport(n - 1, prev, Break(rid, n, "LINK", (
                f"第 {n} 笔（编号 {rid}）记载的上一笔哈希 {str(stored_prev)[:12]}… 与上一笔的哈希 {prev[:12]}… 不符："
                f"{'它之前的记录被删除、插入或改动过' if n > 1 else '账本的第一笔之前原有记录被删除过'}")), found)
        if entry_hash(row, shares, prev) != stored:
            return ChainReport(n - 1, prev, Break(rid, n, "CONTENT", (
                f"第 {n} 笔（编号 {rid}）的内容与记账时的哈希不符：记账后被改动过（金额、出资财政、日期、企业或其他"
                "记账内容）")), found)
        prev = stored
        if look_for is not None and stored == look_for.strip().lower():
            found = True
    return ChainReport(n, prev, None, found if look_for is not None else None)
