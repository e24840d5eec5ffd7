"""Measured versus simulated: run a strategy on the real stack and in rtsim with the same
parameters, and put the numbers side by side.

For each cell (strategy, one-way latency, update rate):

1. rtsim runs the cell's scenario; its update times and client start times become the
   schedule the real stack replays (schedule.py), so both see the same arrivals;
2. the real stack runs through the latency proxy (harness.py);
3. rtsim runs again with the HTTP header sizes the real stack actually sent (its mean
   request and response heads; for WebSocket, the upgrade request less the upgrade lines
   rtsim adds itself, and the 101 answer where the server's hook can see it), and with
   the time the real stack took where the testbed cannot set it, as it sets the path's
   latency: the server's push time (``[server] push_time_s``, resampled from every push
   the proxies timed, ``push_fanout = "parallel"``: each delay as measured, whatever
   order the server wrote in) and, for long polling, the clients' mean turnaround from a
   response to the next request (``reconnect_delay_s``). Latency is also simulated
   without them (``instant_latency_mean_s``), which shows what processing time added;
4. both are summarized with the same definitions: latency mean and p95 per delivery
   (for the real stack, until the bytes completing the update reached the client's
   socket, as rtsim's ``delivered_at``; the mean until the client's library handed it
   over is kept as ``app_latency_mean_s``, measured only),
   requests and TCP-stream bytes (both directions, everything above TCP: what the proxy
   counts) per delivered update, connections opened.

With client messages (``Cell.client_rate_per_s``, Socket.IO only), each client also
emits its own messages with an acknowledgement, and the mean ack RTT is compared too:
from the message's bytes leaving the client's socket to the ack's reaching it, as rtsim's
ack RTT with its instant client (the mean from the emit to the library's hand-over is
kept as ``app_ack_rtt_mean_s``, measured only). rtsim is given the server's time to
answer each message (``[server] service_time_s``, resampled), as it is given the push
times.

The bounds checked (:data:`BOUNDS`): mean latency and mean ack RTT within 10% or 2 ms,
bytes per update within 5%.

HTTP/2 and HTTP/3 (``Cell.protocol`` "h2c", "h2" or "h3", :data:`HTTP_PROTOCOLS`): the
real clients send rtsim's own header lists at the cell's ``[http]`` sizes
(:mod:`.apps.multiplexed`), so step 3 changes nothing but the certificate: rtsim's
``tls_certificate_bytes`` is set to the Certificate message of the self-signed
certificate the real server made. Bytes are counted where the proxy counts them: HTTP/2
frames (h2c), TLS records (h2: rtsim's frames plus a record header and tag per message),
UDP payloads (h3: QUIC packets, rtsim's frames plus their packet and STREAM frame headers,
without the UDP and IP headers), both directions, set-up included.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..protocols import tcp
from ..protocols import tls as tls_protocol
from ..protocols import websocket as ws_protocol
from ..protocols.wire import quic
from ..runner import run
from ..scenario import Scenario, parse_scenario
from ..strategies import STRATEGIES
from ..transport.connection import ACK_ONLY_KIND, EXTRA_PACKET_BYTES, UDP_IP_BYTES
from ..transport.transport import quic_transport_bytes
from .harness import TestbedRun, run_testbed
from .schedule import Schedule

__all__ = [
    "BOUNDS",
    "CLIENT_MESSAGE_STRATEGIES",
    "HTTP_PROTOCOLS",
    "STRATEGY_KEYS",
    "TESTBED_STRATEGIES",
    "Cell",
    "StackTimes",
    "cell_scenario",
    "compare",
    "compare_cell",
    "measured_summary",
    "simulated_summary",
]

logger = logging.getLogger(__name__)

# Each testbed strategy: the rtsim strategy kind and the keys of its [strategy] table,
# shared by the real app and rtsim. The WebSocket ping interval is the websockets
# package's default (20 s, its ping_interval); Socket.IO's ping interval and timeout are
# rtsim's and python-engineio's shared defaults (25 s, 20 s).
STRATEGY_KEYS: dict[str, tuple[str, dict]] = {
    "short-polling": ("short-polling", {"interval_s": 1.0}),
    "long-polling": ("long-polling", {"hold_timeout_s": 30.0}),
    "sse": ("sse", {}),
    "websocket": ("websocket", {"ping_interval_s": 20.0}),
    "socketio": (
        "socketio",
        {"transports": ["polling", "websocket"], "client_library": "python-socketio"},
    ),
    "socketio-websocket": (
        "socketio",
        {"transports": ["websocket"], "client_library": "python-socketio"},
    ),
}
TESTBED_STRATEGIES = tuple(STRATEGY_KEYS)
# the testbed strategies whose real clients can send messages of their own (with acks)
CLIENT_MESSAGE_STRATEGIES = ("socketio", "socketio-websocket")

# testbed protocol -> rtsim's [transport] http and tls; "1.1" is aiohttp and friends
HTTP_PROTOCOLS = {
    "1.1": ("1.1", "none"),
    "h2c": ("2", "none"),
    "h2": ("2", "1.3"),
    "h3": ("3", "1.3"),
}
# the strategies the HTTP/2 and HTTP/3 apps serve (apps/multiplexed.py, and
# apps/ws_multiplexed.py for WebSocket over extended CONNECT)
MULTIPLEXED_STRATEGIES = ("short-polling", "long-polling", "sse", "websocket")

PAYLOAD_BYTES = 200  # as in scenarios/default.toml

# metric -> (relative bound, absolute bound): met when within either
BOUNDS = {
    "latency_mean_s": (0.10, 0.002),
    "stream_bytes_per_delivery": (0.05, 0.0),
    "ack_rtt_mean_s": (0.10, 0.002),
}

METRICS = (
    "deliveries",
    "latency_mean_s",
    "instant_latency_mean_s",  # simulated without the stack's measured times
    "push_time_mean_s",  # measured only: what rtsim is given as the server's push time
    "turnaround_mean_s",  # measured only: what rtsim is given as reconnect_delay_s
    "latency_p95_s",
    "app_latency_mean_s",  # measured only: when the client's library handed updates over
    "requests_per_delivery",
    "stream_bytes_per_delivery",
    "connections_opened",
)
# compared only with client messages
ACK_METRICS = ("acks", "service_time_mean_s", "ack_rtt_mean_s", "app_ack_rtt_mean_s")


@dataclass(frozen=True)
class Cell:
    """One comparison: a strategy (a key of :data:`STRATEGY_KEYS`) at a one-way latency (s)
    and update rate (per second); ``client_rate_per_s`` > 0 adds Poisson messages from
    each client, acknowledged by the server (:data:`CLIENT_MESSAGE_STRATEGIES` only)."""

    kind: str
    latency_s: float
    rate_per_s: float
    clients: int = 10
    duration_s: float = 20.0
    seed: int = 1
    client_rate_per_s: float = 0.0
    protocol: str = "1.1"  # a key of HTTP_PROTOCOLS


# What the testbed's libraries do where rtsim's defaults describe a browser and nginx
# (docs/validation-http2-http3.md): httpx and hypercorn's HTTP/2 framing; OpenSSL 3's
# ClientHello, 517 bytes on the wire (a 512-byte message with its 36-byte key share); and
# aioquic, which acknowledges after 1 ms (its K_GRANULARITY) and, under hypercorn, has no
# session ticket handler, so sends no tickets. The server's certificate has an EC P-256
# key (certs.py): its signatures are DER, 70 to 72 bytes.
ECDSA_P256_SIGNATURE_BYTES = 71
TESTBED_STACK: dict[str, dict[str, Any]] = {
    "h2c": {"http_stack": "python"},
    "h2": {
        "http_stack": "python",
        "tls_client_hello_bytes": 512 - 36,
        "tls_signature_bytes": ECDSA_P256_SIGNATURE_BYTES,
    },
    "h3": {
        "http_stack": "python",
        "quic_ack_delay_s": 0.001,
        "tls_session_tickets": 0,
        "tls_signature_bytes": ECDSA_P256_SIGNATURE_BYTES,
    },
}


@dataclass(frozen=True)
class StackTimes:
    """What the real stack took that the testbed cannot set: every push's server time
    (s; :meth:`~.measurements.Measurements.push_delays`), the long-poll clients' mean
    turnaround (s; :meth:`~.measurements.Measurements.turnarounds`, NaN without) and the
    server's time to answer each client message with its ack (s;
    :meth:`~.measurements.Measurements.ack_times`)."""

    push_times_s: tuple[float, ...] = ()
    turnaround_s: float = math.nan
    service_times_s: tuple[float, ...] = ()  # answering a client message with its ack

    @classmethod
    def of(cls, measured: TestbedRun) -> StackTimes:
        m = measured.measurements
        # a short poll's answer is no push, even when an update created while the poll
        # was on its way to the handler goes out in it ([server] push_time_s leaves a
        # strategy that pushes nothing alone)
        pushes = m.push_delays(measured.deliveries) if STRATEGIES[measured.kind].pushes else ()
        turnarounds = m.turnarounds()
        return cls(
            tuple(max(0.0, float(t)) for t in pushes),
            float(turnarounds.mean()) if turnarounds.size else math.nan,
            tuple(max(0.0, float(t)) for t in m.ack_times()[1]),
        )


def cell_scenario(
    cell: Cell,
    http: dict | None = None,
    certificate_bytes: int | None = None,
    times: StackTimes | None = None,
) -> Scenario:
    """The rtsim scenario of ``cell``: full duplex, no loss, no bandwidth limit (as the
    proxy), Poisson updates of 200 bytes to every client, no warm-up; on HTTP/2 and 3 the
    cell's protocol with ``certificate_bytes`` of TLS certificate chain; with ``times``,
    the real stack's push times and long-poll turnaround."""
    if cell.kind not in TESTBED_STRATEGIES:
        raise ValueError(
            f"unknown testbed strategy {cell.kind!r} (allowed: {', '.join(TESTBED_STRATEGIES)})"
        )
    if cell.protocol not in HTTP_PROTOCOLS:
        raise ValueError(
            f"unknown testbed protocol {cell.protocol!r} (allowed: {', '.join(HTTP_PROTOCOLS)})"
        )
    if cell.protocol != "1.1" and cell.kind not in MULTIPLEXED_STRATEGIES:
        raise ValueError(
            f"testbed strategy {cell.kind!r} has no {cell.protocol} app (those that have: "
            f"{', '.join(MULTIPLEXED_STRATEGIES)})"
        )
    if cell.client_rate_per_s > 0 and cell.kind not in CLIENT_MESSAGE_STRATEGIES:
        raise ValueError(
            f"testbed strategy {cell.kind!r} sends no client messages (those that do: "
            f"{', '.join(CLIENT_MESSAGE_STRATEGIES)})"
        )
    kind, keys = STRATEGY_KEYS[cell.kind]
    data: dict[str, Any] = {
        "name": f"{cell.kind} {cell.latency_s * 1000:g} ms {cell.rate_per_s:g}/s",
        "seed": cell.seed,
        "duration_s": cell.duration_s,
        "warmup_s": 0.0,
        "clients": cell.clients,
        "network": {"mode": "full-duplex", "latency_s": cell.latency_s},
        "strategy": {"kind": kind, **keys},
        "workload": {
            "kind": "poisson",
            "rate_per_s": cell.rate_per_s,
            "payload_bytes": PAYLOAD_BYTES,
            "audience": "all",
        },
    }
    if cell.client_rate_per_s > 0:
        data["workload"]["up"] = {
            "kind": "poisson",
            "rate_per_s": cell.client_rate_per_s,
            "payload_bytes": PAYLOAD_BYTES,
        }
    if http:
        data["http"] = http
    if times is not None and times.push_times_s:
        data["server"] = {
            "push_time_s": {"dist": "empirical", "values": list(times.push_times_s)},
            "push_fanout": "parallel",
        }
    if times is not None and times.service_times_s:
        values = list(times.service_times_s)
        data.setdefault("server", {})["service_time_s"] = {"dist": "empirical", "values": values}
    if times is not None and kind == "long-polling" and not math.isnan(times.turnaround_s):
        data["strategy"]["reconnect_delay_s"] = max(0.0, times.turnaround_s)
    version, tls = HTTP_PROTOCOLS[cell.protocol]
    if version != "1.1":
        data["transport"] = {"http": version, "tls": tls, **TESTBED_STACK[cell.protocol]}
        if certificate_bytes:
            data["transport"]["tls_certificate_bytes"] = certificate_bytes
    return parse_scenario(data)


def measured_headers(kind: str, measured: TestbedRun) -> dict[str, int]:
    """``[http]`` header sizes from what the real stack sent (rounded means)."""
    m = measured.measurements
    headers = {}
    if m.request_header_bytes:
        headers["request_header_bytes"] = round(np.mean(m.request_header_bytes))
    elif m.upgrade_request_header_bytes:  # rtsim adds the upgrade lines itself
        extra = ws_protocol.UPGRADE_REQUEST_EXTRA_BYTES
        request = np.mean(m.upgrade_request_header_bytes) - extra
        headers["request_header_bytes"] = max(0, round(request))
    if m.upgrade_response_header_bytes:
        headers["upgrade_response_bytes"] = round(np.mean(m.upgrade_response_header_bytes))
    if m.response_header_bytes:
        headers["response_header_bytes"] = round(np.mean(m.response_header_bytes))
    return headers


def _mean(values) -> float:
    return float(np.mean(values)) if len(values) else math.nan


def _latency_stats(latency: np.ndarray) -> tuple[float, float]:
    if latency.size == 0:
        return math.nan, math.nan
    return float(latency.mean()), float(np.quantile(latency, 0.95))


def measured_summary(measured: TestbedRun, times: StackTimes | None = None) -> pd.Series:
    """The comparison metrics of a testbed run (``times``: its :class:`StackTimes`)."""
    latency = measured.deliveries["latency_s"].dropna().to_numpy()
    count = len(measured.deliveries)
    mean, p95 = _latency_stats(latency)
    stream = measured.bytes_up + measured.bytes_down
    times = times if times is not None else StackTimes.of(measured)
    return pd.Series(
        {
            "deliveries": count,
            "latency_mean_s": mean,
            "instant_latency_mean_s": mean,
            "push_time_mean_s": _mean(times.push_times_s),
            "turnaround_mean_s": times.turnaround_s,
            "latency_p95_s": p95,
            "app_latency_mean_s": _mean(measured.deliveries["app_latency_s"].dropna()),
            "requests_per_delivery": measured.measurements.requests / count if count else math.nan,
            "stream_bytes_per_delivery": stream / count if count else math.nan,
            "connections_opened": measured.connections_opened,
            "acks": len(measured.measurements.acks),
            "ack_rtt_mean_s": _mean(measured.measurements.ack_times()[0]),
            "app_ack_rtt_mean_s": _mean(measured.measurements.ack_rtts()),
            "service_time_mean_s": _mean(times.service_times_s),
        }
    )


def proxy_bytes(transfers: pd.DataFrame, protocol: str = "1.1") -> int:
    """What the proxy would count of rtsim's ``transfers`` on ``protocol``: payload and
    overhead bytes (IP/TCP headers and TCP's own segments are below the proxy), plus, on
    h2, a TLS record header and tag per message after the handshake, and on h3 the QUIC
    bytes of every datagram (packet headers, STREAM and ACK frames, ACK-only packets:
    ``transport_bytes`` without the UDP and IP headers, which are below it)."""
    size = transfers["payload_bytes"] + transfers["overhead_bytes"]
    total = int(size.sum())
    kinds = transfers["kind"].astype(str)
    if protocol == "h2":
        # one TLS record per message, or more where the stack writes a response in parts:
        # transport_bytes less the IP/TCP headers of its segments
        record = tls_protocol.RECORD_OVERHEAD_BYTES["1.3"]
        records = ~kinds.str.startswith(("tcp-", "tls-"))
        transport_bytes = transfers["transport_bytes"][records]
        for bytes_, transport in zip(size[records], transport_bytes, strict=True):
            total += _tls_record_bytes(int(bytes_), int(transport), record)
    elif protocol == "h3":
        data = ~kinds.str.startswith(("quic-", "h3-"))
        transport = transfers["transport_bytes"]
        total += int(transport[data].sum())
        for bytes_, message_transport in zip(size[data], transport[data], strict=True):
            total -= UDP_IP_BYTES * _quic_datagrams(int(bytes_), int(message_transport))
        acks = kinds == ACK_ONLY_KIND
        total += int(transport[acks].sum()) - UDP_IP_BYTES * int(acks.sum())
    return total


def _quic_datagrams(size: int, transport: int) -> int:
    """The datagrams a QUIC message of ``size`` bytes took: those its stream data fills,
    and a packet of its own for each part its stack wrote separately, which its
    ``transport`` bytes tell (each adds EXTRA_PACKET_BYTES with its UDP and IP headers;
    the ACK frame riding along is always smaller)."""
    extra = (transport - quic_transport_bytes(size)) // (EXTRA_PACKET_BYTES + UDP_IP_BYTES)
    return len(quic.stream_datagrams(size)) + extra


def _tls_record_bytes(size: int, transport: int, record: int) -> int:
    """The TLS record bytes in a message's ``transport`` bytes: one record or more, each
    ``record`` bytes, beside the IP/TCP headers of its segments (as the connection counts
    them: :meth:`simulation.transport.transport.Transport.transport_bytes`)."""
    headers = tcp.packet_overhead_bytes(
        size + record, tcp.ETHERNET_MSS_BYTES, tcp.IPV4_TCP_HEADER_BYTES
    )
    for records in range(1, 8):
        if transport == headers + records * record:
            return records * record
    raise ValueError(f"{transport} transport bytes are no whole number of TLS records")


def _down_latency(result) -> np.ndarray:
    deliveries = result.deliveries
    return deliveries["latency_s"][deliveries["direction"] == "down"].to_numpy()


def simulated_summary(result, protocol: str = "1.1", instant=None) -> pd.Series:
    """The same metrics from an rtsim result, bytes as the proxy would count them
    (:func:`proxy_bytes`); ``instant``: the same cell's result without the stack's times
    (for ``instant_latency_mean_s``)."""
    latency = _down_latency(result)
    count = latency.size
    mean, p95 = _latency_stats(latency)
    transfers = result.transfers
    stream = proxy_bytes(transfers, protocol)
    instant_mean = _latency_stats(_down_latency(instant))[0] if instant is not None else mean
    return pd.Series(
        {
            "deliveries": count,
            "latency_mean_s": mean,
            "instant_latency_mean_s": instant_mean,
            "push_time_mean_s": math.nan,  # given, not simulated
            "turnaround_mean_s": math.nan,
            "latency_p95_s": p95,
            "app_latency_mean_s": math.nan,  # rtsim's clients take no time to parse
            "requests_per_delivery": int(transfers["request"].sum()) / count if count else math.nan,
            "stream_bytes_per_delivery": stream / count if count else math.nan,
            "connections_opened": len(result.connections),
            "acks": result.stats.strategy.acks,
            "ack_rtt_mean_s": result.stats.strategy.metrics.get("ack_rtt_mean_s", math.nan),
            "app_ack_rtt_mean_s": math.nan,  # rtsim's clients take no time to parse
            "service_time_mean_s": math.nan,  # given, not simulated
        }
    )


def _within(metric: str, measured: float, simulated: float) -> bool | None:
    if metric not in BOUNDS:
        return None
    relative, absolute = BOUNDS[metric]
    difference = abs(simulated - measured)
    return bool(difference <= relative * abs(measured) or difference <= absolute)


def compare_cell(cell: Cell) -> tuple[pd.DataFrame, TestbedRun, object]:
    """Rows (one per metric) comparing the real stack and rtsim on ``cell``, with the
    testbed run and the calibrated rtsim result."""
    schedule = Schedule.from_result(run(cell_scenario(cell)))
    kind, keys = STRATEGY_KEYS[cell.kind]
    measured = run_testbed(
        kind, schedule, cell.latency_s, keys, seed=cell.seed, protocol=cell.protocol
    )
    headers = measured_headers(cell.kind, measured)
    times = StackTimes.of(measured)
    simulated = run(cell_scenario(cell, headers, measured.certificate_bytes, times))
    instant = run(cell_scenario(cell, headers, measured.certificate_bytes))
    real = measured_summary(measured, times)
    model = simulated_summary(simulated, cell.protocol, instant)
    rows = []
    for metric in METRICS + (ACK_METRICS if cell.client_rate_per_s > 0 else ()):
        m, s = float(real[metric]), float(model[metric])
        rows.append(
            {
                "strategy": cell.kind,
                "protocol": cell.protocol,
                "latency_ms": cell.latency_s * 1000,
                "rate_per_s": cell.rate_per_s,
                "client_rate_per_s": cell.client_rate_per_s,
                "metric": metric,
                "measured": m,
                "simulated": s,
                "relative_error": (s - m) / m if m and not math.isnan(s) else math.nan,
                "within_bound": _within(metric, m, s),
            }
        )
    return pd.DataFrame(rows), measured, simulated


def compare(cells: Iterable[Cell], progress: bool = False) -> pd.DataFrame:
    """Long-format comparison of every cell (see :func:`compare_cell`)."""
    cells = list(cells)
    iterator = cells
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(cells, desc="testbed", unit="cell")
    frames = []
    for cell in iterator:
        logger.info("testbed: %s at %g ms, %g/s", cell.kind, cell.latency_s * 1000, cell.rate_per_s)
        frames.append(compare_cell(cell)[0])
    return pd.concat(frames, ignore_index=True)
