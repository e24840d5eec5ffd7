"""Where the bytes go, and what happens over time: bytes per update, time series."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
from matplotlib import pyplot as plt
from matplotlib.axes import Axes

from ..metrics import BYTE_CATEGORIES, byte_breakdown
from .common import _axes, _label, _require, _table


def bytes_breakdown(results: Iterable, ax: Axes | None = None) -> Axes:
    """Stacked bars: wire bytes per delivered update, by category, one bar per result.

    Counts messages sent at or after each scenario's warm-up, divided by the updates
    delivered in the same window. Works at every ``[record] level``: below ``"full"``
    from the per-kind byte sums the run kept (``result.tallies.transfer_counts``).
    """
    results = list(results)
    if not results:
        raise ValueError("bytes_breakdown needs at least one result")
    ax = _axes(ax)
    bottoms = np.zeros(len(results))
    per_update = []
    for result in results:
        tallies = getattr(result, "tallies", None)
        if tallies is not None:
            window = tallies.counts(None)  # measured rows, summed per kind and flags
        else:
            transfers = result.transfers
            _require(
                transfers,
                {"kind", "sent_at", "payload_bytes", "overhead_bytes", "transport_bytes"},
                "transfers",
            )
            window = transfers[transfers["sent_at"] >= result.scenario.warmup_s]
        delivered = int(result.summary()["deliveries"])
        if delivered == 0:
            raise ValueError(f"bytes_breakdown: {_label(result)} delivered nothing")
        parts = byte_breakdown(window)
        per_update.append({k: v / delivered for k, v in parts.items()})
    positions = np.arange(len(results))
    for category in BYTE_CATEGORIES:
        heights = np.array([row[category] for row in per_update])
        ax.bar(positions, heights, bottom=bottoms, label=category)
        bottoms += heights
    ax.set_xticks(positions, [_label(r) for r in results], rotation=20, ha="right")
    ax.set_ylabel("bytes per delivered update")
    ax.set_title("Where the bytes go")
    ax.legend(fontsize="small")
    ax.grid(True, axis="y", alpha=0.3)
    return ax


# -- time series -----------------------------------------------------------------------------


def time_series(result, bin_s: float = 1.0, axes: Sequence[Axes] | None = None) -> np.ndarray:
    """Three stacked panels over time: open connections, server busy fraction, deliveries
    per second. Returns the array of three Axes.

    Needs the connections and deliveries tables: ``[record] level = "deliveries"`` or
    ``"full"``."""
    if bin_s <= 0:
        raise ValueError(f"bin_s must be > 0, got {bin_s}")
    connections = _table(result, "connections", "time_series")
    deliveries = _table(result, "deliveries", "time_series")
    for frame, columns, what in (
        (connections, {"opened_at", "closed_at"}, "connections"),
        (deliveries, {"delivered_at"}, "deliveries"),
    ):
        missing = sorted(columns - set(frame.columns))
        if missing:
            raise ValueError(f"time_series: {what} lacks columns {missing}")
    if axes is None:
        _, axes = plt.subplots(3, 1, sharex=True, figsize=(8, 6.5), layout="constrained")
    end = result.end_s
    edges = np.arange(0.0, end + bin_s, bin_s)
    centers = edges[:-1] + bin_s / 2
    opened = connections["opened_at"].to_numpy()
    closed = connections["closed_at"].fillna(np.inf).to_numpy()
    open_now = [(opened <= t).sum() - (closed <= t).sum() for t in centers]
    axes[0].step(centers, open_now, where="mid")
    axes[0].set_ylabel("open connections")
    stats = result.stats
    starts, ends, workers = stats.server_busy_starts, stats.server_busy_ends, stats.server_workers
    if math.isfinite(workers) and len(starts):
        busy = _busy_per_bin(np.asarray(starts), np.asarray(ends), edges) / (bin_s * workers)
        axes[1].step(centers, busy, where="mid")
        axes[1].set_ylim(0, 1.05)
    else:
        axes[1].text(
            0.5,
            0.5,
            "unlimited workers: no busy fraction",
            ha="center",
            va="center",
            transform=axes[1].transAxes,
        )
    axes[1].set_ylabel("server busy fraction")
    counts, _ = np.histogram(deliveries["delivered_at"].to_numpy(), bins=edges)
    axes[2].step(centers, counts / bin_s, where="mid")
    axes[2].set_ylabel("deliveries per s")
    axes[2].set_xlabel("simulated time (s)")
    for panel in axes:
        panel.grid(True, alpha=0.3)
    axes[0].set_title(f"{_label(result)} over time ({bin_s:g} s bins)")
    return np.asarray(axes)


def _busy_per_bin(starts: np.ndarray, ends: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Worker-seconds of service falling in each bin."""
    busy = np.zeros(len(edges) - 1)
    for start, end in zip(starts, ends, strict=True):
        first = max(0, np.searchsorted(edges, start, side="right") - 1)
        last = min(len(busy) - 1, np.searchsorted(edges, end, side="left") - 1)
        for index in range(first, last + 1):
            busy[index] += max(0.0, min(end, edges[index + 1]) - max(start, edges[index]))
    return busy
