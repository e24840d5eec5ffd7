"""The reference mean of a whole scenario: the closed form that holds for it, or None."""

from __future__ import annotations

import math

import numpy as np

from .closed_forms import (
    _long_poll_excess_s,
    long_poll_blind_window_s,
    md1_mean_wait_s,
    push_delay_mean_s,
    setup_round_trips,
    setup_time_s,
    short_poll_measured_wait_s,
)
from .in_order import in_order_mean_latency_s


def _updates_per_client_per_s(scenario) -> float:
    workload = scenario.workload
    return workload.rate_per_s / (scenario.clients if workload.audience == "one" else 1)


PUSH_STRATEGIES = ("websocket", "sse", "stream")
# Strategy keys that add messages or reconnections to a push stream (the reference holds
# only without them)
_PUSH_EXTRAS = ("ping_interval_s", "comment_interval_s", "max_connection_s", "max_stream_s")


def expected_latency_s(scenario, group: str | None = None) -> float | None:
    """The closed-form mean delivery latency of ``scenario`` where one holds, else None.

    A closed form needs an ideal path and server: unlimited bandwidth, no loss, jitter or
    faults, an instant server with unlimited workers, a full-duplex channel, and a warm-up
    long enough (twice the mean set-up, plus one interval for short polling, whose first
    poll waits for its connection) for every client to be on schedule. Then:

    * short polling, constant latency ``L``: ``L + T/2`` when the polls' phase is random
      against the updates (Poisson updates, or the default uniform phases), less the
      right censoring of a finite run (:func:`short_poll_measured_wait_s`); with a
      constant ``phase_s`` and periodic updates, the exact mean of
      ``L + ((phase + L - created) mod T)`` over the measured updates. Random latency:
      None (the spread of request arrivals lengthens the wait by about ``Var(L)/T``);
    * long polling, Poisson updates, constant latency: :func:`long_poll_mean_latency_s`
      with the blind window of :func:`long_poll_blind_window_s` (new connections count
      when ``keep_alive`` is off);
    * push (WebSocket, SSE, stream) with no pings, comments or forced reconnections:
      ``L`` for constant latency; for random latency and Poisson updates the in-order
      delay of :func:`in_order_mean_latency_s`.

    Long polling and push add the server's push time where it is a constant ``c`` that
    delays each client's updates alike (:func:`_push_delay_s`): ``c`` written in
    parallel; written serially, :func:`push_delay_mean_s` for broadcasts that never
    overlap (periodic, at most one every ``N c``), and ``c`` plus an M/D/1 wait for
    Poisson updates to one client each. Otherwise (random push times, overlapping
    broadcasts, a serial fan-out with client groups) None.

    With client groups, ``group`` names one group: its clients' mean, from the group's
    network. Without ``group``, the mean over every delivery: the groups' means weighted
    by their clients (updates go to every client), or None if a group has no formula.
    """
    if scenario.groups:
        if scenario.server.push_fanout == "serial" and scenario.server.pushes_take_time:
            return None  # each group's mean depends on its clients' places in the fan-out
        return _groups_latency_s(scenario, group)
    if group is not None:
        raise ValueError(f"{scenario.name or scenario.source} has no client groups")
    network = scenario.network
    ideal = (
        math.isinf(network.bandwidth_bps)
        and network.loss == 0
        and network.jitter_s == 0
        and network.mode == "full-duplex"
        and not scenario.faults.any
        and math.isinf(scenario.server.workers)
        and scenario.server.service_time_s.constant_value() == 0
        and math.isinf(scenario.transport.idle_timeout_s)
    )
    if not ideal:
        return None
    kind = scenario.strategy.kind
    params = scenario.strategy
    tls = scenario.transport.tls
    mean_latency = network.latency_s.mean()
    websocket = kind == "websocket"
    setup_s = setup_time_s(mean_latency, setup_round_trips(tls, websocket) + 1)
    if scenario.warmup_s < 2 * setup_s:
        return None  # updates created while connecting wait longer than any formula says
    constant = network.latency_s.constant_value()
    workload = scenario.workload
    if kind == "short-polling":
        interval = params.interval_s
        if constant is None or scenario.warmup_s < interval + 2 * setup_s:
            return None  # (a client's first poll waits for its connection: off schedule)
        phase = params.phase_s
        if workload.kind == "poisson" or phase is None:
            measured = scenario.duration_s - scenario.warmup_s - constant
            return constant + short_poll_measured_wait_s(interval, measured)
        if workload.kind == "periodic" and phase.constant_value() is not None:
            return _fixed_phase_poll_latency_s(scenario, constant)
        return None
    push = _push_delay_s(scenario)
    if push is None:
        return None
    if kind == "long-polling":
        if constant is None or workload.kind != "poisson":
            return None
        if push and scenario.server.push_fanout == "serial":
            return None  # queued writes shift a client's updates unevenly
        blind = long_poll_blind_window_s(
            constant, scenario.transport.keep_alive, tls, params.reconnect_delay_s
        )
        return (
            constant
            + _long_poll_excess_s(blind, _updates_per_client_per_s(scenario), params.hold_timeout_s)
            + push
        )
    if kind in PUSH_STRATEGIES:
        if any(math.isfinite(getattr(params, key, math.inf)) for key in _PUSH_EXTRAS):
            return None
        if getattr(params, "other_tabs", 0) >= scenario.transport.max_connections_per_host:
            return None  # SSE: other tabs hold every connection; the stream never opens
        if constant is not None:
            return constant + push
        if workload.kind != "poisson":
            return None
        in_order = in_order_mean_latency_s(network.latency_s, _updates_per_client_per_s(scenario))
        return None if in_order is None else in_order + push
    return None


def _push_delay_s(scenario) -> float | None:
    """The mean time from an update's creation to its push, where it shifts each client's
    updates by one constant (so the strategy's closed form holds, shifted); else None."""
    server, workload = scenario.server, scenario.workload
    push = server.push_time_s.constant_value()
    if push is None:
        return None  # random: pushes to one client may wait for each other
    if push == 0 or server.push_fanout == "parallel":
        return push
    if workload.audience == "one":
        if workload.kind == "poisson":  # one write per update: an M/D/1 queue
            if workload.rate_per_s * push >= 1:
                return None  # the queue grows without bound
            return push + md1_mean_wait_s(workload.rate_per_s, push)
        return push if workload.kind == "periodic" and push <= 1 / workload.rate_per_s else None
    if workload.kind == "periodic" and scenario.clients * push <= 1 / workload.rate_per_s:
        return push_delay_mean_s(push, scenario.clients, "serial")
    return None  # broadcasts that may overlap queue behind each other


def _fixed_phase_poll_latency_s(scenario, latency_s: float) -> float | None:
    """Mean latency of periodic updates polled at a fixed phase: every update created at
    ``c`` waits for the next request to reach the server, at ``phase + L + k T``."""
    workload = scenario.workload
    interval = scenario.strategy.interval_s
    arrive = scenario.strategy.phase_s.constant_value() + latency_s
    period = 1 / workload.rate_per_s
    first = workload.start_s
    created = first + period * np.arange(math.ceil((scenario.duration_s - first) / period))
    created = created[(created >= scenario.warmup_s) & (created < scenario.duration_s)]
    # delivered only if the request reaches the server, and its response the client, in time
    waits = np.mod(arrive - created, interval)
    delivered = created + waits + latency_s <= scenario.duration_s
    if not delivered.any():
        return None
    return latency_s + float(waits[delivered].mean())


def _groups_latency_s(scenario, name: str | None) -> float | None:
    """:func:`expected_latency_s` of one group, or of all groups together."""
    import dataclasses

    names = [group.name for group in scenario.groups]
    if name is not None and name not in names:
        raise ValueError(f"no group {name!r} (groups: {', '.join(names)})")
    means = {}
    for group in scenario.groups:
        if name is None or group.name == name:
            alone = dataclasses.replace(scenario, network=group.network, groups=())
            means[group.name] = (expected_latency_s(alone), group.count)
    if name is not None:
        return means[name][0]
    if any(mean is None for mean, _ in means.values()):
        return None
    return sum(mean * count for mean, count in means.values()) / scenario.clients
