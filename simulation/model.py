"""Builds one simulation: environment, random streams, recorder, channels, strategy, workload.

Data flow: the workload creates updates at the server and hands them to the strategy; the
strategy's client and server behaviours exchange messages over one channel per client; every
message and every delivery is reported to the recorder.
"""

from __future__ import annotations

from collections.abc import Callable

import simpy

from .channel import Channel
from .messages import Message
from .recorder import Recorder
from .rng import RandomStreams
from .scenario import Scenario
from .strategies import STRATEGIES
from .workload import Workload

__all__ = ["Model"]


class Model:
    """One run of ``scenario`` with ``seed``; call :meth:`run` once."""

    def __init__(self, scenario: Scenario, seed: int):
        self.scenario = scenario
        self.seed = seed
        self.env = simpy.Environment()
        self.streams = RandomStreams(seed)
        self.recorder = Recorder()
        strategy_cls = STRATEGIES[scenario.strategy.kind]
        self.strategy = strategy_cls(self, scenario.strategy.params)
        self.workload = Workload(
            self.env,
            scenario.workload,
            scenario.clients,
            self.streams,
            self.recorder,
            self.strategy.publish,
        )

    def channel(
        self,
        client: int,
        deliver_up: Callable[[Message], None],
        deliver_down: Callable[[Message], None],
    ) -> Channel:
        """The channel between ``client`` and the server (used by strategies)."""
        return Channel(
            self.env,
            client,
            self.scenario.network,
            self.streams,
            self.recorder,
            deliver_up,
            deliver_down,
        )

    def run(self) -> float:
        """Simulate until ``duration_s``; returns the simulated end time."""
        self.strategy.start()
        self.workload.start()
        self.env.run(until=self.scenario.duration_s)
        return self.env.now
