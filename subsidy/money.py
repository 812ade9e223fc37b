"""Money: Decimal yuan, rounded to the fen with ROUND_HALF_UP. Never float."""
from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


def fen(x: Decimal | int | str) -> Decimal:
    """Round to the fen, half up (SPEC 2.1). A Decimal already to the fen is returned as it is (no copy)."""
    if type(x) is Decimal and x.same_quantum(FEN):  # exponent -2: already to the fen
        return x
    return Decimal(x).quantize(FEN, rounding=ROUND_HALF_UP)


def floor_fen(x: Decimal) -> Decimal:
    return Decimal(x).quantize(FEN, rounding=ROUND_FLOOR)


def to_fen_int(x: Decimal) -> int:
    """Yuan (already to the fen) → integer fen, exactly."""
    return int(fen(x).scaleb(2))  # the exponent moves by two: exact, no rounding


def from_fen_int(n: int) -> Decimal:
    return Decimal(n).scaleb(-2)  # 12345 → 123.45, 0 → 0.00: always to the fen, exact


def money_str(x: Decimal | None) -> str | None:
    """Two decimals, as the JSON output writes amounts."""
    return None if x is None else f"{fen(x):.2f}"


def yuan_text(x: Decimal) -> str:
    """1234567.8 → '1,234,567.80' for messages."""
    return f"{fen(x):,.2f}"
