"""The reader's fast paths (issue 12) give exactly what the general path gives, for any row.

A fast path reads a row whose cells are all of the plain kind their columns expect, and hands any other row to the
general path (_Row), which names every problem. Here the same rows — plain, blank, odd, wrong, in any mix — are
read both ways (a table marked as holding error cells never takes a fast path) and the batches must be equal:
models, rejected rows and issues, in the same order.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from helpers_uscc import uscc
from hypothesis import given, settings
from hypothesis import strategies as st

from policies import get_pack
from subsidy.workbook import reader as R

PACK = get_pack()
CODES = [uscc(i) for i in range(1, 6)]
DAY = dt.date(2024, 5, 1)

blank = st.sampled_from(["", " ", "\u3000", None])


def mostly(good: list, odd: list) -> st.SearchStrategy:
    """A cell: seven times in ten a plain value of its column, else a blank or odd one (so that whole rows of
    plain cells, the fast paths' rows, come often, mixed with every kind of cell the general path must judge)."""
    return st.integers(0, 9).flatmap(lambda i: st.sampled_from(good) if i < 7 else st.sampled_from(odd) | blank)


code = mostly(CODES[:3], [c.lower() for c in CODES] + [f" {CODES[0]} ", "９１" + CODES[1][2:], CODES[2][:17],
                                                       "X" * 18, uscc(99)])
text = mostly(["瓷都大厦", "甲建设", " 瓷都 大厦 "], ["ＡＢＣ", " 瓷都大厦", 12, 3.5])
label = mostly(["鲁班奖", "杜鹃花奖", "省优良工程", "市优良工程", "国家级工法", "施工总承包一级资质"],
               [" 鲁班奖 ", "综合资质", "总部迁入", "不存在的奖", 5])
date = mostly([DAY, dt.datetime(2024, 5, 1, 8), "2024-05-01", "2024/5/1", "2024年5月1日"],
              ["２０２４-０５-０１", " 2024-05-01 ", "2024-13-45", "明天", 45000, 1.5, True])
amount = mostly(["", 0, 10_000, 2.5, "2万", "1,234.56"], ["１２万", " 2万 ", -5, "abc", "1e3", 10 ** 16, True, DAY])
flag = mostly(["", "是", "否"], ["Y", "n", "TRUE", 1, 0, 1.0, "也许", True, " 是 "])
score = mostly(["", 85, 92.5, "85"], ["90分", "１００", 101, "八十", -3, " 85 "])
region = mostly(["珠山区", "市外", "市本级"], [" 珠山区 ", "珠 山区", "北京"])
accident = mostly(["", "无", "一般", "较大"], [" 较大 ", "特大", "较 大"])
year = mostly([2023, "2023"], [2023.0, "2023年", "２０２３", 1800, "去年"])
claim_id = mostly(["A-1", "A-2", "A-3", "A-4"], [" A-3 ", 7, "A-1"])

#: three companies always read well (claims, deposits and history rows refer to them), beside the generated ones,
#: whose codes are others (a code given twice would make both rows bad)
KNOWN = [(c, "甲建设", "珠山区", 85, "否", "否", "无", "否", 1_000_000, "") for c in CODES[:3]]
other_code = mostly(CODES[3:], [CODES[3].lower(), f" {CODES[4]} ", "X" * 18])
ROWS = {
    R.COMPANY: st.tuples(other_code, text, region, score, flag, flag, accident, flag, amount, date),
    R.CLAIM: st.tuples(claim_id, code, label, text, date, text, amount, flag),
    R.DEPOSIT: st.tuples(code, text, amount),
    R.HISTORY: st.tuples(code, label, text, year, date, amount),
}


def table(sheet: str, rows: list[tuple], *, fast: bool) -> R._Table:
    names = R.COLUMNS[sheet]
    t = R._Table(sheet, odd=not fast, names=names, in_order=lambda v: v)
    t.rows = [(n, tuple("" if v is None else v for v in row)) for n, row in enumerate(rows, start=2)]
    return t


def read(sheets: dict[str, list[tuple]], *, fast: bool):
    reader = R._Reader(PACK)
    issues: list = []
    out = [reader.read_companies(table(R.COMPANY, KNOWN + sheets[R.COMPANY], fast=fast), issues)]
    out.append(reader.read_claims(table(R.CLAIM, sheets[R.CLAIM], fast=fast), R._Table(R.HQ, present=False), issues))
    out.append(reader.read_deposits(table(R.DEPOSIT, sheets[R.DEPOSIT], fast=fast), issues))
    out.append(reader.read_history(table(R.HISTORY, sheets[R.HISTORY], fast=fast), issues))
    return out, issues, reader.bad_rows


@settings(max_examples=400, deadline=None)
@given(st.fixed_dictionaries({s: st.lists(rows, max_size=8) for s, rows in ROWS.items()}))
def test_the_fast_paths_read_every_row_as_the_general_path_does(sheets):
    assert read(sheets, fast=True) == read(sheets, fast=False)


def test_a_plain_batch_takes_the_fast_paths(monkeypatch):
    """The comparison above is not empty: plain rows do go the fast way (the general path is never asked)."""
    good = {
        R.COMPANY: [],
        R.CLAIM: [("A-1", CODES[0], "鲁班奖", "瓷都大厦", DAY, "", "", "")],
        R.DEPOSIT: [(CODES[0], "瓷都大厦", 10_000_000)],
        R.HISTORY: [(CODES[0], "杜鹃花奖", "瓷都大厦", 2023, dt.date(2023, 12, 20), 200_000)],
    }
    monkeypatch.setattr(R._Row, "__init__", lambda *a, **k: (_ for _ in ()).throw(AssertionError("general path")))
    (companies, claims, deposits, history), issues, bad = read(good, fast=True)
    assert issues == [] and bad == []
    assert len(companies[0]) == 3 and companies[0][0].credit_score == Decimal(85) and claims[0][0].subject == "瓷都大厦"
    assert deposits[0][0].settlement_amount == Decimal("10000000.00") and history[0][0].reward_year == 2023


#: orders of the 申报事项 columns: text columns swapped (a row read in the wrong order would still look plain), others
ORDERS = [(3, 1, 2, 0, 4, 5, 6, 7), (0, 1, 2, 5, 4, 3, 6, 7), (5, 1, 2, 3, 4, 0, 6, 7), (7, 6, 5, 4, 3, 2, 1, 0),
          (1, 0, 2, 3, 4, 5, 7, 6)]


@settings(max_examples=100, deadline=None)
@given(st.lists(ROWS[R.CLAIM], max_size=8),
       st.sampled_from(ORDERS) | st.permutations(range(len(R.COLUMNS[R.CLAIM]))).map(tuple))
def test_a_claims_sheet_with_its_columns_in_another_order_reads_as_in_the_usual_order(rows, order):
    """The fast path takes a row's values as they stand when the header is in the usual order, and through
    in_order otherwise: the same claims either way."""
    from operator import itemgetter

    names = R.COLUMNS[R.CLAIM]
    shuffled = R._Table(R.CLAIM, names=tuple(names[j] for j in order),
                        in_order=itemgetter(*(order.index(i) for i in range(len(names)))))
    rows = [*rows, ("A-9", CODES[0], "鲁班奖", "瓷都大厦", DAY, "另一政策", "", "")]  # one plain row at least
    shuffled.rows = [(n, tuple("" if row[j] is None else row[j] for j in order)) for n, row in enumerate(rows, 2)]

    def claims(t):
        reader = R._Reader(PACK)
        reader.read_companies(table(R.COMPANY, KNOWN, fast=True), [])
        issues: list = []
        return reader.read_claims(t, R._Table(R.HQ, present=False), issues), issues

    assert claims(shuffled) == claims(table(R.CLAIM, rows, fast=True))
