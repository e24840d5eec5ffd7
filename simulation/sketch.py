"""A compact record of many non-negative values (latencies): exact count, sum, min and max,
and quantiles within a fixed relative error.

Values go into logarithmic buckets: bucket ``i`` holds the values in ``(g**(i-1), g**i]``
with ``g = (1 + a) / (1 - a)``, and stands for ``2 g**i / (g + 1)``, which is within a
relative ``a`` of every value in it (``a`` = :data:`RELATIVE_ERROR`, 0.4%). Zero has a
bucket of its own and is exact. A quantile is taken as numpy's default (``"linear"``) one
is, from the two order statistics around it; each is replaced by its bucket's value,
clipped to the exact minimum and maximum, so the quantile is within a relative ``a`` of
numpy's on the same values, whatever their number. That is the documented bound of 0.5%
with room for floating-point rounding at bucket edges. About 8 KB holds latencies from a
microsecond to a day.

Values are buffered and folded into the buckets by numpy, a chunk at a time, so adding
one costs an ``array.append``. The sum is kept exactly, as a few floats whose exact sum it
is (found with :func:`math.fsum`), so the mean is the exactly rounded one whatever the
chunks and however sketches are merged: sketches of the parts of a run split by client
merge to the whole run's, bit for bit.
"""

from __future__ import annotations

import math
from array import array

import numpy as np

__all__ = ["CHUNK", "RELATIVE_ERROR", "ValueSketch"]

RELATIVE_ERROR = 0.004  # design error of a quantile; documented bound: 0.5%
_GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR)
_LOG_GAMMA = math.log(_GAMMA)
CHUNK = 1 << 16  # values buffered before they are folded into the buckets


class ValueSketch:
    """Count, sum, min, max and log-bucket counts of the values added."""

    __slots__ = (
        "buckets",
        "count",
        "maximum",
        "minimum",
        "partials",
        "pending",
        "total",
        "zeros",
    )

    def __init__(self) -> None:
        self.pending = array("d")  # values not folded in yet: append here
        self.count = 0
        self.total = 0.0  # the sum, rounded once
        self.partials: list[float] = []  # floats whose exact sum is the sum
        self.minimum = math.inf
        self.maximum = -math.inf
        self.zeros = 0  # values <= 0, exact
        self.buckets: dict[int, int] = {}

    def fold(self) -> None:
        """Fold the pending values into the counters (done every :data:`CHUNK` values by
        the caller, and before reading)."""
        if not self.pending:
            return
        values = np.frombuffer(self.pending, dtype=np.float64)
        self.count += values.size
        self._add_exactly(values.tolist())
        self.minimum = min(self.minimum, float(values.min()))
        self.maximum = max(self.maximum, float(values.max()))
        positive = values[values > 0]
        self.zeros += values.size - positive.size
        if positive.size:
            index = np.ceil(np.log(positive) / _LOG_GAMMA).astype(np.int64)
            found, counts = np.unique(index, return_counts=True)
            buckets = self.buckets
            for i, n in zip(found.tolist(), counts.tolist(), strict=True):
                buckets[i] = buckets.get(i, 0) + n
        self.pending = array("d")

    def merge(self, other: ValueSketch) -> None:
        """Add ``other``'s values to these (both folded)."""
        self.fold()
        other.fold()
        self.count += other.count
        self._add_exactly(list(other.partials))
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)
        self.zeros += other.zeros
        for i, n in other.buckets.items():
            self.buckets[i] = self.buckets.get(i, 0) + n

    def _add_exactly(self, values: list[float]) -> None:
        """Add ``values`` to the exact sum: each round keeps the rounded sum of what is
        left and leaves the exact remainder (fsum is exact before its one rounding)."""
        values.extend(self.partials)
        partials = []
        while True:
            rounded = math.fsum(values)
            if rounded == 0.0 or not math.isfinite(rounded):
                break
            partials.append(rounded)
            values.append(-rounded)
        self.partials = partials
        self.total = partials[0] if partials else math.fsum(values)

    def mean(self) -> float:
        self.fold()
        return self.total / self.count if self.count else math.nan

    def max(self) -> float:
        self.fold()
        return self.maximum if self.count else math.nan

    def quantiles(self, qs: tuple[float, ...]) -> list[float]:
        """numpy's linear quantiles ``qs``, within a relative :data:`RELATIVE_ERROR`."""
        self.fold()
        n = self.count
        if not n:
            return [math.nan for _ in qs]
        order = sorted(self.buckets)
        ends = np.cumsum([self.zeros] + [self.buckets[i] for i in order])  # rank ends

        def statistic(k: int) -> float:  # the k-th smallest value (0-based), estimated
            if k == 0:
                return self.minimum
            if k == n - 1:
                return self.maximum
            slot = int(np.searchsorted(ends, k, side="right"))
            if slot == 0:
                return 0.0
            value = 2 * _GAMMA ** order[slot - 1] / (_GAMMA + 1)
            return min(max(value, self.minimum), self.maximum)

        out = []
        for q in qs:
            h = (n - 1) * q
            low = math.floor(h)
            a = statistic(low)
            b = statistic(min(low + 1, n - 1))
            out.append(a + (h - low) * (b - a))
        return out
