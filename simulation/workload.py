"""Server-side update sources.

The workload creates updates at the server from ``start_s`` on: ``periodic`` every
``1 / rate_per_s`` seconds (the first at ``start_s``) or ``poisson`` with exponential gaps
of mean ``1 / rate_per_s`` (the first one gap after ``start_s``). Each update has a payload
size in bytes drawn from ``payload_bytes`` (rounded to whole bytes) and an audience: every
client (``"all"``) or one client drawn uniformly (``"one"``). Random streams used:
``workload.arrivals``, ``workload.payload``, ``workload.audience``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import simpy

from .distributions import Constant, Distribution
from .messages import Update
from .recorder import Recorder
from .rng import RandomStreams, Sampler
from .schema import param

__all__ = ["WORKLOAD_KINDS", "Workload", "WorkloadParams"]

WORKLOAD_KINDS = ("poisson", "periodic")
AUDIENCES = ("all", "one")


@dataclass(frozen=True)
class WorkloadParams:
    """The ``[workload]`` table."""

    kind: str = param(
        "poisson",
        "how update times are drawn: exponential gaps, or a fixed period",
        choices=WORKLOAD_KINDS,
        source="Poisson arrivals: the usual model of independent events",
    )
    rate_per_s: float = param(
        1.0, "updates created per second (mean rate)", unit="1/s", gt=0, source="round number"
    )
    payload_bytes: Distribution = param(
        Constant(100.0),
        "application payload of each update (rounded to whole bytes)",
        unit="bytes",
        ge=0,
        source="a small JSON object; round number",
    )
    audience: str = param(
        "all",
        "who receives each update: every client, or one client chosen at random",
        choices=AUDIENCES,
        source="a broadcast feed (prices, scores)",
    )
    start_s: float = param(
        0.0, "when the workload starts creating updates", unit="s", ge=0, source="from t = 0"
    )


class Workload:
    """Creates updates and hands each one to ``publish`` at its creation time."""

    def __init__(
        self,
        env: simpy.Environment,
        params: WorkloadParams,
        clients: int,
        streams: RandomStreams,
        recorder: Recorder,
        publish: Callable[[Update], None],
    ):
        self.env = env
        self.params = params
        self.clients = clients
        self.recorder = recorder
        self.publish = publish
        self._arrivals = streams.generator("workload.arrivals")
        payload = params.payload_bytes
        self._payload = Sampler(
            payload,
            None if payload.constant_value() is not None else streams.generator("workload.payload"),
        )
        self._audience = (
            streams.generator("workload.audience") if params.audience == "one" else None
        )
        self.created = 0

    def start(self) -> simpy.Process:
        return self.env.process(self._run())

    def _gaps(self):
        period = 1.0 / self.params.rate_per_s
        if self.params.kind == "periodic":
            yield 0.0
            while True:
                yield period
        while True:
            yield from self._arrivals.exponential(period, 256).tolist()

    def _run(self):
        env = self.env
        if self.params.start_s > 0:
            yield env.timeout(self.params.start_s)
        for gap in self._gaps():
            if gap > 0:
                yield env.timeout(gap)
            target = None
            if self._audience is not None:
                target = int(self._audience.integers(0, self.clients))
            update = Update(self.created, env.now, max(0, round(self._payload())), target)
            self.created += 1
            self.recorder.update(update)
            self.publish(update)
