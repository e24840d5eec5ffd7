"""What-if faults: link outages, server restarts, a proxy's idle timeout, latency spikes and
bursts of packet loss, in a ``[faults]`` table usable in any scenario::

    [faults]
    outages = [{ start_s = 60.0, duration_s = 20.0 }]   # every client's link is down
    outage_rate_per_s = 0.0              # and/or random outages (Poisson) ...
    outage_duration_s = 5.0              # ... lasting this long (number or distribution)
    server_restarts_s = [120.0]          # every connection is dropped at these times
    proxy_idle_timeout_s = 30.0          # a proxy closes connections silent this long
    latency_spikes = [{ start_s = 30.0, duration_s = 10.0, extra_s = 0.5 }]

    [faults.loss_bursts]                 # Gilbert-Elliott loss, per link direction
    p_enter = 0.01                       # per message: good -> bad
    p_leave = 0.2                        # per message: bad -> good
    loss_in_burst = 0.5
    loss_outside = 0.0

Timing assumed: an outage covers every client's channel, both directions: a message whose
transmission would start during it is lost (the transport's timer resends the earliest lost
message with an RTO that doubles while the outage lasts; once a resend gets through and is
acknowledged, the other lost messages follow at once). Random outages start at Poisson
times (stream ``faults.outages``) and may overlap. A server restart closes every open
connection at that instant (reason ``server-restart``); clients notice at once and
reconnect as their strategy does; the server keeps its state (an SSE history, buffered
messages), as if it lived in a shared store. A latency spike adds ``extra_s`` to the
latency of every message that starts during it. The Gilbert-Elliott chain of each link
direction steps once per message (stream ``link.<client>.<direction>.bursts``); in the bad
state messages are lost with ``loss_in_burst``, in the good state with ``loss_outside`` (on
top of ``[network] loss``).
"""

from __future__ import annotations

import bisect
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .distributions import Constant, Distribution
from .errors import ScenarioError, unknown_key_message
from .inputs import shown
from .schema import param

__all__ = ["FaultParams", "Faults", "LossBursts", "Windows"]


def _number(value: Any, where: str, minimum: float = 0.0, strict: bool = False) -> float:
    """A finite number (numpy numbers too) >= ``minimum`` (> with ``strict``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or math.isnan(value):
        raise ScenarioError(f"{where}: expected a number, got {shown(value)}")
    if math.isinf(value):
        raise ScenarioError(f"{where}: must be a finite number, got {value!r}")
    if value < minimum or (strict and value == minimum):
        raise ScenarioError(
            f"{where}: must be {'>' if strict else '>='} {minimum:g}, got {value!r}"
        )
    return float(value)


@dataclass(frozen=True)
class Windows:
    """Time windows ``[{ start_s, duration_s }]``, kept as ``(start, end, extra)``."""

    items: tuple[tuple[float, float, float], ...] = ()
    EXTRA_KEY = ""  # a third key some windows carry, e.g. a latency spike's extra_s
    type_text = "list of tables"
    default_text = "[]"

    @classmethod
    def from_toml(cls, value: Any, where: str) -> Windows:
        if isinstance(value, cls):
            return value
        if not isinstance(value, list):
            raise ScenarioError(
                f"{where}: expected a list of tables like "
                f"[{{ start_s = 10.0, duration_s = 5.0 }}], got {shown(value)}"
            )
        extra_key = cls.EXTRA_KEY
        allowed = {"start_s", "duration_s"} | ({extra_key} if extra_key else set())
        items = []
        for index, window in enumerate(value):
            here = f"{where}[{index}]"
            if not isinstance(window, Mapping):
                raise ScenarioError(f"{here}: expected a table, got {shown(window)}")
            for key in window:
                if key not in allowed:
                    raise ScenarioError(unknown_key_message(here, key, allowed))
            for key in sorted(allowed):
                if key not in window:
                    raise ScenarioError(f"{here}: missing key {key!r}")
            start = _number(window["start_s"], f"{here}.start_s")
            duration = _number(window["duration_s"], f"{here}.duration_s", strict=True)
            extra = _number(window[extra_key], f"{here}.{extra_key}") if extra_key else 0.0
            items.append((start, start + duration, extra))
        return cls(tuple(sorted(items)))

    def to_toml(self) -> list[dict[str, float]]:
        rows = []
        for start, end, extra in self.items:
            row = {"start_s": start, "duration_s": end - start}
            if self.EXTRA_KEY:
                row[self.EXTRA_KEY] = extra
            rows.append(row)
        return rows

    def __bool__(self) -> bool:
        return bool(self.items)


class OutageWindows(Windows):
    """Outages: ``[{ start_s, duration_s }]``."""


class SpikeWindows(Windows):
    """Latency spikes: ``[{ start_s, duration_s, extra_s }]``."""

    EXTRA_KEY = "extra_s"


@dataclass(frozen=True)
class Times:
    """A list of times in seconds, e.g. server restarts."""

    values: tuple[float, ...] = ()
    type_text = "list of numbers"
    default_text = "[]"

    @classmethod
    def from_toml(cls, value: Any, where: str) -> Times:
        if isinstance(value, Times):
            return value
        if not isinstance(value, list):
            raise ScenarioError(f"{where}: expected a list of times in seconds, got {shown(value)}")
        return cls(tuple(sorted(_number(v, f"{where}[{i}]") for i, v in enumerate(value))))

    def to_toml(self) -> list[float]:
        return list(self.values)


@dataclass(frozen=True)
class LossBursts:
    """Gilbert-Elliott parameters (per message, per link direction)."""

    p_enter: float = 0.0
    p_leave: float = 1.0
    loss_in_burst: float = 0.0
    loss_outside: float = 0.0
    type_text = "table"
    default_text = "none"

    @classmethod
    def from_toml(cls, value: Any, where: str) -> LossBursts:
        if isinstance(value, LossBursts):
            return value
        if not isinstance(value, Mapping):
            raise ScenarioError(f"{where}: expected a table, got {shown(value)}")
        names = {"p_enter", "p_leave", "loss_in_burst", "loss_outside"}
        for key in value:
            if key not in names:
                raise ScenarioError(unknown_key_message(where, key, names))
        numbers = {}
        for key in names:
            if key in value:
                number = _number(value[key], f"{where}.{key}")
                if number > 1:
                    raise ScenarioError(f"{where}.{key}: a probability is <= 1, got {number!r}")
                numbers[key] = number
        bursts = cls(**numbers)
        if bursts.p_enter > 0 and bursts.p_leave == 0:
            raise ScenarioError(f"{where}.p_leave: must be > 0, or a burst never ends")
        return bursts

    def to_toml(self) -> dict[str, float]:
        return {
            "p_enter": self.p_enter,
            "p_leave": self.p_leave,
            "loss_in_burst": self.loss_in_burst,
            "loss_outside": self.loss_outside,
        }

    @property
    def active(self) -> bool:
        return self.p_enter > 0 or self.loss_outside > 0

    def stationary_loss(self) -> float:
        """Long-run loss probability: bad-state share times its loss, plus the good one."""
        if self.p_enter == 0:
            return self.loss_outside
        bad = self.p_enter / (self.p_enter + self.p_leave)
        return bad * self.loss_in_burst + (1 - bad) * self.loss_outside


@dataclass(frozen=True)
class FaultParams:
    """The ``[faults]`` table."""

    outages: OutageWindows = param(
        OutageWindows(), "link outages: [{ start_s, duration_s }], every client's channel"
    )
    outage_rate_per_s: float = param(
        0.0, "random outages per second (Poisson)", unit="1/s", ge=0, source="none"
    )
    outage_duration_s: Distribution = param(
        Constant(5.0), "length of each random outage", unit="s", gt=0, source="round number"
    )
    server_restarts_s: Times = param(
        Times(), "times at which the server restarts and drops every connection", unit="s"
    )
    proxy_idle_timeout_s: float = param(
        math.inf,
        "a proxy closes connections silent for this long",
        unit="s",
        gt=0,
        source="no proxy unless asked for",
    )
    latency_spikes: SpikeWindows = param(
        SpikeWindows(), "windows of extra latency: [{ start_s, duration_s, extra_s }]"
    )
    loss_bursts: LossBursts = param(
        LossBursts(),
        "Gilbert-Elliott loss: { p_enter, p_leave, loss_in_burst, loss_outside }",
    )

    @property
    def any(self) -> bool:
        return bool(
            self.outages
            or self.outage_rate_per_s > 0
            or self.server_restarts_s.values
            or math.isfinite(self.proxy_idle_timeout_s)
            or self.latency_spikes
            or self.loss_bursts.active
        )


class Faults:
    """The faults of one run: outage windows drawn up front, checked per message."""

    def __init__(self, params: FaultParams, duration_s: float, streams):
        self.params = params
        windows = [(start, end) for start, end, _ in params.outages.items]
        if params.outage_rate_per_s > 0:
            rng = streams.generator("faults.outages")
            durations = params.outage_duration_s
            t = 0.0
            while True:
                t += rng.exponential(1 / params.outage_rate_per_s)
                if t >= duration_s:
                    break
                length = (
                    durations.sample(rng)
                    if durations.constant_value() is None
                    else (durations.constant_value())
                )
                windows.append((t, t + float(length)))
        self.outages = _merge(windows)
        self._outage_starts = [start for start, _ in self.outages]
        self.spikes = params.latency_spikes.items
        self.bursts = params.loss_bursts if params.loss_bursts.active else None

    def in_outage(self, time: float) -> bool:
        index = bisect.bisect_right(self._outage_starts, time) - 1
        return index >= 0 and time < self.outages[index][1]

    def extra_latency(self, time: float) -> float:
        return sum(extra for start, end, extra in self.spikes if start <= time < end)

    def fault_ends(self) -> list[float]:
        """When each outage and restart ends: the starting points of recovery."""
        return sorted([end for _, end in self.outages] + list(self.params.server_restarts_s.values))


def _merge(windows: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
