"""TCP (and TLS) connections: set-up, reliable in-order delivery, loss recovery, idle
timeouts and connection pools.

* :mod:`.params`: the ``[transport]`` table.
* :mod:`.recovery`: loss recovery for one direction of a connection: the RTO estimate
  and timer (RFC 6298), fast retransmit (RFC 5681), go-back after a timeout.
* :mod:`.connection`: :class:`Connection`, one TCP connection.
* :mod:`.transport`: :class:`Transport`, which opens connections and routes messages.
* :mod:`.pool`: :class:`ConnectionPool`, a client's HTTP/1.1 connections to the server.

Each module imports only the ones listed before it.
"""

from .connection import HANDSHAKE_KINDS, Connection
from .params import TLS_VERSIONS, TransportParams
from .pool import ConnectionPool
from .transport import Transport

__all__ = [
    "HANDSHAKE_KINDS",
    "TLS_VERSIONS",
    "Connection",
    "ConnectionPool",
    "Transport",
    "TransportParams",
]
