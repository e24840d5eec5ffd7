"""Runs split by client: which scenarios can be, and what each part of such a run is.

``run(scenario, shards=N)`` (:mod:`simulation.shards`) splits the clients into ``N``
consecutive ranges, simulates each range in its own process as a :class:`ClientRange`
of the whole run, and merges the parts (:mod:`simulation.merge`). Every random stream of a
client is named by its number (``link.<client>.down.latency``, ``workload.up.<client>``),
and the workload's own streams are drawn alike in every part, so where clients do not
interact a part draws exactly what its clients draw in the whole run.

A part numbers its clients from 0 (the strategies keep lists by client number);
:class:`ShardStreams` gives each of them its stream by its number in the whole run, and
starts the stream of per-client values drawn as one array (``clients.phase``) at the
part's first client. Streams that several clients draw from in the order events happen
(a server's random service times, reconnection jitter, client message sizes) would give
each part other values than the whole run: :func:`interactions` refuses the scenarios
that certainly draw from them, and a part that drew from one anyway fails
(:meth:`ShardStreams.check`) rather than return different numbers.
"""

from __future__ import annotations

import math
import re
from array import array
from dataclasses import dataclass

import numpy as np

from .errors import ScenarioError
from .record import RecordSetup, SummaryRecorder
from .rng import RandomStreams
from .scenario import Scenario
from .strategies import STRATEGIES

__all__ = [
    "ClientRange",
    "ShardError",
    "ShardStreams",
    "ShardSummaryRecorder",
    "check_shardable",
    "interactions",
    "split",
]


class ShardError(ScenarioError):
    """A scenario whose clients interact cannot be split by client."""


@dataclass(frozen=True)
class ClientRange:
    """Clients ``first`` to ``first + count - 1`` of a run of ``total`` clients."""

    index: int
    first: int
    count: int
    total: int

    def groups(self, groups: tuple[tuple[int, int], ...]) -> tuple[tuple[int, int], ...]:
        """Each (first, count) client group of the whole run, cut to this range and
        numbered from this range's first client (a group outside it has no clients)."""
        cut = []
        end = self.first + self.count
        for first, count in groups:
            low, high = max(first, self.first), min(first + count, end)
            cut.append((min(low, end) - self.first, max(0, high - low)))
        return tuple(cut)


def split(clients: int, shards: int) -> list[ClientRange]:
    """``shards`` consecutive ranges of ``clients``, sizes differing by at most one."""
    if isinstance(shards, bool) or not isinstance(shards, int) or shards < 1:
        raise ShardError(f"shards must be a whole number >= 1, got {shards!r}")
    if shards > clients:
        raise ShardError(f"shards = {shards}: more parts than the scenario's {clients} clients")
    base, extra = divmod(clients, shards)
    ranges, first = [], 0
    for index in range(shards):
        count = base + (index < extra)
        ranges.append(ClientRange(index, first, count, clients))
        first += count
    return ranges


# Streams several clients draw from in the order events happen, and why they interact
EVENT_ORDER_STREAMS = {
    "server.service": "random service times are drawn from one stream, in the order "
    "requests arrive ([server] service_time_s)",
    "server.push": "random push times are drawn from one stream, in the order pushes "
    "are made ([server] push_time_s)",
    "websocket.reconnect": "reconnection delays are jittered from one stream shared by every "
    "client, in the order they reconnect (strategy.randomization_factor > 0)",
    "socketio.reconnect": "reconnection delays are jittered from one stream shared by every "
    "client, in the order they reconnect (strategy.randomization_factor > 0)",
    "workload.up.payload": "client message sizes are drawn from one stream, in the order "
    "messages are created ([workload.up] payload_bytes is random)",
}
# Streams drawn alike in every part (the workload's and the fault schedule's)
WHOLE_RUN_STREAMS = (
    "workload.arrivals",
    "workload.payload",
    "workload.on",
    "workload.off",
    "workload.audience",
    "workload.up.phase",
    "faults.outages",
)
_LINK = re.compile(r"link\.(\d+)\.(.*)")
_PER_CLIENT = re.compile(r"workload\.up\.\d+(\.on|\.off)?")
_UP_PAYLOAD = re.compile(r"workload\.up\.payload(\.\d+)?")


class ShardStreams(RandomStreams):
    """The streams of one :class:`ClientRange`: client ``c`` here draws from the streams
    of client ``first + c`` of the whole run (see the module docstring)."""

    def __init__(self, seed: int, part: ClientRange):
        super().__init__(seed)
        self.part = part

    def seed_sequence(self, name: str) -> np.random.SeedSequence:
        link = _LINK.fullmatch(name)
        if link is not None:
            name = f"link.{int(link.group(1)) + self.part.first}.{link.group(2)}"
        return super().seed_sequence(name)

    def generator(self, name: str) -> np.random.Generator:
        new = name not in self._generators
        generator = super().generator(name)
        if new and name == "clients.phase":  # one value per client, drawn as one array
            generator.bit_generator.advance(self.part.first)  # type: ignore[attr-defined]
        return generator

    def check(self) -> None:
        """Fail if this part drew from a stream that clients share in event order."""
        for name, generator in self._generators.items():
            if _LINK.fullmatch(name) or _PER_CLIENT.fullmatch(name):
                continue
            if name in WHOLE_RUN_STREAMS or name == "clients.phase":
                continue
            fresh = RandomStreams(self.seed).generator(name)
            if generator.bit_generator.state == fresh.bit_generator.state:
                continue  # created but never drawn from
            key = "workload.up.payload" if _UP_PAYLOAD.fullmatch(name) else name
            why = EVENT_ORDER_STREAMS.get(key, "it is not known to be drawn per client")
            raise ShardError(
                f"cannot split this run by client: stream {name!r} was drawn from: {why}"
            )


class ShardSummaryRecorder(SummaryRecorder):
    """The summary level's recorder, keeping every change of the open connections too
    (group, time, change), so that the parts' peaks can be merged."""

    def __init__(self, setup: RecordSetup):
        super().__init__(setup)
        self.series = (array("q"), array("d"), array("b"))

    def _step(self, group: int, at: float, change: int) -> None:
        groups, times, changes = self.series
        groups.append(group)
        times.append(at)
        changes.append(change)
        super()._step(group, at, change)


def interactions(scenario: Scenario) -> list[str]:
    """Why the clients of ``scenario`` interact (empty: it can be split by client)."""
    found = []
    server = scenario.server
    if math.isfinite(server.workers):
        found.append(f"[server] workers = {server.workers:g}: clients queue for the same workers")
    if server.service_time_s.constant_value() is None:
        found.append("[server] service_time_s is random: " + EVENT_ORDER_STREAMS["server.service"])
    if server.pushes_take_time and STRATEGIES[scenario.strategy.kind].pushes:
        if server.push_fanout == "serial":
            found.append(
                '[server] push_fanout = "serial" with a push time: each client waits for '
                "the pushes to the clients before it"
            )
        elif server.push_time_s.constant_value() is None:
            found.append("[server] push_time_s is random: " + EVENT_ORDER_STREAMS["server.push"])
    strategy = scenario.strategy
    params = strategy.params
    if strategy.kind == "socketio":
        found.append(
            "Socket.IO: broadcasts fan out to rooms of clients at a server cost per "
            "recipient, and its metrics (acks, fan-out times) are taken over all clients"
        )
    if strategy.kind == "websocket" and params.randomization_factor > 0:
        faults = scenario.faults
        if faults.server_restarts_s or faults.outages or faults.outage_rate_per_s > 0:
            found.append(
                "strategy.randomization_factor > 0 with faults that drop connections: "
                + EVENT_ORDER_STREAMS["websocket.reconnect"]
            )
    phase = params.phase_s if strategy.kind == "short-polling" else None
    if phase is not None and phase.constant_value() is None:
        found.append(
            "strategy.phase_s is random: every client's phase is drawn from one "
            "stream in blocks (leave phase_s unset for uniform phases)"
        )
    if strategy.kind == "sse" and _targeted(scenario):
        found.append(
            "SSE with updates for one client: the server keeps one event history for "
            "every client, and a reconnecting client's replay reads it by position"
        )
    ups = (
        [scenario.workload_up_of(c) for c in range(scenario.clients)]
        if scenario.groups
        else [scenario.workload_up]
    )
    for up in ups:
        if up is not None and up.trace is None and up.payload_bytes.constant_value() is None:
            found.append("[workload.up] " + EVENT_ORDER_STREAMS["workload.up.payload"])
            break
    return found


def _targeted(scenario: Scenario) -> bool:
    workload = scenario.workload
    if workload.trace is not None:
        return any(client >= 0 for client in workload.trace.clients)
    return workload.audience == "one"


def check_shardable(scenario: Scenario, shards: int) -> list[ClientRange]:
    """The parts of ``scenario`` split ``shards`` ways, or a :class:`ShardError` naming
    the first way its clients interact."""
    ranges = split(scenario.clients, shards)
    found = interactions(scenario)
    if found and shards > 1:
        raise ShardError(f"{scenario.source}: cannot split this run by client: {found[0]}")
    return ranges
