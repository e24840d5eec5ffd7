"""Sweeps: a metric against a parameter, per strategy, or over two parameters."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from .common import _axes, _require, label


def sweep_lines(
    table: pd.DataFrame,
    x: str,
    metric: str,
    hue: str | None = "strategy.kind",
    ax: Axes | None = None,
) -> Axes:
    """A metric against a swept parameter, one line per ``hue`` value.

    ``table`` is the output of :func:`simulation.sweep.aggregate`. Where a point has more
    than one run (its ``runs`` column), a band shows the 95% confidence interval of the
    mean; with one run per point there is no interval, and the title says so. Axes are
    labelled in words with units (:data:`LABELS`), falling back to the column name.
    """
    columns = {x, f"{metric}_mean", f"{metric}_ci"} | ({hue} if hue else set())
    _require(table, columns, "sweep table")
    ax = _axes(ax)
    runs = table["runs"].to_numpy() if "runs" in table else None
    replicated = runs is None or bool((runs > 1).any())
    groups = table.groupby(hue, sort=False) if hue else [(metric, table)]
    for name, group in groups:
        group = group.sort_values(x)
        mean = group[f"{metric}_mean"].to_numpy(dtype=float)
        (line,) = ax.plot(group[x], mean, marker="o", label=str(name))
        if replicated:
            half = np.nan_to_num(group[f"{metric}_ci"].to_numpy(dtype=float))
            ax.fill_between(group[x], mean - half, mean + half, color=line.get_color(), alpha=0.2)
    ax.set_xlabel(label(x))
    ax.set_ylabel(label(metric))
    if runs is None:
        note = "mean and 95% CI"
    elif replicated:
        low, high = int(runs.min()), int(runs.max())
        count = f"{low}" if low == high else f"{low}-{high}"
        note = f"mean and 95% CI of {count} runs"
    else:
        note = "one run per point, no confidence interval"
    ax.set_title(f"{label(metric, units=False)} against {label(x, units=False)} ({note})")
    ax.grid(True, alpha=0.3)
    if hue:
        ax.legend(title=label(hue), fontsize="small")
    return ax


def sweep_heatmap(table: pd.DataFrame, x: str, y: str, metric: str, ax: Axes | None = None) -> Axes:
    """A metric's mean over two swept parameters, values written in the cells."""
    _require(table, {x, y, f"{metric}_mean"}, "sweep table")
    grid = table.pivot_table(index=y, columns=x, values=f"{metric}_mean", aggfunc="mean")
    ax = _axes(ax)
    image = ax.imshow(grid.to_numpy(dtype=float), aspect="auto", origin="lower", cmap="viridis")
    ax.set_xticks(
        range(grid.shape[1]), [f"{v:g}" if isinstance(v, float) else str(v) for v in grid.columns]
    )
    ax.set_yticks(
        range(grid.shape[0]), [f"{v:g}" if isinstance(v, float) else str(v) for v in grid.index]
    )
    for (row, column), value in np.ndenumerate(grid.to_numpy(dtype=float)):
        ax.text(column, row, f"{value:.3g}", ha="center", va="center", fontsize=8, color="w")
    ax.set_xlabel(label(x))
    ax.set_ylabel(label(y))
    ax.set_title(f"{label(metric, units=False)} (mean)")
    ax.figure.colorbar(image, ax=ax, label=label(metric))
    return ax
