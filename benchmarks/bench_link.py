"""Link throughput: rtsim's channel with full records against two baselines.

All three push the same Poisson packets (same arrival times, same sizes) through one
direction with a 50 ms latency and a bandwidth limit, in the same process, and the report
is the ratio of their packets per second: machines are noisy, so only ratios measured in
one run are comparable. The baselines are

* a lean SimPy loop written by hand (next-free-time arithmetic, one timeout per packet,
  no records): the floor for any SimPy model of this link;
* the ns.py network simulator's path for the same link: a ``Port`` (FIFO output buffer
  at the bandwidth), a ``Wire`` (the propagation delay) and a ``PacketSink`` recording
  each packet's arrival and wait. It needs the ``bench`` extra (``pip install -e
  '.[bench]'``); without it that row is skipped with a note.

Every run's arrival times are checked against rtsim's, so the three do the same work.
"""

from __future__ import annotations

import logging
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
LEAN_TARGET = 0.6  # at least this share of the lean loop's packets per second
NSPY_TARGET = 2.5  # at least this many times ns.py's packets per second


def arrivals(packets: int, seed: int = 1) -> list[float]:
    return np.random.default_rng(seed).exponential(1 / RATE_PER_S, packets).tolist()


def run_rtsim(gaps: list[float]) -> list[float]:
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
    return [message.received_at for message in received]


def run_lean(gaps: list[float]) -> list[float]:
    """The same arithmetic written by hand: next free time + one timeout, no records."""
    env = simpy.Environment()
    state = {"free_at": 0.0}
    arrivals = []
    service = SIZE_BYTES * 8 / BANDWIDTH_BPS

    def deliver(_event):
        arrivals.append(env.now)

    def source():
        for gap in gaps:
            yield env.timeout(gap)
            start = max(env.now, state["free_at"])
            state["free_at"] = start + service
            env.timeout(state["free_at"] + LATENCY_S - env.now).callbacks.append(deliver)

    env.process(source())
    env.run()
    return arrivals


def run_nspy(gaps: list[float]) -> list[float]:
    """ns.py's Port -> Wire -> PacketSink for the same packets (``bench`` extra)."""
    from ns.packet.packet import Packet
    from ns.packet.sink import PacketSink
    from ns.port.port import Port
    from ns.port.wire import Wire

    env = simpy.Environment()
    port = Port(env, rate=BANDWIDTH_BPS)
    wire = Wire(env, delay_dist=lambda: LATENCY_S)
    # rec_waits records each packet's wait, size, creation and arrival time (with
    # rec_arrivals on as well, ns.py would append every arrival a second time)
    sink = PacketSink(env, rec_arrivals=False, rec_waits=True)
    port.out, wire.out = wire, sink

    def source():
        for packet_id, gap in enumerate(gaps):
            yield env.timeout(gap)
            port.put(Packet(env.now, SIZE_BYTES, packet_id))

    env.process(source())
    env.run()
    return sink.arrivals[0]


def nspy_available() -> bool:
    try:
        import ns.port.port  # noqa: F401
    except ImportError:
        return False
    return True


def measure(function, gaps, repeats: int, expected: list[float] | None) -> float:
    """Best packets per second over ``repeats`` runs; every run must match ``expected``."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        arrivals = function(gaps)
        best = min(best, time.perf_counter() - started)
        if expected is not None and not np.allclose(arrivals, expected, rtol=0, atol=1e-9):
            raise AssertionError(f"{function.__name__}: arrival times differ from rtsim's")
    return len(gaps) / best


def bench(packets: int = 200_000, repeats: int = 3) -> list[dict]:
    gaps = arrivals(packets)
    expected = run_rtsim(gaps)
    assert len(expected) == packets
    rtsim = measure(run_rtsim, gaps, repeats, None)
    lean = measure(run_lean, gaps, repeats, expected)
    rows = [
        {
            "benchmark": "link",
            "measure": "packets/s, rtsim with records / lean SimPy loop",
            "value": rtsim,
            "baseline": lean,
            "ratio": rtsim / lean,
            "target": LEAN_TARGET,
            "met": rtsim / lean >= LEAN_TARGET,
        }
    ]
    if nspy_available():
        nspy = measure(run_nspy, gaps, repeats, expected)
        measure_text = "packets/s, rtsim with records / ns.py Port+Wire+PacketSink"
        rows.append(
            {
                "benchmark": "link-ns.py",
                "measure": measure_text,
                "value": rtsim,
                "baseline": nspy,
                "ratio": rtsim / nspy,
                "target": NSPY_TARGET,
                "met": rtsim / nspy >= NSPY_TARGET,
            }
        )
    else:
        logging.getLogger(__name__).warning(
            "ns.py is not installed: no link-ns.py row (pip install -e '.[bench]')"
        )
    return rows
