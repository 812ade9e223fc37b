"""Cell parsers of the application workbook: small pure functions, one per kind of cell (SPEC 4).

Each takes the raw value python-calamine gives (``str``, ``float``, ``int``, ``bool``, ``date``, ``datetime``,
``time``, ``timedelta`` or ``""`` for an empty cell) and returns a clean value, or raises :class:`CellError` with a
Chinese message that names what is wrong and the value. Floats are read through ``repr()`` into ``Decimal``: no
float arithmetic ever touches money.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN = Decimal("0.01")
TEN_THOUSAND = Decimal(10000)
HUNDRED_MILLION = Decimal(100000000)
#: a text amount may end in 万 or 亿 (then 元 or not): 12.5万, 0.35亿元; the product is exact (Decimal)
_UNITS = {"万": TEN_THOUSAND, "亿": HUNDRED_MILLION}
#: an amount above this (一千万亿元) is a typing error, and would overflow the fen quantization
MAX_AMOUNT = Decimal("1E15")
MAX_SCORE = Decimal(100)
MIN_YEAR, MAX_YEAR = 1900, 2200

_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")
_GROUPED = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?")
_DATE_SEP = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_DATE_CN = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_YEAR = re.compile(r"(\d{4})(?:\.0*)?")

_TRUE = frozenset({"是", "Y", "TRUE", "1"})
_FALSE = frozenset({"否", "N", "FALSE", "0"})

DATE_HINT = "应为日期，如 2024-03-15、2024/3/15 或 2024年3月15日"
AMOUNT_HINT = "应为不小于0的数字，如 1,234.56 或 12.5万"


class CellError(ValueError):
    """A cell that cannot be read; ``message`` is a Chinese sentence naming the problem and the value."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def nfkc(s: str) -> str:
    """NFKC, skipped for plain ASCII (the common case) since it cannot change it."""
    return s if s.isascii() else unicodedata.normalize("NFKC", s)


def is_blank(v: object) -> bool:
    """Empty cell, or a text cell holding only white space (full-width space included)."""
    return v is None or v == "" or (type(v) is str and v.isspace())


def cell_text(v: object) -> str:
    """The cell as text, trimmed: numbers without a spurious ``.0`` (12.0 → "12"), dates in ISO form."""
    if v is None:
        return ""
    t = type(v)
    if t is str:
        return v.strip()  # type: ignore[union-attr]
    if t is bool:
        return "TRUE" if v else "FALSE"
    if t is int:
        return str(v)
    if t is float:
        if math.isfinite(v) and v.is_integer() and abs(v) < 1e16:  # type: ignore[union-attr]
            return str(int(v))  # type: ignore[call-overload]
        return repr(v)
    if t is dt.datetime:
        if v.hour == v.minute == v.second == v.microsecond == 0:  # type: ignore[union-attr]
            return v.date().isoformat()  # type: ignore[union-attr]
        return v.isoformat(sep=" ")  # type: ignore[union-attr]
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    return str(v).strip()


def _decimal_of_number(v: object, what: str) -> Decimal:
    """A numeric cell (int or float) as Decimal; float through repr(), never float arithmetic."""
    if type(v) is int:
        return Decimal(v)  # type: ignore[arg-type]
    if type(v) is float:
        if not math.isfinite(v):  # type: ignore[arg-type]
            raise CellError(f"{what}“{v!r}”不是有限的数字")
        return Decimal(repr(v))
    if isinstance(v, Decimal):
        if not v.is_finite():
            raise CellError(f"{what}“{v}”不是有限的数字")
        return v
    raise TypeError(v)  # pragma: no cover - callers only pass numbers


def _amount_of_text(raw: str) -> Decimal:
    s = nfkc(raw).strip()
    if s[:1] == "¥":
        s = s[1:].strip()
    factor = None
    if s.endswith("元"):
        s = s[:-1].rstrip()
    unit = _UNITS.get(s[-1:])
    if unit is not None:
        s, factor = s[:-1].rstrip(), unit
    if "," in s:
        if not _GROUPED.fullmatch(s):
            raise CellError(f"金额“{raw.strip()}”的千位分隔符位置不对（{AMOUNT_HINT}）")
        s = s.replace(",", "")
    if not _DECIMAL.fullmatch(s):
        raise CellError(f"“{raw.strip()}”不是有效的金额（{AMOUNT_HINT}）")
    d = Decimal(s)
    return d * factor if factor is not None else d


def parse_amount(v: object) -> Decimal:
    """An amount in yuan, >= 0, rounded half-up to the fen."""
    t = type(v)
    if t is int or t is float or t is str:  # the same number on many rows is read once (see _remembered)
        found = _AMOUNTS.get(v)
        if found is not None:
            return found
        return _remember(_AMOUNTS, v, _parse_amount(v))
    return _parse_amount(v)


def _parse_amount(v: object) -> Decimal:
    if is_blank(v):
        raise CellError(f"金额为空（{AMOUNT_HINT}）")
    if type(v) is bool:
        raise CellError(f"“{cell_text(v)}”不是有效的金额（{AMOUNT_HINT}）")
    if type(v) in (int, float) or isinstance(v, Decimal):
        d = _decimal_of_number(v, "金额")
    elif type(v) is str:
        d = _amount_of_text(v)  # type: ignore[arg-type]
    elif isinstance(v, (dt.date, dt.time, dt.timedelta)):
        raise CellError(f"“{cell_text(v)}”是日期或时间，不是金额（{AMOUNT_HINT}）")
    else:
        raise CellError(f"“{cell_text(v)}”不是有效的金额（{AMOUNT_HINT}）")
    if d < 0:
        raise CellError(f"金额“{cell_text(v)}”为负数，金额不能为负")
    if d > MAX_AMOUNT:
        raise CellError(f"金额“{cell_text(v)}”过大，请核对")
    try:
        return (d + 0).quantize(FEN, rounding=ROUND_HALF_UP)  # +0 turns -0 into 0
    except InvalidOperation:  # pragma: no cover - bounded above
        raise CellError(f"“{cell_text(v)}”不是有效的金额（{AMOUNT_HINT}）") from None


def _make_date(y: int, m: int, d: int, raw: str) -> dt.date:
    try:
        return dt.date(y, m, d)
    except ValueError:
        raise CellError(f"日期“{raw}”不存在") from None


def parse_date(v: object) -> dt.date:
    """A date: a real date cell, or text 2024-03-15, 2024/3/15, 2024.3.15, 2024年3月15日 (a time part is dropped)."""
    t = type(v)
    if t is dt.date:
        return v  # type: ignore[return-value]
    if t is dt.datetime or t is str:  # a batch has a few hundred distinct dates: each read once
        found = _DATES.get(v)
        if found is not None:
            return found
        return _remember(_DATES, v, _parse_date(v))
    return _parse_date(v)


def _parse_date(v: object) -> dt.date:
    if is_blank(v):
        raise CellError(f"日期为空（{DATE_HINT}）")
    t = type(v)
    if t is dt.datetime:
        return v.date()  # type: ignore[union-attr]
    if t is dt.date:
        return v  # type: ignore[return-value]
    if t is bool:
        raise CellError(f"“{cell_text(v)}”不是日期（{DATE_HINT}）")
    if t in (int, float) or isinstance(v, Decimal):
        raise CellError(f"“{cell_text(v)}”是数字，不是日期（{DATE_HINT}）")
    if t is str:
        raw = v.strip()  # type: ignore[union-attr]
        s = nfkc(raw)
        m = _DATE_SEP.fullmatch(s)
        if m:
            return _make_date(int(m.group(1)), int(m.group(3)), int(m.group(4)), raw)
        m = _DATE_CN.fullmatch(s)
        if m:
            return _make_date(int(m.group(1)), int(m.group(2)), int(m.group(3)), raw)
        raise CellError(f"“{raw}”不是有效的日期（{DATE_HINT}）")
    raise CellError(f"“{cell_text(v)}”不是有效的日期（{DATE_HINT}）")


#: values already parsed → their result, so that 100k cells holding a few hundred distinct dates or amounts parse
#: each once (and share one object). Keys are int, float and str values only: equal keys of those types always
#: parse to the same result (1 and 1.0 are both 1.00; a bool, equal to 1, is refused before the lookup by type).
#: Scores are kept for non-zero keys only (0 reads as 0, -0.0 as -0: equal keys, different results). Only
#: successes are kept; each table is emptied when it grows past _REMEMBER entries.
_AMOUNTS: dict[object, Decimal] = {}
_DATES: dict[object, dt.date] = {}
_SCORES: dict[object, Decimal] = {}
_REMEMBER = 4096


def _remember(table: dict, key: object, value: object):
    if len(table) >= _REMEMBER:
        table.clear()
    table[key] = value
    return value


def parse_bool(v: object) -> bool:
    """是/否 (also Y/N, TRUE/FALSE, 1/0, any case); blank = 否."""
    if is_blank(v):
        return False
    t = type(v)
    if t is bool:
        return v  # type: ignore[return-value]
    if t in (int, float):
        if v == 1:
            return True
        if v == 0:
            return False
    elif t is str:
        s = nfkc(v).strip().upper()  # type: ignore[union-attr]
        if s in _TRUE:
            return True
        if s in _FALSE:
            return False
    raise CellError(f"“{cell_text(v)}”不是有效的是/否值（应填 是 或 否）")


def parse_score(v: object) -> Decimal | None:
    """信用评价分: a number up to 100, negative allowed (deductions have no floor); blank = not scored."""
    t = type(v)
    if (t is int or t is float or t is str) and v:  # a few hundred distinct scores, each read once (_remember)
        found = _SCORES.get(v)
        if found is not None:
            return found
        d = _parse_score(v)
        return d if d is None else _remember(_SCORES, v, d)
    return _parse_score(v)


def _parse_score(v: object) -> Decimal | None:
    if is_blank(v):
        return None
    t = type(v)
    if t in (int, float):
        d = _decimal_of_number(v, "信用评价分")
    elif t is str:
        s = nfkc(v).strip()  # type: ignore[union-attr]
        if s.endswith("分"):
            s = s[:-1].rstrip()
        if not _DECIMAL.fullmatch(s):
            raise CellError(f"“{cell_text(v)}”不是有效的分数（应为数字，如 85 或 92.5）")
        d = Decimal(s)
    else:
        raise CellError(f"“{cell_text(v)}”不是有效的分数（应为数字，如 85 或 92.5）")
    if d > MAX_SCORE:
        raise CellError(f"信用评价分“{cell_text(v)}”超过满分100分")
    if d.as_tuple().exponent < 0 and d == d.to_integral_value():
        return d.to_integral_value()  # 85.0 (a number cell) reads as 85
    return d + 0


def parse_year(v: object) -> int:
    """A year, 1900..2200: 2023, 2023.0 or text 2023 / 2023年."""
    if is_blank(v):
        raise CellError("年度为空（应为四位年份，如 2023）")
    t = type(v)
    year: int | None = None
    if t is int:
        year = v  # type: ignore[assignment]
    elif t is float:
        if math.isfinite(v) and v.is_integer():  # type: ignore[arg-type, union-attr]
            year = int(v)  # type: ignore[call-overload]
    elif t is str:
        s = nfkc(v).strip()  # type: ignore[union-attr]
        if s.endswith("年"):
            s = s[:-1].rstrip()
        m = _YEAR.fullmatch(s)
        if m:
            year = int(m.group(1))
    if year is None:
        raise CellError(f"“{cell_text(v)}”不是有效的年度（应为四位年份，如 2023）")
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise CellError(f"年度“{cell_text(v)}”超出范围（应在{MIN_YEAR}至{MAX_YEAR}之间）")
    return year


def parse_text(v: object) -> str:
    """A text cell, trimmed; a number typed as such reads as its text (12.0 → "12")."""
    return cell_text(v)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    out = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out
