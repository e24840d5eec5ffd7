"""Named random streams derived from one :class:`numpy.random.SeedSequence` per run.

Every random source in a model (one link direction's latency, the workload's arrivals, the
clients' start phases, ...) asks for a stream by *name*. The stream's seed is derived from
the run seed and a hash of the name, not from the order in which streams are created, so
adding a new random source never shifts the numbers drawn by the others. This is what makes
common random numbers work across the cells of a sweep.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

__all__ = ["RandomStreams", "Sampler"]


def _name_key(name: str) -> tuple[int, ...]:
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=16).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


class RandomStreams:
    """A family of independent, reproducible generators for one simulation run.

    >>> streams = RandomStreams(42)
    >>> a = streams.generator("workload.arrivals").random()
    >>> b = RandomStreams(42).generator("workload.arrivals").random()
    >>> a == b
    True
    """

    def __init__(self, seed: int) -> None:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.seed = int(seed)
        self._root = np.random.SeedSequence(self.seed)
        self._generators: dict[str, np.random.Generator] = {}
        self._constants: dict[object, Sampler] = {}  # distribution -> its shared sampler

    def seed_sequence(self, name: str) -> np.random.SeedSequence:
        """The SeedSequence of stream ``name`` (a pure function of the seed and the name)."""
        return np.random.SeedSequence(self._root.entropy, spawn_key=_name_key(name))

    def generator(self, name: str) -> np.random.Generator:
        """The generator for ``name``, created on first use and reused afterwards."""
        generator = self._generators.get(name)
        if generator is None:
            generator = np.random.Generator(np.random.PCG64(self.seed_sequence(name)))
            self._generators[name] = generator
        return generator

    def sampler(self, distribution, name: str) -> Sampler:
        """A :class:`Sampler` of ``distribution`` drawing from stream ``name``. A constant
        distribution needs no stream, so none is created for it, and its sampler has no
        state: every caller with an equal distribution (frozen dataclasses, so hashable)
        shares one, which keeps the links of many clients small."""
        if distribution.constant_value() is None:
            return Sampler(distribution, self.generator(name))
        shared = self._constants.get(distribution)
        if shared is None:
            shared = self._constants[distribution] = Sampler(distribution, None)
        return shared

    def names(self) -> list[str]:
        """Names of the streams created so far, in creation order."""
        return list(self._generators)


class Sampler:
    """Draws one value at a time from a distribution, in blocks for speed.

    Drawing a block of values with one numpy call is several times faster than one call per
    value; the values come out in the same order either way for a given block size, so the
    results stay reproducible. A constant distribution never touches the generator.
    """

    __slots__ = ("_buffer", "_distribution", "_generator", "_index", "block", "constant")

    def __init__(self, distribution, generator: np.random.Generator | None, block: int = 256):
        self._distribution = distribution
        self._generator = generator
        self.block = block
        self.constant = distribution.constant_value()
        if self.constant is None and generator is None:
            raise ValueError(f"{distribution!r} is random and needs a generator")
        self._buffer: Sequence[float] = ()  # a list once the first block is drawn
        self._index = 0

    def __call__(self) -> float:
        if self.constant is not None:
            return self.constant
        if self._index >= len(self._buffer):
            self._buffer = self._distribution.sample(self._generator, self.block).tolist()
            self._index = 0
        value = self._buffer[self._index]
        self._index += 1
        return value
