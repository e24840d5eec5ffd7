"""What every figure shares: units, axis labels in words, the axes and input checks."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from matplotlib import pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

UNITS = {"s": 1.0, "ms": 1e3}
KIND_COLORS = {"up": "tab:blue", "down": "tab:green"}

# Words and units for the columns that axes show; a name not listed is shown as it is.
LABELS = {
    "clients": ("clients", ""),
    "strategy.kind": ("strategy", ""),
    "network.latency_s": ("one-way latency", "s"),
    "network.loss": ("packet loss probability", ""),
    "network.bandwidth_bps": ("link bandwidth", "bit/s"),
    "network.turnaround_s": ("turnaround", "s"),
    "strategy.interval_s": ("polling interval", "s"),
    "workload.rate_per_s": ("update rate", "updates/s"),
    "latency_mean_s": ("mean delivery latency", "s"),
    "latency_p95_s": ("95th percentile of delivery latency", "s"),
    "wire_bps": ("bandwidth on the wire", "bit/s"),
    "wire_bytes": ("bytes on the wire", "bytes"),
    "bytes_per_delivery": ("bytes per delivered update", "bytes"),
    "server_requests": ("requests served", "whole run"),
    "server_busy_fraction": ("server busy fraction", ""),
    "peak_open_connections": ("peak open connections", ""),
    "peak_memory_bytes": ("peak connection memory", "bytes"),
    "empty_fraction": ("fraction of empty polls", ""),
}


def label(name: str, units: bool = True) -> str:
    """The words for a column (``"wire_bps"`` -> ``"bandwidth on the wire (bit/s)"``)."""
    words, unit = LABELS.get(name, (name, ""))
    return f"{words} ({unit})" if units and unit else words


def figure_of(ax: Axes) -> Figure:
    """The figure ``ax`` is drawn in (to save or close it)."""
    figure = ax.get_figure(root=True)
    if figure is None:
        raise ValueError("these axes belong to no figure")
    return figure


def _axes(ax: Axes | None, size=(7, 4.5)) -> Axes:
    if ax is not None:
        return ax
    return plt.figure(figsize=size, layout="constrained").add_subplot()


def _table(result, name: str, what: str) -> pd.DataFrame:
    """``result``'s table ``name``; if its ``[record] level`` did not keep it, a
    :class:`~simulation.result.RecordLevelError` (a ValueError) naming the level that
    does and ``what`` needs it."""
    table = getattr(result, "table", None)
    return table(name, what) if table is not None else getattr(result, name)


def _require(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ValueError(f"{what}: expected a DataFrame, got {type(frame).__name__}")
    missing = sorted(set(columns) - set(frame.columns))
    if missing:
        raise ValueError(f"{what}: missing columns {missing}")
    if frame.empty:
        raise ValueError(f"{what}: the DataFrame is empty")


def _label(result) -> str:
    name, kind = result.scenario.name, result.scenario.strategy.kind
    return kind if not name or name == kind else f"{name} ({kind})"
