"""Socket.IO (protocol v5) over Engine.IO (protocol v4): handshake, upgrade, heartbeats,
events with acknowledgements, reconnection.

Sequence with the default ``transports = ["polling", "websocket"]``, for each client::

    client                                              server
      | -- GET /socket.io/?EIO=4&transport=polling ----> |   (a pooled HTTP connection)
      | <-- 0{"sid":...,"pingInterval":25000,...} ------ |   Engine.IO open
      | -- POST 40 ------------------------------------> |   Socket.IO CONNECT to "/"
      | <-- ok ----------------------------------------- |
      | -- GET (long poll) -----------------------------> |   held until packets are queued
      | == WebSocket: TCP, GET ...&transport=websocket&sid, 101 ==  (a second connection)
      | -- 2probe (frame) ------------------------------> |
      | <-- 3probe -------------------------------------- |
      | -- 5 (upgrade) ---------------------------------> |   from now on: the WebSocket
      | <-- 6 (noop, answers the held GET) ------------- |
      | <-- 40{"sid":...} (queued CONNECT answer) ------ |
      | <-- 42["update","..."] ------------------------- |   one event per update
      | <-- 2 (ping) every ping_interval_s -------------- |
      | -- 3 (pong) -----------------------------------> |
      | -- 421["message","..."] (client emit, ack 1) --> |
      | <-- 431[] --------------------------------------- |   the acknowledgement

With ``client_library = "python-socketio"`` the client instead upgrades at once on the
handshake's kept-alive connection (no POST, no held GET, no second connection), sends
CONNECT over the WebSocket after ``5``, and numbers its acks from 1 instead of 0.

With ``["polling"]`` the session stays on long polling: the server's packets go in
responses to held GETs (several joined by the record separator), the client's in POSTs.
With ``["websocket"]`` the client opens the WebSocket directly and the server sends the
open packet as its first frame.

Timing assumed: the server serves every request and frame (server.py). It queues packets
for a polling client and flushes them into the next GET, at once if one is held. It
pings ``ping_interval_s`` after the session opens and after each pong, and drops a
session whose pong has not come ``ping_timeout_s`` after a ping. A client that hears nothing for
``ping_interval_s + ping_timeout_s``, or whose connection closes (a proxy, a restart),
drops the session too and reconnects after a backoff (socket.io-client's defaults). A
reconnected client starts over with a new session: events emitted to it meanwhile are
missed. Client messages (``[workload.up]``) are emitted as events asking for an
acknowledgement (``ack_client_messages``); the time from emit to ack is the ack RTT.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ScenarioError
from ..inputs import shown
from ..messages import DOWN, UP, Message, Update
from ..protocols import engineio as eio
from ..protocols import websocket as ws
from ..schema import param
from ..transport import Connection
from .backoff import Backoff
from .base import Strategy
from .context import StrategyContext
from .http_client import HttpClient

__all__ = ["SocketIO", "SocketIOParams"]

TRANSPORT_NAMES = ("polling", "websocket")
CLIENT_LIBRARIES = ("socket.io-client", "python-socketio")


@dataclass(frozen=True)
class Transports:
    """Engine.IO transports, in order: ``["polling", "websocket"]`` upgrades."""

    names: tuple[str, ...] = ("polling", "websocket")
    type_text = "list of strings"
    default_text = '["polling", "websocket"]'

    @classmethod
    def from_toml(cls, value: Any, where: str) -> Transports:
        if isinstance(value, Transports):
            return value
        allowed = [["polling", "websocket"], ["polling"], ["websocket"]]
        if not isinstance(value, list) or value not in allowed:
            raise ScenarioError(
                f"{where}: {shown(value)} is not allowed (allowed: "
                + ", ".join(str(a).replace("'", '"') for a in allowed)
                + ")"
            )
        return cls(tuple(value))

    def to_toml(self) -> list[str]:
        return list(self.names)


@dataclass(frozen=True)
class Rooms:
    """Rooms: ``[{ name, members, first_client }]``; each holds consecutive clients."""

    rooms: tuple[tuple[str, int, int], ...] = ()  # (name, first client, members)
    type_text = "list of tables"
    default_text = "[]"

    @classmethod
    def from_toml(cls, value: Any, where: str) -> Rooms:
        if isinstance(value, Rooms):
            return value
        if not isinstance(value, list):
            raise ScenarioError(
                f"{where}: expected a list of tables like "
                f'[{{ name = "lobby", members = 10 }}], got {shown(value)}'
            )
        rooms, names = [], set()
        for index, room in enumerate(value):
            here = f"{where}[{index}]"
            if not isinstance(room, Mapping):
                raise ScenarioError(f"{here}: expected a table, got {shown(room)}")
            unknown = {str(key) for key in room} - {"name", "members", "first_client"}
            if unknown:
                raise ScenarioError(
                    f"{here}: unknown keys {sorted(unknown)} (allowed: name, members, first_client)"
                )
            name = room.get("name")
            if not isinstance(name, str) or not name or name in names:
                raise ScenarioError(f"{here}.name: a unique, non-empty room name is required")
            members, first = room.get("members"), room.get("first_client", 0)
            for key, number, minimum in (("members", members, 1), ("first_client", first, 0)):
                if (
                    isinstance(number, bool)
                    or not isinstance(number, numbers.Integral)
                    or number < minimum
                ):
                    raise ScenarioError(
                        f"{here}.{key}: must be a whole number >= {minimum}, got {shown(number)}"
                    )
            members, first = int(members), int(first)
            names.add(name)
            rooms.append((name, first, members))
        return cls(tuple(rooms))

    def to_toml(self) -> list[dict]:
        return [{"name": n, "first_client": f, "members": m} for n, f, m in self.rooms]

    def members(self, clients: int) -> dict[str, range]:
        return {
            name: range(first, min(first + count, clients)) for name, first, count in self.rooms
        }


@dataclass(frozen=True)
class RoomNames:
    """A list of room names, e.g. the rooms server updates go to."""

    names: tuple[str, ...] = ()
    type_text = "list of strings"
    default_text = "[]"

    @classmethod
    def from_toml(cls, value: Any, where: str) -> RoomNames:
        if isinstance(value, RoomNames):
            return value
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ScenarioError(f"{where}: expected a list of room names, got {shown(value)}")
        return cls(tuple(value))

    def to_toml(self) -> list[str]:
        return list(self.names)


@dataclass(frozen=True)
class SocketIOParams:
    transports: Transports = param(
        Transports(),
        "Engine.IO transports: polling then upgrade, polling only, or WebSocket only",
        source="socket.io-client's default transports",
    )
    client_library: str = param(
        "socket.io-client",
        "which client is modelled: socket.io-client (CONNECT posted, a GET held, the "
        "WebSocket probed on a second connection, acks numbered from 0) or python-socketio "
        "(upgrade at once on the handshake's kept-alive connection, then CONNECT over the "
        "WebSocket, acks from 1)",
        choices=CLIENT_LIBRARIES,
        source="socket.io-client, the browser client; python-engineio AsyncClient "
        "_connect_polling for the other",
    )
    ping_interval_s: float = param(
        25.0,
        "the server pings every session this often",
        unit="s",
        gt=0,
        source="Engine.IO v4 server default pingInterval, 25000 ms",
    )
    ping_timeout_s: float = param(
        20.0,
        "how long a pong may take before the session is dropped",
        unit="s",
        gt=0,
        source="Engine.IO v4 server default pingTimeout, 20000 ms",
    )
    max_payload_bytes: int = param(
        1_000_000,
        "largest polling payload the server accepts (sent in the open packet)",
        unit="bytes",
        ge=1,
        source="Engine.IO v4 server default maxHttpBufferSize, 1e6",
    )
    namespace: str = param("/", "the Socket.IO namespace the clients join", source="main")
    event_name: str = param("update", "the event name of pushed updates", source="-")
    ack_client_messages: bool = param(
        True, "client messages ask for an acknowledgement", source="emit with a callback"
    )
    rooms: Rooms = param(
        Rooms(),
        "chat rooms [{ name, members, first_client }]: client messages go to the rest of "
        "the sender's rooms",
    )
    update_rooms: RoomNames = param(
        RoomNames(),
        "server updates go to these rooms (each socket once); empty: as [workload] audience",
    )
    connection_state_recovery: bool = param(
        False,
        "the server keeps events for a disconnected client and replays them on reconnect",
        source="off in Socket.IO unless enabled (connectionStateRecovery)",
    )
    max_disconnection_s: float = param(
        120.0,
        "with recovery: how long the server keeps a disconnected client's events",
        unit="s",
        gt=0,
        source="Socket.IO connectionStateRecovery maxDisconnectionDuration, 2 minutes",
        allow_inf=True,  # inf: never
    )
    fanout_s_per_recipient: float = param(
        0.0,
        "server time to write one broadcast to one recipient (serial)",
        unit="s",
        ge=0,
        source="no cost unless asked for",
    )
    reconnection_delay_s: float = param(
        1.0,
        "wait before reconnecting",
        unit="s",
        ge=0,
        source="socket.io-client reconnectionDelay, 1000 ms",
    )
    reconnection_delay_max_s: float = param(
        5.0,
        "largest wait: it doubles after each failed attempt",
        unit="s",
        ge=0,
        source="socket.io-client reconnectionDelayMax, 5000 ms",
    )
    randomization_factor: float = param(
        0.5,
        "jitter: each wait times a uniform factor in [1 - f, 1 + f]",
        ge=0,
        le=1,
        source="socket.io-client randomizationFactor, 0.5",
    )

    def __post_init__(self):
        if not self.namespace.startswith("/"):
            raise ValueError(f"namespace must start with '/', got {self.namespace!r}")
        if self.reconnection_delay_max_s < self.reconnection_delay_s:
            raise ValueError("reconnection_delay_max_s must be >= reconnection_delay_s")
        known = {name for name, _, _ in self.rooms.rooms}
        unknown = [name for name in self.update_rooms.names if name not in known]
        if unknown:
            raise ValueError(
                f"update_rooms names rooms that do not exist: {unknown} "
                f"(rooms: {sorted(known) or 'none'})"
            )


class _Packet:
    """One Engine.IO packet: its text size, the updates it carries and its kind."""

    __slots__ = ("ack_id", "kind", "size", "updates")

    def __init__(self, kind: str, size: int, updates: tuple = (), ack_id: int | None = None):
        self.kind = kind
        self.size = size
        self.updates = updates
        self.ack_id = ack_id


class _Session:
    """A client's Engine.IO session: both ends' view of it."""

    def __init__(self, client: int):
        self.client = client
        self.mode = "polling"  # or "upgrading", "websocket"
        self.socket: Connection | None = None  # the WebSocket, once opened
        self.connected = False  # the Socket.IO CONNECT was answered (server side)
        self.client_connected = False  # ... and the client has heard the answer
        self.outbox: list[_Packet] = []  # server -> client, waiting for a GET
        self.held_get: Message | None = None
        self.pong = None  # server side: the event a pong will trigger
        self.pinging = False
        self.http: set[Connection] = set()  # polling connections this session used
        self.alive = True
        self.last_heard = 0.0  # client side: last packet from the server
        self.dropped = None  # the client process waits on this event
        self.connect_after_upgrade = False  # python-socketio: CONNECT once upgraded


class SocketIO(Strategy):
    name = "socketio"
    Params = SocketIOParams
    needs_uplink = True
    summary = "Engine.IO handshake, upgrade to WebSocket, heartbeats, events with acks"

    def __init__(self, context: StrategyContext, params: SocketIOParams):
        super().__init__(context, params)
        self.http_client = HttpClient(
            self.context,
            self.channels,
            self._on_http_response,
            self._on_http_request,
            self._on_closed,
        )
        self._sessions: list[_Session | None] = [None] * self.clients
        self._backoffs = [
            Backoff(
                params.reconnection_delay_s,
                params.reconnection_delay_max_s,
                params.randomization_factor,
                context.streams.generator("socketio.reconnect"),
            )
            for _ in range(self.clients)
        ]
        members = params.rooms.members(self.clients)
        self.room_members = members
        peers: dict[int, set[int]] = {}
        for room in members.values():
            for client in room:
                peers.setdefault(client, set()).update(room)
        # the rest of each client's rooms, each socket once (socket.to(rooms) semantics)
        self._room_peers = {c: sorted(p - {c}) for c, p in peers.items()}
        self.broadcasts: list[tuple[int, int, int]] = []  # (original, first relay id, count)
        if params.update_rooms.names:
            chosen = set()
            for name in params.update_rooms.names:
                chosen.update(members[name])
            self._update_targets = sorted(chosen)
            self._update_target_set = set(chosen)
        else:
            self._update_targets = None
        # connection state recovery: events kept for clients whose session dropped
        self._kept: list[list[Update]] = [[] for _ in range(self.clients)]
        self._kept_since = [math.inf] * self.clients
        self.recovered = 0
        # the first ack id of a socket: socket.io-client counts from 0 (lib/socket.ts,
        # `packet.id = this.ids++`), python-socketio from 1 (base_client.py,
        # `itertools.count(1)`); the id's digits are part of every emit's bytes
        first_ack = 1 if params.client_library == "python-socketio" else 0
        self._next_ack = [first_ack] * self.clients
        self._acks_pending: dict[tuple[int, int], float] = {}
        self.ack_rtts: list[float] = []
        self._emits_waiting = 0
        transports = params.transports.names
        self._open_text = eio.open_packet(
            params.ping_interval_s,
            params.ping_timeout_s,
            params.max_payload_bytes,
            ["websocket"] if transports == ("polling", "websocket") else [],
        )
        connect, answer = eio.connect_packets(params.namespace)
        self._connect_size, self._connect_answer_size = len(connect), len(answer)
        self._upgrade_at_once = (
            params.client_library == "python-socketio"
            and params.transports.names == ("polling", "websocket")
        )

    # -- accounting ------------------------------------------------------------------------

    def pending_updates(self) -> int:
        queued = sum(
            len(packet.updates)
            for session in self._sessions
            if session is not None
            for packet in session.outbox
        )
        return queued + self._emits_waiting + sum(map(len, self._kept))

    def stats(self) -> dict[str, float]:
        rtts = np.asarray(self.ack_rtts)
        return {
            **super().stats(),
            "ack_rtt_mean_s": float(rtts.mean()) if rtts.size else math.nan,
            "ack_rtt_p95_s": float(np.quantile(rtts, 0.95)) if rtts.size else math.nan,
            "acks": int(rtts.size),
            "recovered_updates": self.recovered,
            **self._fanout_stats(),
        }

    def _fanout_stats(self) -> dict[str, float]:
        """First and last recipient latency per broadcast, and deliveries per room."""
        if not self.broadcasts:
            return {}
        columns = self.recorder.deliveries.columns()
        ids = columns["update_id"]
        latency = columns["delivered_at"] - columns["created_at"]
        clients = columns["client"]
        firsts, lasts = [], []
        relay_ids = []
        for _original, first_id, count in self.broadcasts:
            mask = (ids >= first_id) & (ids < first_id + count)
            relay_ids.append((first_id, count))
            if mask.sum() == count:  # every recipient got it: a complete fan-out
                firsts.append(latency[mask].min())
                lasts.append(latency[mask].max())
        stats = {
            "broadcasts": len(self.broadcasts),
            "fanout_first_mean_s": float(np.mean(firsts)) if firsts else math.nan,
            "fanout_last_mean_s": float(np.mean(lasts)) if lasts else math.nan,
        }
        relayed = np.zeros(ids.size, dtype=bool)
        for first_id, count in relay_ids:
            relayed |= (ids >= first_id) & (ids < first_id + count)
        for name, members in self.room_members.items():
            inside = (clients >= members.start) & (clients < members.stop)
            stats[f"room_deliveries:{name}"] = int((relayed & inside).sum())
        return stats

    # -- client: the session's life --------------------------------------------------------

    def start(self) -> None:
        for client in range(self.clients):
            self.env.process(self._client(client))

    def _client(self, client: int):
        env = self.env
        first = True
        while True:
            session = _Session(client)
            session.dropped = env.event()
            session.last_heard = env.now
            self._sessions[client] = session
            if not first:
                self.reconnects += 1
            first = False
            if self.params.transports.names[0] == "polling":
                self.http_client.pools[client].acquire().callbacks.append(
                    lambda event, s=session: self._send_handshake(event.value, s)
                )
            else:
                self._open_websocket(session)
            env.process(self._watch_heartbeat(session))
            was_connected = yield session.dropped
            if was_connected:
                self._backoffs[client].reset()
            yield env.timeout(self._backoffs[client].next_delay())

    def _keeping(self, client: int) -> bool:
        """Is the server keeping events for this disconnected client (recovery)?"""
        if not self.params.connection_state_recovery:
            return False
        if self.env.now - self._kept_since[client] > self.params.max_disconnection_s:
            self.missed += len(self._kept[client])  # kept too long: given up
            self._kept[client] = []
            self._kept_since[client] = math.inf
            return False
        return self._kept_since[client] < math.inf

    def _drop(self, session: _Session, reason: str) -> None:
        """The session is over at both ends; the client will reconnect."""
        if not session.alive:
            return
        session.alive = False
        if self.params.connection_state_recovery and session.connected:
            self._kept_since[session.client] = self.env.now
            queued = [
                u for packet in session.outbox for u in packet.updates if packet.kind == "sio-event"
            ]
            self._kept[session.client].extend(queued)
            self.missed += sum(len(p.updates) for p in session.outbox) - len(queued)
        else:
            self.missed += sum(len(packet.updates) for packet in session.outbox)
        session.outbox = []
        if session.held_get is not None:
            self.server.release()
            session.held_get = None
        if session.socket is not None and not session.socket.closed:
            session.socket.close(reason)
        for connection in session.http:  # abort its polls: the pool gets them back
            connection.close(reason, notify=True)
        session.dropped.succeed(session.client_connected)

    def _watch_heartbeat(self, session: _Session):
        """Client side: drop a session the server has been silent on for too long."""
        limit = self.params.ping_interval_s + self.params.ping_timeout_s
        env = self.env
        while session.alive:
            yield env.timeout(max(0.0, session.last_heard + limit - env.now))
            if session.alive and env.now >= session.last_heard + limit:
                self._drop(session, "ping-timeout")

    def _current(self, client: int, session: _Session) -> bool:
        return session.alive and self._sessions[client] is session

    # -- polling: HTTP requests --------------------------------------------------------------

    def _send_handshake(self, connection: Connection, session: _Session) -> None:
        request = Message(
            session.client, UP, "eio-handshake", 0, self.http.request_header_bytes, request=True
        )
        request.meta = session
        session.http.add(connection)
        connection.send(request)

    def _post(self, session: _Session, packet: _Packet) -> None:
        """Client: send ``packet`` to the server in a POST (or a frame once upgraded)."""
        if session.mode == "websocket" and session.socket is not None:
            self._frame(session.socket, UP, packet, session)
            return
        self._emits_waiting += len(packet.updates)

        def send(event, packet=packet):
            self._emits_waiting -= len(packet.updates)
            connection = event.value
            if not self._current(session.client, session):
                self.http_client.pools[session.client].release(connection)
                self.missed += len(packet.updates)
                return
            payload = sum(update.payload_bytes for update in packet.updates)
            post = Message(
                session.client,
                UP,
                "eio-post",
                payload,
                self.http.request_header_bytes + packet.size - payload,
                packet.updates,
                request=True,
            )
            post.meta = (session, packet)
            session.http.add(connection)
            connection.send(post)

        self.http_client.pools[session.client].acquire().callbacks.append(send)

    def _poll(self, session: _Session) -> None:
        """Client: send the next long-poll GET while the session is on polling."""
        if not self._current(session.client, session) or session.mode == "websocket":
            return

        def send(event):
            connection = event.value
            if not self._current(session.client, session) or session.mode == "websocket":
                self.http_client.pools[session.client].release(connection)
                return
            get = Message(
                session.client, UP, "eio-poll", 0, self.http.request_header_bytes, request=True
            )
            get.meta = session
            session.http.add(connection)
            connection.send(get)

        self.http_client.pools[session.client].acquire().callbacks.append(send)

    def _on_http_request(self, request: Message) -> None:
        self.server.serve(request, self._answer_http)

    def _answer_http(self, request: Message) -> None:
        connection = request.connection
        if connection.closed:
            return
        kind = request.kind
        if kind == "eio-handshake":
            session = request.meta
            if not self._current(session.client, session):
                return
            size = len(self._open_text)
            connection.send(
                Message(
                    session.client,
                    DOWN,
                    "eio-open",
                    0,
                    self.http.response_header_bytes + size,
                    response=True,
                )
            )
            self._start_pinging(session)
            return
        if kind == "eio-poll":
            session = request.meta
            if not self._current(session.client, session):
                return
            if session.mode == "websocket":  # upgraded meanwhile: close this poll
                self._respond_poll(request, [_Packet("eio-noop", 1)])
            elif session.outbox:
                packets, session.outbox = session.outbox, []
                self._respond_poll(request, packets)
            else:
                session.held_get = request
                self.server.hold()
            return
        session, packet = request.meta  # eio-post
        connection.send(
            Message(
                request.client,
                DOWN,
                "eio-post-ok",
                0,
                self.http.response_header_bytes + eio.POST_OK_BODY_BYTES,
                response=True,
            )
        )
        if self._current(session.client, session):
            self._server_receives(session, packet, request)
        else:
            self.missed += len(packet.updates)  # the session it was meant for is gone

    def _respond_poll(self, request: Message, packets: list[_Packet]) -> None:
        updates = tuple(u for packet in packets for u in packet.updates)
        payload = sum(update.payload_bytes for update in updates)
        body = sum(packet.size for packet in packets) + len(packets) - 1
        response = Message(
            request.client,
            DOWN,
            "eio-poll-response",
            payload,
            self.http.response_header_bytes + body - payload,
            updates,
            response=True,
            empty=not updates,
        )
        response.meta = (request.meta, packets)
        request.connection.send(response)

    def _on_http_response(self, response: Message) -> None:
        if response.kind == "eio-open" and self._upgrade_at_once:
            self._upgrade_on(response)
            return
        self.http_client.pools[response.client].release(response.connection)
        kind = response.kind
        session = self._sessions[response.client]
        if kind == "eio-post-ok" or session is None:
            return
        if kind == "eio-open":
            if not session.alive:
                return
            session.last_heard = self.env.now
            self._post(session, _Packet("sio-connect", self._connect_size))
            self._poll(session)
            if "websocket" in self.params.transports.names:
                self._open_websocket(session)
            return
        polled_session, packets = response.meta
        if polled_session is not session or not session.alive:
            self.missed += len(response.updates)  # answered to a session that is gone
            return
        session.last_heard = self.env.now
        for packet in packets:
            self._client_receives(session, packet, response)
        self._poll(session)

    # -- websocket -----------------------------------------------------------------------------

    def _upgrade_on(self, response: Message) -> None:
        """python-socketio: the open packet arrived; upgrade at once on the same connection
        (taken out of the HTTP pool), and send CONNECT once the WebSocket carries it."""
        session = self._sessions[response.client]
        connection = response.connection
        if session is None or not session.alive:
            self.http_client.pools[response.client].release(connection)
            return
        session.last_heard = self.env.now
        session.connect_after_upgrade = True
        self.http_client.pools[response.client].detach(
            connection, self._on_ws_client, self._on_ws_server, self._on_closed
        )
        session.socket = connection
        session.mode = "upgrading"
        self._send_upgrade_request(connection, session)

    def _send_upgrade_request(self, connection: Connection, session: _Session) -> None:
        overhead = self.http.request_header_bytes + ws.UPGRADE_REQUEST_EXTRA_BYTES
        request = Message(session.client, UP, "ws-upgrade-request", 0, overhead, request=True)
        request.meta = session
        connection.send(request)

    def _open_websocket(self, session: _Session) -> None:
        connection = self.transport.connect(
            self.channels[session.client],
            "websocket",
            self._on_ws_client,
            self._on_ws_server,
            on_close=self._on_closed,
        )
        session.socket = connection
        if session.mode == "polling" and self.params.transports.names[0] == "polling":
            session.mode = "upgrading"
        elif self.params.transports.names == ("websocket",):
            session.mode = "websocket"

        connection.established.callbacks.append(
            lambda event: self._send_upgrade_request(event.value, session)
        )

    def _frame(
        self, connection: Connection, direction: str, packet: _Packet, session: _Session
    ) -> None:
        payload = sum(update.payload_bytes for update in packet.updates)
        header = ws.frame_header_bytes(packet.size, masked=direction == UP)
        message = Message(
            session.client,
            direction,
            packet.kind,
            payload,
            header + packet.size - payload,
            packet.updates,
        )
        message.meta = (session, packet)
        connection.send(message)

    def _on_ws_server(self, message: Message) -> None:
        self.server.serve(message, self._answer_ws)

    def _answer_ws(self, message: Message) -> None:
        connection = message.connection
        if connection.closed:
            return
        if message.kind == "ws-upgrade-request":
            session = message.meta
            if not self._current(session.client, session):
                return
            connection.send(
                Message(
                    session.client,
                    DOWN,
                    "ws-upgrade-response",
                    0,
                    self.http.upgrade_response_bytes,
                    response=True,
                )
            )
            if self.params.transports.names == ("websocket",):
                self._frame(connection, DOWN, _Packet("eio-open", len(self._open_text)), session)
                self._start_pinging(session)
            return
        session, packet = message.meta
        if self._current(session.client, session):
            self._server_receives(session, packet, message)
        else:
            self.missed += len(packet.updates)

    def _on_ws_client(self, message: Message) -> None:
        if message.kind == "ws-upgrade-response":
            session = self._sessions[message.client]
            if session is not None and session.socket is message.connection:
                if message.connection.kind == "websocket":  # not a reused HTTP connection
                    self.recorder.connection_ready(message.connection.id, self.env.now)
                if session.mode == "upgrading":
                    self._frame(
                        message.connection, UP, _Packet("eio-probe", len("2probe")), session
                    )
            return
        session, packet = message.meta
        if self._current(session.client, session):
            session.last_heard = self.env.now
            self._client_receives(session, packet, message)
        else:
            self.missed += len(packet.updates)

    # -- both ends: what a packet means --------------------------------------------------------

    def _server_receives(self, session: _Session, packet: _Packet, message: Message) -> None:
        kind = packet.kind
        if kind == "sio-connect":
            session.connected = True
            self._send_to_client(session, _Packet("sio-connect", self._connect_answer_size))
            self._recover(session)
        elif kind == "eio-pong":
            if session.pong is not None and not session.pong.triggered:
                session.pong.succeed()
        elif kind == "eio-probe":
            self._frame(message.connection, DOWN, _Packet("eio-probe", len("3probe")), session)
        elif kind == "eio-upgrade":
            session.mode = "websocket"
            if session.held_get is not None:
                held, session.held_get = session.held_get, None
                self.server.release()
                self._respond_poll(held, [_Packet("eio-noop", 1)])
            outbox, session.outbox = session.outbox, []
            for queued in outbox:
                self._frame(session.socket, DOWN, queued, session)
        elif kind == "sio-event":
            self.deliver(message)
            if packet.ack_id is not None:
                size = len(eio.ack_packet(packet.ack_id, self.params.namespace))
                self._send_to_client(session, _Packet("sio-ack", size, ack_id=packet.ack_id))
            for update in packet.updates:
                recipients = self._room_peers.get(update.origin)
                if recipients:
                    self._broadcast(update, recipients)

    def _broadcast(self, original: Update, recipients: list[int]) -> None:
        """``socket.to(rooms).emit``: every other member of the sender's rooms, once each,
        one after the other at ``fanout_s_per_recipient`` of server time each."""
        relays = [self.context.relay(original, r) for r in recipients]
        self.broadcasts.append((original.id, relays[0].id, len(relays)))
        cost = self.params.fanout_s_per_recipient
        if cost == 0:
            for relay in relays:
                self._emit_to(relay.target, relay, "message")
            return
        self.env.process(self._fan_out(relays, cost))

    def _fan_out(self, relays: list[Update], cost: float):
        self.server.updates_held += len(relays)
        self.server.busy_s += cost * len(relays)
        for relay in relays:
            yield self.env.timeout(cost)
            self.server.updates_held -= 1
            self._emit_to(relay.target, relay, "message")

    def _client_receives(self, session: _Session, packet: _Packet, message: Message) -> None:
        kind = packet.kind
        if kind == "eio-open":  # WebSocket-only sessions start here
            self._frame(message.connection, UP, _Packet("sio-connect", self._connect_size), session)
        elif kind == "sio-connect":
            session.client_connected = True
        elif kind == "eio-ping":
            self._post(session, _Packet("eio-pong", 1))
        elif kind == "eio-probe":
            self._frame(session.socket, UP, _Packet("eio-upgrade", 1), session)
            session.mode = "websocket"
            if session.connect_after_upgrade:
                session.connect_after_upgrade = False
                self._frame(session.socket, UP, _Packet("sio-connect", self._connect_size), session)
        elif kind == "sio-event":
            self.deliver_updates(packet.updates, message)
        elif kind == "sio-ack":
            sent = self._acks_pending.pop((session.client, packet.ack_id), None)
            if sent is not None:
                self.ack_rtts.append(self.env.now - sent)

    def _send_to_client(self, session: _Session, packet: _Packet) -> None:
        """Server: send now on the WebSocket, or queue for the next (or held) GET."""
        if session.mode == "websocket" and session.socket is not None:
            self._frame(session.socket, DOWN, packet, session)
            return
        session.outbox.append(packet)
        if session.held_get is not None:
            held, session.held_get = session.held_get, None
            self.server.release()
            packets, session.outbox = session.outbox, []
            self._respond_poll(held, packets)

    def _recover(self, session: _Session) -> None:
        """A reconnected client gets what was kept for it, if it is back in time."""
        client = session.client
        if self._kept_since[client] == math.inf:
            return
        if self._keeping(client):
            kept, self._kept[client] = self._kept[client], []
            self.recovered += len(kept)
            for update in kept:
                self._emit_to(client, update, self.params.event_name)
        self._kept_since[client] = math.inf

    def _start_pinging(self, session: _Session) -> None:
        if not session.pinging:
            session.pinging = True
            self.env.process(self._pinger(session))

    def _pinger(self, session: _Session):
        """Engine.IO v4: ping ``ping_interval_s`` after the open and after each pong; drop
        the session if a pong takes longer than ``ping_timeout_s``."""
        env, params = self.env, self.params
        while session.alive:
            yield env.timeout(params.ping_interval_s)
            if not session.alive:
                return
            session.pong = env.event()
            self._send_to_client(session, _Packet("eio-ping", 1))
            yield session.pong | env.timeout(params.ping_timeout_s)
            if session.alive and not session.pong.triggered:
                self._drop(session, "pong-timeout")
                return

    def _on_closed(self, connection: Connection, reason: str) -> None:
        session = self._sessions[connection.client]
        if session is not None and session.alive:
            self._drop(session, reason)

    # -- updates and client messages -----------------------------------------------------------

    def publish(self, update: Update) -> None:
        if self._update_targets is not None:  # io.to([rooms]).emit: each socket once
            targets = self._update_targets
            if update.target is not None:  # the workload meant one client: keep that
                targets = [update.target] if update.target in self._update_target_set else []
        else:
            targets = self.targets(update)
        for client in targets:
            self._emit_to(client, update, self.params.event_name)

    def targets_of(self, update: Update) -> int:
        """How many clients an update is meant for (for the delivery accounting)."""
        if self._update_targets is None:
            return self.clients if update.target is None else 1
        return (
            len(self._update_targets)
            if update.target is None
            else int(update.target in self._update_target_set)
        )

    def _emit_to(self, client: int, update: Update, event: str) -> None:
        """Server: ``io.to(socket).emit(event, update)``, or a miss with no session."""
        session = self._sessions[client]
        if session is None or not session.alive or not session.connected:
            if self._keeping(client):
                self._kept[client].append(update)  # connection state recovery
            else:
                self.missed += 1
            return
        overhead = eio.event_overhead_bytes(event, self.params.namespace)
        self._send_to_client(
            session, _Packet("sio-event", overhead + update.payload_bytes, (update,))
        )

    def client_send(self, update: Update) -> None:
        client = update.origin
        session = self._sessions[client]
        if session is None or not session.alive or not session.client_connected:
            self.missed += 1
            return
        ack_id = None
        if self.params.ack_client_messages:
            ack_id = self._next_ack[client]
            self._next_ack[client] += 1
            self._acks_pending[client, ack_id] = self.env.now
        overhead = eio.event_overhead_bytes("message", self.params.namespace, ack_id)
        self._post(
            session, _Packet("sio-event", overhead + update.payload_bytes, (update,), ack_id)
        )

    def deliver_updates(self, updates, message: Message) -> None:
        self.recorder.deliveries_of(message, updates, self.env.now)
