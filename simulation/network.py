"""The ``[network]`` and ``[http]`` tables: the path between each client and the server,
and the HTTP/1.1 header sizes on it. Units: seconds, bits per second, bytes."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .channel import CHANNEL_MODES
from .distributions import Constant, Distribution
from .protocols import http
from .protocols import websocket as ws_protocol
from .schema import param

__all__ = ["HttpParams", "NetworkParams"]


@dataclass(frozen=True)
class NetworkParams:
    """The ``[network]`` table: the channel between each client and the server."""

    mode: str = param(
        "full-duplex",
        "channel mode: simplex (server -> client only), half-duplex or full-duplex",
        choices=CHANNEL_MODES,
        source="what TCP over today's networks provides",
    )
    latency_s: Distribution = param(
        Constant(0.05),
        "one-way propagation delay of each message (number or distribution)",
        unit="s",
        ge=0,
        source=(
            "about a transatlantic path: New York-London is 56 ms round trip in fibre "
            "(Grigorik, High Performance Browser Networking, table 1-1)"
        ),
    )
    bandwidth_bps: float = param(
        math.inf,
        "transmission rate of each direction; a message takes size * 8 / bandwidth_bps",
        unit="bit/s",
        gt=0,
        source="no serialization delay unless asked for",
    )
    loss: float = param(
        0.0,
        "probability that a message is lost (TCP resends it; a stream does not)",
        ge=0,
        lt=1,
        source="a lossless network unless asked for",
    )
    jitter_s: float = param(
        0.0,
        "extra delay per message, uniform on [0, jitter_s]; order is kept",
        unit="s",
        ge=0,
        source="no jitter unless asked for",
    )
    turnaround_s: float = param(
        0.0,
        "half-duplex only: time to switch the medium's direction",
        unit="s",
        ge=0,
        source="an ideal switch unless asked for",
    )
    queue_bytes: float = param(
        math.inf,
        "bytes that may wait to be transmitted per direction; more are dropped (drop-tail)",
        unit="bytes",
        gt=0,
        source="an unbounded buffer unless asked for",
    )


@dataclass(frozen=True)
class HttpParams:
    """The ``[http]`` table: HTTP/1.1 header sizes."""

    request_header_bytes: int = param(
        http.DEFAULT_REQUEST_HEADER_BYTES,
        "bytes of request line and headers of each HTTP request",
        unit="bytes",
        ge=0,
        source="SPDY whitepaper: 'typical header sizes of 700-800 bytes'",
    )
    response_header_bytes: int = param(
        http.DEFAULT_RESPONSE_HEADER_BYTES,
        "bytes of status line and headers of each HTTP response",
        unit="bytes",
        ge=0,
        source="a lean API response; hereket.com measured 300 B at the small end",
    )
    upgrade_response_bytes: int = param(
        ws_protocol.UPGRADE_RESPONSE_BYTES,
        "bytes of the server's 101 Switching Protocols answer to a WebSocket upgrade",
        unit="bytes",
        ge=0,
        source="RFC 6455 section 1.2, the example handshake (no Date or Server lines)",
    )
