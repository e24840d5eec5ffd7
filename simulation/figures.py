"""The plots tour's figures (docs/api.md): ``python -m simulation.figures [DIR]``.

Writes, under DIR (default ``results/figures``): the latency CDFs of the four strategies
on the default workload, where their bytes go, and a half-duplex sequence chart.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from matplotlib import pyplot as plt
from matplotlib.figure import Figure

from . import plots
from .runner import run
from .scenario import load_scenario

log = logging.getLogger(__name__)

DEFAULTS = ["default", "default-long-polling", "default-sse", "default-websocket"]


def make_figures(scenarios: Path, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    results = [run(load_scenario(scenarios / f"{name}.toml")) for name in DEFAULTS]
    half_duplex = run(load_scenario(scenarios / "half-duplex-polling.toml"))
    figures: dict[str, Figure] = {
        "latency-cdf.png": plots.figure_of(plots.latency_cdf(results)),
        "bytes-per-update.png": plots.figure_of(plots.bytes_breakdown(results)),
        "half-duplex-sequence.png": plots.figure_of(
            plots.sequence_chart(half_duplex, clients=[0, 1], start_s=10.0, end_s=11.0)
        ),
    }
    written = []
    for name, figure in figures.items():
        path = out / name
        figure.savefig(path, dpi=110)
        plt.close(figure)
        written.append(path)
        log.info("wrote %s", path)
    return written


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    out = Path(argv[0]) if argv else Path("results/figures")
    for path in make_figures(Path("scenarios"), out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
