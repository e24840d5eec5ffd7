"""The transport of a run: it opens connections, routes each arriving message to its
connection and sizes the headers TCP, TLS or QUIC add to a message (connection.py is one
connection).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import simpy

from ..messages import Message
from ..protocols import tcp
from ..protocols import tls as tls_protocol
from ..protocols.wire import quic
from .connection import UDP_IP_BYTES, Connection
from .framing import HeaderSizes
from .params import TransportParams

__all__ = ["Transport"]

# how many message sizes a transport remembers the TCP and TLS bytes of (most runs have
# a few sizes; random payloads could have one per message)
CACHED_SIZES = 4096


class Transport:
    """Creates connections and routes each arriving message to its connection."""

    def __init__(
        self,
        env: simpy.Environment,
        params: TransportParams,
        recorder,
        server=None,
        proxy_idle_timeout_s: float = math.inf,
        header_sizes: HeaderSizes | None = None,
    ):
        self.env = env
        self.params = params
        self.recorder = recorder
        self.server = server  # told when connections open and close at the server
        # a connection closes after this much silence: its own timeout or a proxy's
        self.idle_timeout_s = min(params.idle_timeout_s, proxy_idle_timeout_s)
        self.connections: list[Connection] = []
        self.discarded_updates = 0  # updates whose message died with its connection
        self._tls_overhead = tls_protocol.RECORD_OVERHEAD_BYTES.get(params.tls, 0)
        self.tls_record_bytes = self._tls_overhead  # header and tag of one TLS record
        self.encrypted = params.tls != "none"  # TLS records around the application's bytes
        # transport bytes by application bytes, for the sizes seen first (plain, TLS)
        self._tcp_bytes: tuple[dict[int, int], dict[int, int]] = ({}, {})
        self.header_sizes = header_sizes  # [http]: what HTTP/2 and 3 re-frame
        self.multiplexed = params.http != "1.1"

    def finish(self) -> None:
        """At the end of a run: record what is still held inside connections."""
        for connection in self.connections:
            connection.mark_unreleased()

    def updates_in_transit(self) -> int:
        """Updates sent on open connections and not yet handed to the client."""
        return sum(c.updates_in_transit() for c in self.connections if not c.closed)

    def arrive(self, message: Message) -> None:
        """Channel handler: ``message`` reached its receiver's transport now."""
        message.connection.arrive(message)

    def transport_bytes(self, message: Message, encrypted: bool, quic: bool = False) -> int:
        """IP/TCP headers (and a TLS record when ``encrypted``) added to ``message``; on
        QUIC, which encrypts packets, the UDP/IP and QUIC headers of its datagrams."""
        size = message.payload_bytes + message.overhead_bytes
        if quic:
            return quic_transport_bytes(size)
        known = self._tcp_bytes[encrypted]
        added = known.get(size)
        if added is None:
            added = self._tcp_transport_bytes(size, encrypted)
            if len(known) < CACHED_SIZES:
                known[size] = added
        return added

    def _tcp_transport_bytes(self, size: int, encrypted: bool) -> int:
        if encrypted:
            size += self._tls_overhead
        header = tcp.packet_overhead_bytes(
            size, self.params.mss_bytes, self.params.packet_overhead_bytes
        )
        return header + (self._tls_overhead if encrypted else 0)

    def connect(
        self,
        channel,
        kind: str,
        on_client_message: Callable[[Message], None],
        on_server_message: Callable[[Message], None],
        on_close: Callable[[Connection, str], None] | None = None,
        http: str | None = None,
    ) -> Connection:
        """Open a connection on ``channel`` now; ``connection.established`` fires when the
        client may send data. ``http`` overrides ``[transport] http`` for this one."""
        return Connection(self, channel, kind, on_client_message, on_server_message, on_close, http)


def quic_transport_bytes(size: int) -> int:
    """UDP/IP headers, QUIC packet headers and STREAM frame headers of ``size`` bytes of
    stream data."""
    datagrams = quic.stream_datagrams(size)
    return sum(datagrams) - size + UDP_IP_BYTES * len(datagrams)
