"""models.Rows: the engine's lines (and the reader's claims) held as columns. To every reader it must be the tuple
of rows it replaces: the same rows by index, slice and iteration, equal to that tuple, serialised and pickled as it,
and a presenter reading columns gets the same values as one reading rows."""
import pickle

import pytest

from factory import claim, company, run
from subsidy.models import Line, Rows, columns_of


@pytest.fixture(scope="module")
def result():
    return run(companies=[company()], claims=[claim("C1", "luban", "瓷都大厦"), claim("C2", "azalea", "瓷都大厦"),
                                             claim("C3", "luban", "昌江花园", on="2022-01-01")])


def test_the_lines_are_rows_equal_to_the_tuple_of_their_lines(result):
    lines = result.lines
    assert isinstance(lines, Rows) and len(lines) == 3
    as_tuple = tuple(lines)
    assert all(isinstance(ln, Line) for ln in as_tuple)
    assert lines == as_tuple and as_tuple == lines and lines == list(as_tuple)
    assert lines[0] == as_tuple[0] and lines[-1] == as_tuple[-1] and lines[1:] == as_tuple[1:]
    with pytest.raises(IndexError):
        lines[3]


def test_rows_differing_in_one_value_are_not_equal(result):
    changed = tuple(result.lines)[:2] + (tuple(result.lines)[2].model_copy(update={"status": "awarded"}),)
    assert result.lines != changed


def test_a_presenter_reading_columns_reads_what_one_reading_rows_reads(result):
    ids, statuses = columns_of(result.lines, "claim_id", "status")
    assert list(ids) == [ln.claim_id for ln in result.lines]
    assert columns_of(tuple(result.lines), "claim_id", "status") == ([*ids], [*statuses])


def test_rows_serialise_and_pickle_as_the_tuple_of_their_rows(result):
    rebuilt = result.model_copy(update={"lines": tuple(result.lines)})
    assert result.model_dump_json() == rebuilt.model_dump_json()
    assert result.model_dump()["lines"] == rebuilt.model_dump()["lines"]
    assert pickle.loads(pickle.dumps(result.lines)) == result.lines
    assert result == rebuilt


def test_columns_that_are_not_the_models_fields_are_refused():
    with pytest.raises(ValueError, match="的列应为"):
        Rows(Line, {"claim_id": ["C1"]})
