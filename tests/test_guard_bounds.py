"""The guard's fast pass (issue 12) bounds a sheet's used rectangle from above, or says it cannot.

The fast pass (guard._QuickArea) reads a few searches per chunk instead of every cell reference. Whatever cells a
sheet holds — far ones, ones inside a row of another number, ones without a reference, prefixed tags, all split
across chunk boundaries — either its bound holds every cell the exact pass (guard._Area) finds, or it is ``loose``
and the exact pass decides. A wrong bound would let calamine allocate what the limit forbids.
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from subsidy.workbook import guard


def letters(n: int) -> str:
    return guard._column_letters(n)


def sheet_xml(rows: int, cols: int, intruders: list[tuple[int, str]]) -> bytes:
    """A worksheet of ``rows`` × ``cols`` value cells, with intruding cell tags inserted after the given rows."""
    out = [b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>']
    extra: dict[int, list[str]] = {}
    for after, tag in intruders:
        extra.setdefault(min(after, rows), []).append(tag)
    for r in range(1, rows + 1):
        cells = "".join(f'<c r="{letters(c)}{r}" t="n"><v>{c}</v></c>' for c in range(1, cols + 1))
        cells += "".join(extra.get(r, ()))
        out.append(f'<row r="{r}">{cells}</row>'.encode())
    out.append(b"</sheetData></worksheet>")
    return b"".join(out)


def scan(xml: bytes, area, chunk: int) -> None:
    tail = b""
    for i in range(0, len(xml), chunk):
        window = tail + xml[i:i + chunk]
        area.scan(window, prefixed=guard._PREFIXED.search(window) is not None)
        tail = window[-guard._OVERLAP:]


ref = st.tuples(st.integers(1, 16384), st.integers(0, 1_048_576)).map(lambda t: f"{letters(t[0])}{t[1]}")
intruder = st.one_of(
    ref.map(lambda r: f'<c r="{r}"><v>1</v></c>'),  # a value cell anywhere
    ref.map(lambda r: f'<c r="{r}" s="1"/>'),  # a formatted blank cell anywhere
    st.just("<c><v>1</v></c>"),  # a cell without a reference
    st.just('<c s="2" t="n"><v>1</v></c>'),
    ref.map(lambda r: f'<x:c r="{r}"><x:v>1</x:v></x:c>'),  # a prefixed cell
    st.integers(1, 9_999_999).map(lambda n: f'<c r="A{n}"><v>1</v></c>'),
)


@settings(max_examples=300, deadline=None)
@given(rows=st.integers(1, 60), cols=st.integers(1, 12), intruders=st.lists(st.tuples(st.integers(0, 60), intruder),
                                                                             max_size=3),
       chunk=st.sampled_from([97, 256, 1000, 1 << 20]))
def test_the_fast_bound_holds_every_cell_or_gives_way_to_the_exact_pass(rows, cols, intruders, chunk):
    xml = sheet_xml(rows, cols, intruders)
    quick, exact = guard._QuickArea(), guard._Area()
    scan(xml, quick, chunk)
    scan(xml, exact, 1 << 20)
    if quick.loose:
        return
    q_rows, q_cols = quick.size()
    e_rows, e_cols = exact.size()
    # the exact rectangle starts at its first row and column; the bound at A1
    assert q_rows >= exact.max_row and q_cols >= exact.max_col
    assert q_rows * q_cols >= e_rows * e_cols


def test_a_plain_sheet_is_bounded_closely_without_the_exact_pass():
    quick = guard._QuickArea()
    scan(sheet_xml(12_345, 8, []), quick, 4096)
    assert not quick.loose
    assert quick.size() == (12_999, 8)  # the rows up to 12,345 with the digits after its first two all 9: under 1.1×


def test_a_far_cell_hidden_in_a_row_of_another_number_is_not_missed():
    xml = sheet_xml(100, 8, [(50, '<c r="H1048576"><v>1</v></c>')])
    quick = guard._QuickArea()
    scan(xml, quick, 512)
    assert quick.loose  # the exact pass measures it: A1:H1048576
