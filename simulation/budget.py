"""Is a run within this machine's means? Its size, estimated before it starts.

A run's cost follows the messages it puts on the wire: each takes about 20 µs of run time
and, with its share of the recorder's rows and the DataFrames built from them, about 350
bytes of memory; each delivery row adds about 120 bytes and each client about 3 KB (its
channel, connections and random streams). These figures were measured on a 2-core
machine (docs/performance.md, "Scaling": 9-26 µs per message; 20,000 WebSocket clients
for 10 s, 300,000 messages, peaked at 341 MB). Below ``[record] level = "full"`` the
message rows are not kept (``deliveries``), nor the delivery and update rows
(``summary``): docs/record-levels.md measures 345, 71 and 0 bytes per added message.
:func:`estimate` counts messages from the
scenario: the updates each client receives, polls, heartbeats, client messages and their
answers, reconnections, connection set-ups and retransmissions. It is meant to be right within a
factor of a few, which is enough to refuse a run that could never finish here:
:func:`check_budget` raises :class:`BudgetError` when the estimate needs more than 80% of
this machine's memory or more than a day of run time. ``rtsim run --force`` and
``run(..., force=True)`` skip the check.
"""

from __future__ import annotations

import contextlib
import math
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import ScenarioError
from .scenario import Scenario

__all__ = ["BudgetError", "Estimate", "Means", "check_budget", "estimate", "machine_means"]

SECONDS_PER_MESSAGE = 20e-6
SECONDS_PER_DELIVERY = 2e-6
SECONDS_PER_CLIENT = 50e-6
SECONDS_PER_OTHER_EVENT = 1e-6
BYTES_PER_MESSAGE = 350
BYTES_PER_ROW = 120  # a delivery or an update row
BYTES_PER_CLIENT = 3_000  # docs/performance.md, "Memory per client": 2.5-3.4 KB
BYTES_PER_OTHER_EVENT = 100
BASE_BYTES = 120 * 2**20  # Python, numpy, pandas and SimPy loaded
FALLBACK_MEMORY_BYTES = 24 * 2**30  # when the machine's memory cannot be read
MEMORY_SHARE = 0.8
MAX_WALL_S = 24 * 3600.0
SETUP_MESSAGES = {"none": 2, "1.3": 4, "1.2": 6}  # SYN, SYN-ACK and the TLS flights


class BudgetError(ScenarioError):
    """A run is estimated to need far more memory or time than this machine has."""


@dataclass(frozen=True)
class Estimate:
    """The estimated size of one run."""

    messages: float
    deliveries: float
    other_events: float  # e.g. outages drawn before the run
    clients: int
    memory_bytes: float
    wall_s: float

    def describe(self) -> str:
        return (
            f"about {_count(self.messages)} messages and {_count(self.deliveries)} deliveries "
            f"over {self.clients:,} client{'' if self.clients == 1 else 's'}: "
            f"{_bytes(self.memory_bytes)} of memory and "
            f"{_duration(self.wall_s)} of run time"
        )


@dataclass(frozen=True)
class Means:
    """What one run may use: memory in bytes, run time in seconds."""

    memory_bytes: float
    wall_s: float = MAX_WALL_S


def machine_means(workers: int = 1) -> Means:
    """80% of this machine's memory (or its cgroup limit), shared by ``workers`` runs."""
    total = float(FALLBACK_MEMORY_BYTES)
    with contextlib.suppress(AttributeError, ValueError, OSError):  # no sysconf: Windows
        total = float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit.isdigit():
            total = min(total, float(limit))
    except OSError:
        pass
    return Means(memory_bytes=MEMORY_SHARE * total / max(1, workers))


def _arrivals_per_s(params, duration_s: float) -> float:
    """Mean arrivals per second of one arrival process over the run."""
    if params.kind == "trace":
        trace = params.trace
        return sum(1 for t in trace.times if t <= duration_s) / duration_s if trace else 0.0
    if params.start_s >= duration_s:
        return 0.0
    rate = params.rate_per_s * (duration_s - params.start_s) / duration_s
    if params.kind == "bursty":
        on, off = params.on_s.mean(), params.off_s.mean()
        rate *= on / (on + off) if on + off > 0 else 1.0
    return rate


def _per_s(interval_s: float) -> float:
    return 1.0 / interval_s if interval_s > 0 else math.inf


def estimate(scenario: Scenario) -> Estimate:
    """Messages, deliveries, memory (bytes) and run time (seconds) of one run."""
    clients = scenario.clients
    duration = scenario.duration_s
    workload = scenario.workload
    kind = scenario.strategy.kind
    params = scenario.strategy.params
    transport = scenario.transport
    setup = SETUP_MESSAGES.get(transport.tls, 6) if kind != "stream" else 0

    updates_per_s = _arrivals_per_s(workload, duration)
    if workload.kind == "trace" and workload.trace is not None:
        trace = workload.trace
        targets = [c for t, c in zip(trace.times, trace.clients, strict=True) if t <= duration]
        everyone = sum(1 for c in targets if c < 0)
        deliveries_per_s = (everyone * clients + len(targets) - everyone) / duration
    else:
        deliveries_per_s = updates_per_s * (clients if workload.audience == "all" else 1)
    up_per_client_s = 0.0
    if scenario.workload_up is not None:
        up_per_client_s = _arrivals_per_s(scenario.workload_up, duration)
        if scenario.workload_up.kind == "trace":  # a trace's rows are the clients' total
            up_per_client_s /= clients
    up_per_s = up_per_client_s * clients

    per_client_s = 0.0  # messages per second of one client beyond the updates it receives
    pushed = deliveries_per_s  # one message per update and client
    if kind == "short-polling":
        pushed = 0.0  # updates ride in poll responses
        per_poll = 2 + (0 if transport.keep_alive else setup)
        per_client_s = per_poll * _per_s(params.interval_s)
    elif kind == "long-polling":
        pushed = 2 * deliveries_per_s  # each answer is followed by the next request
        per_client_s = 2 * _per_s(params.hold_timeout_s)
    elif kind == "sse":
        per_client_s = _per_s(params.comment_interval_s) + (setup + 2) * _per_s(params.max_stream_s)
    elif kind in ("websocket", "socketio"):
        per_client_s = 2 * _per_s(params.ping_interval_s)
        if kind == "websocket":
            per_client_s += (setup + 2) * _per_s(params.max_connection_s)
    timeouts = min(transport.idle_timeout_s, scenario.faults.proxy_idle_timeout_s)
    if kind != "stream":
        per_client_s += (setup + 2) * _per_s(timeouts)

    fanout_per_s = 0.0
    for room in getattr(params, "rooms", ()):
        fanout_per_s += up_per_client_s * room.members * (room.members - 1)

    messages = duration * (
        pushed + clients * per_client_s + 2 * up_per_s + fanout_per_s
    ) + clients * (setup + 2) * (1 + getattr(params, "other_tabs", 0))
    messages /= 1.0 - scenario.network.loss
    if kind != "stream":  # resends while the link is down: every rto, doubling to rto_max
        faults = scenario.faults
        down_s = sum(outage.duration_s for outage in faults.outages)
        down_s += duration * faults.outage_rate_per_s * faults.outage_duration_s.mean()
        if down_s > 0:
            doublings = math.log2(max(1.0, transport.rto_max_s / transport.rto_s))
            messages += clients * (doublings + down_s / transport.rto_max_s)
    deliveries = duration * (deliveries_per_s + up_per_s + fanout_per_s)
    updates = duration * (updates_per_s + up_per_s)
    other_events = duration * scenario.faults.outage_rate_per_s
    level = scenario.record.level  # which rows the run keeps (record.py)
    kept_messages = messages if level == "full" else 0.0
    kept_rows = deliveries + updates if level != "summary" else 0.0
    memory = (
        BASE_BYTES
        + BYTES_PER_MESSAGE * kept_messages
        + BYTES_PER_ROW * kept_rows
        + BYTES_PER_CLIENT * clients
        + BYTES_PER_OTHER_EVENT * other_events
    )
    wall = (
        SECONDS_PER_MESSAGE * messages
        + SECONDS_PER_DELIVERY * deliveries
        + SECONDS_PER_CLIENT * clients
        + SECONDS_PER_OTHER_EVENT * other_events
    )
    return Estimate(messages, deliveries, other_events, clients, memory, wall)


def check_budget(scenario: Scenario, means: Means | None = None) -> Estimate:
    """The run's :class:`Estimate`; raises :class:`BudgetError` if it is beyond ``means``.

    ``means`` defaults to :func:`machine_means` (one run at a time). The message names the
    scenario, gives the estimate and says how to proceed.
    """
    means = means or machine_means()
    size = estimate(scenario)
    if size.memory_bytes > means.memory_bytes or size.wall_s > means.wall_s:
        limit = (
            f"more than the {_bytes(means.memory_bytes)} of memory this machine can give a run"
            if size.memory_bytes > means.memory_bytes
            else f"more than {_duration(means.wall_s)} of run time"
        )
        raise BudgetError(
            f"{scenario.source}: too large to run here: {size.describe()}, {limit}. "
            "Shorten duration_s, use fewer clients or lower rates (or longer intervals), "
            "or pass --force (run(..., force=True)) to run it anyway"
        )
    return size


def _count(value: float) -> str:
    if not math.isfinite(value):
        return "infinitely many"
    return f"{float(f'{value:.2g}'):,.0f}" if value < 1e15 else f"{value:.2g}"


def _bytes(value: float) -> str:
    if not math.isfinite(value):
        return "unbounded"
    for unit, size in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if value >= size:
            return f"{value / size:,.3g} {unit}"
    return f"{value / 1e3:.3g} kB"


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "unbounded"
    for unit, size in (("years", 365 * 86400), ("days", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:,.3g} {unit}"
    return f"{seconds:.2g} s"
