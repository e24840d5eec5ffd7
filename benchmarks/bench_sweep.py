"""Sweep speed-up: 16 runs on the process executor against the same 16 run serially.

Each run takes about a second, as a sweep's runs do: with much shorter runs the worker
processes' start-up (importing numpy and pandas) would be all that is measured. The two
executors take turns, ``repeats`` times each, and the best time of each is compared (as
the link benchmark does): on a shared machine a single pair of timings varies by 20%.
"""

from __future__ import annotations

import os
import time

from simulation import parse_scenario, sweep


def bench(
    runs: int = 16, duration_s: float = 60.0, clients: int = 1000, repeats: int = 2
) -> list[dict]:
    base = parse_scenario(
        {
            "duration_s": duration_s,
            "clients": clients,
            "strategy": {"kind": "short-polling", "interval_s": 1.0},
            "workload": {"rate_per_s": 2.0},
        },
        source="benchmark",
    )
    grid = {"network.latency_s": [0.01, 0.05, 0.1, 0.2]}
    replications = runs // 4
    timings = {"serial": float("inf"), "processes": float("inf")}
    for _ in range(repeats):
        for executor in timings:
            started = time.perf_counter()
            sweep(base, grid, replications, executor=executor, progress=False)
            timings[executor] = min(timings[executor], time.perf_counter() - started)
    speedup = timings["serial"] / timings["processes"]
    cores = os.cpu_count() or 1
    return [
        {
            "benchmark": "sweep",
            "measure": f"speed-up of the process executor on {cores} cores ({runs} runs)",
            "value": timings["processes"],
            "baseline": timings["serial"],
            "ratio": speedup,
            "target": 1.8,
            "met": speedup >= 1.8,
        }
    ]
