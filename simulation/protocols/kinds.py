"""Every message kind on the wire, with its category, gathered from where it is defined.

Each protocol module declares the kinds it puts on the wire in ``KINDS`` (kind ->
category). The categories:

* ``handshake``: setting a connection or session up (TCP, TLS, the WebSocket upgrade,
  Engine.IO's handshake and upgrade, Socket.IO's CONNECT);
* ``heartbeat``: keeping it alive (pings, pongs, SSE comments);
* ``data``: everything that carries or asks for application data.

Metrics and the byte breakdown derive from these declarations (:func:`category_of`).
"""

from __future__ import annotations

from . import engineio, http, sse, tcp, tls, websocket
from .wire import http2, http3, qpack, quic

__all__ = [
    "CATEGORIES",
    "KIND_CATEGORIES",
    "SETUP_KINDS",
    "TRANSPORT_HANDSHAKE_KINDS",
    "category_of",
]

CATEGORIES = ("handshake", "heartbeat", "data")
# a connection-less stream's messages (strategy "stream")
STREAM_KINDS = {"data": "data"}
KIND_CATEGORIES: dict[str, str] = {
    **tcp.KINDS,
    **tls.KINDS,
    **quic.KINDS,
    **http2.KINDS,
    **http3.KINDS,
    **qpack.KINDS,
    **http.KINDS,
    **websocket.KINDS,
    **sse.KINDS,
    **engineio.KINDS,
    **STREAM_KINDS,
}
# The transport's own handshake: it acts on these, and hands no application data on.
SETUP_KINDS = frozenset({**http2.KINDS, **http3.KINDS})  # HTTP/2 and 3 settings: bytes only
# (with the QPACK decoder's instructions and QUIC's ACK-only packets: transport signalling)
TRANSPORT_HANDSHAKE_KINDS = frozenset(
    {*tcp.KINDS, *tls.KINDS, *quic.KINDS, *SETUP_KINDS, *qpack.KINDS}
)


def category_of(kind: str) -> str:
    """The category of message kind ``kind``; a kind no protocol declares is an error."""
    try:
        return KIND_CATEGORIES[kind]
    except KeyError:
        raise KeyError(f"message kind {kind!r} is declared by no protocol module") from None
