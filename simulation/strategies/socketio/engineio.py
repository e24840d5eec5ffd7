"""Engine.IO v4 sessions: the transport under Socket.IO (the layer above is namespace.py).

This layer opens sessions (a GET handshake, or a WebSocket at once), carries packets over
HTTP long polling (the client's in POSTs, the server's queued for the next GET and
answered at once if one is held) or a WebSocket (one frame each), upgrades a polling
session (``2probe``, ``3probe``, ``5``, a noop ``6`` for the held GET), pings, watches for
silence, and reconnects a dropped client with socket.io-client's backoff. It handles its
own packets (open, ping, pong, probe, upgrade, noop) and hands every Socket.IO packet up
through the layer above (session.py's ``Layer``): ``on_packet(side, packet, message)``
at the end it arrived at, ``on_open`` when the client may send CONNECT, ``on_drop`` for
the packets still queued when a session ends. The sessions and packets it works on are
defined in session.py.
"""

from __future__ import annotations

from ...messages import DOWN, UP, Message
from ...protocols import engineio as eio
from ...protocols import websocket as ws
from ...protocols.wire import deflate
from ...transport import Connection
from ..backoff import Backoff, Reconnects
from ..compression import MessageDeflate
from ..context import StrategyContext
from ..http_client import HttpClient
from .params import SocketIOParams
from .session import (
    NOOP,
    OPEN,
    PING,
    PONG,
    PROBE,
    UPGRADE,
    Carried,
    ClientSide,
    Layer,
    Packet,
    ServerSide,
    Session,
    wire_message,
)

__all__ = ["EngineIO"]


class EngineIO:
    """Every client's Engine.IO sessions, both ends (see the module docstring)."""

    def __init__(self, context: StrategyContext, params: SocketIOParams, channels, layer: Layer):
        self.context = context
        self.env = context.env
        self.params = params
        self.http = context.http
        self.server = context.server
        self.channels = channels
        self.layer = layer
        self._deflate = MessageDeflate(params)
        self.http_client = HttpClient(
            context, channels, self._on_http_response, self._on_http_request, self._on_closed
        )
        self.pools = self.http_client.pools
        self.sessions: list[Session | None] = [None] * context.clients
        backoff = Backoff(
            context.clients,
            params.reconnection_delay_s,
            params.reconnection_delay_max_s,
            params.randomization_factor,
            context.streams.generator("socketio.reconnect"),
        )
        self._reconnects = Reconnects(self.env, context.clients, backoff, self._open)
        self.reconnects = 0
        self.missed = 0  # updates lost with their session, or sent to one that is gone
        self.posts_waiting = 0  # updates in POSTs waiting for a connection
        transports = params.transports
        upgrades = transports == ("polling", "websocket")
        self._open_text = eio.open_packet(
            params.ping_interval_s,
            params.ping_timeout_s,
            params.max_payload_bytes,
            ["websocket"] if upgrades else [],
        )
        self._upgrade_at_once = upgrades and params.client_library == "python-socketio"

    def queued_updates(self) -> int:
        """Updates in packets the server has queued for a GET, or a client for a POST."""
        sessions = [session for session in self.sessions if session is not None]
        outboxes = [packet for session in sessions for packet in session.at_server.outbox]
        return sum(len(packet.updates) for packet in outboxes) + self.posts_waiting

    def current(self, session: Session) -> bool:
        return session.alive and self.sessions[session.client] is session

    # -- client: the session's life ----------------------------------------------------------

    def start(self) -> None:
        self._reconnects.start()

    def _open(self, client: int, again: bool) -> None:
        """Start a new session for ``client``; :meth:`drop` ends it."""
        env = self.env
        session = Session(client, env.now)
        self.sessions[client] = session
        if again:
            self.reconnects += 1
        if self.params.transports[0] == "polling":
            self.pools[client].acquire().callbacks.append(
                lambda event: self._send_handshake(event.value, session)
            )
        else:
            self._open_websocket(session)
        env.process(self._watch_heartbeat(session.at_client))

    def drop(self, session: Session, reason: str) -> None:
        """The session is over at both ends; the client will reconnect."""
        if not session.alive:
            return
        session.alive = False
        server = session.at_server
        outbox, server.outbox = server.outbox, []
        kept = self.layer.on_drop(server, outbox)
        self.missed += sum(len(packet.updates) for packet in outbox) - kept
        if server.held_get is not None:
            self.server.release()
            server.held_get = None
        if session.socket is not None and not session.socket.closed:
            session.socket.close(reason)
            self._deflate.forget(session.socket.id)
        for connection in session.http:  # abort its polls: the pool gets them back
            connection.close(reason, notify=True)
        self._reconnects.dropped(session.client, session.at_client.connected)

    def _watch_heartbeat(self, client: ClientSide):
        """Client side: drop a session the server has been silent on for too long."""
        limit = self.params.ping_interval_s + self.params.ping_timeout_s
        env, session = self.env, client.session
        while session.alive:
            yield env.timeout(max(0.0, client.last_heard + limit - env.now))
            if session.alive and env.now >= client.last_heard + limit:
                self.drop(session, "ping-timeout")

    def _on_closed(self, connection: Connection, reason: str) -> None:
        session = self.sessions[connection.client]
        if session is not None and session.alive:
            self.drop(session, reason)

    # -- sending a packet: queue or frame ------------------------------------------------------

    def send_down(self, server: ServerSide, packet: Packet) -> None:
        """Server: send now on the WebSocket, or queue for the next (or held) GET."""
        session = server.session
        if session.mode == "websocket" and session.socket is not None:
            self._frame(session.socket, DOWN, packet, session)
            return
        server.outbox.append(packet)
        if server.held_get is not None:
            held, server.held_get = server.held_get, None
            self.server.release()
            packets, server.outbox = server.outbox, []
            self._respond_poll(held, packets)

    def send_up(self, client: ClientSide, packet: Packet) -> None:
        """Client: send ``packet`` to the server in a POST (or a frame once upgraded)."""
        session = client.session
        if session.mode == "websocket" and session.socket is not None:
            self._frame(session.socket, UP, packet, session)
            return
        self.posts_waiting += len(packet.updates)

        def send(event):
            self.posts_waiting -= len(packet.updates)
            connection = event.value
            if not self.current(session):
                self.pools[session.client].release(connection)
                self.missed += len(packet.updates)
                return
            session.http.add(connection)
            post = wire_message(session, UP, "eio-post", (packet,), self.http.request_header_bytes)
            post.request = True
            connection.send(post)

        self.pools[session.client].acquire().callbacks.append(send)

    # -- what a packet means to this layer -----------------------------------------------------

    def _server_receives(self, session: Session, packet: Packet, message: Message) -> None:
        kind, server = packet.kind, session.at_server
        if kind == PONG:
            if server.pong is not None and not server.pong.triggered:
                server.pong.succeed()
        elif kind == PROBE:
            self._frame(message.connection, DOWN, Packet(PROBE, len("3probe")), session)
        elif kind == UPGRADE:
            session.mode = "websocket"
            if server.held_get is not None:
                held, server.held_get = server.held_get, None
                self.server.release()
                self._respond_poll(held, [Packet(NOOP, 1)])
            outbox, server.outbox = server.outbox, []
            for queued in outbox:  # the upgrade came on the socket: it is open
                self._frame(message.connection, DOWN, queued, session)
        else:
            self.layer.on_packet(server, packet, message)

    def _client_receives(self, session: Session, packet: Packet, message: Message) -> None:
        kind, client = packet.kind, session.at_client
        if kind == OPEN:  # WebSocket-only sessions start here
            self.layer.on_open(client)
        elif kind == PING:
            self.send_up(client, Packet(PONG, 1))
        elif kind == PROBE:
            self._frame(message.connection, UP, Packet(UPGRADE, 1), session)  # the socket
            session.mode = "websocket"
            if client.connect_after_upgrade:
                client.connect_after_upgrade = False
                self.layer.on_open(client)
        elif kind != NOOP:
            self.layer.on_packet(client, packet, message)

    def _start_pinging(self, session: Session) -> None:
        if not session.at_server.pinging:
            session.at_server.pinging = True
            self.env.process(self._pinger(session.at_server))

    def _pinger(self, server: ServerSide):
        """Engine.IO v4: ping ``ping_interval_s`` after the open and after each pong; drop
        the session if a pong takes longer than ``ping_timeout_s``."""
        env, params, session = self.env, self.params, server.session
        while session.alive:
            yield env.timeout(params.ping_interval_s)
            if not session.alive:
                return
            server.pong = env.event()
            self.send_down(server, Packet(PING, 1))
            yield server.pong | env.timeout(params.ping_timeout_s)
            if session.alive and not server.pong.triggered:
                self.drop(session, "pong-timeout")
                return

    # -- polling: HTTP requests --------------------------------------------------------------

    def _send_handshake(self, connection: Connection, session: Session) -> None:
        header = self.http.request_header_bytes
        request = Message(session.client, UP, "eio-handshake", 0, header, request=True)
        request.meta = Carried(session)
        session.http.add(connection)
        connection.send(request)

    def _poll(self, session: Session) -> None:
        """Client: send the next long-poll GET while the session is on polling."""
        if not self.current(session) or session.mode == "websocket":
            return

        def send(event):
            connection = event.value
            if not self.current(session) or session.mode == "websocket":
                self.pools[session.client].release(connection)
                return
            header = self.http.request_header_bytes
            get = Message(session.client, UP, "eio-poll", 0, header, request=True)
            get.meta = Carried(session)
            session.http.add(connection)
            connection.send(get)

        self.pools[session.client].acquire().callbacks.append(send)

    def _on_http_request(self, request: Message) -> None:
        self.server.serve(request, self._answer_http)

    def _answer_http(self, request: Message) -> None:
        connection = request.connection
        if connection.closed:
            return
        kind = request.kind
        carried: Carried = request.meta
        session = carried.session
        if kind == "eio-handshake":
            if not self.current(session):
                return
            size = self.http.response_header_bytes + len(self._open_text)
            connection.send(Message(session.client, DOWN, OPEN, 0, size, response=True))
            self._start_pinging(session)
            return
        if kind == "eio-poll":
            if not self.current(session):
                return
            server = session.at_server
            if session.mode == "websocket":  # upgraded meanwhile: close this poll
                self._respond_poll(request, [Packet(NOOP, 1)])
            elif server.outbox:
                packets, server.outbox = server.outbox, []
                self._respond_poll(request, packets)
            else:
                server.held_get = request
                self.server.hold()
            return
        size = self.http.response_header_bytes + eio.POST_OK_BODY_BYTES  # eio-post
        connection.send(Message(request.client, DOWN, "eio-post-ok", 0, size, response=True))
        (packet,) = carried.packets
        if self.current(session):
            self._server_receives(session, packet, request)
        else:
            self.missed += len(packet.updates)  # the session it was meant for is gone

    def _respond_poll(self, request: Message, packets: list[Packet]) -> None:
        header = self.http.response_header_bytes
        response = wire_message(request.meta.session, DOWN, "eio-poll-response", packets, header)
        response.response, response.empty = True, not response.updates
        request.connection.send(response)

    def _on_http_response(self, response: Message) -> None:
        if response.kind == OPEN and self._upgrade_at_once:
            self._upgrade_on(response)
            return
        self.pools[response.client].release(response.connection)
        kind = response.kind
        session = self.sessions[response.client]
        if kind == "eio-post-ok" or session is None:
            return
        if kind == OPEN:
            if not session.alive:
                return
            session.at_client.last_heard = self.env.now
            self.layer.on_open(session.at_client)
            self._poll(session)
            if "websocket" in self.params.transports:
                self._open_websocket(session)
            return
        carried: Carried = response.meta
        if carried.session is not session or not session.alive:
            self.missed += len(response.updates)  # answered to a session that is gone
            return
        session.at_client.last_heard = self.env.now
        for packet in carried.packets:
            self._client_receives(session, packet, response)
        self._poll(session)

    # -- websocket -----------------------------------------------------------------------------

    def _upgrade_on(self, response: Message) -> None:
        """python-socketio: the open packet arrived; upgrade at once on the same connection
        (taken out of the HTTP pool), and send CONNECT once the WebSocket carries it. On
        HTTP/2 and 3 the WebSocket gets an HTTP/1.1 connection of its own, as below."""
        session, connection = self.sessions[response.client], response.connection
        pool = self.pools[response.client]
        if session is None or not session.alive or pool.multiplexed:
            pool.release(connection)
        if session is None or not session.alive:
            return
        session.at_client.last_heard = self.env.now
        session.at_client.connect_after_upgrade = True
        if pool.multiplexed:
            self._open_websocket(session)
            return
        pool.detach(connection, self._on_ws_client, self._on_ws_server, self._on_closed)
        session.socket, session.mode = connection, "upgrading"
        self._send_upgrade_request(connection, session)

    def _send_upgrade_request(self, connection: Connection, session: Session) -> None:
        overhead = self.http.request_header_bytes + ws.UPGRADE_REQUEST_EXTRA_BYTES
        request = Message(session.client, UP, "ws-upgrade-request", 0, overhead, request=True)
        request.meta = Carried(session)
        connection.send(request)

    def _open_websocket(self, session: Session) -> None:
        # An HTTP/1.1 Upgrade on a connection of its own whatever [transport] http says:
        # engine.io's server takes WebSockets only through Node's HTTP/1.1 'upgrade' event
        # (no RFC 8441 extended CONNECT over HTTP/2: socketio/engine.io issue 694)
        connection = self.context.transport.connect(
            self.channels[session.client],
            "websocket",
            self._on_ws_client,
            self._on_ws_server,
            on_close=self._on_closed,
            http="1.1",
        )
        session.socket = connection
        transports = self.params.transports
        if session.mode == "polling" and transports[0] == "polling":
            session.mode = "upgrading"
        elif transports == ("websocket",):
            session.mode = "websocket"
        connection.established.callbacks.append(
            lambda event: self._send_upgrade_request(event.value, session)
        )

    def _frame(self, connection: Connection, direction: str, packet: Packet, session: Session):
        size = packet.size
        if packet.updates and self._deflate.on:  # data frames only (RFC 7692 section 6.1)
            size = self._deflate.size(connection.id, direction, packet.size)
        header = ws.frame_header_bytes(size, masked=direction == UP)
        message = wire_message(session, direction, packet.kind, (packet,), header)
        if size != packet.size:  # the compressed text: its payload share shrinks with it
            payload = message.payload_bytes * size // packet.size
            message.payload_bytes, message.overhead_bytes = payload, header + size - payload
        connection.send(message)

    def _on_ws_server(self, message: Message) -> None:
        self.server.serve(message, self._answer_ws)

    def _answer_ws(self, message: Message) -> None:
        connection = message.connection
        if connection.closed:
            return
        carried: Carried = message.meta
        session = carried.session
        if message.kind == "ws-upgrade-request":
            if not self.current(session):
                return
            size = self.http.upgrade_response_bytes
            if self._deflate.on:  # the server accepts the extension (RFC 7692 section 5)
                size += deflate.extension_header_bytes(deflate.SERVER_RESPONSE)
            reply = Message(session.client, DOWN, "ws-upgrade-response", 0, size, response=True)
            connection.send(reply)
            if self.params.transports == ("websocket",):
                self._frame(connection, DOWN, Packet(OPEN, len(self._open_text)), session)
                self._start_pinging(session)
            return
        (packet,) = carried.packets
        if self.current(session):
            self._server_receives(session, packet, message)
        else:
            self.missed += len(packet.updates)

    def _on_ws_client(self, message: Message) -> None:
        if message.kind == "ws-upgrade-response":
            session = self.sessions[message.client]
            if session is not None and session.socket is message.connection:
                if message.connection.kind == "websocket":  # not a reused HTTP connection
                    self.context.recorder.connection_ready(message.connection.id, self.env.now)
                if session.mode == "upgrading":
                    probe = Packet(PROBE, len("2probe"))
                    self._frame(message.connection, UP, probe, session)
            return
        carried: Carried = message.meta
        session = carried.session
        (packet,) = carried.packets
        if self.current(session):
            session.at_client.last_heard = self.env.now
            self._client_receives(session, packet, message)
        else:
            self.missed += len(packet.updates)
