"""What an Engine.IO session is made of: its packets, and each end's state.

A :class:`Packet` is one Engine.IO packet, or one Socket.IO packet carried in an Engine.IO
message; a wire message carries :class:`Carried` (its session and packets) in its
``meta``. A :class:`Session` holds what both ends share: whether it is alive, the
transport it is on (the model switches both ends to the WebSocket when the client sends
``5``, not when ``5`` arrives) and its connections; :class:`ServerSide` and
:class:`ClientSide` hold each end's own state. :class:`Layer` is what the Engine.IO layer
(engineio.py) calls up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

import simpy

from ...messages import Message, Update
from ...transport import Connection

__all__ = ["Carried", "ClientSide", "Layer", "Packet", "ServerSide", "Session", "wire_message"]

# Engine.IO's own packets, handled by engineio.py (the names are the transfers' kinds)
OPEN, PING, PONG = "eio-open", "eio-ping", "eio-pong"
PROBE, UPGRADE, NOOP = "eio-probe", "eio-upgrade", "eio-noop"
# Socket.IO's packets, handled by namespace.py
CONNECT, EVENT, ACK = "sio-connect", "sio-event", "sio-ack"


class Packet(NamedTuple):
    """One packet of a session: its kind, the size of its text, the updates it carries,
    and a Socket.IO ack id. (Named tuples: immutable, and quick to make, once per frame.)"""

    kind: str
    size: int
    updates: tuple[Update, ...] = ()
    ack_id: int | None = None


class Carried(NamedTuple):
    """What a wire message of a session carries (its ``meta``): the session it belongs
    to and its packets (none for a handshake, a GET or a WebSocket upgrade)."""

    session: Session
    packets: tuple[Packet, ...] = ()


class ServerSide:
    """The server's state of one session."""

    __slots__ = ("connected", "held_get", "outbox", "pinging", "pong", "session")

    def __init__(self, session: Session):
        self.session = session
        self.connected = False  # Socket.IO: CONNECT answered (set by the layer above)
        self.outbox: list[Packet] = []  # waiting for a GET while on polling
        self.held_get: Message | None = None
        self.pong: simpy.Event | None = None  # the event the next pong triggers
        self.pinging = False


class ClientSide:
    """The client's state of one session."""

    __slots__ = ("connect_after_upgrade", "connected", "last_heard", "session")

    def __init__(self, session: Session, now: float):
        self.session = session
        self.connected = False  # Socket.IO: heard the CONNECT answer (set by the layer above)
        self.last_heard = now  # the last packet from the server
        self.connect_after_upgrade = False  # python-socketio: CONNECT once upgraded


class Session:
    """One Engine.IO session: what both ends share, and each end's :class:`ServerSide`
    and :class:`ClientSide`."""

    __slots__ = ("alive", "at_client", "at_server", "client", "http", "mode", "socket")

    def __init__(self, client: int, now: float):
        self.client = client
        self.alive = True
        self.mode = "polling"  # or "upgrading", "websocket"
        self.socket: Connection | None = None  # the WebSocket, once opened
        self.http: set[Connection] = set()  # polling connections it used
        self.at_server = ServerSide(self)
        self.at_client = ClientSide(self, now)


class Layer(Protocol):
    """What the Engine.IO layer calls up."""

    def on_open(self, side: ClientSide) -> None:
        """The client may send its first Socket.IO packet (CONNECT)."""

    def on_packet(self, side: ServerSide | ClientSide, packet: Packet, message: Message) -> None:
        """A Socket.IO packet arrived at this end, in ``message``."""

    def on_drop(self, side: ServerSide, outbox: list[Packet]) -> int:
        """The session ended with ``outbox`` unsent: how many of its updates are kept."""


def wire_message(
    session: Session, direction: str, kind: str, packets: Sequence[Packet], header: int
) -> Message:
    """One wire message carrying ``packets`` of ``session`` after ``header`` bytes of
    HTTP headers or WebSocket framing (on polling, record separators between them)."""
    if len(packets) == 1:  # most messages: one frame, one POST
        updates, body = packets[0].updates, packets[0].size
    else:
        updates = tuple(u for packet in packets for u in packet.updates)
        body = sum(packet.size for packet in packets) + len(packets) - 1
    payload = sum(update.payload_bytes for update in updates)
    message = Message(session.client, direction, kind, payload, header + body - payload, updates)
    message.meta = Carried(session, tuple(packets))
    return message
