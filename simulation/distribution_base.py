"""What every distribution is: a frozen value object that samples, with a mean and a support.

:mod:`simulation.distributions` holds the families and the parser; measured latencies
(:mod:`simulation.country_rtt`) subclass :class:`Distribution` too.
"""

from __future__ import annotations

import math
from dataclasses import fields
from typing import Any, ClassVar

import numpy as np

__all__ = ["Distribution"]


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _positive(name: str, value: float) -> None:
    _require(math.isfinite(value) and value > 0, f"{name} must be > 0, got {value}")


def _non_negative(name: str, value: float) -> None:
    _require(math.isfinite(value) and value >= 0, f"{name} must be >= 0, got {value}")


class Distribution:
    """Base class: subclasses are frozen dataclasses whose fields are their parameters."""

    name: ClassVar[str]
    summary: ClassVar[str]

    def sample(self, rng: np.random.Generator, size: int | None = None):
        """One value (``size=None``) or a numpy array of ``size`` values."""
        raise NotImplementedError

    def mean(self) -> float:
        raise NotImplementedError

    def support(self) -> tuple[float, float]:
        """The closed interval that holds every value this distribution can produce."""
        raise NotImplementedError

    def constant_value(self) -> float | None:
        """The value if the distribution always produces the same one, else ``None``."""
        low, high = self.support()
        return low if low == high else None

    def parameters(self) -> dict[str, Any]:
        """The parameters under their TOML key names (a field's ``key`` metadata)."""
        return {key: getattr(self, name) for key, name in _keys_of(type(self)).items()}

    def to_dict(self) -> dict[str, Any]:
        """The table that :func:`parse_distribution` turns back into this distribution."""
        return {"dist": self.name, **self.parameters()}

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.parameters().items())
        return f"{type(self).__name__}({arguments})"


def _keys_of(cls: type[Distribution]) -> dict[str, str]:
    """TOML key -> dataclass field name for a distribution class (a dataclass)."""
    return {
        f.metadata.get("key", f.name): f.name
        for f in fields(cls)  # type: ignore[arg-type]
        if f.name != "source"
    }
