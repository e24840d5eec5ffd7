"""Plots of results. Each function returns matplotlib Axes so callers can restyle them.

Figures are built with :class:`matplotlib.figure.Figure`, not pyplot, so plotting never
depends on (or changes) the global pyplot state; in Jupyter the returned figure displays.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

__all__ = ["latency_cdf"]


def _axes(ax: Axes | None, size=(7, 4.5)) -> Axes:
    if ax is not None:
        return ax
    figure = Figure(figsize=size, layout="constrained")
    return figure.add_subplot()


def latency_cdf(results: Iterable, ax: Axes | None = None, unit: str = "ms") -> Axes:
    """Empirical CDF of delivery latency, one line per result (labelled by scenario name).

    Only deliveries of updates created after each scenario's warm-up are drawn.
    """
    results = list(results)
    if not results:
        raise ValueError("latency_cdf needs at least one result")
    scale = {"s": 1.0, "ms": 1e3}[unit]
    ax = _axes(ax)
    drawn = 0
    for result in results:
        deliveries = result.deliveries
        missing = {"latency_s", "created_at"} - set(deliveries.columns)
        if missing:
            raise ValueError(f"deliveries lack columns {sorted(missing)}")
        kept = deliveries["created_at"] >= result.scenario.warmup_s
        latency = np.sort(deliveries.loc[kept, "latency_s"].to_numpy()) * scale
        name, kind = result.scenario.name, result.scenario.strategy.kind
        label = name if name == kind else f"{name} ({kind})"
        if latency.size == 0:
            ax.plot([], [], label=f"{label}: no deliveries")
            continue
        fraction = np.arange(1, latency.size + 1) / latency.size
        ax.step(latency, fraction, where="post", label=label)
        drawn += 1
    ax.set_xlabel(f"delivery latency ({unit})")
    ax.set_ylabel("fraction of deliveries")
    ax.set_ylim(0, 1.02)
    ax.set_title("Update delivery latency (empirical CDF)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right")
    return ax
