"""Socket.IO v5 over Engine.IO sessions (engineio.py): CONNECT, events and acks, rooms and
broadcast fan-out, connection state recovery, and the metrics they give.

The server emits each update as an event, ``42["update","..."]``, to every connected
socket it is meant for (``[workload] audience``, or the rooms in ``update_rooms``, each
socket once). A client message is an emit asking for an ack, ``42<id>["message","..."]``,
answered by ``43<id>[]``; the server then broadcasts it to every other member of the
sender's rooms (``socket.to(rooms).emit``), each copy a push that takes the server's
``[server] push_time_s`` (one recipient after another with ``push_fanout = "serial"``).
An event for a client without a connected socket is missed, or with
``connection_state_recovery`` kept and emitted when it reconnects within
``max_disconnection_s``.

Metrics born here, declared in :data:`METRICS`: the ack round trip, broadcasts, recovered
events, and each broadcast's latency to its first and last recipient (counted as its
relays are delivered; a broadcast counts when every recipient got it), with
``room_<name>_deliveries``, the broadcast deliveries to each room's members.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import numpy as np

from ...messages import Message, Update
from ...protocols import engineio as eio
from ...run_stats import StrategyStats
from ..base import Metric, Strategy
from ..context import StrategyContext
from .engineio import EngineIO
from .params import SocketIOParams
from .session import ACK, CONNECT, EVENT, ClientSide, Packet, ServerSide

__all__ = ["METRICS", "SocketIO"]

METRICS = {
    "ack_rtt_mean_s": Metric(
        "Socket.IO: mean time from a client's emit to its acknowledgement", math.nan
    ),
    "ack_rtt_p95_s": Metric(
        "Socket.IO: 95th percentile of the acknowledgement round trip", math.nan
    ),
    "broadcasts": Metric("Socket.IO: client messages broadcast to their rooms", 0),
    "recovered_updates": Metric(
        "Socket.IO: events kept for a disconnected client, then delivered", 0
    ),
    "fanout_first_mean_s": Metric(
        "Socket.IO: mean latency to a broadcast's first recipient", math.nan
    ),
    "fanout_last_mean_s": Metric(
        "Socket.IO: mean latency to a broadcast's last recipient", math.nan
    ),
}


class _Member:
    """What the namespace keeps per client across its sessions."""

    __slots__ = ("kept", "kept_since", "next_ack")

    def __init__(self, first_ack: int):
        self.kept: list[Update] = []  # events kept for recovery while it is away
        self.kept_since = math.inf  # when its session dropped with events kept
        self.next_ack = first_ack  # the client's next acknowledgement id


class SocketIO(Strategy):
    name = "socketio"
    Params = SocketIOParams
    needs_uplink = True
    summary = "Engine.IO handshake, upgrade to WebSocket, heartbeats, events with acks"
    http_heads = (
        ("eio-handshake", "eio-poll", "eio-post", "ws-upgrade-request"),
        ("eio-open", "eio-poll-response", "eio-post-ok"),
    )
    metrics = METRICS

    def __init__(self, context: StrategyContext, params: SocketIOParams):
        super().__init__(context, params)
        self.engine = EngineIO(context, params, self.channels, self)
        members = params.room_members(self.clients)
        self.room_members = members
        peers: dict[int, set[int]] = {}
        for room in members.values():
            for client in room:
                peers.setdefault(client, set()).update(room)
        # the rest of each client's rooms, each socket once (socket.to(rooms) semantics)
        self._room_peers = {c: sorted(p - {c}) for c, p in peers.items()}
        self._update_targets: list[int] | None = None
        if params.update_rooms:
            chosen: set[int] = set()
            for name in params.update_rooms:
                chosen.update(members[name])
            self._update_targets = sorted(chosen)
            self._update_target_set = chosen
        # connection state recovery: events kept for clients whose session dropped
        self.recovered = 0
        # the first ack id of a socket: socket.io-client counts from 0 (lib/socket.ts,
        # `packet.id = this.ids++`), python-socketio from 1 (base_client.py,
        # `itertools.count(1)`); the id's digits are part of every emit's bytes
        first_ack = 1 if params.client_library == "python-socketio" else 0
        self._members = [_Member(first_ack) for _ in range(self.clients)]
        # (client, ack id) -> when the client emitted it
        self._acks_pending: dict[tuple[int, int | None], float] = {}
        self.ack_rtts: list[float] = []
        connect, answer = eio.connect_packets(params.namespace)
        self._connect_size, self._connect_answer_size = len(connect), len(answer)
        # fan-out, per broadcast: recipients, relays delivered, first and last latency
        self._broadcast_of: dict[int, int] = {}  # relay update id -> broadcast
        self._recipients: list[int] = []
        self._delivered: list[int] = []
        self._first: list[float] = []
        self._last: list[float] = []
        self._rooms_of = {
            client: [name for name, room in members.items() if client in room]
            for client in range(self.clients)
        }
        self._room_deliveries = dict.fromkeys(members, 0)

    # -- accounting ----------------------------------------------------------------------------

    def pending_updates(self) -> int:
        kept = sum(len(member.kept) for member in self._members)
        return self.engine.queued_updates() + kept

    def stats(self) -> StrategyStats:
        stats = super().stats()
        return dataclasses.replace(
            stats,
            reconnects=stats.reconnects + self.engine.reconnects,
            missed_updates=stats.missed_updates + self.engine.missed,
            acks=len(self.ack_rtts),
        )

    def metric_values(self) -> dict[str, float]:
        rtts = np.asarray(self.ack_rtts)
        complete = [i for i, count in enumerate(self._recipients) if self._delivered[i] == count]
        firsts = [self._first[i] for i in complete]
        lasts = [self._last[i] for i in complete]
        values = {
            "ack_rtt_mean_s": float(rtts.mean()) if rtts.size else math.nan,
            "ack_rtt_p95_s": float(np.quantile(rtts, 0.95)) if rtts.size else math.nan,
            "broadcasts": len(self._recipients),
            "recovered_updates": self.recovered,
            "fanout_first_mean_s": float(np.mean(firsts)) if firsts else math.nan,
            "fanout_last_mean_s": float(np.mean(lasts)) if lasts else math.nan,
        }
        if self._recipients:  # deliveries of broadcasts to each room's members
            for name, count in self._room_deliveries.items():
                values[f"room_{name}_deliveries"] = count
        return values

    # -- what the Engine.IO layer hands up -------------------------------------------------

    def start(self) -> None:
        self.engine.start()

    def on_open(self, side: ClientSide) -> None:
        self.engine.send_up(side, Packet(CONNECT, self._connect_size))

    def on_packet(self, side: ServerSide | ClientSide, packet: Packet, message: Message) -> None:
        kind = packet.kind
        if isinstance(side, ClientSide):
            if kind == CONNECT:
                side.connected = True
            elif kind == EVENT:
                self._client_delivers(packet.updates, message)
            elif kind == ACK:
                sent = self._acks_pending.pop((side.session.client, packet.ack_id), None)
                if sent is not None:
                    self.ack_rtts.append(self.env.now - sent)
        elif kind == CONNECT:
            side.connected = True
            self.engine.send_down(side, Packet(CONNECT, self._connect_answer_size))
            self._recover(side.session.client)
        elif kind == EVENT:
            self.deliver(message)
            if packet.ack_id is not None:
                size = len(eio.ack_packet(packet.ack_id, self.params.namespace))
                self.engine.send_down(side, Packet(ACK, size, ack_id=packet.ack_id))
            for update in packet.updates:
                recipients = self._room_peers.get(update.origin)
                if recipients:
                    self._broadcast(update, recipients)

    def on_drop(self, side: ServerSide, outbox: list[Packet]) -> int:
        """Keep the events of a dropped socket's queue for recovery; the rest is lost."""
        if not (self.params.connection_state_recovery and side.connected):
            return 0
        member = self._members[side.session.client]
        member.kept_since = self.env.now
        queued = [u for packet in outbox for u in packet.updates if packet.kind == EVENT]
        member.kept.extend(queued)
        return len(queued)

    def _client_delivers(self, updates: tuple[Update, ...], message: Message) -> None:
        now = self.env.now
        self.recorder.deliveries_of(message, updates, now)
        for update in updates:
            broadcast = self._broadcast_of.get(update.id)
            if broadcast is None:
                continue
            latency = now - update.created_at
            if self._delivered[broadcast] == 0:
                self._first[broadcast] = self._last[broadcast] = latency
            else:
                self._first[broadcast] = min(self._first[broadcast], latency)
                self._last[broadcast] = max(self._last[broadcast], latency)
            self._delivered[broadcast] += 1
            for name in self._rooms_of[message.client]:
                self._room_deliveries[name] += 1

    # -- rooms and broadcast -----------------------------------------------------------------

    def _broadcast(self, original: Update, recipients: list[int]) -> None:
        """``socket.to(rooms).emit``: every other member of the sender's rooms, once each,
        each a push (``[server] push_time_s``; with ``push_fanout = "serial"`` one after
        the other, behind the pushes already asked for)."""
        relays = [self.context.relay(original, r) for r in recipients]
        broadcast = len(self._recipients)
        self._recipients.append(len(relays))
        self._delivered.append(0)
        self._first.append(math.nan)
        self._last.append(math.nan)
        for relay in relays:
            self._broadcast_of[relay.id] = broadcast
        for relay in relays:  # one push each, after the server's push time (server.py)
            self.server.push(relay, _target_of(relay), self._relay)

    def _relay(self, relay: Update, client: int) -> None:
        self._emit_to(client, relay, "message")

    # -- connection state recovery -----------------------------------------------------------

    def _keeping(self, client: int) -> bool:
        """Is the server keeping events for this disconnected client (recovery)?"""
        if not self.params.connection_state_recovery:
            return False
        member = self._members[client]
        if self.env.now - member.kept_since > self.params.max_disconnection_s:
            self.missed += len(member.kept)  # kept too long: given up
            member.kept = []
            member.kept_since = math.inf
            return False
        return member.kept_since < math.inf

    def _recover(self, client: int) -> None:
        """A reconnected client gets what was kept for it, if it is back in time."""
        member = self._members[client]
        if member.kept_since == math.inf:
            return
        if self._keeping(client):
            kept, member.kept = member.kept, []
            self.recovered += len(kept)
            for update in kept:
                self._emit_to(client, update, self.params.event_name)
        member.kept_since = math.inf

    # -- updates and client messages -----------------------------------------------------------

    def recipients(self, update: Update) -> Sequence[int]:
        if self._update_targets is None:
            return self.targets(update)
        if update.target is None:  # io.to([rooms]).emit: each socket once
            return self._update_targets
        # the workload meant one client: keep that
        return [update.target] if update.target in self._update_target_set else []

    def push(self, update: Update, client: int) -> None:
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
        session = self.engine.sessions[client]
        if session is None or not session.alive or not session.at_server.connected:
            if self._keeping(client):
                self._members[client].kept.append(update)  # connection state recovery
            else:
                self.missed += 1
            return
        size = eio.event_overhead_bytes(event, self.params.namespace) + update.payload_bytes
        self.engine.send_down(session.at_server, Packet(EVENT, size, (update,)))

    def client_send(self, update: Update) -> None:
        client = update.origin
        session = self.engine.sessions[client]
        if session is None or not session.alive or not session.at_client.connected:
            self.missed += 1
            return
        ack_id = None
        if self.params.ack_client_messages:
            member = self._members[client]
            ack_id = member.next_ack
            member.next_ack += 1
            self._acks_pending[client, ack_id] = self.env.now
        overhead = eio.event_overhead_bytes("message", self.params.namespace, ack_id)
        packet = Packet(EVENT, overhead + update.payload_bytes, (update,), ack_id)
        self.engine.send_up(session.at_client, packet)


def _target_of(relay: Update) -> int:
    """The client a relayed copy is for (a relay always has one)."""
    assert relay.target is not None
    return relay.target
