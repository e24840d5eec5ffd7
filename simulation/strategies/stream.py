"""A raw one-way feed: the server sends each update as it is created; no requests at all.

Sequence, for each client::

    client                         server
      | <-- data (update) --------- |   one message per update, at its creation
      | <-- data (update) --------- |

Timing assumed: the feed is open from time 0 without any set-up (a broadcast, a serial
line, a multicast group), so it is the only strategy a simplex channel can carry. Each
message is the update's payload plus ``frame_overhead_bytes``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..messages import DOWN, Message, Update
from ..schema import param
from .base import Strategy
from .context import StrategyContext

__all__ = ["Stream", "StreamParams"]


@dataclass(frozen=True)
class StreamParams:
    frame_overhead_bytes: int = param(
        0,
        "bytes each message adds to the payload (framing)",
        unit="bytes",
        ge=0,
        source="a raw feed adds nothing",
    )


class Stream(Strategy):
    name = "stream"
    Params = StreamParams
    needs_uplink = False
    uses_transport = False
    sends_up = False
    summary = "raw one-way feed: each update sent down at once, no request, no set-up"

    def __init__(self, context: StrategyContext, params: StreamParams):
        super().__init__(context, params)
        self._in_flight = 0

    def pending_updates(self) -> int:
        return self._in_flight

    def start(self) -> None:
        now = self.env.now
        for client in range(self.clients):
            connection = self.recorder.open_connection(client, "stream", now)
            self.recorder.connection_opened(connection, now)

    def push(self, update: Update, client: int) -> None:
        overhead = self.params.frame_overhead_bytes
        message = Message(client, DOWN, "data", update.payload_bytes, overhead, (update,))
        if self.channels[client].send(message) is None:
            self.missed += 1  # lost or dropped: a raw feed does not retransmit
        else:
            self._in_flight += 1

    def on_down(self, message: Message) -> None:
        self._in_flight -= 1
        self.deliver(message)
