"""Speed-up of a run split by client: a 20,000-client polling run at the summary level,
in one piece and in 2 parts on the process executor (best of ``--repeat`` each).

    python benchmarks/shards.py [--clients 20000] [--duration 30] [--repeat 2]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from simulation import load_scenario, run

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--shards", type=int, default=2)
    args = parser.parse_args()
    scenario = load_scenario(ROOT / "scenarios" / "polling-10k-clients.toml").replace(
        {"clients": args.clients, "duration_s": args.duration, "record.level": "summary"}
    )
    times: dict[str, list[float]] = {"whole": [], "parts": []}
    for _ in range(args.repeat):
        for name, options in (("whole", {}), ("parts", {"shards": args.shards})):
            started = time.perf_counter()
            result = run(scenario, force=True, **options)
            times[name].append(time.perf_counter() - started)
            summary = result.summary()
            print(
                f"{name}: {times[name][-1]:.1f} s, {summary['messages']:,} messages, "
                f"load average {os.getloadavg()[0]:.2f}",
                flush=True,
            )
    whole, parts = min(times["whole"]), min(times["parts"])
    print(f"best: whole {whole:.1f} s, {args.shards} parts {parts:.1f} s: {whole / parts:.2f}x")


if __name__ == "__main__":
    main()
