"""The ``[transport]`` table: the parameters of the TCP (and TLS) connections."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..protocols import tcp
from ..protocols import tls as tls_protocol
from ..schema import param

__all__ = ["TLS_VERSIONS", "TransportParams"]

TLS_VERSIONS = ("none", "1.2", "1.3")


@dataclass(frozen=True)
class TransportParams:
    """The ``[transport]`` table: the TCP connections under HTTP and WebSocket."""

    tls: str = param(
        "none",
        "TLS version on every connection: none, 1.2 (2 round trips) or 1.3 (1 round trip)",
        choices=TLS_VERSIONS,
        source="plain TCP unless asked for; round trips from RFC 5246 and RFC 8446",
    )
    tls_certificate_bytes: int = param(
        tls_protocol.CERTIFICATE_BYTES,
        "bytes of the server's certificate chain in the TLS handshake",
        unit="bytes",
        ge=0,
        source="two certificates measured by D. Wong (cryptologie.net, 2017)",
    )
    keep_alive: bool = param(
        True,
        "reuse HTTP connections for later requests (false: one connection per request)",
        source="persistent connections are HTTP/1.1's default (RFC 9112 section 9.3)",
    )
    max_connections_per_host: int = param(
        6,
        "HTTP connections a client may have open to the server at once",
        ge=1,
        source="6 per host in HTTP/1.1 browsers (Chromium, Firefox)",
    )
    rto_s: float = param(
        1.0,
        "initial retransmission timeout, until the first RTT sample is measured",
        unit="s",
        gt=0,
        source="RFC 6298 section 2.1: an initial RTO of 1 s",
    )
    rto_min_s: float = param(
        1.0,
        "smallest retransmission timeout computed from RTT samples (SRTT + 4 RTTVAR)",
        unit="s",
        gt=0,
        source="RFC 6298 section 2.4: 1 s (Linux uses 0.2 s, TCP_RTO_MIN)",
    )
    rto_max_s: float = param(
        60.0,
        "largest retransmission timeout, after doubling on each expiry",
        unit="s",
        gt=0,
        source="RFC 6298 section 2.5: a maximum of at least 60 s",
    )
    idle_timeout_s: float = param(
        math.inf,
        "close a connection that carried no message for this long (a proxy's idle timeout)",
        unit="s",
        gt=0,
        source="no idle timeout unless asked for",
    )
    packet_overhead_bytes: int = param(
        tcp.IPV4_TCP_HEADER_BYTES,
        "IP and TCP header bytes per segment",
        unit="bytes",
        ge=0,
        source="IPv4 20 (RFC 791) + TCP 20 (RFC 9293), no options",
    )
    mss_bytes: int = param(
        tcp.ETHERNET_MSS_BYTES,
        "maximum TCP payload per segment",
        unit="bytes",
        ge=1,
        source="1500-byte Ethernet MTU minus 40 header bytes",
    )
