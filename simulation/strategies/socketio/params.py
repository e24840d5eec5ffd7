"""The keys of ``[strategy]`` with ``kind = "socketio"``, and its rooms.

Rooms are a list of tables, ``rooms = [{ name = "lobby", members = 10 }]``, each holding
consecutive clients from ``first_client``; ``update_rooms`` names some of them. Rules
between keys (the allowed transport lists, a namespace's leading slash, the backoff's
bounds, rooms that exist) are in :meth:`SocketIOParams.check`, and unique room names in
:meth:`Room.check_list`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ...errors import ScenarioError
from ...inputs import shown
from ...schema import REQUIRED, param
from ..compression import DeflateKeys

__all__ = ["CLIENT_LIBRARIES", "TRANSPORT_LISTS", "TRANSPORT_NAMES", "Room", "SocketIOParams"]

TRANSPORT_NAMES = ("polling", "websocket")
TRANSPORT_LISTS = (("polling", "websocket"), ("polling",), ("websocket",))
CLIENT_LIBRARIES = ("socket.io-client", "python-socketio")


@dataclass(frozen=True)
class Room:
    """One room: ``{ name, members, first_client }``, holding consecutive clients."""

    name: str = param(REQUIRED, "the room's name (unique)")
    members: int = param(REQUIRED, "how many clients it holds", ge=1)
    first_client: int = param(
        0, "its first client; the others follow it", ge=0, source="the first client"
    )

    def check(self, where: str) -> None:
        if not self.name:
            raise ScenarioError(f"{where}.name: a room needs a non-empty name")

    @classmethod
    def check_list(cls, rooms: tuple[Room, ...], where: str) -> None:
        seen: set[str] = set()
        for index, room in enumerate(rooms):
            if room.name in seen:
                raise ScenarioError(
                    f"{where}[{index}].name: {room.name!r} names an earlier room too; "
                    "room names must be unique"
                )
            seen.add(room.name)

    def clients(self, clients: int) -> range:
        """The clients in this room, of ``clients`` in the run."""
        return range(self.first_client, min(self.first_client + self.members, clients))


@dataclass(frozen=True)
class SocketIOParams(DeflateKeys):
    # keys that were replaced, and by what (schema.parse_section says so)
    MOVED_KEYS: ClassVar[dict[str, str]] = {
        "fanout_s_per_recipient": "replaced by [server] push_time_s with push_fanout = "
        '"serial": the server\'s time to write one message to one client, for every push '
        "(updates and room broadcasts alike)",
    }
    transports: tuple[str, ...] = param(
        ("polling", "websocket"),
        'Engine.IO transports: ["polling", "websocket"] (polling, then the upgrade), '
        '["polling"] or ["websocket"]',
        choices=TRANSPORT_NAMES,
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
    rooms: tuple[Room, ...] = param(
        (),
        "chat rooms [{ name, members, first_client }]: client messages go to the rest of "
        "the sender's rooms",
    )
    update_rooms: tuple[str, ...] = param(
        (),
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

    def check(self, where: str) -> None:
        self.check_deflate(where)
        if self.transports not in TRANSPORT_LISTS:
            allowed = ", ".join(str(list(t)).replace("'", '"') for t in TRANSPORT_LISTS)
            raise ScenarioError(
                f"{where}.transports: {shown(list(self.transports))} is not allowed "
                f"(allowed: {allowed})"
            )
        if not self.namespace.startswith("/"):
            raise ScenarioError(
                f"{where}.namespace: must start with '/', got {shown(self.namespace)}"
            )
        if self.reconnection_delay_max_s < self.reconnection_delay_s:
            raise ScenarioError(
                f"{where}.reconnection_delay_max_s: must be >= reconnection_delay_s "
                f"({self.reconnection_delay_s:g} s), got {self.reconnection_delay_max_s:g}"
            )
        known = {room.name for room in self.rooms}
        unknown = [name for name in self.update_rooms if name not in known]
        if unknown:
            raise ScenarioError(
                f"{where}.update_rooms: names rooms that do not exist: {unknown} "
                f"(rooms: {sorted(known) or 'none'})"
            )

    def room_members(self, clients: int) -> dict[str, range]:
        """Each room's clients, by name."""
        return {room.name: room.clients(clients) for room in self.rooms}
