"""Memory per idle client: what one more WebSocket client (pinged every 25 s) or
short-polling client (a poll a second, nothing to say) costs, at each ``[record] level``.

Each case runs in a fresh process: it builds the model and simulates 3 s, in which every
client sets up its connection and then idles (an update every 10 s, to all), and reads
its peak resident memory (``ru_maxrss``) before and after. A case runs at two sizes, and
the bytes per client are the difference in the run's memory over the difference in
clients: the interpreter, the imports and what all clients share cancel out. At the
``"summary"`` level a second pair of runs, traced with :mod:`tracemalloc`, gives the Python
heap per client, which does not depend on the allocator's arenas.

The baseline, measured the same way in the same benchmark run, is a bare SimPy model of
an idle client: one pending timeout with a callback, the least any client with a timer
costs. The "scale" issue's target is 3,000 bytes per idle client at the summary level;
the rows report whether it is met (no ratio target).
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET_BYTES = 3000  # per idle client at the summary level (the "scale" issue)
LEVELS = ("full", "deliveries", "summary")
STRATEGIES = ("websocket", "short-polling")

# run in a fresh process: peak RSS before and after the run, and the heap it holds
_CHILD = """
import gc, json, resource, sys, tracemalloc
sys.path.insert(0, {here!r})
import rss
rss.reset_peak()
import bench_clients
import simulation.model  # imported before the first reading, as everything shared
build = bench_clients.model if {kind!r} != "bare" else bench_clients.bare
gc.collect()
before = rss.peak_bytes() // 1024
if {traced!r}:
    tracemalloc.start()
held = build({kind!r}, {clients}, {level!r})
gc.collect()
traced = tracemalloc.get_traced_memory()[0] if {traced!r} else 0
after = rss.peak_bytes() // 1024
print(json.dumps({{"before": before * 1024, "after": after * 1024, "traced": traced}}))
"""


def model(kind: str, clients: int, level: str):
    """A model of ``clients`` idle ``kind`` clients after 3 simulated seconds."""
    from simulation import parse_scenario
    from simulation.model import Model

    extra = {"ping_interval_s": 25.0} if kind == "websocket" else {}
    scenario = parse_scenario(
        {
            "clients": clients,
            "duration_s": 3.0,
            "warmup_s": 1.0,
            "strategy": {"kind": kind, **extra},
            "workload": {"kind": "periodic", "rate_per_s": 0.1},
            "record": {"level": level},
        },
        source="benchmark",
    )
    built = Model(scenario, seed=1)
    built.run()
    return built


def bare(_kind: str, clients: int, _level: str):
    """The baseline: a SimPy environment with one pending timeout (and its callback) per
    client, the way a client waits for its next ping or poll."""
    import simpy

    env = simpy.Environment()

    def fire(_event) -> None:
        pass

    timers = []
    for _ in range(clients):
        timer = env.timeout(25.0)
        timer.callbacks.append(fire)
        timers.append(timer)
    env.run(until=3.0)
    return env, timers


def measure(kind: str, clients: int, level: str = "summary", traced: bool = False) -> dict:
    """One case in a fresh process: its peak RSS before and after, its traced heap."""
    code = _CHILD.format(here=str(HERE), kind=kind, clients=clients, level=level, traced=traced)
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def per_client(kind: str, sizes: tuple[int, int], level: str, traced: bool = False) -> float:
    """Bytes per client: what the larger run adds over the smaller, per client added."""
    small, large = (measure(kind, clients, level, traced) for clients in sizes)
    if traced:
        added = large["traced"] - small["traced"]
    else:
        added = (large["after"] - large["before"]) - (small["after"] - small["before"])
    return added / (sizes[1] - sizes[0])


def bench(sizes: tuple[int, int] = (2000, 22_000)) -> list[dict]:
    """Bytes per idle client of each strategy at each level, against the bare baseline."""
    baseline = per_client("bare", sizes, "summary")
    rows = []
    for kind in STRATEGIES:
        for level in LEVELS:
            value = per_client(kind, sizes, level)
            heap = per_client(kind, sizes, level, traced=True) if level == "summary" else None
            measure_text = (
                f"bytes of peak RSS per idle {kind} client at level {level!r} "
                f"({sizes[0]:,} vs {sizes[1]:,} clients"
                + (f"; Python heap {heap:,.0f} B/client" if heap is not None else "")
                + f"; bare SimPy timer {baseline:,.0f} B/client)"
            )
            ratio = value / baseline if baseline > 0 else math.nan
            rows.append(
                {
                    "benchmark": f"client-{'ws' if kind == 'websocket' else 'sp'}-{level}",
                    "measure": measure_text,
                    "value": value,
                    "baseline": baseline,
                    "ratio": ratio,
                    "target": None,
                    # the tracker's target is absolute, and for the summary level
                    "met": value <= TARGET_BYTES if level == "summary" else None,
                    "lower_is_better": True,
                    "bytes_per_client": value,
                    "heap_bytes_per_client": heap,
                    "clients": list(sizes),
                }
            )
    return rows


if __name__ == "__main__":
    for row in bench():
        print(row["benchmark"], f"{row['value']:,.0f} B/client", row["measure"])
