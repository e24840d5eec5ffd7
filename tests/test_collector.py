"""The garbage collector's thresholds during a run: raised inside, restored after."""

import gc

from simulation import run
from simulation.collector import FULL_COLLECTION_THRESHOLD, fewer_full_collections

from helpers import make_scenario


def test_the_thresholds_are_raised_inside_and_restored_after():
    before = gc.get_threshold()
    with fewer_full_collections():
        assert gc.get_threshold() == (before[0], before[1], FULL_COLLECTION_THRESHOLD)
    assert gc.get_threshold() == before


def test_a_higher_threshold_already_set_is_kept_and_an_error_restores():
    before = gc.get_threshold()
    try:
        gc.set_threshold(before[0], before[1], 5000)
        with fewer_full_collections():
            assert gc.get_threshold()[2] == 5000
        try:
            with fewer_full_collections(2000):
                raise RuntimeError("a failing run")
        except RuntimeError:
            pass
        assert gc.get_threshold()[2] == 5000
    finally:
        gc.set_threshold(*before)


def test_a_run_leaves_the_thresholds_as_it_found_them():
    before = gc.get_threshold()
    run(make_scenario(clients=3, duration_s=2.0))
    assert gc.get_threshold() == before
