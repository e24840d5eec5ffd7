"""Sequence charts: who sends what to whom, when, and what the medium is doing."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd
from matplotlib.axes import Axes

from .common import KIND_COLORS, _axes, _label, _require, _table


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

    Needs the transfers table: ``[record] level = "full"``.
    """
    transfers = _table(result, "transfers", "sequence_chart")
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
