"""Run every benchmark and print ratios against baselines measured in the same run.

Usage: ``python benchmarks/run.py [--quick] [--json results/bench.json]``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_link


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    parser.add_argument("--json", default="results/bench.json", help="where to write results")
    args = parser.parse_args()
    size = {"packets": 20_000, "repeats": 1} if args.quick else {}
    rows = bench_link.bench(**size)
    print(f"{'benchmark':10} {'ratio':>7} {'target':>7}  met  measure")
    for row in rows:
        met = "yes" if row["met"] else "NO"
        print(
            f"{row['benchmark']:10} {row['ratio']:7.2f} {row['target']:7.2f}  {met:3}  "
            f"{row['measure']} ({row['value']:,.0f} vs {row['baseline']:,.0f})"
        )
    path = Path(args.json)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, indent=2))
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
