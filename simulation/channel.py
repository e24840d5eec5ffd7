"""Links and channels: how long a message takes between one client and the server.

A **link** is one direction of transmission. A message of ``size`` bytes offered at time
``t`` starts at ``max(t, free_at)`` (FIFO), occupies the transmitter for
``size * 8 / bandwidth_bps`` seconds, then travels a one-way latency drawn from its
distribution plus a jitter drawn uniformly from ``[0, jitter_s]``. Messages offered on the
same connection at the same instant form one flight and share one draw of the latency (a
TLS Finished and the request sent with it), as packets sent back to back over one path
do. With probability ``loss``
it never arrives (the transport retransmits; it still used the transmitter). With a finite
``queue_bytes``, a message that would make the bytes waiting to be transmitted (including
the unsent rest of the message being transmitted) exceed it is dropped on arrival
(drop-tail) and never transmitted. Messages of one direction arrive in the order sent (as
over TCP): a message whose jitter would let it overtake an earlier one arrives just after it.

A **channel** joins the links between one client and the server, in one of three modes:

* ``simplex``: only the server -> client ("down") direction exists; sending up raises
  :class:`ChannelError`.
* ``half-duplex``: one shared medium. It is busy from a message's first bit sent to its last
  bit received. Messages in the same direction as the previous one follow it as soon as the
  transmitter is free; a message in the other direction waits until the medium is idle,
  then pays ``turnaround_s`` (every direction change pays it). Arbitration is FIFO by the
  time messages are offered.
* ``full-duplex``: two independent links.

Timing is pure arithmetic on "next free time" at the moment a message is offered, plus one
SimPy timeout per delivered message; there is no SimPy process per message.

:meth:`Channel.ack_delay` gives the transport the time a bare TCP acknowledgement takes
back to a message's sender; acknowledgements are not messages and use no transmitter.
``Channel.lossless`` says that nothing offered can be lost (no loss, drop-tail queue,
outage or loss burst), so the transport can skip its loss recovery.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

import simpy
from simpy.events import NORMAL

from .messages import DOWN, UP, Message
from .rng import RandomStreams

__all__ = ["CHANNEL_MODES", "Channel", "ChannelError"]

CHANNEL_MODES = ("simplex", "half-duplex", "full-duplex")
MODE_DESCRIPTIONS = {
    "simplex": "one direction only (server -> client); nothing can be sent up",
    "half-duplex": "one direction at a time over a shared medium, turnaround_s per switch",
    "full-duplex": "both directions at once over two independent links",
}


class ChannelError(RuntimeError):
    """A message was sent in a direction the channel does not have."""


class _Backlog:
    """Bytes offered in one direction and not yet fully transmitted (for drop-tail)."""

    __slots__ = ("_entries", "_queued", "bytes_per_s")

    def __init__(self, bandwidth_bps: float):
        self.bytes_per_s = bandwidth_bps / 8
        self._entries: deque[tuple[float, float, int]] = deque()  # (start, end, size)
        self._queued = 0

    def at(self, now: float) -> float:
        entries = self._entries
        while entries and entries[0][1] <= now:
            self._queued -= entries.popleft()[2]
        if not entries:
            return 0.0
        start, _end, _size = entries[0]
        already_sent = (now - start) * self.bytes_per_s if start < now else 0.0
        return self._queued - already_sent

    def add(self, start: float, end: float, size: int) -> None:
        self._entries.append((start, end, size))
        self._queued += size


class _Arrival(simpy.Event):
    """A message's arrival: a timeout that hands the message to its receiver's handler.

    One is scheduled per delivered message, so it is built in one step, with its callback
    in place (a ``Timeout`` plus an appended callback costs more)."""

    def __init__(
        self,
        env: simpy.Environment,
        delay: float,
        message: Message,
        handler: Callable[[Message], None],
    ):
        self.env = env
        self.callbacks = [_hand_over]
        self._value = message
        self._ok = True
        self.handler = handler
        env.schedule(self, NORMAL, delay)


def _hand_over(arrival: simpy.Event) -> None:
    arrival.handler(arrival._value)


def _no_receiver(message: Message) -> None:
    raise ChannelError(f"client {message.client}: {message.kind!r} arrived up with no receiver")


class _Direction:
    """The state of one direction of one channel: its transmitter, random draws and the
    handler its messages are delivered to."""

    __slots__ = (
        "backlog",
        "burst_rng",
        "flight_at",
        "flight_connection",
        "flight_latency",
        "free_at",
        "handler",
        "in_burst",
        "jitter_rng",
        "jitter_s",
        "last_arrival",
        "latency",
        "loss",
        "loss_rng",
        "perturbed",
    )

    def __init__(
        self,
        network,
        streams: RandomStreams,
        prefix: str,
        handler: Callable[[Message], None],
        faults=None,
    ):
        self.handler = handler
        bursts = faults.bursts if faults is not None else None
        self.latency = streams.sampler(network.latency_s, f"{prefix}.latency")
        self.jitter_s = network.jitter_s
        self.jitter_rng = streams.generator(f"{prefix}.jitter") if self.jitter_s > 0 else None
        self.loss = network.loss
        self.loss_rng = streams.generator(f"{prefix}.loss") if self.loss > 0 else None
        self.free_at = 0.0
        self.last_arrival = -math.inf
        # The last flight: messages offered on one connection at one instant share a path
        # delay (a TLS Finished and the request behind it leave in one flight)
        self.flight_at = -math.inf
        self.flight_connection: object = None
        self.flight_latency = 0.0
        self.burst_rng = streams.generator(f"{prefix}.bursts") if bursts is not None else None
        self.in_burst = False
        finite_queue = math.isfinite(network.queue_bytes)
        self.backlog = _Backlog(network.bandwidth_bps) if finite_queue else None
        # anything that moves an arrival or loses a message after the path delay
        self.perturbed = (
            self.jitter_rng is not None or self.loss_rng is not None or faults is not None
        )


class Channel:
    """The channel between client ``client`` and the server.

    ``deliver_up(message)`` is called at the server when an up message arrives and
    ``deliver_down(message)`` at the client when a down message arrives, each at the
    message's arrival time; ``message.received_at`` holds that time. Every message offered is
    reported to ``recorder.transfer(...)``, lost or not.
    """

    # A simulation holds one channel per client: slots, and a direction's state (and its
    # acknowledgement path) only where it exists
    __slots__ = (
        "_ack_paths",
        "_bursts",
        "_down",
        "_half_duplex",
        "_medium_busy_until",
        "_medium_direction",
        "_medium_tx_free_at",
        "_network",
        "_streams",
        "_up",
        "bandwidth_bps",
        "client",
        "env",
        "faults",
        "lossless",
        "mode",
        "queue_bytes",
        "recorder",
        "turnaround_s",
    )

    def __init__(
        self,
        env: simpy.Environment,
        client: int,
        network,
        streams: RandomStreams,
        recorder,
        deliver_up: Callable[[Message], None] | None,
        deliver_down: Callable[[Message], None],
        faults=None,
    ):
        self.env = env
        self.client = client
        self.mode = network.mode
        self.recorder = recorder
        self.bandwidth_bps = network.bandwidth_bps
        self.queue_bytes = network.queue_bytes
        self.turnaround_s = network.turnaround_s if self.mode == "half-duplex" else 0.0
        self._half_duplex = self.mode == "half-duplex"
        prefix = f"link.{client}"
        self.faults = faults  # simulation.faults.Faults, or None
        bursts = faults.bursts if faults is not None else None
        self._bursts = bursts
        self._down = _Direction(network, streams, f"{prefix}.down", deliver_down, faults)
        # a simplex channel has no up direction and carries nothing up
        self._up = (
            _Direction(network, streams, f"{prefix}.up", deliver_up or _no_receiver, faults)
            if self.mode != "simplex"
            else None
        )
        # Half-duplex medium state: end of the last transmission, last bit received, and
        # the direction of the last message.
        self._medium_tx_free_at = 0.0
        self._medium_busy_until = 0.0
        self._medium_direction: str | None = None
        # Nothing offered can be lost: no loss rate, no drop-tail queue, no outage or burst
        self.lossless = (
            network.loss == 0
            and not math.isfinite(network.queue_bytes)
            and (faults is None or (not faults.outages and bursts is None))
        )
        self._network = network
        self._streams = streams
        # direction -> (latency sampler, jitter rng), made on the first ACK
        self._ack_paths: dict[str, tuple] | None = None

    def has_direction(self, direction: str) -> bool:
        return direction == DOWN or (direction == UP and self._up is not None)

    def send(self, message: Message) -> float | None:
        """Offer ``message`` now; return its arrival time, or ``None`` if lost or dropped."""
        env = self.env
        now = env.now
        state = self._down if message.direction == DOWN else self._up
        if state is None:
            raise ChannelError(
                f"client {self.client}: cannot send {message.kind!r} {message.direction} "
                f"on a {self.mode} channel (it only carries server -> client)"
            )
        size = message.payload_bytes + message.overhead_bytes + message.transport_bytes
        # This runs for every message: plain comparisons instead of max(), a constant
        # latency read without a call, and what only some links have (jitter, loss,
        # faults) behind one test. The arithmetic is unchanged, bit for bit.
        half_duplex = self._half_duplex
        if half_duplex:
            if self._medium_direction in (None, message.direction):
                start = max(now, self._medium_tx_free_at)
            else:
                start = max(now, self._medium_busy_until) + self.turnaround_s
        else:
            free_at = state.free_at
            start = now if now >= free_at else free_at
        message.sent_at = now
        backlog = state.backlog
        if backlog is not None and backlog.at(now) + size > self.queue_bytes:
            self.recorder.transfer(message, math.nan, None, True, True)
            return None
        end = start + size * 8 / self.bandwidth_bps
        latency = state.latency
        if latency.constant is not None:
            arrival = end + latency.constant
        elif now == state.flight_at and message.connection is state.flight_connection:
            arrival = end + state.flight_latency  # the same flight: the same path delay
        else:
            state.flight_at = now
            state.flight_connection = message.connection
            state.flight_latency = drawn = latency()
            arrival = end + drawn
        if state.perturbed:
            arrival, lost = self._perturb(state, start, arrival)
        else:
            lost = False
        # SimPy fires the delivery at now + delay, which float rounding may put one ulp away
        # from `arrival`; work with the time it really fires at, and never before an earlier
        # message of this direction (in-order delivery; equal times keep FIFO order).
        last_arrival = state.last_arrival
        delay = (arrival if arrival >= last_arrival else last_arrival) - now
        arrival = now + delay
        if not lost:
            while arrival < last_arrival:
                delay = math.nextafter(delay, math.inf)
                arrival = now + delay
        state.free_at = end
        if backlog is not None:
            backlog.add(start, end, size)
        if half_duplex:  # a lost message still occupied the medium
            self._medium_tx_free_at = end
            self._medium_busy_until = max(self._medium_busy_until, arrival)
            self._medium_direction = message.direction
        if lost:
            self.recorder.transfer(message, start, None, True, False)
            return None
        state.last_arrival = arrival
        message.received_at = arrival
        self.recorder.transfer(message, start, arrival, False, False)
        _Arrival(env, delay, message, state.handler)
        return arrival

    def _perturb(self, state: _Direction, start: float, arrival: float) -> tuple[float, bool]:
        """Jitter, random loss and faults for a message that starts at ``start``: its
        arrival moved by them, and whether it is lost (the draws in a fixed order)."""
        if state.jitter_rng is not None:
            arrival += state.jitter_rng.uniform(0.0, state.jitter_s)
        lost = state.loss_rng is not None and state.loss_rng.random() < state.loss
        faults = self.faults
        if faults is not None:  # what-if faults (faults.py)
            arrival += faults.extra_latency(start)
            if faults.in_outage(start):
                lost = True
            if state.burst_rng is not None:
                lost = self._burst_loss(state) or lost
        return arrival, lost

    def ack_delay(self, direction: str, at: float, size: int) -> float:
        """How long a bare ACK of ``size`` bytes, sent at ``at`` for a message that came
        in ``direction``, takes back to that message's sender: its serialization, a
        latency and jitter drawn for the reverse direction from their own streams
        (``link.<client>.<reverse>.ack``, so no other draw moves), and any latency spike.
        It waits for no transmitter and takes no half-duplex medium time."""
        if self._ack_paths is None:
            self._ack_paths = {}
        path = self._ack_paths.get(direction)
        if path is None:
            reverse = UP if direction == DOWN else DOWN
            name = f"link.{self.client}.{reverse}.ack"
            network = self._network
            jitter = self._streams.generator(f"{name}.jitter") if network.jitter_s > 0 else None
            path = self._ack_paths[direction] = (
                self._streams.sampler(network.latency_s, f"{name}.latency"),
                jitter,
            )
        latency, jitter = path
        delay = size * 8 / self.bandwidth_bps + latency()
        if jitter is not None:
            delay += jitter.uniform(0.0, self._network.jitter_s)
        if self.faults is not None:
            delay += self.faults.extra_latency(at)
        return delay

    def _burst_loss(self, state: _Direction) -> bool:
        """Step this direction's Gilbert-Elliott chain once; is this message lost?"""
        bursts, rng = self._bursts, state.burst_rng
        assert bursts is not None and rng is not None  # only called with loss bursts on
        lost = rng.random() < (bursts.loss_in_burst if state.in_burst else bursts.loss_outside)
        switch = bursts.p_leave if state.in_burst else bursts.p_enter
        if rng.random() < switch:
            state.in_burst = not state.in_burst
        return lost
