"""Closed forms of polling, push, queues, set-up and loss recovery.

Units: seconds, bytes, bits per second, events per second.
"""

from __future__ import annotations

import math

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


def short_poll_measured_wait_s(interval_s: float, window_s: float) -> float:
    """Mean wait for the next poll among the updates a run of finite length delivers.

    An update created at ``c`` in the measured window waits ``W ~ U(0, T)`` and is
    delivered only if its response arrives before the end, ``W <= A - (c - warmup)`` with
    ``A = duration - warmup - L``. Updates created in the last ``T`` are delivered only
    when their wait is short (right censoring), so the mean wait is below ``T/2``::

        T (A - 2T/3) / (2A - T)        for A >= T

    (about ``T/2 - T^2 / (12 A)``: the shorter the run, the further below the steady
    state's ``L + T/2``).
    """
    interval, window = interval_s, window_s
    if window <= 0:
        return math.nan
    if window < interval:  # every update may be cut off: the wait is uniform on [0, A]
        return window / 3
    return interval * (window - 2 * interval / 3) / (2 * window - interval)


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
    return latency_s + _long_poll_excess_s(
        2 * latency_s + reconnect_delay_s, rate_per_s, hold_timeout_s
    )


def push_delay_mean_s(push_time_s: float, recipients: int, fanout: str = "serial") -> float:
    """Mean time from an update's creation to its push, over the recipients of one
    broadcast, with a constant ``push_time_s`` and no broadcast still being written when
    the next is created (``[server] push_fanout``): ``serial`` writes recipient ``i``
    (from 1) at ``i * push_time_s``, a mean of ``(N + 1) / 2 * push_time_s``; ``parallel``
    writes each at ``push_time_s``.

    A push strategy's latency is the path's plus this. For long polling it adds to
    :func:`long_poll_mean_latency_s` unchanged: a held request stays held while its
    response is written, so each client's update process is only shifted by its own
    constant delay and its blind window stays ``2 L + reconnect_delay_s``.
    """
    if fanout == "parallel":
        return push_time_s
    return (recipients + 1) / 2 * push_time_s


def long_poll_updates_per_response(
    latency_s: float,
    rate_per_s: float,
    hold_timeout_s: float = math.inf,
    reconnect_delay_s: float = 0.0,
) -> float:
    """Mean updates per long-poll response: ``rate B + exp(-rate B) (1 - exp(-rate H))``.

    Every cycle of the renewal argument above ends with exactly one response.
    """
    return _updates_per_cycle(2 * latency_s + reconnect_delay_s, rate_per_s, hold_timeout_s)


def _updates_per_cycle(blind_s: float, rate_per_s: float, hold_timeout_s: float) -> float:
    return rate_per_s * blind_s + math.exp(-rate_per_s * blind_s) * (
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


def rto_retransmission_delay_mean_s(
    loss: float, rto_s: float, rto_max_s: float, karn: bool = True
) -> float:
    """Mean extra delay of isolated messages (no segment behind them before their timer
    fires) on a link that loses each copy with probability ``loss``, when the RTO is
    ``rto_s`` before any back-off. The n-th resend waits rto·2^(b+n-1), capped at
    ``rto_max_s`` (RFC 6298 section 5.5), where b is the back-off a message inherits:
    under Karn's rule (section 3) a resent segment gives no RTT sample, so the RTO stays
    backed off until a message gets through at its first try (b = 0 then, else b grows by
    that message's losses). Without ``karn`` (timestamps, RFC 7323) b is always 0 and the
    mean is rto·loss/(1 - 2·loss) for loss < 1/2 and no cap."""
    if not 0 <= loss < 1:
        raise ValueError(f"loss must be in [0, 1), got {loss!r}")
    top = max(0, math.ceil(math.log2(rto_max_s / rto_s)))  # more back-offs change nothing
    losses = range(1, 1 + max(1, math.ceil(math.log(1e-16) / math.log(max(loss, 1e-300)))))

    def waited(b: int, n: int) -> float:
        return sum(min(rto_s * 2 ** min(b + i, top), rto_max_s) for i in range(n))

    share = [1.0] + [0.0] * top  # the chain of inherited back-offs, to its steady state
    for _ in range(200 if karn else 0):
        nxt = [1 - loss] + [0.0] * top
        for b, weight in enumerate(share):
            for n in losses:
                nxt[min(b + n, top)] += weight * loss**n * (1 - loss)
        share = nxt
    return sum(
        weight * sum(loss**n * (1 - loss) * waited(b, n) for n in losses)
        for b, weight in enumerate(share)
    )


def fast_retransmit_delay_s(rtt_s: float, rate_per_s: float) -> float:
    """Extra delay of a message lost in a steady stream: the 3 messages behind it reach
    the receiver after 3/rate, their duplicate ACKs reach the sender an RTT after the loss
    was sent (RFC 5681 section 3.2), and the resend takes one more one-way trip, which the
    message would have taken anyway. It holds while 3/rate + RTT is below the RTO."""
    return rtt_s + 3 / rate_per_s


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


def long_poll_blind_window_s(
    latency_s: float, keep_alive: bool = True, tls: str = "none", reconnect_delay_s: float = 0.0
) -> float:
    """Time after a long-poll response leaves the server until the next request arrives.

    The response travels down (``L``) and the next request up (``L``). Without keep-alive
    the next request needs a new connection first: TCP's round trip and TLS's, so
    ``B = 2 L (2 + TLS round trips) + reconnect_delay_s``.
    """
    setup = 0 if keep_alive else 1 + TLS_ROUND_TRIPS[tls]
    return 2 * latency_s * (1 + setup) + reconnect_delay_s


def _long_poll_excess_s(blind_s: float, rate_per_s: float, hold_timeout_s: float) -> float:
    """Mean wait beyond ``L`` of long polling with blind window ``blind_s`` (renewal)."""
    per_response = _updates_per_cycle(blind_s, rate_per_s, hold_timeout_s)
    return rate_per_s * blind_s**2 / 2 / per_response
