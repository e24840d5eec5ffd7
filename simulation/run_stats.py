"""Whole-run counters kept outside the per-row tables: server work, memory, and each
strategy's own counts. A :class:`~simulation.result.Result` holds one :class:`RunStats`.

Times are seconds of simulated time, sizes bytes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

__all__ = ["RunStats", "StrategyStats"]


@dataclass(frozen=True)
class StrategyStats:
    """What a strategy counted over the whole run."""

    reconnects: int = 0  # times a client set up again after losing its connection
    missed_updates: int = 0  # (update, client) pairs that will never be delivered
    pending_updates: int = 0  # (update, client) pairs still on their way at the end
    replayed_updates: int = 0  # SSE: events sent again after a reconnect (Last-Event-ID)
    replay_lost_updates: int = 0  # SSE: events the server no longer held for a replay
    acks: int = 0  # Socket.IO: acknowledgements the clients received
    # the strategy's declared metrics (Strategy.metrics), and per-room ones named at run time
    metrics: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class RunStats:
    """The server's whole-run counters, the fault schedule and the strategy's counts."""

    server_requests: int = 0  # requests the server served
    server_busy_s: float = 0.0  # worker time spent serving, summed over workers
    server_workers: float = math.inf  # workers (inf: no limit)
    server_peak_queue: int = 0  # most requests waiting for a worker at once
    peak_open_connections: int = 0
    peak_memory_bytes: int = 0  # the server's memory model at its peak
    server_busy_starts: Sequence[float] = ()  # one entry per service
    server_busy_ends: Sequence[float] = ()
    fault_ends: Sequence[float] = ()  # when each outage and restart ends
    strategy: StrategyStats = field(default_factory=StrategyStats)
