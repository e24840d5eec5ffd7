"""Measured Internet latency between countries, as a one-way delay distribution.

The data (``simulation/data/ripe-atlas-country-rtt.csv``, provenance and citation in
``simulation/data/README.md``) summarises about 2.5 billion RIPE Atlas pings from March
and April 2025 by country pair: count, mean, standard deviation, minimum and maximum of
the round-trip time (ms). Pairs are unordered (latency is taken as symmetric).

``{ dist = "country-rtt", server = "DE", client = "JP" }`` is the one-way latency of a
client in JP talking to a server in DE: half the measured round trip. Its shape is a
**shifted log-normal**: a floor of half the smallest measured RTT (the speed-of-light
path) plus a log-normal excess whose mean and standard deviation make the whole
distribution's mean half the measured mean RTT and its standard deviation half the
measured one. A log-normal because measured RTTs are right-skewed with a long tail of
queueing delays; the floor because no packet beats the shortest path.
"""

from __future__ import annotations

import csv
import difflib
import math
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import ClassVar

import numpy as np

from .distribution_base import Distribution

__all__ = ["MIN_PINGS", "CountryRtt", "PairStats", "country_codes", "pair_stats", "top_countries"]

DATA_FILE = "ripe-atlas-country-rtt.csv"
MIN_PINGS = 100  # fewer pings than this make a mean and a spread too noisy to use
NOT_A_COUNTRY = "None"  # addresses the IP-to-ASN table could not place


class CountryError(ValueError):
    """An unknown country code or a pair with too few measurements."""


@dataclass(frozen=True)
class PairStats:
    """One row of the data: round-trip statistics between two countries (ms)."""

    countries: tuple[str, str]
    pings: int
    rtt_mean_ms: float
    rtt_sd_ms: float
    rtt_min_ms: float
    rtt_max_ms: float


@lru_cache(maxsize=1)
def _table() -> dict[frozenset[str], PairStats]:
    """The shipped data, read once per process (it is read-only)."""
    text = resources.files("simulation").joinpath("data", DATA_FILE).read_text(encoding="utf-8")
    pairs = {}
    for row in csv.DictReader(text.splitlines()):
        if NOT_A_COUNTRY in (row["cty1"], row["cty2"]) or not row["rtt_std"]:
            continue
        pairs[frozenset((row["cty1"], row["cty2"]))] = PairStats(
            (row["cty1"], row["cty2"]),
            int(row["rtt_cnt"]),
            float(row["rtt_avg"]),
            float(row["rtt_std"]),
            float(row["rtt_min"]),
            float(row["rtt_max"]),
        )
    return pairs


@lru_cache(maxsize=1)
def country_codes() -> tuple[str, ...]:
    """Every country code in the data, sorted."""
    return tuple(sorted({code for pair in _table() for code in pair}))


def _check_code(code: object, role: str) -> str:
    codes = country_codes()
    if isinstance(code, str) and code in codes:
        return code
    close = difflib.get_close_matches(str(code).upper(), codes, n=4, cutoff=0.4)
    hint = f"; close matches: {', '.join(close)}" if close else ""
    raise CountryError(
        f"{role} = {code!r} is not an ISO 3166 country code in the RIPE Atlas data{hint} "
        f"({len(codes)} codes, e.g. DE, US, JP, BR, IN; `rtsim list --countries DE` lists "
        "the countries measured with DE)"
    )


def pair_stats(server: str, client: str) -> PairStats:
    """The measured round trips between ``server`` and ``client`` (needs >= MIN_PINGS)."""
    server = _check_code(server, "server")
    client = _check_code(client, "client")
    stats = _table().get(frozenset((server, client)))
    if stats is None or stats.pings < MIN_PINGS:
        pings = 0 if stats is None else stats.pings
        usable = sorted(
            (other for other in country_codes() if _usable(server, other)),
            key=lambda other: -_table()[frozenset((server, other))].pings,
        )
        close = difflib.get_close_matches(client, usable, n=3, cutoff=0.5)
        shown = list(dict.fromkeys([*close, *usable[:4]]))
        raise CountryError(
            f"{server}-{client} has {pings} pings in the data, fewer than the {MIN_PINGS} "
            f"needed; countries measured with {server} include {', '.join(shown)} "
            f"(`rtsim list --countries {server}` lists them all)"
        )
    return stats


def _usable(server: str, other: str) -> bool:
    stats = _table().get(frozenset((server, other)))
    return stats is not None and stats.pings >= MIN_PINGS


def top_countries(server: str, count: int) -> list[tuple[str, float]]:
    """The ``count`` client countries with the most pings to ``server``, and their share
    of those pings (the shares add up to 1). The server's own country counts too."""
    server = _check_code(server, "server")
    pings = {
        other: _table()[frozenset((server, other))].pings
        for other in country_codes()
        if _usable(server, other)
    }
    top = sorted(pings, key=lambda other: (-pings[other], other))[:count]
    total = sum(pings[other] for other in top)
    return [(other, pings[other] / total) for other in top]


@dataclass(frozen=True, repr=False)
class CountryRtt(Distribution):
    """One-way latency between two countries, from measured round trips (see the module).

    ``mean()`` is half the measured mean RTT, ``std()`` half its standard deviation, and
    no value is below half the smallest RTT measured. Values are seconds.
    """

    server: str
    client: str
    floor_s: float = field(init=False, compare=False)
    excess_mean_s: float = field(init=False, compare=False)
    sd_s: float = field(init=False, compare=False)
    name: ClassVar[str] = "country-rtt"
    summary: ClassVar[str] = (
        "measured one-way latency from country `client` to `server` (RIPE Atlas, 2025)"
    )

    def __post_init__(self):
        stats = pair_stats(self.server, self.client)
        floor = stats.rtt_min_ms / 2000
        object.__setattr__(self, "floor_s", floor)
        object.__setattr__(self, "excess_mean_s", stats.rtt_mean_ms / 2000 - floor)
        object.__setattr__(self, "sd_s", stats.rtt_sd_ms / 2000)

    @property
    def sigma(self) -> float:
        """The standard deviation of the log of the excess over the floor."""
        if self.excess_mean_s <= 0:
            return 0.0
        return math.sqrt(math.log1p((self.sd_s / self.excess_mean_s) ** 2))

    @property
    def mu(self) -> float:
        """The mean of the log of the excess over the floor."""
        return math.log(self.excess_mean_s) - self.sigma**2 / 2

    def sample(self, rng, size=None):
        if self.excess_mean_s <= 0:
            return self.floor_s if size is None else np.full(size, self.floor_s)
        return self.floor_s + rng.lognormal(self.mu, self.sigma, size)

    def mean(self) -> float:
        return self.floor_s + self.excess_mean_s

    def std(self) -> float:
        return self.sd_s if self.excess_mean_s > 0 else 0.0

    def support(self) -> tuple[float, float]:
        if self.excess_mean_s <= 0:
            return (self.floor_s, self.floor_s)
        return (self.floor_s, math.inf)

    def parameters(self):
        return {"server": self.server, "client": self.client}

    def __repr__(self) -> str:
        return (
            f"CountryRtt({self.server}<-{self.client}: mean {self.mean() * 1e3:.1f} ms, "
            f"sd {self.std() * 1e3:.1f} ms, floor {self.floor_s * 1e3:.1f} ms)"
        )
