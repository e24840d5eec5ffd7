"""How run time grows with clients, simulated duration and update rate (make scaling).

Runs one scenario per point, serially, and reports wall time, messages on the wire and
microseconds per message; then the two million-client scenarios at the summary record
level, ``scenarios/polling-1m-clients.toml`` and ``scenarios/websocket-1m-idle.toml``,
each in a process of its own that measures its peak resident memory (about 19 and 4
minutes on 2 cores: docs/performance.md). Writes results/scaling.csv and
results/scaling.png.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from simulation import load_scenario, parse_scenario, run

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


SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
# a million clients at the summary record level, each run in a process of its own
MILLIONS = (SCENARIOS / "polling-1m-clients.toml", SCENARIOS / "websocket-1m-idle.toml")
# the child measures its own peak memory (rss.py), not the parent's it inherits
_CHILD = """
import json, sys, time
sys.path.insert(0, {here!r})
import rss
rss.reset_peak()
from simulation import load_scenario, run
scenario = load_scenario(sys.argv[1]).replace(json.loads(sys.argv[2]))
started = time.perf_counter()
summary = run(scenario, progress=None).summary()
print(json.dumps({{"wall_s": time.perf_counter() - started,
                  "messages": int(summary["messages"]),
                  "deliveries": int(summary["deliveries"]), "peak_rss_bytes": rss.peak_bytes()}}))
"""


def run_in_child(path: Path, changes: dict | None = None) -> dict:
    """Run the scenario file at ``path`` (with ``changes``, as ``Scenario.replace`` takes
    them) in a fresh Python process and measure it: the run's wall time in seconds
    (``wall_s``), its messages and deliveries after warm-up, and the child's peak resident
    memory in bytes (``peak_rss_bytes``: the interpreter, the imports and the run)."""
    changes = changes or {}
    scenario = load_scenario(path).replace(changes)
    code = _CHILD.format(here=str(Path(__file__).resolve().parent))
    done = subprocess.run(
        [sys.executable, "-c", code, str(path), json.dumps(changes)],
        stdout=subprocess.PIPE,  # its warnings and errors go to this process's stderr
        text=True,
        check=True,
    )
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "scenario": scenario.name,
        "strategy": scenario.strategy.kind,
        "clients": scenario.clients,
        "duration_s": scenario.duration_s,
        "rate_per_s": scenario.workload.rate_per_s,
        **measured,
        "us_per_message": 1e6 * measured["wall_s"] / max(measured["messages"], 1),
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
            (line,) = ax.plot(group[axis], group["wall_s"], marker="o", label=strategy)
            if axis == "clients":  # its million: its own scenario, at the summary level
                big = table[(table["varied"] == "million") & (table["strategy"] == strategy)]
                for _, row in big.iterrows():
                    ax.plot(
                        row["clients"],
                        row["wall_s"],
                        "*",
                        color=line.get_color(),
                        markersize=12,
                        label=f"{row['scenario']} (summary)",
                    )
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
    millions = []
    for path in MILLIONS:
        print(f"{path.name}: a million clients in a process of its own ...", flush=True)
        millions.append({"varied": "million", **run_in_child(path)})
    table = pd.concat([table, pd.DataFrame(millions)], ignore_index=True)
    table.to_csv(directory / "scaling.csv", index=False)
    plot(table, directory / "scaling.png")
    columns = [
        "varied",
        "scenario",
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
