"""WebSocket fan-out: every update pushed to every open socket, full model against bare.

The full model sends each broadcast as one frame per socket through the channels and
connections, with every record kept. The bare loop schedules one SimPy timeout per frame
and counts arrivals. Ratio: time(full) / time(bare). The issue sets no target here: the
figure is reported for tracking.
"""

from __future__ import annotations

import time

import simpy

from simulation import parse_scenario, run

LATENCY_S = 0.05


def run_full(sockets: int, rate_per_s: float, duration_s: float) -> int:
    scenario = parse_scenario(
        {
            "duration_s": duration_s,
            "clients": sockets,
            "network": {"latency_s": LATENCY_S},
            "strategy": {"kind": "websocket"},
            "workload": {"kind": "periodic", "rate_per_s": rate_per_s, "start_s": 1.0},
        },
        source="benchmark",
    )
    return len(run(scenario).deliveries)


def run_bare(sockets: int, rate_per_s: float, duration_s: float) -> int:
    env = simpy.Environment()
    delivered = [0]

    def count(_event):
        delivered[0] += 1

    def broadcasts():
        yield env.timeout(1.0)
        while True:
            for _socket in range(sockets):
                env.timeout(LATENCY_S).callbacks.append(count)
            yield env.timeout(1 / rate_per_s)

    env.process(broadcasts())
    env.run(until=duration_s)
    return delivered[0]


def bench(sockets: int = 10_000, rate_per_s: float = 10.0, duration_s: float = 10.0):
    started = time.perf_counter()
    full_count = run_full(sockets, rate_per_s, duration_s)
    full = time.perf_counter() - started
    started = time.perf_counter()
    run_bare(sockets, rate_per_s, duration_s)
    bare = time.perf_counter() - started
    return [
        {
            "benchmark": "ws-fanout",
            "measure": f"time, full model / bare loop ({sockets:,} sockets x "
            f"{rate_per_s:g} broadcasts/s, {full_count:,} frames)",
            "value": full,
            "baseline": bare,
            "ratio": full / bare,
            "target": None,
            "met": None,
            "lower_is_better": True,
        }
    ]
