"""WebSocket push: one HTTP Upgrade round trip, then one frame per update.

Sequence, for each client::

    client                                   server
      | -- GET + Upgrade: websocket ---------> |   at t = 0
      | <-- 101 Switching Protocols ---------- |   at once; the server's socket is open
      | <-- frame (update) ------------------- |   one unmasked frame per update
      | <-- frame (update) ------------------- |

Timing assumed: every client starts its handshake at time 0; the server answers at once and
pushes each update the moment it is created, to every client whose handshake it has
answered (updates created before that are not delivered: the server did not know the
client yet). The client counts the connection open when the 101 response arrives. Sizes:
the upgrade request is ``[http] request_header_bytes`` plus the upgrade header lines, the
response is the RFC 6455 example's 101 response, and each frame adds the RFC 6455 frame
header to the payload (2, 4 or 10 bytes; server frames are not masked).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..messages import DOWN, UP, Message, Update
from ..protocols import websocket as ws
from .base import Strategy

__all__ = ["WebSocket", "WebSocketParams"]


@dataclass(frozen=True)
class WebSocketParams:
    """WebSocket has no keys of its own yet: sizes come from RFC 6455 and ``[http]``."""


class WebSocket(Strategy):
    name = "websocket"
    Params = WebSocketParams
    needs_uplink = True
    summary = "one HTTP Upgrade round trip, then the server pushes one frame per update"

    def __init__(self, model, params: WebSocketParams):
        super().__init__(model, params)
        self._server_open = [False] * self.clients
        self._connection = [-1] * self.clients

    def start(self) -> None:
        now = self.env.now
        overhead = self.http.request_header_bytes + ws.UPGRADE_REQUEST_EXTRA_BYTES
        for client in range(self.clients):
            self._connection[client] = self.recorder.open_connection(client, "websocket", now)
            upgrade = Message(client, UP, "ws-upgrade-request", 0, overhead, request=True)
            self.channels[client].send(upgrade)

    def on_up(self, message: Message) -> None:
        client = message.client
        self._server_open[client] = True
        reply = Message(
            client, DOWN, "ws-upgrade-response", 0, ws.UPGRADE_RESPONSE_BYTES, response=True
        )
        self.channels[client].send(reply)

    def publish(self, update: Update) -> None:
        size = update.payload_bytes
        header = ws.frame_header_bytes(size, masked=False)
        updates = (update,)
        for client in self.targets(update):
            if self._server_open[client]:
                frame = Message(client, DOWN, "ws-frame", size, header, updates)
                self.channels[client].send(frame)

    def on_down(self, message: Message) -> None:
        if message.kind == "ws-upgrade-response":
            self.recorder.connection_opened(self._connection[message.client], self.env.now)
        else:
            self.deliver(message)
