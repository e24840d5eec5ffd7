"""Delivery order: one sequence per direction on TCP, per stream on QUIC, where a lost
packet holds back only the stream it carried.

On TCP (HTTP/1.1 and HTTP/2) every message of a direction waits for every earlier one:
one byte stream. On QUIC (HTTP/3) order holds within a stream only (RFC 9000 section
2.2). The model's streams:

* a request, or a response, is alone on its stream (each exchange is its own stream and
  is one message each way), so it never waits for another message;
* an SSE response and its events, comments and end share the event stream;
* a WebSocket's upgrade, frames and close share its extended CONNECT stream, and so do
  Engine.IO and Socket.IO packets sent as WebSocket frames.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from ..messages import Message

__all__ = ["Side", "StreamOrder", "stream_of"]

EVENT_STREAM = "sse"
WEBSOCKET_STREAM = "ws"


def stream_of(message: Message) -> str | None:
    """The stream ``message`` is ordered in, or None for one alone on its stream."""
    kind = message.kind
    if kind.startswith("sse-") and not kind.startswith("sse-request"):
        return EVENT_STREAM
    if kind.startswith("ws-"):
        return WEBSOCKET_STREAM
    if message.request or message.response or kind.startswith("sse-request"):
        return None
    return WEBSOCKET_STREAM  # an Engine.IO or Socket.IO packet in a WebSocket frame


class Side:
    """One direction of a connection (on TCP, one byte stream): the sender's next sequence
    number; at the receiver, the next one to hand on, the messages held back behind a
    missing one (a dict only while there are any: almost every connection never needs
    one) and their handler."""

    __slots__ = ("expected", "handler", "held", "next_seq")

    def __init__(self, handler: Callable[[Message], None]):
        self.next_seq = 0
        self.expected = 0
        self.held: dict[int, Message] | None = None
        self.handler = handler


class StreamOrder:
    """One direction of a QUIC connection: which messages each stream is waiting for.

    ``sent`` is called once per message, at its first transmission; ``received`` for
    every packet that arrives (packet numbers: the messages' sequence numbers);
    ``arrived`` returns the messages that may now be handed on, in stream order.
    """

    __slots__ = ("_above", "_expected", "_held", "_order")

    def __init__(self) -> None:
        self._order: dict[str, deque[int]] = {}  # stream -> sequence numbers not yet released
        self._held: dict[int, Message] = {}  # arrived, waiting for an earlier one
        self._expected = 0  # the lowest packet number not yet received
        self._above: set[int] = set()  # packet numbers received above it

    def received(self, seq: int) -> bool | None:
        """A packet arrived: True if it is the next in sequence (a cumulative ACK moves),
        False if it is above a gap, None if it is a duplicate."""
        if seq < self._expected or seq in self._above:
            return None
        if seq != self._expected:
            self._above.add(seq)
            return False
        expected = seq + 1
        while expected in self._above:
            self._above.remove(expected)
            expected += 1
        self._expected = expected
        return True

    def sent(self, message: Message, stream: str | None) -> None:
        if stream is not None:
            self._order.setdefault(stream, deque()).append(message.seq)

    def arrived(self, message: Message, stream: str | None) -> list[Message]:
        if stream is None:
            return [message]
        order = self._order.get(stream)
        if order is None or message.seq not in order:
            return []  # a duplicate of one already handed on
        self._held[message.seq] = message
        ready = []
        while order and order[0] in self._held:
            ready.append(self._held.pop(order.popleft()))
        return ready

    def unreleased(self) -> list[Message]:
        return list(self._held.values())
