"""The output's order (natural 申报编号, sheet, row) is fixed once, before any rule runs (engine.order_works): the
shortcut taken when every 申报编号 has one ASCII shape must give exactly the natural order."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from subsidy import engine

_IDS = st.one_of(
    # one shape: the shortcut applies (fixed-width numbers after a fixed prefix)
    st.lists(st.integers(0, 999).map(lambda n: f"K-{n:03d}"), max_size=30),
    # mixed widths, prefixes, non-ASCII digits and letters: the natural key decides
    st.lists(st.text(alphabet="AK-09１٣甲 ", min_size=0, max_size=6), max_size=30),
    st.lists(st.integers(0, 1200).map(str), max_size=30),
)


def _work(claim_id: str, row: int, sheet: str = "申报事项") -> engine.Work:
    return engine.Work(claim_id, sheet, row, "C", None, "", "")


@given(_IDS, st.randoms())
def test_the_claims_come_out_in_the_natural_order_of_their_ids_then_sheet_then_row(ids, rnd):
    works = [_work(i, n + 2, rnd.choice(["申报事项", "总部迁入"])) for n, i in enumerate(ids)]
    rnd.shuffle(works)
    engine.order_works(works)
    assert [w.sort_key for w in works] == sorted(w.sort_key for w in works)
    assert [w.rank for w in works] == list(range(len(works)))


def test_k_9_comes_before_k_10_when_the_ids_differ_in_width():
    works = [_work("K-10", 2), _work("K-9", 3)]
    engine.order_works(works)
    assert [w.claim_id for w in works] == ["K-9", "K-10"]


def test_fixed_width_ids_keep_their_text_order_and_equal_ids_go_by_row():
    works = [_work("2024-010", 5), _work("2024-002", 4), _work("2024-002", 3)]
    engine.order_works(works)
    assert [(w.claim_id, w.row) for w in works] == [("2024-002", 3), ("2024-002", 4), ("2024-010", 5)]
