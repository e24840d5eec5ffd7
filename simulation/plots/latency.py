"""Latency distributions: CDFs and boxes, with closed-form means where they hold."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from matplotlib.axes import Axes

from .. import analytic
from .common import UNITS, _axes, _label, _require, _table


def _measured_latency(result, unit: str, group: str | None = None) -> np.ndarray:
    deliveries = _table(result, "deliveries", "latency plots")
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

    Needs the deliveries table: ``[record] level = "deliveries"`` or ``"full"``.
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

    Needs the deliveries table: ``[record] level = "deliveries"`` or ``"full"``.
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
