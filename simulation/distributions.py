"""Probability distributions for delays and sizes.

Each distribution is a frozen value object with ``sample(rng, size=None)``, ``mean()``,
``support()`` (the smallest and largest value it can produce) and a readable ``repr``. Values
are in the unit of the key they are given for: seconds for ``*_s`` keys, bytes for
``*_bytes`` keys.

In a scenario file a plain number means a constant (``latency_s = 0.05``); anything else is
a table naming the distribution::

    latency_s = { dist = "lognormal", mean = 0.05, sigma = 0.5 }
    latency_s = { dist = "empirical", csv = "ping.csv", column = "rtt_ms", scale = 0.0005 }
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from .country_rtt import CountryError, CountryRtt
from .distribution_base import Distribution, _keys_of, _non_negative, _positive, _require
from .errors import ScenarioError, did_you_mean, unknown_key_message
from .inputs import csv_number, read_csv, shown

__all__ = [
    "DISTRIBUTIONS",
    "Constant",
    "Distribution",
    "Empirical",
    "Exponential",
    "LogNormal",
    "Normal",
    "Pareto",
    "Uniform",
    "parse_distribution",
]


@dataclass(frozen=True, repr=False)
class Constant(Distribution):
    value: float
    name: ClassVar[str] = "constant"
    summary: ClassVar[str] = "always `value` (a plain number in TOML means this)"

    def __post_init__(self):
        _require(math.isfinite(self.value), f"value must be finite, got {self.value}")

    def sample(self, rng=None, size=None):
        return self.value if size is None else np.full(size, self.value, dtype=float)

    def mean(self):
        return self.value

    def support(self):
        return (self.value, self.value)


@dataclass(frozen=True, repr=False)
class Uniform(Distribution):
    low: float
    high: float
    name: ClassVar[str] = "uniform"
    summary: ClassVar[str] = "uniform on [`low`, `high`]"

    def __post_init__(self):
        _require(
            math.isfinite(self.low) and math.isfinite(self.high),
            "low and high must be finite",
        )
        _require(self.high >= self.low, f"high ({self.high}) must be >= low ({self.low})")

    def sample(self, rng, size=None):
        return rng.uniform(self.low, self.high, size)

    def mean(self):
        return (self.low + self.high) / 2

    def support(self):
        return (self.low, self.high)


@dataclass(frozen=True, repr=False)
class Exponential(Distribution):
    mean_value: float = field(metadata={"key": "mean"})
    name: ClassVar[str] = "exponential"
    summary: ClassVar[str] = "exponential with the given `mean` (rate = 1 / mean)"

    def __post_init__(self):
        _positive("mean", self.mean_value)

    def sample(self, rng, size=None):
        return rng.exponential(self.mean_value, size)

    def mean(self):
        return self.mean_value

    def support(self):
        return (0.0, math.inf)


def _std_normal_pdf(x: float) -> float:
    return math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


def _std_normal_cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


@dataclass(frozen=True, repr=False)
class Normal(Distribution):
    """Normal(mean, sd) truncated at 0: negative draws are redrawn, so values are >= 0.

    ``mean`` and ``sd`` are those of the normal before truncation; :meth:`mean` returns the
    mean after truncation, ``mean + sd * pdf(a) / (1 - cdf(a))`` with ``a = -mean / sd``.
    """

    mu: float = field(metadata={"key": "mean"})
    sd: float
    name: ClassVar[str] = "normal"
    summary: ClassVar[str] = "normal with `mean` and `sd`, truncated at 0 (negatives redrawn)"

    def __post_init__(self):
        _non_negative("mean", self.mu)
        _non_negative("sd", self.sd)

    def sample(self, rng, size=None):
        if self.sd == 0:
            return self.mu if size is None else np.full(size, self.mu)
        count = 1 if size is None else size
        values = rng.normal(self.mu, self.sd, count)
        negative = values < 0
        while negative.any():
            values[negative] = rng.normal(self.mu, self.sd, int(negative.sum()))
            negative = values < 0
        return float(values[0]) if size is None else values

    def mean(self):
        if self.sd == 0:
            return self.mu
        a = -self.mu / self.sd
        return self.mu + self.sd * _std_normal_pdf(a) / (1 - _std_normal_cdf(a))

    def support(self):
        return (self.mu, self.mu) if self.sd == 0 else (0.0, math.inf)

    def __repr__(self):
        return super().__repr__()[:-1] + ", truncated_at=0)"


@dataclass(frozen=True, repr=False)
class LogNormal(Distribution):
    """Log-normal with arithmetic ``mean`` and ``sigma``, the sd of the underlying normal.

    The underlying normal has ``mu = ln(mean) - sigma**2 / 2``, so the samples' mean is
    ``mean`` whatever ``sigma`` is; larger ``sigma`` means a longer right tail.
    """

    mean_value: float = field(metadata={"key": "mean"})
    sigma: float
    name: ClassVar[str] = "lognormal"
    summary: ClassVar[str] = "log-normal with arithmetic `mean` and log-space `sigma`"

    def __post_init__(self):
        _positive("mean", self.mean_value)
        _non_negative("sigma", self.sigma)

    @property
    def mu(self) -> float:
        return math.log(self.mean_value) - self.sigma**2 / 2

    def sample(self, rng, size=None):
        return rng.lognormal(self.mu, self.sigma, size)

    def mean(self):
        return self.mean_value

    def support(self):
        return (self.mean_value, self.mean_value) if self.sigma == 0 else (0.0, math.inf)


@dataclass(frozen=True, repr=False)
class Pareto(Distribution):
    """Classic (type I) Pareto: values >= ``scale``, tail index ``shape``.

    The mean is ``shape * scale / (shape - 1)`` for ``shape > 1`` and infinite otherwise.
    """

    shape: float
    scale: float
    name: ClassVar[str] = "pareto"
    summary: ClassVar[str] = "Pareto with minimum `scale` and tail index `shape`"

    def __post_init__(self):
        _positive("shape", self.shape)
        _positive("scale", self.scale)

    def sample(self, rng, size=None):
        return self.scale * (1.0 + rng.pareto(self.shape, size))

    def mean(self):
        return self.shape * self.scale / (self.shape - 1) if self.shape > 1 else math.inf

    def support(self):
        return (self.scale, math.inf)


@dataclass(frozen=True, repr=False)
class Empirical(Distribution):
    """Resamples (with replacement) from observed values, e.g. a measured ping trace.

    Given inline as ``values = [...]`` or read from one column of a CSV file
    (``csv = "path"``, relative to the scenario file, and ``column = "name"``); every value
    is multiplied by ``scale`` (default 1), e.g. ``scale = 0.0005`` turns round-trip
    milliseconds into one-way seconds.
    """

    values: tuple[float, ...]
    source: str = ""
    name: ClassVar[str] = "empirical"
    summary: ClassVar[str] = (
        "resampled from `values = [...]` or a CSV `column` of file `csv`, times `scale`"
    )

    def __post_init__(self):
        _require(len(self.values) > 0, "needs at least one value")
        _require(all(math.isfinite(v) for v in self.values), "values must be finite")

    @cached_property
    def _array(self) -> np.ndarray:
        return np.asarray(self.values, dtype=float)

    def sample(self, rng, size=None):
        index = rng.integers(0, len(self.values), size)
        return self._array[index] if size is not None else float(self._array[index])

    def mean(self):
        return float(self._array.mean())

    def support(self):
        return (float(self._array.min()), float(self._array.max()))

    def to_dict(self):
        return {"dist": self.name, "values": list(self.values)}

    def __repr__(self):
        origin = f", source={self.source!r}" if self.source else ""
        return f"Empirical(n={len(self.values)}, mean={self.mean():.6g}{origin})"


DISTRIBUTIONS: dict[str, type[Distribution]] = {
    cls.name: cls for cls in (Constant, Uniform, Exponential, Normal, LogNormal, Pareto, Empirical)
}
DISTRIBUTIONS[CountryRtt.name] = CountryRtt  # measured latencies: with their data


def _number(value: Any, where: str) -> float:
    """A finite number (numpy numbers too); a distribution parameter is never inf or NaN."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ScenarioError(f"{where}: expected a number, got {shown(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise ScenarioError(f"{where}: must be a finite number, got {value!r}")
    return value


def _read_csv_column(path: Path, column: str, where: str) -> list[float]:
    """The numbers in ``column``; empty cells are skipped."""
    return [
        csv_number(row, column, where, path)
        for row in read_csv(path, where, (column,))
        if row.cells[column].strip()
    ]


def _parse_empirical(table: Mapping[str, Any], where: str, base_dir: Path | None) -> Empirical:
    scale = _number(table.get("scale", 1.0), f"{where}.scale")
    if ("values" in table) == ("csv" in table):
        raise ScenarioError(f"{where}: an empirical distribution needs either values or csv")
    if "values" in table:
        if "column" in table:
            raise ScenarioError(f"{where}.column: only goes with csv, not with values")
        raw = table["values"]
        if not isinstance(raw, list | tuple):
            raise ScenarioError(f"{where}.values: expected a list of numbers, got {shown(raw)}")
        values = [_number(v, f"{where}.values[{i}]") for i, v in enumerate(raw)]
        source = ""
    else:
        if not isinstance(table["csv"], str):
            raise ScenarioError(f"{where}.csv: expected a file path, got {shown(table['csv'])}")
        if not isinstance(table.get("column"), str):
            raise ScenarioError(f"{where}.column: the CSV column to read is required")
        path = Path(table["csv"])
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        values = _read_csv_column(path, table["column"], f"{where}.csv")
        source = f"{table['csv']}:{table['column']}"
    if not values:
        raise ScenarioError(f"{where}: an empirical distribution needs at least one value")
    scaled = tuple(v * scale for v in values)
    if not all(math.isfinite(v) for v in scaled):
        raise ScenarioError(
            f"{where}.scale: {scale:g} times the values overflows to infinity; use a smaller scale"
        )
    return Empirical(scaled, source=source)


def _parse_country_rtt(table: Mapping[str, Any], where: str) -> Distribution:
    for key in ("server", "client"):
        if not isinstance(table.get(key), str):
            raise ScenarioError(
                f"{where}.{key}: the country-rtt distribution needs {key} = an ISO 3166 "
                f'country code such as "DE", got {shown(table.get(key))}'
            )
    try:
        return CountryRtt(table["server"], table["client"])
    except CountryError as error:
        raise ScenarioError(f"{where} (country-rtt): {error}") from None


def parse_distribution(value: Any, where: str, base_dir: Path | None = None) -> Distribution:
    """Turn a scenario value (number, table or Distribution) into a Distribution.

    ``where`` names the key for error messages (e.g. ``"default.toml: network.latency_s"``);
    ``base_dir`` is where relative CSV paths are resolved.
    """
    if isinstance(value, Distribution):
        return value
    if isinstance(value, bool):
        raise ScenarioError(f"{where}: expected a number or a distribution table, got {value!r}")
    if isinstance(value, numbers.Real):  # numpy numbers too
        value = float(value)
        if not math.isfinite(value):
            raise ScenarioError(f"{where}: must be a finite number, got {value!r}")
        return Constant(value)
    if not isinstance(value, Mapping):
        raise ScenarioError(
            f"{where}: expected a number or a table like "
            f'{{ dist = "exponential", mean = 0.05 }}, got {shown(value)}'
        )
    kind = value.get("dist")
    if not isinstance(kind, str) or kind not in DISTRIBUTIONS:
        names = ", ".join(DISTRIBUTIONS)
        hint = did_you_mean(kind, DISTRIBUTIONS) if isinstance(kind, str) else ""
        got = "no 'dist' key" if kind is None else f"unknown distribution {shown(kind)}"
        raise ScenarioError(f"{where}: {got}{hint} (allowed: {names})")
    cls = DISTRIBUTIONS[kind]
    if cls is Empirical:
        allowed = {"dist", "values", "csv", "column", "scale"}
    elif cls is CountryRtt:
        allowed = {"dist", "server", "client"}
    else:
        allowed = {"dist", *_keys_of(cls)}
    for key in value:
        if key not in allowed:
            raise ScenarioError(
                unknown_key_message(f"{where} ({kind})", str(key), allowed - {"dist"})
            )
    if cls is Empirical:
        return _parse_empirical(value, where, base_dir)
    if cls is CountryRtt:
        return _parse_country_rtt(value, where)
    arguments = {}
    for key, field_name in _keys_of(cls).items():
        if key not in value:
            raise ScenarioError(f"{where}: the {kind} distribution needs {key!r}")
        arguments[field_name] = _number(value[key], f"{where}.{key}")
    try:
        return cls(**arguments)
    except ValueError as error:
        raise ScenarioError(f"{where} ({kind}): {error}") from None
