"""Connections: TCP and TLS set-up, reliable in-order delivery, idle timeouts.

A :class:`Connection` is one TCP connection between a client and the server, carried by
that client's channel. Its life, as messages on the channel::

    client                                   server
      | -- tcp-syn ---------------------------> |
      | <-- tcp-syn-ack ----------------------- |   1 round trip: the client may send
      | -- tls-client-hello ------------------> |   (TLS 1.3: 1 more round trip,
      | <-- tls-server-hello (+certificate) --- |    TLS 1.2: 2 more)
      | -- tls-client-finished ---------------> |   sent just before the first data
      | <-- tls-session-ticket ---------------- |   TLS 1.3: the server's tickets
      | == data, both directions ============== |
      |              ... idle_timeout_s without a message: closed at both ends

Timing assumed:

* Every message is reliable (:mod:`.recovery`). One retransmission timer per connection
  and direction (RFC 6298 section 5) resends the earliest lost message after the RTO,
  which is measured from RTT samples (SRTT + 4·RTTVAR within ``rto_min_s`` and
  ``rto_max_s``, ``rto_s`` before the first sample) and doubles on each expiry. Once that
  resend is acknowledged, every other lost message follows at once. A lost message with 3
  segments arriving behind it is resent when their duplicate ACKs reach the sender, about
  an RTT later (fast retransmit, RFC 5681 section 3.2). ACKs are arithmetic: the time an
  ACK would take on the reverse path, with no bytes on the wire. There is no congestion
  window, so no slow start after a loss.
* Delivery is in order within each direction. A message that arrives after a lost
  one waits in the receiver's buffer until the lost one is retransmitted and arrives.
  This is head-of-line blocking, and delivery times show it.
* Each message is its own run of TCP segments. ``transport_bytes`` counts one IP/TCP
  header per segment (``packet_overhead_bytes`` per ``mss_bytes`` of payload) plus one
  TLS record header and tag when TLS is on. Bare acknowledgements add no bytes.
* A connection that carries no message for ``idle_timeout_s`` is closed at both ends at
  that moment, as a proxy's reset would be. Messages still travelling on it are discarded
  when they arrive.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..messages import DOWN, UP, Message
from ..protocols import tcp
from ..protocols.kinds import SETUP_KINDS, TRANSPORT_HANDSHAKE_KINDS
from ..protocols.wire import qpack, quic
from .acks import Acknowledger
from .framing import HttpFraming
from .recovery import Recovery, RtoEstimator
from .setup import Flight, flights, post_handshake
from .stacks import STACKS
from .streams import Side, StreamOrder, stream_of

if TYPE_CHECKING:
    import simpy

    from .transport import Transport

__all__ = ["ACK_ONLY_KIND", "EXTRA_PACKET_BYTES", "HANDSHAKE_KINDS", "UDP_IP_BYTES", "Connection"]

HANDSHAKE_KINDS = TRANSPORT_HANDSHAKE_KINDS  # TCP, TLS, QUIC: acted on, never handed on
# QUIC's probe timeout (RFC 9002 section 6.2.1) has no 1-second floor; it adds the
# peer's max_ack_delay (25 ms, RFC 9000 section 18.2) and keeps the variance term at
# least the timer granularity (1 ms, RFC 9002 section 6.1.2)
QUIC_MAX_ACK_DELAY_S = 0.025
QUIC_GRANULARITY_S = 0.001
UDP_IP_BYTES = quic.UDP_HEADER_BYTES + quic.IP_HEADER_BYTES["4"]
ACK_ONLY_KIND = "quic-ack-only"
# a packet of its own for part of a message: 1-RTT header, tag and a STREAM frame header
EXTRA_PACKET_BYTES = quic.packet_overhead_bytes("1rtt") + quic.stream_frame_header_bytes(
    0, 64, None
)
# the QUIC handshake's Initial and Handshake packets: acknowledged inside the flights
LONG_HEADER_KINDS = frozenset({"quic-initial", "quic-handshake", "quic-ack", "quic-finished"})


def _packets(message: Message) -> int:
    """The 1-RTT packets (datagrams) ``message`` took."""
    if message.kind in HANDSHAKE_KINDS:  # HANDSHAKE_DONE, SETTINGS: whole datagrams
        return max(1, -(-message.overhead_bytes // quic.MAX_DATAGRAM_BYTES))
    return len(quic.stream_datagrams(message.payload_bytes + message.overhead_bytes))


class Connection:
    """One TCP (and TLS) connection; see the module docstring for its behaviour.

    ``on_client_message`` and ``on_server_message`` receive the application's messages,
    in order, at the time they are delivered; ``on_close(connection, reason)`` runs when
    the connection closes for any reason other than :meth:`close` by the application.

    A simulation holds one per client or more, most of them idle, so the state is kept
    small: slots, one :class:`Side` per direction, and dicts only while they hold
    something.
    """

    __slots__ = (
        "_acks",
        "_down",
        "_flights",
        "_in_transit",
        "_offsets",
        "_on_close",
        "_recovery",
        "_section_acks",
        "_server_side_open",
        "_streams",
        "_up",
        "channel",
        "client",
        "close_reason",
        "closed",
        "env",
        "established",
        "framing",
        "http",
        "id",
        "kind",
        "last_activity",
        "quic",
        "recorder",
        "settings",
        "transport",
    )

    def __init__(
        self,
        transport: Transport,
        channel,
        kind: str,
        on_client_message: Callable[[Message], None],
        on_server_message: Callable[[Message], None],
        on_close: Callable[[Connection, str], None] | None,
        http: str | None = None,
    ):
        self.transport = transport
        self.http = http or transport.params.http  # its HTTP version
        self.quic = self.http == "3"
        self.env = env = transport.env
        self.channel = channel
        self.client = channel.client
        self.kind = kind
        self.recorder = transport.recorder
        self.id = self.recorder.open_connection(self.client, kind, env.now)
        self.established = env.event()
        # HTTP/2 and 3: the server's SETTINGS reached the client (an extended CONNECT
        # waits for them: RFC 8441 section 3); with 0-RTT the remembered ones serve.
        # HTTP/1.1 has none: no event, which an idle connection would hold all run
        self.settings: simpy.Event | None = env.event() if self.http != "1.1" else None
        self.closed = False
        self.close_reason = ""
        self._server_side_open = False
        self._up = Side(on_server_message)  # client -> server
        self._down = Side(on_client_message)  # server -> client
        self._on_close = on_close
        # updates in the messages sent on it and not yet handed over
        self._in_transit = 0
        self.last_activity = env.now
        # loss recovery per direction, only where the channel can lose a message
        self._recovery = None if channel.lossless else self._new_recovery()
        transport.connections.append(self)
        params = transport.params
        # the handshake flights still to send: a tuple that ends as the empty one, ()
        self._flights: tuple[Flight, ...] = tuple(flights(params, self.http))
        self.framing = (
            HttpFraming(
                self.http,
                transport.header_sizes,
                params.header_table_size,
                STACKS[params.http_stack],
            )
            if self.http != "1.1" and transport.header_sizes is not None
            else None
        )
        # QUIC: order per stream, not per direction; acknowledgements as packets, by the
        # direction of the packets acknowledged
        self._streams = {UP: StreamOrder(), DOWN: StreamOrder()} if self.quic else None
        self._acks = self._new_acknowledgers() if self.quic else None
        # QUIC heads whose field sections the receiver's QPACK decoder acknowledges, by
        # (direction, seq): the request stream's id; None while there are none
        self._section_acks: dict[tuple[str, int], int] | None = None
        # QUIC: the bytes sent so far on each long-lived stream, by (direction, stream)
        self._offsets: dict[tuple[str, str], int] | None = None
        if self.quic:
            self._next_client_flight()  # the Initial; with 0-RTT the client may send now
            if params.quic_0rtt:  # the request goes now, under the remembered SETTINGS
                self._open()
                assert self.settings is not None  # HTTP/3
                self.settings.succeed(self)
        else:
            self._send_control(UP, "tcp-syn")
        if math.isfinite(transport.idle_timeout_s):
            env.process(self._watch_idle(transport.idle_timeout_s))

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open" if self.established.triggered else "opening"
        return f"Connection(id={self.id}, client={self.client}, {self.kind}, {state})"

    def rebind(
        self,
        on_client_message: Callable[[Message], None],
        on_server_message: Callable[[Message], None],
        on_close: Callable[[Connection, str], None] | None,
    ) -> None:
        """Hand the connection's later messages and its closing to new handlers."""
        self._down.handler = on_client_message
        self._up.handler = on_server_message
        self._on_close = on_close

    # -- sending ---------------------------------------------------------------------------

    def send(self, message: Message) -> None:
        """Send an application message now, reliably and in order.

        A client must wait for :attr:`established` first; the server may send once it has
        received the client's first data.
        """
        if self.closed:
            return
        if message.direction == UP and not self.established.triggered:
            raise RuntimeError(f"{self}: the client sent {message.kind!r} before set-up")
        if self.framing is not None:
            message.overhead_bytes = self.framing.overhead_bytes(message, self.env.now)
        transport = self.transport
        message.transport_bytes = transport.transport_bytes(message, transport.encrypted, self.quic)
        if self._acks is not None:
            self._send_on_quic(message)
            return
        framing = self.framing
        if framing is not None and framing.extra_writes and transport.encrypted:
            message.transport_bytes += framing.extra_writes * transport.tls_record_bytes
        self._transmit(message)

    def _send_on_quic(self, message: Message) -> None:
        """QUIC: the packets its stack adds, the ACK frame riding along if one is due, and
        a note to acknowledge its field section at the receiver if it needs one."""
        assert self._acks is not None
        framing = self.framing
        extra = framing.extra_writes if framing is not None else 0
        if extra:
            message.transport_bytes += extra * (EXTRA_PACKET_BYTES + UDP_IP_BYTES)
        stream = stream_of(message)
        if stream is not None:
            message.transport_bytes += self._offset_bytes(message, stream)
        message.transport_bytes += self._acks[DOWN if message.direction == UP else UP].piggyback()
        self._transmit(message)
        if framing is not None and framing.needs_section_ack:
            if self._section_acks is None:
                self._section_acks = {}
            self._section_acks[message.direction, message.seq] = 4 * (framing.requests - 1)

    def _offset_bytes(self, message: Message, stream: str) -> int:
        """QUIC: what the Offset fields of its STREAM frames add to ``message``, sent on a
        stream that has carried data before (an SSE event, a WebSocket frame; RFC 9000
        section 19.8); moves the stream's offset past it."""
        if self._offsets is None:
            self._offsets = {}
        key = (message.direction, stream)
        offset = self._offsets.get(key, 0)
        size = message.payload_bytes + message.overhead_bytes
        self._offsets[key] = offset + size
        if not offset:
            return 0
        at_start, here = quic.stream_datagrams(size), quic.stream_datagrams_at(size, offset)
        return sum(here) - sum(at_start) + UDP_IP_BYTES * (len(here) - len(at_start))

    def _new_acknowledgers(self) -> dict[str, Acknowledger]:
        """QUIC: each end's acknowledgements, by the direction of the packets acknowledged."""
        params = self.transport.params
        stack = STACKS[params.http_stack]
        return {
            direction: Acknowledger(
                self.env,
                params.quic_ack_delay_s,
                self._ack_only_sender(DOWN if direction == UP else UP),
                stack.ack_threshold,
                stack.piggyback_acks,
            )
            for direction in (UP, DOWN)
        }

    def _acknowledge_section(self, direction: str, stream_id: int) -> None:
        """QPACK: the decoder that received a field section in ``direction`` acknowledges
        it on its decoder stream (RFC 9204 section 4.4.1), an ack-eliciting packet."""
        assert self._acks is not None
        instruction = len(qpack.section_ack_bytes(stream_id))
        back = DOWN if direction == UP else UP
        message = Message(self.client, back, "qpack-decoder", 0, instruction)
        message.transport_bytes = self.transport.transport_bytes(message, True, quic=True)
        message.transport_bytes += self._acks[direction].piggyback()
        self._transmit(message)

    def _ack_only_sender(self, direction: str) -> Callable[[int], None]:
        """QUIC: send an ACK-only packet of ``size`` bytes in ``direction``: unreliable,
        outside the sequence, counted in ``transport_bytes`` with its UDP and IP headers."""

        def send(size: int) -> None:
            if self.closed:
                return
            message = Message(self.client, direction, ACK_ONLY_KIND, 0, 0)
            message.transport_bytes = size + UDP_IP_BYTES
            message.connection = self
            self.channel.send(message)

        return send

    def _send_control(self, direction: str, kind: str, tls_bytes: int = 0) -> None:
        """A handshake message: its TLS bytes are overhead, its IP/TCP headers transport."""
        message = Message(self.client, direction, kind, 0, tls_bytes)
        if kind.startswith("tcp-"):
            message.transport_bytes = tcp.SYN_BYTES
        elif kind.startswith(("quic-", "h3-")):  # whole datagrams: UDP and IP headers only
            message.transport_bytes = UDP_IP_BYTES * max(
                1, -(-tls_bytes // quic.MAX_DATAGRAM_BYTES)
            )
        elif kind.startswith("h2-"):  # application data inside TLS records
            transport = self.transport
            message.transport_bytes = transport.transport_bytes(
                message, transport.encrypted, self.quic
            )
        else:
            params = self.transport.params
            message.transport_bytes = tcp.packet_overhead_bytes(
                tls_bytes, params.mss_bytes, params.packet_overhead_bytes
            )
        self._transmit(message)

    def updates_in_transit(self) -> int:
        return self._in_transit

    def mark_unreleased(self) -> None:
        """At the end of a run: messages still held behind a missing one were never
        handed on."""
        for side in (self._up, self._down):
            for message in (side.held or {}).values():
                self.recorder.handed(message, math.nan)
        for order in (self._streams or {}).values():
            for message in order.unreleased():
                self.recorder.handed(message, math.nan)

    def _transmit(self, message: Message) -> None:
        message.connection = self
        if message.seq < 0:
            side = self._up if message.direction == UP else self._down
            message.seq = side.next_seq
            side.next_seq += 1
            if message.updates:
                self._in_transit += len(message.updates)
            if self._streams is not None and message.kind not in HANDSHAKE_KINDS:
                self._streams[message.direction].sent(message, stream_of(message))
        arrival = self.channel.send(message)
        self.last_activity = message.sent_at  # now: the channel stamps it
        if arrival is None:
            if self._recovery is None:  # a channel that lost what it said it would not
                self._recovery = self._new_recovery()
            self._recovery[message.direction].lost(message)

    def _new_recovery(self) -> dict[str, Recovery]:
        params = self.transport.params
        channel = self.channel
        ack_bytes = params.packet_overhead_bytes

        quic = self.quic

        def recovery(direction: str) -> Recovery:
            estimator = (
                RtoEstimator(
                    params.rto_s, 0.0, params.rto_max_s, QUIC_GRANULARITY_S, QUIC_MAX_ACK_DELAY_S
                )
                if quic
                else RtoEstimator(params.rto_s, params.rto_min_s, params.rto_max_s)
            )
            return Recovery(
                self.env,
                estimator,
                self._retransmit,
                lambda at: channel.ack_delay(direction, at, ack_bytes),
                params.mss_bytes,
                restart_on_ack=not quic,
            )

        return {UP: recovery(UP), DOWN: recovery(DOWN)}

    def _retransmit(self, message: Message) -> None:
        if not self.closed:
            self._transmit(message.retransmission())

    # -- receiving -------------------------------------------------------------------------

    def arrive(self, message: Message) -> None:
        """Channel delivery: release this message, and any it unblocks, in order."""
        if self.closed:
            self.recorder.handed(message, math.nan)  # discarded: never handed on
            return
        now = self.last_activity = self.env.now
        direction = message.direction
        if self._streams is not None:
            self._arrive_on_stream(message, direction, now)
            return
        side = self._up if direction == UP else self._down
        held = side.held
        recovery = self._recovery
        # Fast path: almost every message arrives in order with nothing held back, so it
        # is handed on at once without going through the reorder buffer.
        if held is None and message.seq == side.expected:
            side.expected += 1
            if recovery is not None:
                recovery[direction].received(message, released=True)
            self._release(message, side, now)
            return
        if recovery is not None:
            released = message.seq == side.expected
            recovery[direction].received(message, released)
        if held is None:
            held = side.held = {}
        held[message.seq] = message
        while side.expected in held and not self.closed:
            ready = held.pop(side.expected)
            side.expected += 1
            self._release(ready, side, now)
        if not held:
            side.held = None

    def _arrive_on_stream(self, message: Message, direction: str, now: float) -> None:
        """QUIC: acknowledge at packet level, hand on in stream order (streams.py)."""
        assert self._streams is not None and self._acks is not None
        if message.kind == ACK_ONLY_KIND:  # acknowledgements are timed arithmetically
            self.recorder.handed(message, math.nan)
            return
        order = self._streams[direction]
        in_sequence = order.received(message.seq)
        if in_sequence is None:  # a duplicate of a packet already received
            self.recorder.handed(message, math.nan)
            return
        if self._recovery is not None:
            self._recovery[direction].received(message, released=in_sequence)
        side = self._up if direction == UP else self._down
        acks = None if message.kind in LONG_HEADER_KINDS else self._acks[direction]
        if acks is not None:  # a 1-RTT packet: acknowledge it
            acks.received(_packets(message))
        if message.kind in HANDSHAKE_KINDS:
            self._release(message, side, now)
        else:
            section_acks = self._section_acks
            for ready in order.arrived(message, stream_of(message)):
                if self.closed:
                    return
                if section_acks is not None and (direction, ready.seq) in section_acks:
                    self._acknowledge_section(direction, section_acks.pop((direction, ready.seq)))
                self._release(ready, side, now)
        if acks is not None and not self.closed:
            acks.settle()

    def _release(self, ready: Message, side: Side, now: float) -> None:
        """Hand ``ready`` on to ``side``'s handler (or act on it, for the handshake), in
        sequence order."""
        if ready.kind in HANDSHAKE_KINDS:
            self.recorder.handed(ready, math.nan)  # the transport's own: not handed on
            self._handshake_step(ready)
            return
        if ready.updates:
            self._in_transit -= len(ready.updates)
        if now != ready.received_at:  # it waited behind a lost message
            self.recorder.handed(ready, now)
        side.handler(ready)

    def _handshake_step(self, message: Message) -> None:
        kind = message.kind
        if kind == "qpack-decoder":  # bytes only
            return
        if kind in SETUP_KINDS:
            settings = self.settings
            if message.direction == DOWN and settings is not None and not settings.triggered:
                settings.succeed(self)
            elif self.transport.params.tls == "none" and not self.quic:
                self._server_setup_done()  # h2c: the server answers the client's preface
            return
        if kind in ("tcp-syn", "quic-initial"):
            self._server_side_open = True
            if self.transport.server is not None:
                self.transport.server.connection_opened()
            if kind == "tcp-syn":
                self._send_control(DOWN, "tcp-syn-ack")
            else:
                self._next_server_flight()
            return
        if kind == "tcp-syn-ack":
            self._next_client_flight()
            return
        # TLS or QUIC: each flight answers the previous one
        if message.direction == UP:
            self._next_server_flight()
            if kind in ("tls-client-finished", "quic-finished"):
                after = post_handshake(self.transport.params, self.http)
                if after is not None:
                    self._send_control(DOWN, after[1], after[2])
        else:
            self._next_client_flight()

    def _next_client_flight(self) -> None:
        """At the client: send the next TLS flight, or start sending data."""
        while self._flights and self._flights[0][0] == UP:
            _direction, kind, size = self._take_flight()
            self._send_control(UP, kind, size)
            if kind in ("tls-client-finished", "quic-initial", "quic-ack") and self._flights:
                return  # wait for the server's next flight
        if not self._flights:
            if self.framing is not None:  # the HTTP/2 preface or HTTP/3 control streams
                client, _server = self.framing.setup_bytes()
                self._send_control(UP, "h3-settings" if self.quic else "h2-preface", client)
            self._open()

    def _open(self) -> None:
        """The client may send data now."""
        if not self.established.triggered:
            self.recorder.connection_opened(self.id, self.env.now)
            self.established.succeed(self)

    def _next_server_flight(self) -> None:
        if self._flights and self._flights[0][0] == DOWN:
            _direction, reply, size = self._take_flight()
            self._send_control(DOWN, reply, size)
            if not any(direction == DOWN for direction, _kind, _size in self._flights):
                self._server_setup_done()

    def _take_flight(self) -> Flight:
        flight, self._flights = self._flights[0], self._flights[1:]
        return flight

    def _server_setup_done(self) -> None:
        """The server sent its last handshake flight: its SETTINGS go right behind it."""
        if self.framing is not None:
            _client, server = self.framing.setup_bytes()
            self._send_control(DOWN, "h3-settings" if self.quic else "h2-settings", server)

    # -- closing ---------------------------------------------------------------------------

    def close(self, reason: str, notify: bool = False) -> None:
        """Close now at both ends; with ``notify``, the ``on_close`` callback runs too."""
        if self.closed:
            return
        self.closed = True
        self.close_reason = reason
        self.transport.discarded_updates += self._in_transit
        self._in_transit = 0
        if self._recovery is not None:
            for recovery in self._recovery.values():
                recovery.stop()
        self.recorder.connection_closed(self.id, self.env.now, reason)
        if self._server_side_open and self.transport.server is not None:
            self.transport.server.connection_closed()
        if notify and self._on_close is not None:
            self._on_close(self, reason)

    def _watch_idle(self, idle_timeout_s: float):
        env = self.env
        while not self.closed:
            remaining = self.last_activity + idle_timeout_s - env.now
            if remaining > 0:
                yield env.timeout(remaining)
            else:
                self.close("idle-timeout", notify=True)
