"""Summaries of one run, computed from its DataFrames.

Only rows created at or after ``warmup_s`` count: updates and deliveries by the update's
creation time, transfers by the time they were sent. Latency is ``delivered_at -
created_at`` per delivery. Updates created shortly before the end may not be delivered yet
(right censoring); choose ``duration_s`` long compared to the polling interval, or read the
deliveries table, when that matters.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .protocols.kinds import TRANSPORT_HANDSHAKE_KINDS, category_of
from .run_stats import RunStats
from .strategies import STRATEGIES
from .tallies import Tallies, transfer_values

# the metrics strategies declare and compute themselves (Strategy.metrics)
STRATEGY_METRICS = {
    name: metric for strategy in STRATEGIES.values() for name, metric in strategy.metrics.items()
}

__all__ = [
    "STRATEGY_METRICS",
    "SUMMARY_METRICS",
    "WHOLE_RUN_ONLY",
    "peak_concurrent",
    "summarize",
    "summarize_groups",
]

SUMMARY_METRICS = {
    "updates": "server updates created by the workload",
    "expected_deliveries": "updates x the clients each one is meant for",
    "deliveries": "updates delivered to a client (a duplicate counts again: duplicate_deliveries)",
    "delivery_ratio": "deliveries / expected_deliveries",
    "latency_mean_s": "mean time from an update's creation to its delivery",
    "latency_p50_s": "median delivery latency",
    "latency_p95_s": "95th percentile of delivery latency",
    "latency_p99_s": "99th percentile of delivery latency",
    "latency_max_s": "largest delivery latency",
    "age_at_delivery_mean_s": "mean age of the newest update in each message that delivers",
    "duplicate_deliveries": "updates delivered more than once to the same client",
    "up_messages": "client messages created ([workload.up])",
    "up_deliveries": "client messages delivered to the server",
    "latency_up_mean_s": "mean time from a client message's creation to the server",
    "latency_up_p50_s": "median client message latency",
    "latency_up_p95_s": "95th percentile of client message latency",
    "latency_up_p99_s": "99th percentile of client message latency",
    **{name: metric.doc for name, metric in STRATEGY_METRICS.items()},
    "messages": "transmissions on the wire, both directions, retransmissions included",
    "requests": "client requests that expect a response, each counted once (not resent copies)",
    "responses": "responses to requests, each counted once (not resent copies)",
    "empty_responses": "responses that carried no update, each counted once",
    "empty_fraction": "empty_responses / responses (NaN without responses)",
    "payload_bytes": "application bytes sent",
    "overhead_bytes": "application protocol bytes sent: headers, framing, handshakes",
    "transport_bytes": "IP/TCP header and TLS record bytes sent",
    "handshake_bytes": "bytes of TCP, TLS, WebSocket and Engine.IO handshakes (all layers)",
    "wire_bytes": "payload_bytes + overhead_bytes + transport_bytes",
    "bytes_per_delivery": "wire_bytes / deliveries",
    "wire_bps": "wire_bytes * 8 / measured time",
    "lost_messages": "transmissions lost on the network (a lost resend counts again)",
    "dropped_messages": "transmissions dropped by a full queue",
    "retransmissions": "transmissions that resend a lost message (TCP retransmissions)",
    "retransmitted_bytes": "wire bytes of those retransmissions (part of wire_bytes)",
    "reconnects": "times a client set up again after its connection or stream broke",
    "replayed_updates": "updates resent after a reconnect (SSE Last-Event-ID)",
    "replay_lost_updates": "updates a reconnecting client missed: no longer in the history",
    "missed_updates": "updates and client messages never to be delivered (whole run)",
    "pending_updates": "updates and client messages queued or in transit at the end (whole run)",
    "connections_opened": "connections clients asked for",
    "reconnect_storm_peak_per_s": "most new connections (SYNs) arriving at the server in 1 s",
    "recovery_max_s": "after a fault ends, longest wait of a client for an application message",
    "peak_connections": "most connections open at once, client view (whole run)",
    "server_requests": "requests the server served (whole run)",
    "server_busy_fraction": "worker time used / worker time available (NaN: unlimited)",
    "peak_open_connections": "most connections open at the server at once (whole run)",
    "peak_memory_bytes": "peak server memory for connections and held requests (whole run)",
}

BYTE_CATEGORIES = ("payload", "headers and framing", "IP/TCP/TLS", "handshakes", "heartbeats")


def categories(transfers: pd.DataFrame) -> pd.Series:
    """The category of each transfer (handshake, heartbeat or data; protocols.kinds)."""
    kinds = transfers["kind"]
    if isinstance(kinds.dtype, pd.CategoricalDtype):  # map the few kinds used, not the rows
        codes = kinds.cat.codes.to_numpy()
        names = np.full(len(kinds.cat.categories), "", dtype=object)
        for code in np.unique(codes):
            names[code] = category_of(kinds.cat.categories[code])
        return pd.Series(names[codes], index=transfers.index)
    return kinds.astype(str).map(category_of)


def byte_breakdown(transfers: pd.DataFrame) -> dict[str, int]:
    """Bytes sent, by category (see BYTE_CATEGORIES); they add up to the wire bytes.

    Handshakes (TCP, TLS, WebSocket upgrade) and heartbeats (pings, pongs, SSE comments)
    count whole, every layer; the rest splits into payload, the application protocol's
    headers and framing, and IP/TCP/TLS overhead.
    """
    category = categories(transfers)
    handshake = category == "handshake"
    heartbeat = category == "heartbeat"
    total = transfers["payload_bytes"] + transfers["overhead_bytes"] + transfers["transport_bytes"]
    other = ~handshake & ~heartbeat
    return {
        "payload": int(transfers.loc[other, "payload_bytes"].sum()),
        "headers and framing": int(transfers.loc[other, "overhead_bytes"].sum()),
        "IP/TCP/TLS": int(transfers.loc[other, "transport_bytes"].sum()),
        "handshakes": int(total[handshake].sum()),
        "heartbeats": int(total[heartbeat].sum()),
    }


def peak_concurrent(opened_at: np.ndarray, closed_at: np.ndarray) -> int:
    """Most intervals ``[opened_at, closed_at)`` open at once; NaN opened = never opened."""
    opened = ~np.isnan(opened_at)
    starts = opened_at[opened]
    ends = closed_at[opened]
    ends = ends[~np.isnan(ends)]
    if starts.size == 0:
        return 0
    times = np.concatenate([starts, ends])
    steps = np.concatenate([np.ones(starts.size), -np.ones(ends.size)])
    order = np.lexsort((steps, times))  # at equal times, closes (-1) before opens (+1)
    return int(np.cumsum(steps[order]).max())


def _storm_peak(transfers: pd.DataFrame) -> int:
    """Most SYNs received by the server within one whole second."""
    syn = transfers.loc[transfers["kind"] == "tcp-syn", "received_at"].dropna()
    if syn.empty:
        return 0
    return int(np.bincount(np.floor(syn.to_numpy()).astype(np.int64)).max())


def _recovery(result, fault_ends: Sequence[float]) -> float:
    """Longest time, after any fault ends, until a client's transport hands it an
    application message (a response, event, frame or 101; not TCP or TLS handshakes).
    Messages held back behind a lost one count only once released.

    Infinite if some client never hears from the server again before the run ends.
    """
    fault_ends = [end for end in fault_ends if end < result.end_s]
    if not fault_ends:
        return math.nan
    t = result.transfers
    application = ~t["kind"].isin(TRANSPORT_HANDSHAKE_KINDS)
    down = t[(t["direction"] == "down") & t["handed_at"].notna() & application]
    worst = 0.0
    for end in fault_ends:
        after = down[down["handed_at"] >= end].groupby("client")["handed_at"].min()
        if len(after) < result.scenario.clients:
            return math.inf
        worst = max(worst, float(after.max()) - end)
    return worst


def summarize(result) -> pd.Series:
    """The summary metrics of ``result`` (see :data:`SUMMARY_METRICS`), as a Series.

    From the tables, or, at a lighter ``[record] level``, from the counters it kept
    instead (:class:`~simulation.tallies.Tallies`): the same metrics either way.
    """
    scenario = result.scenario
    warmup = scenario.warmup_s
    measured_s = result.end_s - warmup
    tallies: Tallies | None = result.tallies
    group: int | None = getattr(result, "group", None)  # a group's view: its number
    stats: RunStats = result.stats
    if tallies is not None and tallies.deliveries is not None:
        values = _tallied_deliveries(tallies, group)
    else:
        values = _delivery_values(result.updates, result.deliveries, warmup)
    if tallies is None:
        transfers = result.transfers[result.transfers["sent_at"] >= warmup]
        values.update(_transfer_values(transfers))
        values["reconnect_storm_peak_per_s"] = _storm_peak(transfers)
        values["recovery_max_s"] = _recovery(result, stats.fault_ends)
    else:
        values.update(transfer_values(tallies.counts(group)))
        values["reconnect_storm_peak_per_s"] = tallies.storm_peak(group)
        values["recovery_max_s"] = tallies.recovery(stats.fault_ends, result.end_s, group)
    if tallies is None or tallies.connections_opened is None:
        connections = result.connections
        values["connections_opened"] = len(connections)
        values["peak_connections"] = peak_concurrent(
            connections["opened_at"].to_numpy(), connections["closed_at"].to_numpy()
        )
    else:
        opened, peak = tallies.connection_counts(group)
        values["connections_opened"] = opened
        values["peak_connections"] = peak
    counts = stats.strategy
    own = counts.metrics  # computed by the strategy
    workers = stats.server_workers
    busy_fraction = (
        stats.server_busy_s / (workers * result.end_s)
        if math.isfinite(workers) and result.end_s > 0
        else math.nan
    )
    count, expected = values["deliveries"], values["expected_deliveries"]
    responses, empty = values["responses"], values["empty_responses"]
    wire = values["payload_bytes"] + values["overhead_bytes"] + values["transport_bytes"]
    values.update(
        {
            "delivery_ratio": count / expected if expected else math.nan,
            **{
                name: type(metric.absent)(own.get(name, metric.absent))
                for name, metric in STRATEGY_METRICS.items()
            },
            "empty_fraction": empty / responses if responses else math.nan,
            "wire_bytes": wire,
            "bytes_per_delivery": wire / count if count else math.nan,
            "wire_bps": wire * 8 / measured_s if measured_s > 0 else math.nan,
            "reconnects": counts.reconnects,
            "replayed_updates": counts.replayed_updates,
            "replay_lost_updates": counts.replay_lost_updates,
            "missed_updates": counts.missed_updates,
            "pending_updates": counts.pending_updates,
            "server_requests": stats.server_requests,
            "server_busy_fraction": busy_fraction,
            "peak_open_connections": stats.peak_open_connections,
            "peak_memory_bytes": stats.peak_memory_bytes,
        }
    )
    ordered = {name: values[name] for name in SUMMARY_METRICS}
    for name, value in own.items():  # named at run time: room_<name>_deliveries
        ordered.setdefault(name, value)
    return pd.Series(ordered, name=scenario.name, dtype=object)


def _delivery_values(
    all_updates: pd.DataFrame, all_deliveries: pd.DataFrame, warmup: float
) -> dict[str, Any]:
    """The update and delivery metrics, from those tables."""
    all_updates = all_updates[all_updates["created_at"] >= warmup]
    all_deliveries = all_deliveries[all_deliveries["created_at"] >= warmup]
    updates = all_updates[all_updates["direction"] == "down"]
    deliveries = all_deliveries[all_deliveries["direction"] == "down"]
    up_deliveries = all_deliveries[all_deliveries["direction"] == "up"]
    latency = deliveries["latency_s"].to_numpy()
    up_latency = up_deliveries["latency_s"].to_numpy()
    newest = deliveries.groupby("message_id")[["created_at", "delivered_at"]].max()
    age = (newest["delivered_at"] - newest["created_at"]).to_numpy()
    count = len(deliveries)

    def quantile(q: float, values=latency) -> float:
        return float(np.quantile(values, q)) if values.size else math.nan

    def mean(values) -> float:
        return float(values.mean()) if values.size else math.nan

    return {
        "updates": len(updates),
        "expected_deliveries": int(updates["audience"].sum()),
        "deliveries": count,
        "latency_mean_s": float(latency.mean()) if count else math.nan,
        "latency_p50_s": quantile(0.50),
        "latency_p95_s": quantile(0.95),
        "latency_p99_s": quantile(0.99),
        "latency_max_s": float(latency.max()) if count else math.nan,
        "age_at_delivery_mean_s": mean(age),
        "duplicate_deliveries": int(deliveries.duplicated(["update_id", "client"]).sum()),
        "up_messages": int((all_updates["direction"] == "up").sum()),
        "up_deliveries": len(up_deliveries),
        "latency_up_mean_s": mean(up_latency),
        "latency_up_p50_s": quantile(0.50, up_latency),
        "latency_up_p95_s": quantile(0.95, up_latency),
        "latency_up_p99_s": quantile(0.99, up_latency),
    }


def _tallied_deliveries(tallies: Tallies, group: int | None) -> dict[str, Any]:
    """The update and delivery metrics, from the summary level's counters and sketches."""
    updates, expected, up_messages = tallies.update_counts(group)
    tally = tallies.delivery(group)
    down, up = tally.down, tally.up
    p50, p95, p99 = down.quantiles((0.50, 0.95, 0.99))
    up50, up95, up99 = up.quantiles((0.50, 0.95, 0.99))
    return {
        "updates": updates,
        "expected_deliveries": expected,
        "deliveries": down.count,
        "latency_mean_s": down.mean(),
        "latency_p50_s": p50,
        "latency_p95_s": p95,
        "latency_p99_s": p99,
        "latency_max_s": down.max(),
        "age_at_delivery_mean_s": tally.age.mean(),
        "duplicate_deliveries": tally.duplicates,
        "up_messages": up_messages,
        "up_deliveries": up.count,
        "latency_up_mean_s": up.mean(),
        "latency_up_p50_s": up50,
        "latency_up_p95_s": up95,
        "latency_up_p99_s": up99,
    }


def _transfer_values(transfers: pd.DataFrame) -> dict[str, int]:
    """The transfer metrics, from the (measured) transfers table."""
    first = transfers["attempt"] == 0  # a retransmission repeats a message: count it once
    on_wire = (
        transfers["payload_bytes"] + transfers["overhead_bytes"] + transfers["transport_bytes"]
    )
    return {
        "messages": len(transfers),
        "requests": int((transfers["request"] & first).sum()),
        "responses": int((transfers["response"] & first).sum()),
        "empty_responses": int((transfers["empty"] & first).sum()),
        "payload_bytes": int(transfers["payload_bytes"].sum()),
        "overhead_bytes": int(transfers["overhead_bytes"].sum()),
        "transport_bytes": int(transfers["transport_bytes"].sum()),
        "handshake_bytes": int(on_wire[categories(transfers) == "handshake"].sum()),
        "lost_messages": int((transfers["lost"] & ~transfers["dropped"]).sum()),
        "dropped_messages": int(transfers["dropped"].sum()),
        "retransmissions": int((~first).sum()),
        "retransmitted_bytes": int(on_wire[~first].sum()),
    }


# Counters kept for the whole run, outside the per-client tables: NaN in per-group rows.
WHOLE_RUN_ONLY = (
    *STRATEGY_METRICS,
    "reconnects",
    "replayed_updates",
    "replay_lost_updates",
    "missed_updates",
    "pending_updates",
    "server_requests",
    "server_busy_fraction",
    "peak_open_connections",
    "peak_memory_bytes",
)


@dataclass
class _GroupView:
    """The rows of one client group, shaped like a Result for :func:`summarize`; a table
    the run's ``[record] level`` did not keep is None, and ``tallies`` has it instead."""

    scenario: Any
    end_s: float
    updates: pd.DataFrame | None
    deliveries: pd.DataFrame | None
    transfers: pd.DataFrame | None
    connections: pd.DataFrame | None
    stats: RunStats
    tallies: Tallies | None = None
    group: int | None = None  # the group's number in the tallies


def summarize_groups(result) -> pd.DataFrame:
    """One row of summary metrics per client group (``all`` without groups).

    Each group's metrics come from its clients' rows. An update meant for every client
    is meant for each of a group's clients; a targeted one for its target's group. With
    Socket.IO rooms the updates' audience cannot be split by group, so
    ``expected_deliveries`` and ``delivery_ratio`` are NaN per group. Every record level
    keeps what this needs (the light ones count per group).
    """
    rows = _group_rows(result) if result.scenario.groups else {"all": summarize(result)}
    return pd.DataFrame(rows).T.apply(pd.to_numeric).rename_axis("group")


def _group_rows(result) -> dict[str, pd.Series]:
    scenario = result.scenario
    tallies: Tallies | None = result.tallies
    if tallies is not None and tallies.updates is not None:  # no table at all
        in_rooms = tallies.in_rooms
        own_tables = None
    else:
        updates = result.updates
        down = updates[updates["direction"] == "down"]
        everyone = down[(down["target"] < 0) & (down["audience"] == scenario.clients)]
        in_rooms = bool(((down["target"] < 0) & (down["audience"] != scenario.clients)).any())
        targeted = down[down["target"] >= 0]
        up = updates[updates["direction"] == "up"]
        own_tables = everyone, targeted, up
    rows = {}
    for index, group in enumerate(scenario.groups):
        mine = group.first, group.first + group.count

        def of(frame, column="client", low=mine[0], high=mine[1]):
            return frame[(frame[column] >= low) & (frame[column] < high)]

        own = deliveries = transfers = connections = None
        if own_tables is not None:
            everyone, targeted, up = own_tables
            own = pd.concat(
                [everyone.assign(audience=group.count), of(targeted, "target"), of(up, "origin")]
            ).sort_values("update_id", kind="stable")
            deliveries, connections = of(result.deliveries), of(result.connections)
            transfers = of(result.transfers) if tallies is None else None
        view = _GroupView(
            dataclasses.replace(scenario, clients=group.count, name=group.name),
            result.end_s,
            own,
            deliveries,
            transfers,
            connections,
            stats=RunStats(fault_ends=result.stats.fault_ends),
            tallies=tallies,
            group=index,
        )
        summary = summarize(view)
        summary[list(WHOLE_RUN_ONLY)] = math.nan
        if in_rooms:
            summary[["expected_deliveries", "delivery_ratio"]] = math.nan
        rows[group.name] = summary
    return rows
