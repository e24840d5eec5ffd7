"""The two things that move through a model: updates (application data) and messages (wire).

An :class:`Update` is created by the workload at the server; a :class:`Message` is one
protocol unit on the wire (an HTTP request or response, a WebSocket frame, ...) that may carry
zero, one or several updates. Sizes are bytes, times are seconds of simulated time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the transport layer sits above this module
    from .transport import Connection

__all__ = ["DOWN", "UP", "Message", "Update"]

UP = "up"  # client -> server
DOWN = "down"  # server -> client


class Update:
    """One piece of application data: a server update, or a message a client sends.

    A server update is created at the server at ``created_at``; ``target`` is the client
    it is meant for, or ``None`` for every client. A client message (``direction`` UP) is
    created at client ``origin`` and is meant for the server.
    """

    __slots__ = ("created_at", "direction", "id", "origin", "payload_bytes", "target")

    def __init__(self, id: int, created_at: float, payload_bytes: int, target: int | None):
        self.id = id
        self.created_at = created_at
        self.payload_bytes = payload_bytes
        self.target = target
        self.direction = DOWN  # DOWN: a server update; UP: a message from client `origin`
        self.origin = -1

    def __repr__(self) -> str:
        return f"Update(id={self.id}, created_at={self.created_at:.6f}, target={self.target})"


class Message:
    """One message on the wire between one client and the server.

    ``payload_bytes`` is application data, ``overhead_bytes`` what the application protocol
    adds (HTTP headers, WebSocket framing, SSE fields, handshakes), ``transport_bytes`` what
    TCP/IP and TLS add below it. ``request`` marks a message that expects a response, ``response``
    a message that answers one, and ``empty`` a response that carried no update.
    ``id``, ``sent_at`` and ``received_at`` are filled in by the channel (``received_at``
    stays ``None`` if the message is lost).
    """

    __slots__ = (
        "attempt",
        "client",
        "connection",
        "direction",
        "empty",
        "id",
        "kind",
        "meta",
        "overhead_bytes",
        "payload_bytes",
        "received_at",
        "request",
        "response",
        "sent_at",
        "seq",
        "transport_bytes",
        "updates",
    )

    def __init__(
        self,
        client: int,
        direction: str,
        kind: str,
        payload_bytes: int = 0,
        overhead_bytes: int = 0,
        updates: tuple[Update, ...] | list[Update] = (),
        request: bool = False,
        response: bool = False,
        empty: bool = False,
    ):
        self.client = client
        self.direction = direction
        self.kind = kind
        self.payload_bytes = payload_bytes
        self.overhead_bytes = overhead_bytes
        self.updates = updates
        self.request = request
        self.response = response
        self.empty = empty
        self.id = -1
        self.sent_at = float("nan")
        self.received_at: float | None = None
        # The transport connection carrying it: set by the transport before the message is
        # sent, so every handler of a transport message may rely on it. Messages of a raw
        # channel (no transport, the ``stream`` strategy) keep None and never read it.
        self.connection: Connection = None  # type: ignore[assignment]
        self.seq = -1  # its sequence number on that connection, per direction
        self.attempt = 0  # 0 for the first transmission, 1 for the first retransmission, ...
        self.transport_bytes = 0  # TCP/IP headers and TLS record overhead
        self.meta: Any = None  # protocol fields a strategy needs, e.g. an SSE Last-Event-ID

    def retransmission(self) -> Message:
        """A copy to send again after this one was lost (same connection and sequence)."""
        again = Message(
            self.client,
            self.direction,
            self.kind,
            self.payload_bytes,
            self.overhead_bytes,
            self.updates,
            self.request,
            self.response,
            self.empty,
        )
        again.connection = self.connection
        again.seq = self.seq
        again.attempt = self.attempt + 1
        again.transport_bytes = self.transport_bytes
        again.meta = self.meta
        return again

    def __repr__(self) -> str:
        return (
            f"Message(id={self.id}, client={self.client}, {self.direction}, {self.kind!r}, "
            f"{self.payload_bytes}+{self.overhead_bytes} B, updates={len(self.updates)})"
        )
