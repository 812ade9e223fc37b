"""The engine's money kept as it computed it: models.FenColumn (integer fen, read as Decimal yuan) and the quality
deposits worked out in integers (engine._times_rate). Each must equal the Decimal definition it replaces: SPEC 2.1
(金额以元为单位，四舍五入到分), 第18条 (质量保证金 = 结算总额 × 比例)."""
import pickle
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from factory import company, run
from subsidy.engine import _times_rate
from subsidy.jsonout import money_str
from subsidy.models import DepositLine, DepositRow, FenColumn, Rows

FEN = Decimal("0.01")


def test_a_column_of_fen_reads_as_yuan_to_the_fen_by_index_slice_and_iteration():
    col = FenColumn([12345, 0, None, -5, 10 ** 20])
    assert col[0] == Decimal("123.45") and str(col[1]) == "0.00" and col[2] is None and col[3] == Decimal("-0.05")
    assert col[4] == Decimal("1000000000000000000.00") and col[-1] == col[4]
    assert col[1:3] == [Decimal("0.00"), None] and list(col) == [col[k] for k in range(5)] and len(col) == 5
    assert col == FenColumn([12345, 0, None, -5, 10 ** 20]) and col == list(col) and col != FenColumn([1])


def test_a_column_held_as_an_integer_array_reads_as_the_same_list_would():
    fens = [12345, 0, -5, 7]
    col = FenColumn(np.array(fens, np.int64))
    assert list(col) == list(FenColumn(fens)) and col[1:] == FenColumn(fens)[1:] and col[-1] == Decimal("0.07")
    assert col.texts() == FenColumn(fens).texts() and col == FenColumn(fens) and col.ints() == fens
    huge = FenColumn(np.array([10 ** 30], object))  # Python integers past 64 bits
    assert huge[0] == Decimal(10 ** 28) and huge.texts() == ["1" + "0" * 28 + ".00"]


def test_each_amount_is_written_as_money_str_writes_its_decimal():
    fens = [0, 1, 5, 99, 100, 12345, -1, -5, -100, -12345, 10 ** 20 + 7, None]
    assert FenColumn(fens).texts() == [money_str(x) for x in FenColumn(fens)]
    assert FenColumn([-5, 0]).texts() == ["-0.05", "0.00"]


def test_rows_holding_a_fen_column_pickle_and_compare_as_their_rows():
    result = run(companies=[company(score=None)], deposits=[DepositRow(
        credit_code=company().credit_code, project="P1", settlement_amount=Decimal("1234567.89"))])
    deposits = result.deposits
    assert isinstance(deposits, Rows) and isinstance(deposits.columns("deposit")[0], FenColumn)
    assert deposits[0].deposit == Decimal("18518.52")  # no score: 1.5%; 1,234,567.89 × 1.5% = 18,518.51835
    assert pickle.loads(pickle.dumps(deposits)) == tuple(deposits)
    assert all(isinstance(d, DepositLine) for d in deposits)


def _decimal_times(amounts, rates, which):
    return [(a * rates[k]).quantize(FEN, rounding=ROUND_HALF_UP) for a, k in zip(amounts, which)]


amounts = st.one_of(
    st.decimals(min_value=0, max_value=10 ** 12, places=2),  # as the reader gives them: to the fen
    st.decimals(min_value=-10 ** 6, max_value=10 ** 6, places=5),  # by hand, finer than the fen, or negative
    st.decimals(min_value=0, max_value=10 ** 24, places=2),  # past 64-bit products: Python integers
)
rates = st.decimals(min_value=0, max_value=1, places=6)


@settings(max_examples=300, deadline=None)
@given(st.lists(amounts, min_size=1, max_size=30), st.lists(rates, min_size=1, max_size=4), st.data())
def test_the_integer_deposits_equal_the_decimal_product_rounded_half_up(amounts, rates, data):
    which = data.draw(st.lists(st.integers(0, len(rates) - 1), min_size=len(amounts), max_size=len(amounts)))
    (got,) = _times_rate(amounts, np.array(which, np.int64), rates)
    assert [Decimal(int(n)).scaleb(-2) for n in got] == _decimal_times(amounts, rates, which)


@pytest.mark.parametrize("amount, rate, fen", [
    ("0.50", "0.01", 1),  # 0.005 → 0.01: a tie goes up (ROUND_HALF_UP)
    ("0.49", "0.01", 0),  # 0.0049 → 0.00
    ("-0.50", "0.01", -1),  # a tie away from zero
    ("100", "0.0075", 75),  # a whole amount (exponent 0) is exact too
    ("1.005", "1", 101),  # finer than the fen: 1.005 → 1.01
])
def test_a_deposit_rounds_to_the_fen_half_up(amount, rate, fen):
    (got,) = _times_rate([Decimal(amount)], np.zeros(1, np.int64), [Decimal(rate)])
    assert got.tolist() == [fen]
