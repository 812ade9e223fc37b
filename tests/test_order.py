"""The output's order (natural 申报编号, sheet, row) is fixed once, before any rule runs (engine.output_order): the
shortcuts taken when every 申报编号 has one ASCII shape (and when they already rise) must give exactly the natural
order."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from subsidy import engine
from subsidy.text import natural_key

_IDS = st.one_of(
    # one shape: the shortcut applies (fixed-width numbers after a fixed prefix)
    st.lists(st.integers(0, 999).map(lambda n: f"K-{n:03d}"), max_size=30),
    # mixed widths, prefixes, non-ASCII digits and letters: the natural key decides
    st.lists(st.text(alphabet="AK-09１٣甲 ", min_size=0, max_size=6), max_size=30),
    st.lists(st.integers(0, 1200).map(str), max_size=30),
    # ASCII of several shapes whose natural ranges overlap (A1B, A10, B-1, 9): the shapes cannot simply follow
    st.lists(st.text(alphabet="AB-019", max_size=4), max_size=30),
    # two sheets' own numbering: the shapes follow one another (2024-000001 …, HQ-00001 …)
    st.lists(st.one_of(st.integers(1, 999).map(lambda n: f"2024-{n:06d}"), st.integers(1, 99).map(lambda n: f"HQ-{n:05d}")),
             max_size=30),
)


def _ordered(rows: list[tuple[str, int, str]]) -> list[tuple[str, int, str]]:
    """(申报编号, row, sheet) rows in the engine's output order."""
    order = engine.output_order([r[0] for r in rows], [r[2] for r in rows], [r[1] for r in rows])
    return rows if order is None else [rows[i] for i in order]


def _natural(row: tuple[str, int, str]) -> tuple:
    return (natural_key(row[0]), row[2], row[1])


@given(_IDS, st.randoms(), st.booleans())
def test_the_claims_come_out_in_the_natural_order_of_their_ids_then_sheet_then_row(ids, rnd, presorted):
    rows = [(i, n + 2, rnd.choice(["申报事项", "总部迁入"])) for n, i in enumerate(ids)]
    if presorted:  # already in order: the shortcut that keeps them must be right too
        rows.sort(key=_natural)
    else:
        rnd.shuffle(rows)
    assert [_natural(r) for r in _ordered(rows)] == sorted(map(_natural, rows))


def test_k_9_comes_before_k_10_when_the_ids_differ_in_width():
    assert [r[0] for r in _ordered([("K-10", 2, "申报事项"), ("K-9", 3, "申报事项")])] == ["K-9", "K-10"]


def test_fixed_width_ids_keep_their_text_order_and_equal_ids_go_by_row():
    rows = [("2024-010", 5, "申报事项"), ("2024-002", 4, "申报事项"), ("2024-002", 3, "申报事项")]
    assert [(r[0], r[1]) for r in _ordered(rows)] == [("2024-002", 3), ("2024-002", 4), ("2024-010", 5)]


def test_rising_ids_keep_their_rows_and_equal_ids_are_not_taken_for_rising():
    """The already-in-order shortcut needs strictly rising ids: two equal ids still go by row."""
    rows = [("K-001", 2, "申报事项"), ("K-002", 9, "申报事项"), ("K-002", 3, "申报事项")]
    assert _ordered(rows) == [("K-001", 2, "申报事项"), ("K-002", 3, "申报事项"), ("K-002", 9, "申报事项")]


def test_ids_of_one_length_but_two_shapes_go_by_the_natural_order_not_the_text():
    """"A10" sorts before "A1B" as text, but 1 < 10: the shortcut must not take them for one shape."""
    rows = [("A10", 2, "申报事项"), ("A1B", 3, "申报事项")]
    assert [r[0] for r in _ordered(rows)] == ["A1B", "A10"]


def test_ids_that_rise_as_text_but_not_in_the_natural_order_are_sorted():
    """"A10" comes before "A9" as text; where the shape changes the natural order decides, so they are not taken
    for already in order (engine._rising)."""
    rows = [("2024-01", 2, "申报事项"), ("A10", 3, "申报事项"), ("A9", 4, "申报事项")]
    assert [r[0] for r in _ordered(rows)] == ["2024-01", "A9", "A10"]
    rising = [("2024-01", 2, "申报事项"), ("2024-02", 3, "申报事项"), ("HQ-01", 4, "总部迁入")]
    assert engine.output_order(*zip(*[(r[0], r[2], r[1]) for r in rising])) is None
