"""The measured-versus-simulated table: one row per cell, as text or Markdown."""

from __future__ import annotations

import math

import pandas as pd

from .compare import BOUNDS

__all__ = ["markdown_table", "wide_table"]

_COLUMNS = {  # metric -> (heading, scale, digits)
    "push_time_mean_s": ("server push time (ms, measured)", 1000, 1),
    "turnaround_mean_s": ("long-poll client turnaround (ms, measured)", 1000, 1),
    "service_time_mean_s": ("server time to ack (ms, measured)", 1000, 1),  # with acks only
    "latency_mean_s": ("mean latency (ms)", 1000, 1),
    "instant_latency_mean_s": ("mean latency, rtsim without those times (ms)", 1000, 1),
    "latency_p95_s": ("p95 latency (ms)", 1000, 1),
    "app_latency_mean_s": ("mean latency at the client library (ms, measured)", 1000, 1),
    "requests_per_delivery": ("requests / update", 1, 3),
    "stream_bytes_per_delivery": ("bytes / update", 1, 1),
    "ack_rtt_mean_s": ("ack RTT (ms)", 1000, 1),  # cells with client messages only
    "app_ack_rtt_mean_s": ("ack RTT at the client library (ms, measured)", 1000, 1),
}


def wide_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """One row per cell: measured, simulated and relative error of each metric, and
    whether every bounded metric is within its bound."""
    rows = []
    if "protocol" not in comparison:
        comparison = comparison.assign(protocol="1.1")
    # read back from a CSV, "1.1" is the number 1.1
    comparison = comparison.assign(protocol=comparison["protocol"].astype(str))
    keys = ["protocol", "strategy", "latency_ms", "rate_per_s"]
    for (protocol, strategy, latency_ms, rate), cell in comparison.groupby(keys, sort=False):
        by_metric = cell.set_index("metric")
        row = {"protocol": protocol, "strategy": strategy, "latency_ms": latency_ms}
        row["rate_per_s"] = rate
        row["deliveries"] = int(by_metric.loc["deliveries", "measured"])
        for metric in _COLUMNS:
            for column in ("measured", "simulated", "relative_error"):
                value = by_metric.loc[metric, column] if metric in by_metric.index else math.nan
                row[f"{metric}_{column.removeprefix('relative_')}"] = value
        bounded = [metric for metric in BOUNDS if metric in by_metric.index]
        row["within_bounds"] = bool(by_metric.loc[bounded, "within_bound"].all())
        rows.append(row)
    return pd.DataFrame(rows)


def _cell(measured: float, simulated: float, error: float, scale: float, digits: int) -> str:
    if math.isnan(measured):
        return "-"
    if math.isnan(simulated):  # measured only
        return f"{measured * scale:.{digits}f}"
    percent = "" if math.isnan(error) else f" ({error * 100:+.1f}%)"
    return f"{measured * scale:.{digits}f} / {simulated * scale:.{digits}f}{percent}"


def markdown_table(comparison: pd.DataFrame) -> str:
    """The table as Markdown: each metric as ``measured / simulated (error)``."""
    wide = wide_table(comparison)
    columns = {
        metric: spec
        for metric, spec in _COLUMNS.items()
        if wide[f"{metric}_measured"].notna().any()  # no ack column without acks
    }
    protocols = wide["protocol"].unique()
    with_protocol = int(len(protocols) > 1 or protocols[0] != "1.1")  # HTTP/1.1 as before
    headings = ["protocol"] * with_protocol + ["strategy", "one-way latency", "updates/s"]
    headings += ["deliveries"]
    headings += [heading for heading, _, _ in columns.values()] + ["bounds met"]
    lines = ["| " + " | ".join(headings) + " |", "|" + "---|" * len(headings)]
    for row in wide.itertuples(index=False):
        row = row._asdict()
        cells = [row["protocol"]] * with_protocol + [
            row["strategy"],
            f"{row['latency_ms']:g} ms",
            f"{row['rate_per_s']:g}",
            str(row["deliveries"]),
        ]
        for metric, (_, scale, digits) in columns.items():
            cells.append(
                _cell(
                    row[f"{metric}_measured"],
                    row[f"{metric}_simulated"],
                    row[f"{metric}_error"],
                    scale,
                    digits,
                )
            )
        cells.append("yes" if row["within_bounds"] else "no")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
