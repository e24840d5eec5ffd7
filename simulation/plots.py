"""Figures of results. Every function returns matplotlib Axes, so callers can restyle them.

A function given no ``ax`` creates its figure through pyplot, so in Jupyter the inline
backend shows it once, at the end of the cell: assign the result (``ax = latency_cdf(...)``)
rather than also displaying ``ax.figure``. Scripts save ``ax.figure`` and may close it with
``matplotlib.pyplot.close``; without a display, pyplot uses the Agg backend. Times are
shown in milliseconds or seconds as labelled, sizes in bytes.
Every function raises ``ValueError`` naming what is missing when its input cannot be drawn.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from matplotlib import pyplot as plt
from matplotlib.axes import Axes

from . import analytic
from .metrics import BYTE_CATEGORIES, byte_breakdown

__all__ = [
    "LABELS",
    "bytes_breakdown",
    "label",
    "latency_box",
    "latency_cdf",
    "sequence_chart",
    "sweep_heatmap",
    "sweep_lines",
    "time_series",
]

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


def _axes(ax: Axes | None, size=(7, 4.5)) -> Axes:
    if ax is not None:
        return ax
    return plt.figure(figsize=size, layout="constrained").add_subplot()


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


def _measured_latency(result, unit: str, group: str | None = None) -> np.ndarray:
    deliveries = result.deliveries
    _require(deliveries, {"latency_s", "created_at", "direction"}, "deliveries")
    kept = (deliveries["created_at"] >= result.scenario.warmup_s) & (
        deliveries["direction"] == "down"
    )
    if group is not None:
        kept &= deliveries["group"] == group
    return deliveries.loc[kept, "latency_s"].to_numpy() * UNITS[unit]


def _curves(results: list, by: str | None):
    """(label, result, group) for each curve: one per result, or per result and group."""
    if by is None:
        return [(_label(result), result, None) for result in results]
    if by != "group":
        raise ValueError(f"latency_cdf(by=...) draws one curve per 'group' only, got {by!r}")
    curves = []
    for result in results:
        if not result.scenario.groups:
            raise ValueError(f"latency_cdf(by='group'): {_label(result)} has no client groups")
        prefix = f"{_label(result)}: " if len(results) > 1 else ""
        curves += [(prefix + g.name, result, g.name) for g in result.scenario.groups]
    return curves


# -- latency ---------------------------------------------------------------------------------

# The legend's words where analytic.expected_latency_s has no formula for a scenario
NO_CLOSED_FORM = "no closed-form mean applies"


def latency_cdf(
    results: Iterable,
    ax: Axes | None = None,
    unit: str = "ms",
    reference: bool = True,
    by: str | None = None,
) -> Axes:
    """Empirical CDF of update delivery latency, one line per result.

    ``by="group"`` draws one line per client group of each result instead. With
    ``reference``, a dashed vertical line marks each scenario's (or group's) closed-form
    mean latency where one holds (:func:`simulation.analytic.expected_latency_s`); where
    none does, the legend says so.
    """
    results = list(results)
    if not results:
        raise ValueError("latency_cdf needs at least one result")
    ax = _axes(ax)
    for label, result, group in _curves(results, by):
        latency = np.sort(_measured_latency(result, unit, group))
        if latency.size == 0:
            ax.plot([], [], label=f"{label}: no deliveries")
            continue
        fraction = np.arange(1, latency.size + 1) / latency.size
        (line,) = ax.step(latency, fraction, where="post", label=label)
        expected = analytic.expected_latency_s(result.scenario, group) if reference else None
        if expected is not None:
            ax.axvline(
                expected * UNITS[unit],
                color=line.get_color(),
                linestyle="--",
                linewidth=1,
                label=f"closed-form mean, {label}",
            )
        elif reference:  # say so rather than silently draw nothing
            ax.plot([], [], linestyle="", label=f"{label}: {NO_CLOSED_FORM}")
    ax.set_xlabel(f"delivery latency ({unit})")
    ax.set_ylabel("fraction of deliveries")
    ax.set_ylim(0, 1.02)
    ax.set_title("Update delivery latency (empirical CDF)")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right", fontsize="small")
    return ax


def latency_box(
    results: Iterable,
    ax: Axes | None = None,
    unit: str = "ms",
    violin: bool = False,
    reference: bool = True,
) -> Axes:
    """Box (or violin) plot of delivery latency per result, closed-form means as diamonds.

    With ``reference``, a red diamond marks each scenario's closed-form mean where one
    holds (:func:`simulation.analytic.expected_latency_s`); where none does, the legend
    says so.

    A box spans the quartiles; its whiskers reach the 5th and 95th percentiles, and the
    deliveries beyond them are drawn as dots.
    """
    results = list(results)
    if not results:
        raise ValueError("latency_box needs at least one result")
    data = [_measured_latency(result, unit) for result in results]
    empty = [_label(r) for r, values in zip(results, data, strict=True) if values.size == 0]
    if empty:
        raise ValueError(f"latency_box: no deliveries in {empty}")
    ax = _axes(ax)
    positions = np.arange(1, len(results) + 1)
    if violin:
        ax.violinplot(data, positions=positions, showmedians=True)
    else:
        # whiskers at the 5th and 95th percentiles, and every delivery beyond them as a
        # dot, so a long tail is drawn as long as it is
        ax.boxplot(
            data,
            positions=positions,
            whis=(5, 95),
            flierprops={"marker": ".", "markersize": 3, "alpha": 0.3, "markeredgecolor": "0.4"},
        )
        ax.set_xlabel("box: quartiles and median; whiskers: 5th to 95th percentile; dots: beyond")
    without = []
    for position, result in zip(positions, results, strict=True):
        if not reference:
            break
        expected = analytic.expected_latency_s(result.scenario)
        if expected is not None:
            ax.plot(position, expected * UNITS[unit], marker="D", color="tab:red", linestyle="")
        else:
            without.append(_label(result))
    if reference and len(without) < len(results):
        ax.plot([], [], marker="D", color="tab:red", linestyle="", label="closed-form mean")
    if without:
        ax.plot([], [], linestyle="", label=f"{', '.join(without)}: {NO_CLOSED_FORM}")
    ax.set_xticks(positions, [_label(r) for r in results], rotation=20, ha="right")
    ax.set_ylabel(f"delivery latency ({unit})")
    ax.set_title("Update delivery latency per scenario")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(loc="upper right", fontsize="small")
    return ax


# -- bytes -----------------------------------------------------------------------------------


def bytes_breakdown(results: Iterable, ax: Axes | None = None) -> Axes:
    """Stacked bars: wire bytes per delivered update, by category, one bar per result.

    Counts messages sent at or after each scenario's warm-up, divided by the updates
    delivered in the same window.
    """
    results = list(results)
    if not results:
        raise ValueError("bytes_breakdown needs at least one result")
    ax = _axes(ax)
    bottoms = np.zeros(len(results))
    per_update = []
    for result in results:
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
    per second. Returns the array of three Axes."""
    if bin_s <= 0:
        raise ValueError(f"bin_s must be > 0, got {bin_s}")
    connections = result.connections
    deliveries = result.deliveries
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
    starts, ends = result.stats.get("server_busy_intervals", ((), ()))
    workers = result.stats.get("server_workers", math.inf)
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


# -- sequence charts -------------------------------------------------------------------------


def sequence_chart(
    result,
    clients: Sequence[int] = (0,),
    start_s: float = 0.0,
    end_s: float | None = None,
    ax: Axes | None = None,
    labels: bool = True,
) -> Axes:
    """Message sequence chart: the server's lifeline in the middle, clients' on either side.

        Each message is an arrow from (sender, ``sent_at``) to (receiver, ``received_at``), so
        its slant shows its latency; lost messages end in a red cross halfway, and messages still
    in flight when the run ends are dotted to the bottom edge. On a
        half-duplex channel, the spans when a client's shared medium is busy are shaded beside
        its lifeline, in the colour of the direction, and its turnarounds in orange.
    """
    transfers = result.transfers
    _require(
        transfers,
        {"message_id", "client", "direction", "kind", "sent_at", "received_at", "lost"},
        "transfers",
    )
    end_s = result.end_s if end_s is None else end_s
    if end_s <= start_s:
        raise ValueError(f"sequence_chart: end_s ({end_s}) must be after start_s ({start_s})")
    clients = list(clients)
    shown = transfers[
        transfers["client"].isin(clients)
        & (transfers["sent_at"] >= start_s)
        & (transfers["sent_at"] <= end_s)
    ]
    ax = _axes(ax, size=(7, 6))
    # clients alternate left and right of the server, nearest first: -1, +1, -2, +2, ...
    x_of = {c: (i // 2 + 1) * (-1 if i % 2 == 0 else 1) for i, c in enumerate(clients)}
    for x in [0, *x_of.values()]:
        ax.axvline(x, color="0.4", linewidth=1)
    coincident: dict[tuple, list[str]] = {}
    for row in shown.itertuples(index=False):
        x_client = x_of[row.client]
        sender, receiver = (x_client, 0) if row.direction == "up" else (0, x_client)
        color = KIND_COLORS.get(str(row.direction), "black")
        if not row.lost and math.isnan(row.received_at):  # in flight when the run ended
            line = ax.annotate(
                "",
                xy=((sender + receiver) / 2, end_s),
                xytext=(sender, row.sent_at),
                arrowprops={"arrowstyle": "->", "color": color, "linestyle": ":"},
            )
        elif row.lost:
            middle = (sender + receiver) / 2
            arrival = row.sent_at + 0.5 * (end_s - start_s) * 0.02
            line = ax.annotate(
                "",
                xy=(middle, arrival),
                xytext=(sender, row.sent_at),
                arrowprops={"arrowstyle": "-", "color": color, "linestyle": "--"},
            )
            ax.plot(middle, arrival, marker="x", color="tab:red", markersize=8)
        else:
            line = ax.annotate(
                "",
                xy=(receiver, row.received_at),
                xytext=(sender, row.sent_at),
                arrowprops={"arrowstyle": "->", "color": color},
            )
        line.set_gid(f"transfer-{row.message_id}")
        if labels:
            middle_time = (
                row.sent_at
                if row.lost or math.isnan(row.received_at)
                else ((row.sent_at + row.received_at) / 2)
            )
            # messages sent at once on parallel connections draw the same arrow: one label
            place = ((sender + receiver) / 2, round(middle_time, 9), color)
            coincident.setdefault(place, []).append(str(row.kind))
    for (x, y, color), kinds in coincident.items():
        counts = {kind: kinds.count(kind) for kind in kinds}
        text = " + ".join(k if n == 1 else f"{k} x{n}" for k, n in counts.items())
        ax.text(x, y, text, fontsize=7, ha="center", va="bottom", color=color)
    if result.scenario.network.mode == "half-duplex":
        _shade_medium(ax, shown, x_of, result.scenario.network.turnaround_s)
    ticks = sorted([(0, "server")] + [(x, f"client {c}") for c, x in x_of.items()])
    ax.set_xticks([x for x, _ in ticks], [label for _, label in ticks])
    ax.set_ylim(end_s, start_s)  # time flows downwards
    ax.set_ylabel("simulated time (s)")
    ax.set_title(f"Message sequence: {_label(result)}")
    ax.plot([], [], color=KIND_COLORS["up"], label="client -> server")
    ax.plot([], [], color=KIND_COLORS["down"], label="server -> client")
    ax.plot([], [], marker="x", color="tab:red", linestyle="", label="lost")
    ax.legend(loc="lower right", fontsize="small")
    return ax


def _shade_medium(ax: Axes, shown: pd.DataFrame, x_of: dict, turnaround_s: float) -> None:
    arrived = shown[shown["received_at"].notna()]
    for client, x in x_of.items():
        mine = arrived[arrived["client"] == client].sort_values("started_at")
        previous = None
        for row in mine.itertuples(index=False):
            color = KIND_COLORS.get(str(row.direction), "0.7")
            outside = (x + 0.02, x + 0.06) if x > 0 else (x - 0.06, x - 0.02)
            ax.fill_betweenx(
                [row.started_at, row.received_at],
                *outside,
                color=color,
                alpha=0.35,
                linewidth=0,
            )
            if previous is not None and previous.direction != row.direction and turnaround_s:
                ax.fill_betweenx(
                    [row.started_at - turnaround_s, row.started_at],
                    *outside,
                    color="tab:orange",
                    alpha=0.6,
                    linewidth=0,
                )
            previous = row
    ax.fill_between([], [], color="tab:orange", alpha=0.6, label="turnaround")


# -- sweeps ----------------------------------------------------------------------------------


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
