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
from dataclasses import dataclass

from .distributions import Constant, Distribution
from .errors import ScenarioError
from .schema import REQUIRED, param

__all__ = ["FaultParams", "Faults", "LatencySpike", "LossBursts", "Outage"]


@dataclass(frozen=True)
class Outage:
    """One outage window: ``{ start_s, duration_s }``."""

    start_s: float = param(REQUIRED, "when the outage starts", unit="s", ge=0)
    duration_s: float = param(REQUIRED, "how long it lasts", unit="s", gt=0)

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s


@dataclass(frozen=True)
class LatencySpike:
    """One window of extra latency: ``{ start_s, duration_s, extra_s }``."""

    start_s: float = param(REQUIRED, "when the spike starts", unit="s", ge=0)
    duration_s: float = param(REQUIRED, "how long it lasts", unit="s", gt=0)
    extra_s: float = param(
        REQUIRED, "latency added to every message that starts in it", unit="s", ge=0
    )

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s


@dataclass(frozen=True)
class LossBursts:
    """Gilbert-Elliott parameters (per message, per link direction)."""

    p_enter: float = param(
        0.0, "per message: probability of going from good to bad", ge=0, le=1, source="none"
    )
    p_leave: float = param(
        1.0,
        "per message: probability of going from bad to good",
        ge=0,
        le=1,
        source="a burst lasts one message unless asked for",
    )
    loss_in_burst: float = param(
        0.0, "loss probability in the bad state", ge=0, le=1, source="none"
    )
    loss_outside: float = param(
        0.0, "loss probability in the good state", ge=0, le=1, source="none"
    )

    def check(self, where: str) -> None:
        if self.p_enter > 0 and self.p_leave == 0:
            raise ScenarioError(f"{where}.p_leave: must be > 0, or a burst never ends")

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

    outages: tuple[Outage, ...] = param(
        (), "link outages: [{ start_s, duration_s }], every client's channel", source="none"
    )
    outage_rate_per_s: float = param(
        0.0, "random outages per second (Poisson)", unit="1/s", ge=0, source="none"
    )
    outage_duration_s: Distribution = param(
        Constant(5.0), "length of each random outage", unit="s", gt=0, source="round number"
    )
    server_restarts_s: tuple[float, ...] = param(
        (),
        "times at which the server restarts and drops every connection",
        unit="s",
        ge=0,
        source="none",
    )
    proxy_idle_timeout_s: float = param(
        math.inf,
        "a proxy closes connections silent for this long",
        unit="s",
        gt=0,
        source="no proxy unless asked for",
    )
    latency_spikes: tuple[LatencySpike, ...] = param(
        (), "windows of extra latency: [{ start_s, duration_s, extra_s }]", source="none"
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
            or self.server_restarts_s
            or math.isfinite(self.proxy_idle_timeout_s)
            or self.latency_spikes
            or self.loss_bursts.active
        )


class Faults:
    """The faults of one run: outage windows drawn up front, checked per message."""

    def __init__(self, params: FaultParams, duration_s: float, streams):
        self.params = params
        windows = [(outage.start_s, outage.end_s) for outage in params.outages]
        if params.outage_rate_per_s > 0:
            rng = streams.generator("faults.outages")
            durations = params.outage_duration_s
            t = 0.0
            while True:
                t += rng.exponential(1 / params.outage_rate_per_s)
                if t >= duration_s:
                    break
                constant = durations.constant_value()
                length = durations.sample(rng) if constant is None else constant
                windows.append((t, t + float(length)))
        self.outages = _merge(windows)
        self._outage_starts = [start for start, _ in self.outages]
        self.spikes = [
            (spike.start_s, spike.end_s, spike.extra_s) for spike in params.latency_spikes
        ]
        self.bursts = params.loss_bursts if params.loss_bursts.active else None

    def in_outage(self, time: float) -> bool:
        index = bisect.bisect_right(self._outage_starts, time) - 1
        return index >= 0 and time < self.outages[index][1]

    def extra_latency(self, time: float) -> float:
        return sum(extra for start, end, extra in self.spikes if start <= time < end)

    def fault_ends(self) -> list[float]:
        """When each outage and restart ends: the starting points of recovery."""
        return sorted([end for _, end in self.outages] + list(self.params.server_restarts_s))


def _merge(windows: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
