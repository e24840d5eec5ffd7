"""Statistics over a sweep's runs: means and Student-t confidence intervals per cell."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..metrics import SUMMARY_METRICS

__all__ = ["aggregate", "format_aggregate", "mean_half_width", "parameter_columns"]

# Columns of a sweep's table that are neither parameters nor metrics.
RUN_INFO_COLUMNS = frozenset(
    {
        "cell",
        "cell_key",
        "replication",
        "seed",
        "run_id",
        "base",
        "rtsim_version",
        "scenario_json",
        "error",
        "wall_s",
    }
)


def mean_half_width(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    """Sample mean and the half-width of its Student-t confidence interval.

    NaN half-width with fewer than two values; NaN mean with none.
    """
    values = np.asarray(values, dtype=float)
    if values.size == 0:
        return math.nan, math.nan
    mean = float(values.mean())
    if values.size < 2:
        return mean, math.nan
    from scipy import stats  # here, not at import: it takes half a second to load

    quantile = stats.t.ppf((1 + confidence) / 2, values.size - 1)
    return mean, float(quantile * values.std(ddof=1) / math.sqrt(values.size))


def parameter_columns(runs: pd.DataFrame) -> list[str]:
    """The varied parameters among ``runs``' columns."""
    return [
        c
        for c in runs.columns
        if c not in RUN_INFO_COLUMNS and c not in SUMMARY_METRICS and not _is_room_metric(c)
    ]


def _is_room_metric(column: str) -> bool:
    return column.startswith("room_") and column.endswith("_deliveries")


def aggregate(
    runs: pd.DataFrame,
    metrics: Sequence[str] | None = None,
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Per cell: runs, failures, and each metric's mean, sd and CI half-width (Student t).

    Cells are told apart by their parameter values (``cell_key``), never by their position
    in a grid. Columns: ``cell``, the varied parameters, ``runs``, ``failed``, then
    ``<metric>_mean``, ``<metric>_std`` and ``<metric>_ci`` (the half-width at
    ``confidence``) per metric. Failed runs are left out of the statistics.
    """
    if runs.empty:
        raise ValueError("aggregate needs at least one run")
    metrics = (
        list(metrics) if metrics is not None else [m for m in SUMMARY_METRICS if m in runs.columns]
    )
    missing = [m for m in metrics if m not in runs.columns]
    if missing:
        raise ValueError(f"runs have no columns {missing}")
    parameters = parameter_columns(runs)
    by = "cell_key" if "cell_key" in runs.columns else "cell"
    table = []
    for _key, group in runs.groupby(by, sort=False):
        ok = group[group["error"] == ""]
        row = {"cell": group["cell"].min(), **{p: group[p].iloc[0] for p in parameters}}
        row["runs"] = len(group)
        row["failed"] = len(group) - len(ok)
        for metric in metrics:
            values = pd.to_numeric(ok[metric], errors="coerce").dropna().to_numpy(dtype=float)
            mean, half = mean_half_width(values, confidence)
            row[f"{metric}_mean"] = mean
            row[f"{metric}_std"] = float(values.std(ddof=1)) if values.size > 1 else math.nan
            row[f"{metric}_ci"] = half
        table.append(row)
    return pd.DataFrame(table).sort_values("cell", kind="stable").reset_index(drop=True)


def format_aggregate(table: pd.DataFrame, metrics: Sequence[str]) -> str:
    """The aggregated table as text: parameters, runs, and ``mean ± ci`` per metric."""
    parameters = [
        c
        for c in table.columns
        if c not in {"cell", "runs", "failed"}
        and not any(c.startswith(f"{m}_") for m in SUMMARY_METRICS)
    ]
    shown = table[[*parameters, "runs", "failed"]].copy()
    for metric in metrics:
        means, halves = table[f"{metric}_mean"], table[f"{metric}_ci"]
        shown[metric] = [_mean_pm(m, h) for m, h in zip(means, halves, strict=True)]
    return shown.to_string(index=False)


def _mean_pm(mean: float, half: float) -> str:
    if math.isnan(mean):
        return "-"
    if math.isnan(half):
        return f"{mean:.4g}"
    if half <= 1e-9 * abs(mean):  # identical replications: only rounding noise is left
        return f"{mean:.4g} ± 0"
    return f"{mean:.4g} ± {half:.2g}"
