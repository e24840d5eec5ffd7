"""The ``[transport]`` table: the parameters of the TCP (and TLS) connections."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..protocols import tcp
from ..protocols import tls as tls_protocol
from ..schema import param

__all__ = ["HTTP_VERSIONS", "TLS_VERSIONS", "TransportParams"]

TLS_VERSIONS = ("none", "1.2", "1.3")
HTTP_VERSIONS = ("1.1", "2", "3")


@dataclass(frozen=True)
class TransportParams:
    """The ``[transport]`` table: the TCP connections under HTTP and WebSocket."""

    http: str = param(
        "1.1",
        "HTTP version: 1.1 (a connection per request in flight), 2 (streams multiplexed on "
        "one TCP connection) or 3 (streams on one QUIC connection)",
        choices=HTTP_VERSIONS,
        source="HTTP/1.1 unless asked for; RFC 9112, RFC 9113, RFC 9114",
    )
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
    tls_signature_bytes: int = param(
        tls_protocol.SIGNATURE_BYTES,
        "bytes of the server's signature in its TLS 1.3 CertificateVerify: 256 for an "
        "RSA-2048 key, about 71 for ECDSA P-256",
        unit="bytes",
        ge=0,
        source="RFC 8446 section 4.4.3; RSA-2048 (PKCS #1) or ECDSA P-256 (DER, 70 to 72)",
    )
    tls_client_hello_bytes: int = param(
        tls_protocol.CLIENT_HELLO_BYTES,
        "bytes of the client's ClientHello message without its key share (cipher suites, "
        "extensions, padding)",
        unit="bytes",
        ge=0,
        source="a TLS 1.2 ClientHello measured by D. Wong (cryptologie.net, 2017); "
        "OpenSSL 3 pads its own to 512 with the key share",
    )
    tls_key_share: str = param(
        "x25519",
        "TLS 1.3 key exchange group, which sets the key share bytes in the ClientHello and "
        "ServerHello: x25519 (36 and 36) or x25519mlkem768 (1,220 and 1,124), the "
        "post-quantum hybrid",
        choices=tuple(tls_protocol.KEY_SHARES),
        source="RFC 8446 section 4.2.8 and RFC 7748; draft-ietf-tls-ecdhe-mlkem section 4.1",
    )
    tls_session_tickets: int = param(
        tls_protocol.SESSION_TICKETS,
        "NewSessionTicket messages the server sends after a full handshake (TLS 1.3, and "
        "QUIC; a TLS 1.2 server sends one in its last flight when this is above 0)",
        ge=0,
        source="OpenSSL's default of two (SSL_CTX_set_num_tickets), used by nginx and "
        "Apache; RFC 8446 section 4.6.1, RFC 5077 section 3.3",
    )
    keep_alive: bool = param(
        True,
        "reuse HTTP connections for later requests (false: one connection per request)",
        source="persistent connections are HTTP/1.1's default (RFC 9112 section 9.3)",
    )
    max_connections_per_host: int = param(
        6,
        "HTTP/1.1 connections a client may have open to the server at once",
        ge=1,
        source="6 per host in HTTP/1.1 browsers (Chromium, Firefox)",
    )
    max_concurrent_streams: int = param(
        100,
        "HTTP/2 and HTTP/3: requests (streams) a client may have open at once on its one "
        "connection",
        ge=1,
        source="RFC 9113 section 6.5.2 recommends no fewer than 100; nginx's and h2o's "
        "default is 100 (http2_max_concurrent_streams)",
    )
    http_stack: str = param(
        "browser",
        "HTTP/2 and HTTP/3: the client and server implementations, for what the protocols "
        "leave to them: browser (Chrome against a server such as nginx) or python (the "
        "testbed's httpx and aioquic clients against hypercorn); see docs/model.md",
        choices=("browser", "python"),
        source="Chrome's HTTP/2 fingerprint (Akamai, Black Hat EU 2017), RFC 9000 section "
        "13.2; httpcore, hypercorn and aioquic read on the testbed's wire",
    )
    header_table_size: int = param(
        4096,
        "HTTP/2 HPACK and HTTP/3 QPACK dynamic table size per direction",
        unit="bytes",
        ge=0,
        source="RFC 9113 section 6.5.2 (SETTINGS_HEADER_TABLE_SIZE initial value); aioquic's "
        "QPACK max_table_capacity, 4096",
    )
    quic_0rtt: bool = param(
        False,
        "HTTP/3: resume with 0-RTT, sending the first request with the QUIC Initial",
        source="a first visit (no session ticket) unless asked for; RFC 9001 section 4.6",
    )
    quic_ack_delay_s: float = param(
        0.025,
        "HTTP/3: how long a QUIC endpoint may hold an acknowledgement back, waiting for a "
        "packet of its own to carry it, before it sends an ACK-only packet",
        unit="s",
        ge=0,
        source="RFC 9000 section 18.2: max_ack_delay defaults to 25 ms, as Chromium's "
        "QUIC uses (kDefaultDelayedAckTimeMs); aioquic acknowledges after 1 ms",
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
