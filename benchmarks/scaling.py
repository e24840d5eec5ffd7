"""How run time grows with clients, simulated duration and update rate (make scaling).

Runs one scenario per point, serially, and reports wall time, messages on the wire and
microseconds per message; then ``scenarios/polling-1m-clients.toml`` (a million clients at
the summary record level) in a process of its own, with its peak memory (about 20
minutes on 2 cores: docs/performance.md). Writes results/scaling.csv and results/scaling.png.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from simulation import parse_scenario, run

BASE = {"clients": 1000, "duration_s": 10.0, "rate_per_s": 1.0}
AXES = {
    "clients": [1000, 3000, 10_000, 30_000],
    "duration_s": [10.0, 30.0, 100.0],
    "rate_per_s": [0.1, 1.0, 10.0],
}


def point(strategy: str, clients: int, duration_s: float, rate_per_s: float) -> dict:
    scenario = parse_scenario(
        {
            "duration_s": duration_s,
            "clients": clients,
            "strategy": {"kind": strategy},
            "workload": {"rate_per_s": rate_per_s},
        },
        source="scaling",
    )
    started = time.perf_counter()
    result = run(scenario)
    summary = result.summary()
    wall = time.perf_counter() - started
    messages = len(result.transfers)
    return {
        "strategy": strategy,
        "clients": clients,
        "duration_s": duration_s,
        "rate_per_s": rate_per_s,
        "wall_s": wall,
        "messages": messages,
        "deliveries": int(summary["deliveries"]),
        "us_per_message": 1e6 * wall / messages,
    }


MILLION = Path(__file__).resolve().parent.parent / "scenarios" / "polling-1m-clients.toml"
# run in a child process of its own, which measures its own peak memory (rss.py)
_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {here!r})
import rss
rss.reset_peak()
from simulation import load_scenario, run
scenario = load_scenario(sys.argv[1])
started = time.perf_counter()
summary = run(scenario, progress=None).summary()
print(json.dumps({{"wall_s": time.perf_counter() - started,
                  "messages": int(summary["messages"]),
                  "deliveries": int(summary["deliveries"]), "peak_rss_bytes": rss.peak_bytes()}}))
"""


def million(path: Path = MILLION) -> dict:
    """The million-client run: wall time, peak RSS (bytes), messages (after warm-up)."""
    code = _CHILD.format(here=str(Path(__file__).resolve().parent))
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    )
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "varied": "million",
        "strategy": "short-polling",
        "clients": 1_000_000,
        "duration_s": 10.0,
        "rate_per_s": 2.0,
        **measured,
        "us_per_message": 1e6 * measured["wall_s"] / measured["messages"],
    }


def measure() -> pd.DataFrame:
    rows = []
    for axis, values in AXES.items():
        for value in values:
            for strategy in ("short-polling", "websocket"):
                parameters = {**BASE, axis: value}
                rows.append({"varied": axis, **point(strategy, **parameters)})
    return pd.DataFrame(rows)


def plot(table: pd.DataFrame, path: Path) -> None:
    figure = Figure(figsize=(11, 3.6), layout="constrained")
    for ax, axis in zip(figure.subplots(1, 3), AXES, strict=True):
        for strategy, group in table[table["varied"] == axis].groupby("strategy"):
            ax.plot(group[axis], group["wall_s"], marker="o", label=strategy)
        if axis == "clients":  # the million, at the summary record level
            row = table[table["varied"] == "million"]
            ax.plot(row["clients"], row["wall_s"], "k*", markersize=10, label="1M, summary level")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(axis)
        ax.set_ylabel("wall time (s)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize="small")
    figure.suptitle("rtsim run time (one run, serial)")
    figure.savefig(path, dpi=110)


def main(out: str = "results") -> int:
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    table = measure()
    print("the million-client run (about 20 minutes) ...", flush=True)
    table = pd.concat([table, pd.DataFrame([million()])], ignore_index=True)
    table.to_csv(directory / "scaling.csv", index=False)
    plot(table, directory / "scaling.png")
    columns = [
        "varied",
        "strategy",
        "clients",
        "duration_s",
        "rate_per_s",
        "wall_s",
        "messages",
        "us_per_message",
        "peak_rss_bytes",
    ]
    print(table[columns].round(3).to_string(index=False))
    print(f"written to {directory}/scaling.csv and scaling.png")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
