"""The tables `rtsim run` prints: scenarios side by side, or one scenario by group."""

from __future__ import annotations

import math


def _format_value(value) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.4g}"
    return str(value)


def _comparison_table(results) -> str:
    import pandas as pd

    columns = {}
    for result in results:
        name = result.scenario.name
        while name in columns:
            name += "'"
        columns[name] = result.summary()
    table = pd.DataFrame(columns)
    header = pd.DataFrame(
        {
            name: [r.scenario.strategy.kind, r.scenario.network.mode, r.seed]
            for name, r in zip(columns, results, strict=True)
        },
        index=["strategy", "channel", "seed"],
    )
    table = pd.concat([header, table]).map(_format_value)
    return table.to_string()


GROUP_METRICS = (
    "deliveries",
    "delivery_ratio",
    "latency_mean_s",
    "latency_p95_s",
    "latency_max_s",
    "empty_fraction",
    "bytes_per_delivery",
)


def _group_table(result) -> str:
    """One scenario's summary per client group, a row each (--json has every metric)."""
    summary = result.summary(by="group")
    groups = result.scenario.groups
    table = summary[list(GROUP_METRICS)].astype(object)
    table.insert(0, "clients", [g.count for g in groups] or [result.scenario.clients])
    latency = [g.network.latency_s for g in groups] or [result.scenario.network.latency_s]
    table.insert(1, "one_way_mean_ms", [value.mean() * 1e3 for value in latency])
    return f"{result.scenario.name}, by group:\n{table.map(_format_value).to_string()}"
