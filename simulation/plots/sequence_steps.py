"""A sequence chart stepped through time: messages crossing the channel, both directions.

``sequence_step(result, now_s, ...)`` draws one client's channel up to the moment
``now_s``: each message is a dot where it was offered, a dotted stretch down the sender's
lifeline while it waits for the transmitter (or the half-duplex medium), then an arrow
from its first bit sent to its last bit received; a message still crossing at ``now_s``
is drawn as far as it has got. On a half-duplex channel the medium's busy spans and
turnarounds are shaded beside the client's lifeline, as in :func:`sequence_chart`.

``sequence_player(results, start_s, end_s)`` puts several results side by side in one
matplotlib ``Figure`` (made without pyplot, so nothing shows it by itself) and, when
ipywidgets is installed, returns a Play button and a slider that redraw that figure into
an ``ipywidgets.Image`` at each step. Only one figure is ever created; the caller shows it
once as the static chart (the last step), which is what a reader without widgets sees.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from .common import KIND_COLORS, _require, _table
from .sequence import _shade_medium

__all__ = ["legend_handles", "sequence_player", "sequence_step"]

CLIENT_X, SERVER_X = -1.0, 0.0


def _window(result, client: int, start_s: float, end_s: float) -> pd.DataFrame:
    transfers = _table(result, "transfers", "sequence_step")
    _require(
        transfers,
        {"client", "direction", "sent_at", "started_at", "received_at", "lost"},
        "transfers",
    )
    mine = transfers[
        (transfers["client"] == client)
        & (transfers["sent_at"] >= start_s)
        & (transfers["sent_at"] <= end_s)
    ]
    return mine.sort_values("sent_at", kind="stable")


def sequence_step(
    result,
    now_s: float,
    start_s: float,
    end_s: float,
    ax: Axes,
    client: int = 0,
    title: str | None = None,
    legend: bool = True,
) -> Axes:
    """Draw ``client``'s messages offered in ``[start_s, end_s]`` as they stand at
    ``now_s`` (``now_s >= end_s`` draws them all, finished) on ``ax``; ``legend=False``
    leaves the legend to the caller (:func:`legend_handles`).

    Needs the transfers table: ``[record] level = "full"``."""
    if end_s <= start_s:
        raise ValueError(f"sequence_step: end_s ({end_s}) must be after start_s ({start_s})")
    shown = _window(result, client, start_s, end_s)
    shown = shown[shown["sent_at"] <= now_s]
    ax.clear()
    for x in (CLIENT_X, SERVER_X):
        ax.axvline(x, color="0.4", linewidth=1)
    for row in shown.itertuples(index=False):
        up = row.direction == "up"
        sender, receiver = (CLIENT_X, SERVER_X) if up else (SERVER_X, CLIENT_X)
        color = KIND_COLORS.get(str(row.direction), "black")
        ax.plot(sender, row.sent_at, marker="o", color=color, markersize=4)
        started = row.started_at if not math.isnan(row.started_at) else row.sent_at
        if started > row.sent_at:  # waiting for the transmitter or the medium
            ax.plot(
                [sender, sender],
                [row.sent_at, min(started, now_s)],
                color=color,
                linestyle=":",
                linewidth=2.5,
            )
        if started >= now_s:
            continue
        if row.lost or math.isnan(row.received_at):
            # a lost message (or one still out when the run ended) goes halfway and stops
            middle = (sender + receiver) / 2
            halfway = started + 0.02 * (end_s - start_s)
            y = min(halfway, now_s)
            x = sender + (middle - sender) * (y - started) / (halfway - started)
            ax.plot([sender, x], [started, y], color=color, linestyle="--")
            if now_s >= halfway and row.lost:
                ax.plot(middle, halfway, marker="x", color="tab:red", markersize=8)
            continue
        arrival = row.received_at
        y = min(arrival, now_s)
        x = sender + (receiver - sender) * (y - started) / (arrival - started)
        ax.annotate(
            "",
            xy=(x, y),
            xytext=(sender, started),
            arrowprops={"arrowstyle": "->", "color": color, "linewidth": 1.5},
        )
    network = result.scenario.network
    if network.mode == "half-duplex":
        begun = shown[shown["started_at"] < now_s].copy()
        begun["received_at"] = begun["received_at"].clip(upper=now_s)
        _shade_medium(ax, begun, {client: CLIENT_X}, network.turnaround_s)
    if now_s < end_s:
        ax.axhline(now_s, color="0.2", linewidth=0.8, linestyle="-.")
        ax.text(0.5 * (CLIENT_X + SERVER_X), now_s, "now", fontsize=8, ha="center", va="bottom")
    ax.set_xlim(CLIENT_X - 0.35, SERVER_X + 0.35)
    ax.set_ylim(end_s, start_s)  # time flows downwards
    ax.set_xticks([CLIENT_X, SERVER_X], [f"client {client}", "server"])
    ax.set_ylabel("simulated time (s)")
    ax.set_title(title if title is not None else network.mode)
    if legend:
        ax.legend(handles=legend_handles(), loc="lower left", fontsize="x-small")
    return ax


def legend_handles() -> list:
    """What the marks of :func:`sequence_step` mean, as legend handles."""
    return [
        Line2D([], [], color=KIND_COLORS["up"], label="client -> server"),
        Line2D([], [], color=KIND_COLORS["down"], label="server -> client"),
        Line2D([], [], color="0.4", marker="o", linestyle=":", label="offered, then waiting"),
        Patch(color="0.6", alpha=0.5, label="half-duplex medium busy (direction's colour)"),
        Patch(color="tab:orange", alpha=0.6, label="turnaround"),
        Line2D([], [], color="tab:red", marker="x", linestyle="", label="lost"),
    ]


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=90)
    return buffer.getvalue()


def sequence_player(
    results: Sequence,
    start_s: float,
    end_s: float,
    steps: int = 40,
    titles: Sequence[str] | None = None,
    client: int = 0,
    interval_ms: int = 400,
):
    """``(player, figure)``: the results side by side, stepped from ``start_s`` to
    ``end_s`` in ``steps`` steps. ``player`` is an ipywidgets box (Play, slider, image),
    or ``None`` without ipywidgets; ``figure`` is left at the last step (everything
    drawn), for the caller to show once as the static chart."""
    if steps < 1:
        raise ValueError(f"sequence_player: steps must be at least 1, got {steps}")
    titles = list(titles) if titles is not None else [r.scenario.network.mode for r in results]
    figure = Figure(figsize=(4.2 * len(results), 6), layout="constrained")
    axes = figure.subplots(1, len(results), sharey=True, squeeze=False)[0]
    figure.legend(handles=legend_handles(), loc="outside lower center", ncols=3, fontsize="small")

    def draw(step: int) -> None:
        now = start_s + (end_s - start_s) * step / steps
        for ax, result, title in zip(axes, results, titles, strict=True):
            sequence_step(result, now, start_s, end_s, ax, client, title, legend=False)
        for ax in axes[1:]:
            ax.set_ylabel("")
        figure.suptitle(f"t = {now:.3f} s", fontsize=10)

    player = None
    try:
        import ipywidgets
    except ImportError:  # no widgets: the static chart alone
        ipywidgets = None
    if ipywidgets is not None:
        draw(0)
        image = ipywidgets.Image(value=_png(figure), format="png")
        play = ipywidgets.Play(value=0, min=0, max=steps, step=1, interval=interval_ms)
        slider = ipywidgets.IntSlider(value=0, min=0, max=steps, description="step")
        ipywidgets.jslink((play, "value"), (slider, "value"))

        def redraw(change) -> None:
            draw(change["new"])
            image.value = _png(figure)

        slider.observe(redraw, names="value")
        player = ipywidgets.VBox([ipywidgets.HBox([play, slider]), image])
    draw(steps)
    figure.suptitle("the whole window (static chart)", fontsize=10)
    return player, figure
