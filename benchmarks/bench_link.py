"""Link throughput: rtsim's channel with full records against a lean SimPy loop.

Both push the same Poisson packets (same arrival times, same sizes) through one direction
with a 50 ms latency and a bandwidth limit, in the same process, and the report is the
ratio of their packets per second: machines are noisy, so only ratios measured in one run
are comparable.
"""

from __future__ import annotations

import time

import numpy as np
import simpy

from simulation.channel import Channel
from simulation.distributions import Constant
from simulation.messages import DOWN, Message
from simulation.recorder import Recorder
from simulation.rng import RandomStreams
from simulation.scenario import NetworkParams

LATENCY_S = 0.05
BANDWIDTH_BPS = 10e6
SIZE_BYTES = 500
RATE_PER_S = 2000.0  # utilisation 0.8 at 10 Mbit/s with 500-byte packets


def arrivals(packets: int, seed: int = 1) -> list[float]:
    return np.random.default_rng(seed).exponential(1 / RATE_PER_S, packets).tolist()


def run_rtsim(gaps: list[float]) -> int:
    """The channel path used by every strategy, with every transfer recorded."""
    env = simpy.Environment()
    recorder = Recorder()
    received = []
    network = NetworkParams(latency_s=Constant(LATENCY_S), bandwidth_bps=BANDWIDTH_BPS)
    channel = Channel(env, 0, network, RandomStreams(1), recorder, None, received.append)

    def source():
        for gap in gaps:
            yield env.timeout(gap)
            channel.send(Message(0, DOWN, "data", SIZE_BYTES, 0))

    env.process(source())
    env.run()
    recorder.dataframes(env.now)
    return len(received)


def run_lean(gaps: list[float]) -> int:
    """The same arithmetic written by hand: next free time + one timeout, no records."""
    env = simpy.Environment()
    state = {"free_at": 0.0, "received": 0}
    service = SIZE_BYTES * 8 / BANDWIDTH_BPS

    def deliver(_event):
        state["received"] += 1

    def source():
        for gap in gaps:
            yield env.timeout(gap)
            start = max(env.now, state["free_at"])
            state["free_at"] = start + service
            env.timeout(state["free_at"] + LATENCY_S - env.now).callbacks.append(deliver)

    env.process(source())
    env.run()
    return state["received"]


def measure(function, gaps, repeats: int) -> float:
    """Best packets per second over ``repeats`` runs."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        delivered = function(gaps)
        best = min(best, time.perf_counter() - started)
        assert delivered == len(gaps)
    return len(gaps) / best


def bench(packets: int = 200_000, repeats: int = 3) -> list[dict]:
    gaps = arrivals(packets)
    rtsim = measure(run_rtsim, gaps, repeats)
    lean = measure(run_lean, gaps, repeats)
    return [
        {
            "benchmark": "link",
            "measure": "packets/s, rtsim with records / lean SimPy loop",
            "value": rtsim,
            "baseline": lean,
            "ratio": rtsim / lean,
            "target": 0.7,
            "met": rtsim / lean >= 0.7,
        }
    ]
