"""subsidy.gcpause: the collector is paused inside the block and left as it was found, whatever happens."""
import gc

import pytest

from subsidy.gcpause import paused_gc


@pytest.fixture(autouse=True)
def _restore():
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


def test_the_collector_is_paused_inside_and_running_again_after():
    gc.enable()
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_inside_still_resumes_the_collector():
    gc.enable()
    with pytest.raises(ValueError), paused_gc():
        raise ValueError("x")
    assert gc.isenabled()


def test_a_collector_paused_by_the_caller_stays_paused():
    gc.disable()
    with paused_gc():
        pass
    assert not gc.isenabled()


def test_what_the_block_built_is_handed_to_the_oldest_generation_unscanned():
    gc.enable()
    with paused_gc():
        built = [[i] for i in range(1000)]
    # in the youngest generation the first allocation after the block would scan all of it at once
    assert not any(o is built for o in gc.get_objects(generation=0))
    assert any(o is built for o in gc.get_objects(generation=2))
    assert gc.get_freeze_count() == 0


def test_objects_frozen_by_someone_else_stay_frozen():
    gc.enable()
    frozen = [[1]]
    gc.freeze()
    try:
        with paused_gc():
            pass
        assert gc.get_freeze_count() > 0
        assert not any(o is frozen for o in gc.get_objects())  # still in the permanent generation
    finally:
        gc.unfreeze()
