"""Run every benchmark and print ratios against baselines measured in the same run.

Usage: ``python benchmarks/run.py [--quick] [--json results/bench.json]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_clients
import bench_fanout
import bench_levels
import bench_link
import bench_memory
import bench_polling
import bench_sweep


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    parser.add_argument("--json", default="results/bench.json", help="where to write results")
    args = parser.parse_args()
    if args.quick:
        rows = bench_link.bench(packets=20_000, repeats=1)
        rows += bench_polling.bench(clients=(1000,), duration_s=5.0, rss=False, repeats=1)
        rows += bench_fanout.bench(sockets=500, rate_per_s=10.0, duration_s=5.0)
        rows += bench_memory.bench(clients=200, duration_s=10.0)
        rows += bench_levels.bench(clients=2000, duration_s=5.0)
        rows += bench_clients.bench(sizes=(200, 2200))
        rows += bench_sweep.bench(runs=4, duration_s=10.0, clients=100, repeats=1)
    else:
        rows = bench_link.bench()
        rows += bench_polling.bench()
        rows += bench_fanout.bench()
        rows += bench_memory.bench()
        rows += bench_levels.bench()
        rows += bench_clients.bench()
        rows += bench_sweep.bench()
    print(f"{'benchmark':12} {'ratio':>7} {'target':>9}  met  measure (value vs baseline)")
    for row in rows:
        met = "-" if row["met"] is None else "yes" if row["met"] else "NO"
        bound = "<=" if row.get("lower_is_better") else ">="
        target = "    -" if row["target"] is None else f"{row['target']:5.2f}"
        print(
            f"{row['benchmark']:12} {row['ratio']:7.2f} {bound} {target}  {met:3}  "
            f"{row['measure']} ({row['value']:,.3g} vs {row['baseline']:,.3g})"
        )
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, indent=2))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
