"""Closed forms the simulator is checked against (in tests) and compared with (in notebooks).

Units: seconds, bytes, bits per second, events per second.
"""

from __future__ import annotations

import math

__all__ = [
    "expected_latency_s",
    "long_poll_bytes_per_update",
    "long_poll_empty_fraction",
    "long_poll_mean_latency_s",
    "long_poll_updates_per_response",
    "md1_mean_wait_s",
    "mm1_mean_wait_s",
    "push_bytes_per_update",
    "serialization_s",
    "setup_round_trips",
    "setup_time_s",
    "short_poll_bytes_per_update",
    "short_poll_empty_fraction",
    "short_poll_mean_latency_s",
]

TLS_ROUND_TRIPS = {"none": 0, "1.3": 1, "1.2": 2}  # RFC 8446 and RFC 5246 full handshakes


def serialization_s(size_bytes: float, bandwidth_bps: float) -> float:
    """Time to put ``size_bytes`` on a link of ``bandwidth_bps`` (0 for infinite bandwidth)."""
    return size_bytes * 8 / bandwidth_bps


def short_poll_mean_latency_s(
    latency_s: float, interval_s: float, response_serialization_s: float = 0.0
) -> float:
    """Mean delivery latency of short polling: ``L + T/2`` (+ the response's serialization).

    Requests reach the server every ``T = interval_s`` seconds at a phase independent of
    the update times, so an update waits ``U(0, T)`` for the next request (mean ``T/2``),
    then travels back in the response: one one-way latency ``L``.
    """
    return latency_s + interval_s / 2 + response_serialization_s


def short_poll_empty_fraction(rate_per_s: float, interval_s: float) -> float:
    """Fraction of empty short-poll responses for Poisson updates: ``exp(-rate * T)``.

    ``rate_per_s`` is the rate of updates meant for *one* client (the workload's rate for
    audience "all", rate / clients for audience "one").
    """
    return math.exp(-rate_per_s * interval_s)


def long_poll_mean_latency_s(
    latency_s: float,
    rate_per_s: float,
    hold_timeout_s: float = math.inf,
    reconnect_delay_s: float = 0.0,
) -> float:
    """Mean delivery latency of long polling with Poisson updates (renewal-reward).

    After each response the server has no request for ``B = 2 L + reconnect_delay_s``
    (the response travels down, the next request up). Updates created in that blind
    window wait for the request (``B / 2`` on average) and then travel ``L``; the first
    update after it finds a held request and only travels ``L``. A cycle with ``N >= 1``
    updates in the window delivers them together; otherwise the hold ends with one update
    or, after ``H = hold_timeout_s``, an empty response. So::

        mean = L + rate * B**2 / 2 / (rate * B + exp(-rate * B) * (1 - exp(-rate * H)))

    It lies between ``L`` (rare updates) and ``L + B / 2`` (frequent ones: like polling
    every ``B``). ``rate_per_s`` is the rate of updates for one client.
    """
    blind = 2 * latency_s + reconnect_delay_s
    updates_per_cycle = long_poll_updates_per_response(
        latency_s, rate_per_s, hold_timeout_s, reconnect_delay_s
    )
    return latency_s + rate_per_s * blind**2 / 2 / updates_per_cycle


def long_poll_updates_per_response(
    latency_s: float,
    rate_per_s: float,
    hold_timeout_s: float = math.inf,
    reconnect_delay_s: float = 0.0,
) -> float:
    """Mean updates per long-poll response: ``rate B + exp(-rate B) (1 - exp(-rate H))``.

    Every cycle of the renewal argument above ends with exactly one response.
    """
    blind = 2 * latency_s + reconnect_delay_s
    return rate_per_s * blind + math.exp(-rate_per_s * blind) * (
        1 - math.exp(-rate_per_s * hold_timeout_s)
    )


def long_poll_empty_fraction(
    latency_s: float,
    rate_per_s: float,
    hold_timeout_s: float,
    reconnect_delay_s: float = 0.0,
) -> float:
    """Fraction of long-poll responses that are empty: ``exp(-rate * (B + H))``.

    A response is empty when no update came during the blind window ``B`` nor during the
    hold ``H``; every cycle ends with exactly one response.
    """
    blind = 2 * latency_s + reconnect_delay_s
    return math.exp(-rate_per_s * (blind + hold_timeout_s))


def short_poll_bytes_per_update(
    payload_bytes: float,
    rate_per_s: float,
    interval_s: float,
    request_bytes: float,
    response_bytes: float,
) -> float:
    """Wire bytes per delivered update when short polling: ``payload + exchange / (rate T)``.

    Each poll costs one request and one response (``request_bytes`` and ``response_bytes``
    of headers, each including its packet headers) whether or not it carries updates,
    and brings ``rate * T`` updates on average. Assumes a response fits one segment's
    packet headers (payloads well below the MSS).
    """
    return payload_bytes + (request_bytes + response_bytes) / (rate_per_s * interval_s)


def long_poll_bytes_per_update(
    payload_bytes: float,
    latency_s: float,
    rate_per_s: float,
    request_bytes: float,
    response_bytes: float,
    hold_timeout_s: float = math.inf,
    reconnect_delay_s: float = 0.0,
) -> float:
    """Wire bytes per delivered update when long polling: one exchange per response."""
    per_response = long_poll_updates_per_response(
        latency_s, rate_per_s, hold_timeout_s, reconnect_delay_s
    )
    return payload_bytes + (request_bytes + response_bytes) / per_response


def push_bytes_per_update(payload_bytes: float, framing_bytes: float) -> float:
    """Wire bytes per update pushed on an open stream or socket: payload plus framing.

    ``framing_bytes`` is everything one pushed message adds: the WebSocket frame header or
    the SSE fields and chunk, a TLS record if any, and the packet headers.
    """
    return payload_bytes + framing_bytes


def md1_mean_wait_s(arrival_rate_per_s: float, service_s: float) -> float:
    """M/D/1 mean time in queue before service: ``rho * D / (2 * (1 - rho))``, rho = lambda D.

    Poisson arrivals, constant service time ``D`` (a link serializing equal-sized messages).
    """
    rho = arrival_rate_per_s * service_s
    if not 0 <= rho < 1:
        raise ValueError(f"utilisation must be in [0, 1), got {rho:g}")
    return rho * service_s / (2 * (1 - rho))


def mm1_mean_wait_s(arrival_rate_per_s: float, mean_service_s: float) -> float:
    """M/M/1 mean time in queue before service: ``rho / (mu - lambda)``."""
    rho = arrival_rate_per_s * mean_service_s
    if not 0 <= rho < 1:
        raise ValueError(f"utilisation must be in [0, 1), got {rho:g}")
    return rho * mean_service_s / (1 - rho)


def setup_round_trips(tls: str = "none", websocket: bool = False) -> int:
    """Round trips before a client can use a new connection.

    TCP's handshake (1), TLS's (0, 1 for 1.3, 2 for 1.2) and, for a WebSocket, the HTTP
    Upgrade request and its 101 response (1).
    """
    return 1 + TLS_ROUND_TRIPS[tls] + (1 if websocket else 0)


def setup_time_s(
    latency_s: float,
    round_trips: int,
    handshake_bytes: float = 0.0,
    bandwidth_bps: float = math.inf,
) -> float:
    """Time to set a connection up: ``2 L`` per round trip plus serialization.

    The handshake's messages alternate direction, each waiting for the previous one, so
    every one of their ``handshake_bytes`` is serialized on the critical path.
    """
    return 2 * latency_s * round_trips + serialization_s(handshake_bytes, bandwidth_bps)


def expected_latency_s(scenario) -> float | None:
    """The closed-form mean delivery latency of ``scenario``, where one applies, else None.

    It applies with unlimited bandwidth, no loss, jitter or faults, an instant server and a
    full-duplex channel: short polling (``L + T/2``), long polling with Poisson updates
    (:func:`long_poll_mean_latency_s`) and push strategies (``L``). ``L`` is the mean
    one-way latency.
    """
    network = scenario.network
    ideal = (
        math.isinf(network.bandwidth_bps)
        and network.loss == 0
        and network.jitter_s == 0
        and network.mode == "full-duplex"
        and not scenario.faults.any
        and math.isinf(scenario.server.workers)
        and scenario.server.service_time_s.constant_value() == 0
    )
    if not ideal:
        return None
    latency = network.latency_s.mean()
    kind = scenario.strategy.kind
    if kind == "short-polling":
        return short_poll_mean_latency_s(latency, scenario.strategy.interval_s)
    if kind == "long-polling":
        workload = scenario.workload
        if workload.kind != "poisson":
            return None
        rate = workload.rate_per_s / (scenario.clients if workload.audience == "one" else 1)
        params = scenario.strategy
        return long_poll_mean_latency_s(
            latency, rate, params.hold_timeout_s, params.reconnect_delay_s
        )
    if kind in ("websocket", "sse", "stream"):
        return latency
    return None
