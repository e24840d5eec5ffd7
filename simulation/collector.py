"""Python's cyclic garbage collector during a run: fewer full collections.

A run builds its clients, connections and timers as it goes, and keeps most of them to
the end, so the heap grows steadily. CPython then collects its oldest generation every
time that generation has grown by a quarter (the ``long_lived_pending`` rule) and its
third threshold (10 collections of the middle generation) is met, which for a run that
allocates quickly is about every quarter's growth: some 20 full traversals of every live
object over a run that ends with a million of them, and they free next to nothing (the
objects a run discards are not in cycles, or die young). With the third threshold at
1,000, full collections come a hundred times less often; the young generations are
collected as before, so short-lived cycles still go at once.

Measured at 100,000 idle WebSockets (``scenarios/websocket-1m-idle.toml``): 20.4 s with
the default thresholds, 12.6 s with these, the same peak memory (docs/performance.md).
The thresholds are restored when the run ends, so nothing outside a run changes.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["FULL_COLLECTION_THRESHOLD", "fewer_full_collections"]

FULL_COLLECTION_THRESHOLD = 1000  # CPython's default is 10 (gc.get_threshold())


@contextmanager
def fewer_full_collections(threshold: int = FULL_COLLECTION_THRESHOLD) -> Iterator[None]:
    """Within the block, collect the oldest generation after ``threshold`` collections
    of the middle one (at least as many as before); restore the thresholds after."""
    before = gc.get_threshold()
    gc.set_threshold(before[0], before[1], max(before[2], threshold))
    try:
        yield
    finally:
        gc.set_threshold(*before)
