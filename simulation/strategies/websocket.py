"""WebSocket push: one HTTP Upgrade round trip, then framed messages both ways.

Sequence, for each client::

    client                                   server
      | == TCP (+TLS) set-up ================= |   at t = 0 (transport/)
      | -- GET + Upgrade: websocket ---------> |
      | <-- 101 Switching Protocols ---------- |   after service; the server's socket is open
      | <-- frame (update) ------------------- |   one unmasked frame per update
      | <-- ping ----------------------------- |   every ping_interval_s, if set
      | -- pong (masked) --------------------> |   at once
      | <-- close (1001) --------------------- |   after max_connection_s, if set
      | -- close (masked) -------------------> |   echoed; then TCP is closed
      |         ... reconnect_delay_s (backoff, jitter), then all over again

Timing assumed: every client connects at time 0 and sends the upgrade as soon as its
connection is set up; the server answers when a worker has served it and from then on
pushes each update the moment it is created. Updates created while a client has no open
socket (before its first 101, or between a drop and the reconnect) are buffered by the
server and sent after the next 101 when ``buffer_while_disconnected`` is true, and missed
otherwise. A socket drops when its connection closes (an idle timeout, which pings
prevent) or after ``max_connection_s`` with a close handshake. The client then waits
``reconnect_delay_s``, doubled after each further failed attempt (as socket.io-client's
backoff does) up to
``reconnect_delay_max_s``, and randomized by ``randomization_factor`` (delay times a
uniform factor in ``[1 - f, 1 + f]``, stream ``websocket.reconnect``) and reconnects.

Client messages (``[workload.up]``) go up the open socket as masked frames, served by
the server on arrival; while the socket is down they wait at the client when
``buffer_while_disconnected`` is true and are missed otherwise.

Sizes: the upgrade request is ``[http] request_header_bytes`` plus the upgrade header
lines; the response is the RFC 6455 example's 101 response; each frame adds the RFC 6455
frame header (2, 4 or 10 bytes, plus a 4-byte masking key on client frames); ping and
pong carry no data; close frames carry a 2-byte status code.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import simpy

from ..messages import DOWN, UP, Message, Update
from ..protocols import websocket as ws
from ..protocols.wire import deflate
from ..schema import param
from ..transport import Connection
from .backoff import Backoff, Reconnects
from .base import Strategy
from .compression import DeflateKeys, MessageDeflate
from .context import StrategyContext
from .timers import Timer, call_soon

__all__ = ["WebSocket", "WebSocketParams"]


@dataclass(frozen=True)
class WebSocketParams(DeflateKeys):
    ping_interval_s: float = param(
        math.inf,
        "the server pings each socket this often; the client answers with a pong",
        unit="s",
        gt=0,
        source="browsers send no pings; none unless asked for",
    )
    max_connection_s: float = param(
        math.inf,
        "the server closes each socket (close handshake) after this long",
        unit="s",
        gt=0,
        source="no limit unless asked for (load balancers often cap it)",
    )
    reconnect_delay_s: float = param(
        1.0,
        "wait before reconnecting a dropped socket",
        unit="s",
        ge=0,
        source="socket.io-client's reconnectionDelay default, 1000 ms",
    )
    reconnect_delay_max_s: float = param(
        5.0,
        "largest wait: the delay doubles after each failed attempt up to this",
        unit="s",
        ge=0,
        source="socket.io-client's reconnectionDelayMax default, 5000 ms",
    )
    randomization_factor: float = param(
        0.5,
        "jitter: each delay is multiplied by a uniform factor in [1 - f, 1 + f]",
        ge=0,
        le=1,
        source="socket.io-client's randomizationFactor default, 0.5",
    )
    buffer_while_disconnected: bool = param(
        False,
        "the server keeps updates for a disconnected client and sends them on reconnect",
        source="a plain WebSocket server forgets a closed socket",
    )

    def check(self, where: str) -> None:
        self.check_deflate(where)

    def __post_init__(self):
        if self.reconnect_delay_max_s < self.reconnect_delay_s:
            raise ValueError(
                f"reconnect_delay_max_s ({self.reconnect_delay_max_s:g}) must be >= "
                f"reconnect_delay_s ({self.reconnect_delay_s:g})"
            )


class _Peer:
    """Both ends' state of one client's socket (the lists only once they hold something)."""

    __slots__ = (
        "buffered",
        "client_socket",
        "ever_open",
        "outbox",
        "ready",
        "server_socket",
        "waiting",
    )

    def __init__(self) -> None:
        self.server_socket: Connection | None = None  # the server's open socket
        self.client_socket: Connection | None = None  # the client's latest connection
        self.waiting = False  # the client waits for ``client_socket`` to drop
        self.ready = False  # the client has its 101 on ``client_socket``
        self.ever_open = False  # the server has accepted a socket of this client
        self.buffered: list[Update] | None = None  # server side, while disconnected
        self.outbox: list[Update] | None = None  # client side, while disconnected


class WebSocket(Strategy):
    name = "websocket"
    Params = WebSocketParams
    needs_uplink = True
    summary = "one HTTP Upgrade round trip, then framed messages both ways; pings, reconnects"
    http_heads = (("ws-upgrade-request",), ())

    def __init__(self, context: StrategyContext, params: WebSocketParams):
        super().__init__(context, params)
        backoff = Backoff(
            self.clients,
            params.reconnect_delay_s,
            params.reconnect_delay_max_s,
            params.randomization_factor,
            context.streams.generator("websocket.reconnect"),
        )
        self._reconnects = Reconnects(self.env, self.clients, backoff, self._connect)
        self._peers = [_Peer() for _ in range(self.clients)]
        self._deflate = MessageDeflate(params)
        # bound once: every connection shares these rather than holding its own
        self._handlers = (self._on_client_message, self._on_server_message)
        self._on_close = self._on_connection_closed
        self._ping_bytes = ws.control_frame_bytes(0, masked=False)
        # a timer per open socket: pending events that share their callback
        self._pings = Timer(self.env, self._ping)
        self._closes = Timer(self.env, self._close_socket)

    def pending_updates(self) -> int:
        return sum(len(peer.buffered or ()) + len(peer.outbox or ()) for peer in self._peers)

    def client_send(self, update: Update) -> None:
        peer = self._peers[update.origin]
        connection = peer.client_socket
        if peer.ready and connection is not None and not connection.closed:
            self._send_up(connection, update)
        elif self.params.buffer_while_disconnected:
            if peer.outbox is None:
                peer.outbox = []
            peer.outbox.append(update)
        else:
            self.missed += 1  # no open socket to send on

    def _send_up(self, connection: Connection, update: Update) -> None:
        size = self._deflate.size(connection.id, UP, update.payload_bytes)
        header = ws.frame_header_bytes(size, masked=True)
        connection.send(Message(connection.client, UP, "ws-frame-up", size, header, (update,)))

    # -- client ----------------------------------------------------------------------------

    def start(self) -> None:
        self._reconnects.start()

    def _connect(self, client: int, again: bool) -> None:
        """Open a socket for ``client``; ``_socket_gone`` reports its drop."""
        peer = self._peers[client]
        peer.waiting = True
        connection = self.transport.connect(
            self.channels[client], "websocket", *self._handlers, on_close=self._on_close
        )
        peer.client_socket = connection
        if again:
            self.reconnects += 1
        # on HTTP/2 and 3 the extended CONNECT waits for the server's SETTINGS as well
        ready = connection.established
        if connection.framing is not None and connection.settings is not None:
            ready = connection.settings
        ready.callbacks.append(self._send_upgrade)

    def _send_upgrade(self, event) -> None:
        connection = event.value
        if not connection.established.triggered:  # SETTINGS came first: wait for set-up
            connection.established.callbacks.append(self._send_upgrade)
            return
        overhead = self.http.request_header_bytes + ws.UPGRADE_REQUEST_EXTRA_BYTES
        upgrade = Message(connection.client, UP, "ws-upgrade-request", 0, overhead, request=True)
        connection.send(upgrade)

    def _on_client_message(self, message: Message) -> None:
        kind = message.kind
        connection = message.connection
        if kind == "ws-frame":
            self.deliver(message)
        elif kind == "ws-ping":
            pong = ws.control_frame_bytes(0, masked=True)
            connection.send(Message(message.client, UP, "ws-pong", 0, pong))
        elif kind == "ws-upgrade-response":
            self.recorder.connection_ready(connection.id, self.env.now)
            peer = self._peers[message.client]
            peer.ready = True
            outbox, peer.outbox = peer.outbox, None
            for update in outbox or ():
                self._send_up(connection, update)
        elif kind == "ws-close":
            echo = ws.control_frame_bytes(ws.CLOSE_STATUS_BYTES, masked=True)
            connection.send(Message(message.client, UP, "ws-close", 0, echo))

    def _on_connection_closed(self, connection: Connection, reason: str) -> None:
        self._socket_gone(connection)

    def _socket_gone(self, connection: Connection) -> None:
        self._deflate.forget(connection.id)
        peer = self._peers[connection.client]
        if peer.server_socket is connection:
            peer.server_socket = None
        if peer.client_socket is connection:
            was_open = peer.ready  # did this socket get its 101?
            peer.ready = False
            if peer.waiting:
                peer.waiting = False
                self._reconnects.dropped(connection.client, was_open)

    # -- server ----------------------------------------------------------------------------

    def _on_server_message(self, message: Message) -> None:
        kind = message.kind
        if kind == "ws-frame-up":
            self.server.serve(message, self.deliver)
        elif kind == "ws-upgrade-request":
            self.server.serve(message, self._accept)
        elif kind == "ws-close":  # the client echoed our close: the socket is done
            message.connection.close("ws-close")
            self._socket_gone(message.connection)

    def _accept(self, upgrade: Message) -> None:
        connection = upgrade.connection
        client = upgrade.client
        if connection.closed:
            return
        peer = self._peers[client]
        peer.server_socket = connection
        peer.ever_open = True
        size = self.http.upgrade_response_bytes
        reply = Message(client, DOWN, "ws-upgrade-response", 0, size, response=True)
        if self._deflate.on:  # the server accepts the extension (RFC 7692 section 5)
            reply.overhead_bytes += deflate.extension_header_bytes(deflate.SERVER_RESPONSE)
            reply.meta = deflate.SERVER_RESPONSE  # its answer, for HTTP/2 and 3's field list
        connection.send(reply)
        buffered, peer.buffered = peer.buffered, None
        for update in buffered or ():
            self._send_frame(connection, update)
        if math.isfinite(self.params.ping_interval_s):
            # where a pinger process started now would first run
            call_soon(self.env, self._next_ping, connection)
        if math.isfinite(self.params.max_connection_s):
            self._closes.after(self.params.max_connection_s, connection)

    def _next_ping(self, event: simpy.Event) -> None:
        """Schedule the socket's next ping; a timer per socket, no process."""
        self._pings.after(self.params.ping_interval_s, event.value)

    def _ping(self, event: simpy.Event) -> None:
        connection = event.value
        if connection.closed or self._peers[connection.client].server_socket is not connection:
            return  # the socket is gone: no more pings
        connection.send(Message(connection.client, DOWN, "ws-ping", 0, self._ping_bytes))
        self._next_ping(event)

    def _close_socket(self, event) -> None:
        connection = event.value
        peer = self._peers[connection.client]
        if connection.closed or peer.server_socket is not connection:
            return
        peer.server_socket = None  # no more frames after a close frame
        close = ws.control_frame_bytes(ws.CLOSE_STATUS_BYTES, masked=False)
        connection.send(Message(connection.client, DOWN, "ws-close", 0, close))

    def push(self, update: Update, client: int) -> None:
        peer = self._peers[client]
        connection = peer.server_socket
        if connection is not None and not connection.closed:
            self._send_frame(connection, update)
        elif self.params.buffer_while_disconnected and peer.ever_open:
            if peer.buffered is None:
                peer.buffered = []
            peer.buffered.append(update)
        else:
            self.missed += 1  # no open socket for this client now

    def _send_frame(self, connection: Connection, update: Update) -> None:
        size = self._deflate.size(connection.id, DOWN, update.payload_bytes)
        header = ws.frame_header_bytes(size, masked=False)
        connection.send(Message(connection.client, DOWN, "ws-frame", size, header, (update,)))
