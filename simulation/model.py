"""Builds one simulation: environment, random streams, recorder, channels, strategy, workload.

Data flow: the workload creates updates at the server and hands them to the strategy; the
strategy's client and server behaviours exchange messages over one channel per client; every
message and every delivery is reported to the recorder.

Given a :class:`~simulation.sharding.ClientRange`, the model is that part of a run split
by client: its strategy, channels and recorder see the part's clients only, numbered from
0, drawing from the streams of their numbers in the whole run (:mod:`simulation.sharding`).
"""

from __future__ import annotations

from collections.abc import Callable

import simpy

from .channel import Channel
from .collector import fewer_full_collections
from .faults import Faults
from .messages import Message, Update
from .record import RecordSetup, make_recorder
from .recorder import Recorder
from .rng import RandomStreams
from .run_stats import RunStats
from .scenario import Scenario
from .server import Server
from .sharding import ClientRange, ShardStreams, ShardSummaryRecorder
from .strategies import STRATEGIES
from .strategies.context import StrategyContext
from .transport import Transport
from .workload import Workload

__all__ = ["Model"]


class Model:
    """One run of ``scenario`` with ``seed``; call :meth:`run` once."""

    def __init__(self, scenario: Scenario, seed: int, part: ClientRange | None = None):
        self.scenario = scenario
        self.seed = seed
        self.part = part
        self.first = 0 if part is None else part.first
        clients = scenario.clients if part is None else part.count
        self.env = simpy.Environment()
        self.streams = RandomStreams(seed) if part is None else ShardStreams(seed, part)
        self.server = Server(self.env, scenario.server, self.streams, series=part is not None)
        self.faults = (
            Faults(scenario.faults, scenario.duration_s, self.streams)
            if scenario.faults.any
            else None
        )
        groups = tuple((g.first, g.count) for g in scenario.groups) or ((0, scenario.clients),)
        if part is not None:
            groups = part.groups(groups)
        setup = RecordSetup(
            warmup_s=scenario.warmup_s,
            end_s=scenario.duration_s,
            groups=groups,
            fault_ends=tuple(self.faults.fault_ends()) if self.faults is not None else (),
        )
        self.recorder: Recorder
        if part is not None and scenario.record.level == "summary":
            self.recorder = ShardSummaryRecorder(setup)
        else:
            self.recorder = make_recorder(scenario.record.level, setup)
        self.transport = Transport(
            self.env,
            scenario.transport,
            self.recorder,
            self.server,
            proxy_idle_timeout_s=scenario.faults.proxy_idle_timeout_s,
            header_sizes=scenario.http,
        )
        context = StrategyContext(
            env=self.env,
            recorder=self.recorder,
            server=self.server,
            transport=self.transport,
            transport_params=scenario.transport,
            http=scenario.http,
            streams=self.streams,
            clients=clients,
            open_channel=self.channel,
            relay=self._relay,
        )
        strategy_cls = STRATEGIES[scenario.strategy.kind]
        self.strategy = strategy_cls(context, scenario.strategy.params)
        self.workload = Workload(
            self.env,
            scenario.workload,
            [scenario.workload_up_of(client) for client in range(scenario.clients)]
            if scenario.groups
            else scenario.workload_up,
            scenario.clients,
            self.streams,
            self.recorder,
            self.strategy.publish,
            self.strategy.client_send,
            self.strategy.targets_of,
            shard=None if part is None else (part.first, part.count),
        )

    def channel(
        self,
        client: int,
        deliver_up: Callable[[Message], None] | None,
        deliver_down: Callable[[Message], None],
    ) -> Channel:
        """The channel between ``client`` and the server (used by strategies)."""
        return Channel(
            self.env,
            client,
            self.scenario.network_of(self.first + client),
            self.streams,
            self.recorder,
            deliver_up,
            deliver_down,
            self.faults,
        )

    def _relay(self, original: Update, target: int) -> Update:
        """A copy of client message ``original`` for client ``target`` (Socket.IO rooms)."""
        return self.workload.relay(original, target)

    def run(self) -> float:
        """Simulate until ``duration_s``; returns the simulated end time."""
        with fewer_full_collections():  # the heap grows all run long (collector.py)
            self.strategy.start()
            self.workload.start()
            for at in self.scenario.faults.server_restarts_s:
                self.env.timeout(at).callbacks.append(self._restart_server)
            self.env.run(until=self.scenario.duration_s)
            self.transport.finish()
        return self.env.now

    def _restart_server(self, _event) -> None:
        """Every open connection is dropped at once; clients notice and reconnect."""
        for connection in self.transport.connections:
            if not connection.closed:
                connection.close("server-restart", notify=True)

    def stats(self) -> RunStats:
        """Whole-run counters kept outside the tables (server work and memory)."""
        server = self.server
        return RunStats(
            server_requests=server.requests,
            server_busy_s=server.busy_s,
            server_workers=server.params.workers,
            server_peak_queue=server.peak_queue,
            peak_open_connections=server.peak_connections,
            peak_memory_bytes=server.peak_memory_bytes,
            server_busy_starts=server.busy_starts,
            server_busy_ends=server.busy_ends,
            fault_ends=self.faults.fault_ends() if self.faults is not None else (),
            strategy=self.strategy.stats(),
        )
