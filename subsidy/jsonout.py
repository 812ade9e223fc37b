"""The JSON presenter of a Result (SPEC 5, ``"schema": "subsidy.assessment/1"``).

Amounts are strings with exactly two decimals, ``rate`` a plain decimal string (``"0.0075"``), dates ISO.
Built as plain dicts and dumped once, so 100k lines stay fast.
"""
from __future__ import annotations

import json
import sys
from decimal import ROUND_HALF_UP, Decimal
from json.encoder import c_make_encoder, encode_basestring
from typing import Any

from .atomic import atomic_write
from .gcpause import paused_gc
from .models import FenColumn, ReasonsColumn, Result, columns_of, said
from .money import FEN

_HALF_UP = ROUND_HALF_UP

SCHEMA = "subsidy.assessment/1"


def money_str(x: Decimal | None) -> str | None:
    """Same as subsidy.money.money_str (two decimals, half up), inlined for speed on 100k lines; the amounts many
    lines share are formatted once (not 0: 0.00 and -0.00 are equal keys written differently)."""
    if x is None:
        return None
    if x:
        found = _MONEY.get(x)
        if found is None:
            found = format(x.quantize(FEN, rounding=_HALF_UP), "f")
            if len(_MONEY) >= 4096:
                _MONEY.clear()
            _MONEY[x] = found
        return found
    return format(x.quantize(FEN, rounding=_HALF_UP), "f")


#: amount → its text (money_str)
_MONEY: dict[Decimal, str] = {}


def _payers(payers: dict[str, Decimal]) -> dict[str, str]:
    return {k: money_str(v) for k, v in payers.items()}


def _reasons(reasons) -> list[dict[str, str]]:
    return [{"code": r.code, "message": r.message} for r in reasons]


def _plain(x: Decimal | None) -> str | None:
    """A decimal as plain text, never with an exponent ("0.0075", "92", "79.5")."""
    if x is None:
        return None
    return format(x, "f")


def to_json(result: Result) -> dict[str, Any]:
    out = _head(result)
    for key, rows in _tables(result):
        out[key] = list(rows)
    out["totals"] = _totals(result)
    out["issues"] = list(_issues(result))
    return {k: out[k] for k in _ORDER}


_ORDER = ("schema", "policy", "year", "input", "parameters", "notices", "lines", "companies", "deposits",
          "clawbacks", "totals", "issues")
#: the keys whose lists grow with the batch: written one compact object per line (see dumps)
_ROWS = ("lines", "companies", "deposits", "clawbacks", "issues")


def _head(result: Result) -> dict[str, Any]:
    p = result.policy
    return {
        "schema": SCHEMA,
        "policy": {
            "id": p.id,
            "number": p.number,
            "title": p.title,
            "issued": p.issued.isoformat(),
            "validity": [p.validity_start.isoformat(), p.validity_end.isoformat()],
        },
        "year": result.year,
        "input": {"sha256": result.input_sha256},
        "parameters": result.parameters,
        "notices": _reasons(result.notices),
    }


def _tables(result: Result):
    m = money_str
    yield "lines", (
            _line(values, m) if values[-1] is None else {**_line(values, m), "hq": _hq(values[-1])}
            for values in zip(*_raw_reasons(_amounts_as_text(columns_of(result.lines, *_LINE), _LINE_AMOUNTS)))
    )
    yield from _other_tables(result)


def _raw_reasons(columns: list) -> list:
    """The lines' reasons as the engine wrote them (models.ReasonsColumn.raw: Reason objects and (code, message)
    pairs, read through models.said)."""
    k = _LINE.index("reasons")
    if isinstance(columns[k], ReasonsColumn):
        columns[k] = columns[k].raw
    return columns


def _amounts_as_text(columns: tuple, at: tuple[int, ...]) -> list:
    """The columns, those at ``at`` (amounts) as their texts (money_str; the engine's own columns of integer fen
    write themselves: models.FenColumn.texts)."""
    columns = list(columns)
    for k in at:
        col = columns[k]
        columns[k] = col.texts() if isinstance(col, FenColumn) else list(map(money_str, col))
    return columns


def _hq(h) -> dict[str, Any]:
    """The facts a 第5条 line was computed from (an extra key of HQ lines only; the schema stays
    subsidy.assessment/1): the ledger records them, and `subsidy forecast` projects the remaining years."""
    return {"recognised_on": h.recognised_on.isoformat(), "reward_year_index": h.reward_year_index,
            "rate": _plain(h.rate), "fiscal_contribution": money_str(h.fiscal_contribution)}


def _line(values: tuple, m) -> dict[str, Any]:
    (claim_id, credit_code, company_name, category_code, category_label, measure, article, subject, status,
     standard, entitlement, payable, payers, reasons, sheet, row, _) = values
    return {
        "claim_id": claim_id,
        "credit_code": credit_code,
        "company_name": company_name,
        "category_code": category_code,
        "category_label": category_label,
        "measure": measure,
        "article": article,
        "subject": subject,
        "status": status,
        "standard_amount": standard,  # the amounts: already text (_amounts_as_text)
        "entitlement": entitlement,
        "payable": payable,
        "payers": {k: m(v) for k, v in payers.items()},  # _payers
        "reasons": [{"code": code, "message": message} for code, message in map(said, reasons)],  # _reasons
        "sheet": sheet,
        "row": row,
    }


#: a line's fields, read as columns (the engine's lines are columns: models.Rows); hq last
_LINE = ("claim_id", "credit_code", "company_name", "category_code", "category_label", "measure", "article",
         "subject", "status", "standard_amount", "entitlement", "payable", "payers", "reasons", "sheet", "row", "hq")
_LINE_AMOUNTS = (9, 10, 11)


def _other_tables(result: Result):
    m = money_str
    names = ("credit_code", "company_name", "region", "valid", "local_retained_tax", "paid_in_year", "requested",
             "entitled", "payable", "capped", "preconditions")
    yield "companies", (
            {
                "credit_code": code,
                "company_name": name,
                "region": region,
                "valid": valid,
                "local_retained_tax": tax,  # the amounts: already text (_amounts_as_text)
                "paid_in_year": paid,
                "requested": requested,
                "entitled": entitled,
                "payable": payable,
                "capped": capped,
                "preconditions": _reasons(preconditions),
            }
            for code, name, region, valid, tax, paid, requested, entitled, payable, capped, preconditions
            in zip(*_amounts_as_text(columns_of(result.companies, *names), (4, 5, 6, 7, 8)))
    )
    names = ("credit_code", "company_name", "project", "settlement_amount", "credit_score", "rate", "base_deposit",
             "old_deposit", "deposit", "saving", "status", "note", "sheet", "row")
    yield "deposits", (
            {
                "credit_code": code,
                "company_name": name,
                "project": project,
                "settlement_amount": settlement,  # the amounts: already text (_amounts_as_text)
                "credit_score": _plain(score),
                "rate": _plain(rate),
                "base_deposit": base,
                "old_deposit": old,
                "deposit": deposit,
                "saving": saving,
                "status": status,
                "note": note,
                "sheet": sheet,
                "row": row,
            }
            for code, name, project, settlement, score, rate, base, old, deposit, saving, status, note, sheet, row
            in zip(*_amounts_as_text(columns_of(result.deposits, *names), (3, 6, 7, 8, 9)))
    )
    yield "clawbacks", (
            {
                "credit_code": c.credit_code,
                "company_name": c.company_name,
                "category_code": c.category_code,
                "category_label": c.category_label,
                "subject": c.subject,
                "reward_year": c.reward_year,
                "paid_on": c.paid_on.isoformat(),
                "amount": m(c.amount),
                "payers": _payers(c.payers),
                "reason_code": c.reason_code,
                "message": c.message,
            }
            for c in result.clawbacks
    )


def _totals(result: Result) -> dict[str, Any]:
    m = money_str
    t = result.totals
    return {
            "payable": m(t.payable),
            "by_payer": _payers(t.by_payer),
            "by_measure": _payers(t.by_measure),
            "by_status": dict(t.by_status),
            "by_payer_measure": {payer: _payers(ms) for payer, ms in t.by_payer_measure.items()},
            "clawback": m(t.clawback),
    }


def _issues(result: Result):
    return ({"sheet": i.sheet, "row": i.row, "column": i.column, "value": i.value, "message": i.message}
            for i in result.issues)


def dumps(result: Result) -> str:
    return "".join(_pieces(result))


def _pieces(result: Result):
    """The document in pieces: indented like ``indent=2`` at the top, each row of a growing list as one compact
    line. ``json.dumps(indent=…)`` runs the pure-Python encoder; the compact form runs the C one (100k claims:
    ~5 s → ~1 s), and the rows are encoded as they stream out instead of all held as dicts first."""
    compact = _compact()
    parts: dict[str, Any] = _head(result)
    rows = dict(_tables(result))
    rows["issues"] = _issues(result)
    parts["totals"] = _totals(result)
    yield "{"
    for n, key in enumerate(_ORDER):
        yield ("\n" if n == 0 else ",\n") + f"  {compact(key)}: "
        if key in _ROWS:
            first = True
            for row in rows[key]:
                yield ("[\n    " if first else ",\n    ") + compact(row)
                first = False
            yield "[]" if first else "\n  ]"
        else:
            text = json.dumps(parts[key], ensure_ascii=False, indent=2, default=_default)
            yield text.replace("\n", "\n  ")
    yield "\n}\n"


def _compact():
    """``json.JSONEncoder(ensure_ascii=False, default=_default).encode``, with its C encoder made once instead of
    once a row (no circular check: a Result holds no cycle)."""
    if c_make_encoder is None:  # pragma: no cover - a Python without the C accelerator
        return json.JSONEncoder(ensure_ascii=False, default=_default).encode
    encoder = c_make_encoder(None, _default, encode_basestring, None, ": ", ", ", False, False, True)
    return lambda o: "".join(encoder(o, 0))


def _default(o: Any) -> Any:
    # parameters are passed through as the engine gave them; make the odd Decimal/date in them printable
    if isinstance(o, Decimal):
        return format(o, "f")
    if hasattr(o, "isoformat"):
        return o.isoformat()
    raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")


def write_json(result: Result, target: str, *, atomic: bool = True) -> None:
    """``target`` "-" writes UTF-8 to stdout; anything else is a file path, written atomically (``atomic=False``:
    the path is already the caller's temporary file)."""
    with paused_gc():  # each row's dicts are acyclic: the collector would rescan the Result for nothing
        _write_json(result, target, atomic=atomic)


def _write_json(result: Result, target: str, *, atomic: bool) -> None:
    if target == "-":
        out = sys.stdout
        buffer = getattr(out, "buffer", None)
        out.flush()
        for chunk in _batched(result):
            if buffer is not None:
                buffer.write(chunk.encode("utf-8"))
            else:
                out.write(chunk)
        (buffer or out).flush()
        return
    if not atomic:
        with open(target, "wb") as f:
            f.writelines(chunk.encode("utf-8") for chunk in _batched(result))
        return
    atomic_write(target, lambda f: f.writelines(chunk.encode("utf-8") for chunk in _batched(result)))


def _batched(result: Result, size: int = 1 << 16):
    """The pieces joined into chunks of about ``size`` characters (few writes, bounded memory)."""
    buf: list[str] = []
    n = 0
    for piece in _pieces(result):
        buf.append(piece)
        n += len(piece)
        if n >= size:
            yield "".join(buf)
            buf, n = [], 0
    if buf:
        yield "".join(buf)
