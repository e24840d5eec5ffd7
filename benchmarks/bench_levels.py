"""Memory per record level: a 10,000-client short-polling run at each ``[record] level``.

Each level runs in a fresh process (``bench_polling.scenario``: every client polls once a
second, an update a second goes to every client), which reads its peak resident memory
(``ru_maxrss``) after importing everything and again after the run and ``summary()``;
the difference is the run's own memory. Each level runs twice, the second three times as
long: what the longer run adds, per message and per delivery it adds, is what recording
costs, since the clients' state (channels, connections, timers: about 2.5 KB a
client) is the same in both. The ratio is a level's bytes per message against
``"full"``'s, measured in the same benchmark run.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# run in a fresh process: the peak before and after, and the run's size
_CHILD = """
import json, resource, sys
sys.path.insert(0, {here!r})
import rss
rss.reset_peak()
import bench_polling
from simulation import run
scenario = bench_polling.scenario({clients}, {duration_s})
scenario = scenario.replace({{"record.level": {level!r}}})
before = rss.peak_bytes() // 1024
summary = run(scenario).summary()
after = rss.peak_bytes() // 1024
print(json.dumps({{"before": before * 1024, "after": after * 1024,
    "messages": int(summary["messages"]), "deliveries": int(summary["deliveries"]),
    "p95": float(summary["latency_p95_s"])}}))
"""

TARGETS = {"deliveries": 0.8, "summary": 0.1}  # bytes per message of a level / of full


def measure(level: str, clients: int, duration_s: float) -> dict:
    """Peak RSS before and after one run at ``level`` in a fresh process, and its size."""
    code = _CHILD.format(here=str(HERE), clients=clients, duration_s=duration_s, level=level)
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def bench(clients: int = 10_000, duration_s: float = 10.0) -> list[dict]:
    """Each level at ``duration_s`` and at three times that: the memory the longer run
    adds, per message it adds, is what recording costs (the clients' own state, the same
    in both, cancels out)."""
    rows = []
    marginal = {}
    for level in ("full", "deliveries", "summary"):
        short = measure(level, clients, duration_s)
        long = measure(level, clients, 3 * duration_s)
        used = long["after"] - long["before"]
        added = (long["after"] - long["before"]) - (short["after"] - short["before"])
        messages = long["messages"] - short["messages"]
        deliveries = long["deliveries"] - short["deliveries"]
        marginal[level] = max(added, 0) / max(1, messages)
        # a run too small to grow the heap measurably has no ratio (NaN)
        ratio = marginal[level] / marginal["full"] if marginal["full"] > 0 else math.nan
        target = TARGETS.get(level)
        rows.append(
            {
                "benchmark": f"mem-{level}",
                "measure": f"bytes per message at level {level!r} / at 'full' ({clients:,} "
                f"clients x {3 * duration_s:g} s: peak RSS {long['after'] / 1e6:,.0f} MB, "
                f"run {used / 1e6:,.0f} MB, {used / long['messages']:,.0f} B/message; "
                f"added by the last {2 * duration_s:g} s: {marginal[level]:,.1f} B/message, "
                f"{max(added, 0) / max(1, deliveries):,.1f} B/delivery)",
                "value": marginal[level],
                "baseline": marginal["full"],
                "ratio": ratio,
                "target": target,
                "met": None if target is None or math.isnan(ratio) else ratio <= target,
                "lower_is_better": True,
                "peak_rss_bytes": long["after"],
                "run_bytes": used,
                "messages": long["messages"],
                "deliveries": long["deliveries"],
                "bytes_per_message_added": marginal[level],
                "bytes_per_delivery_added": max(added, 0) / max(1, deliveries),
            }
        )
    return rows


if __name__ == "__main__":
    for row in bench():
        print(row["benchmark"], f"{row['ratio']:.3f}", row["measure"])
