"""WebSocket push: one HTTP Upgrade round trip, then one frame per update.

Sequence, for each client::

    client                                   server
      | == TCP (+TLS) set-up ================= |   at t = 0 (transport.py)
      | -- GET + Upgrade: websocket ---------> |
      | <-- 101 Switching Protocols ---------- |   after service; the server's socket is open
      | <-- frame (update) ------------------- |   one unmasked frame per update
      | <-- frame (update) ------------------- |

Timing assumed: every client connects at time 0 and sends the upgrade as soon as its
connection is set up; the server answers when a worker has served it and from then on
pushes each update the moment it is created to every client it has answered (updates
created before that are not delivered: the server did not know the client yet). The
connection's ``ready_at`` is when the client receives the 101. Sizes: the upgrade request
is ``[http] request_header_bytes`` plus the upgrade header lines, the response is the
RFC 6455 example's 101 response, and each frame adds the RFC 6455 frame header to the
payload (2, 4 or 10 bytes; server frames are not masked).
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
        self._sockets = [None] * self.clients  # the server's open sockets, by client

    def start(self) -> None:
        for channel in self.channels:
            connection = self.transport.connect(
                channel, "websocket", self._on_client_message, self._on_server_message
            )
            connection.established.callbacks.append(self._send_upgrade)

    def _send_upgrade(self, event) -> None:
        connection = event.value
        overhead = self.http.request_header_bytes + ws.UPGRADE_REQUEST_EXTRA_BYTES
        upgrade = Message(connection.client, UP, "ws-upgrade-request", 0, overhead, request=True)
        connection.send(upgrade)

    def _on_server_message(self, message: Message) -> None:
        self.server.serve(message, self._accept)

    def _accept(self, upgrade: Message) -> None:
        connection = upgrade.connection
        self._sockets[upgrade.client] = connection
        reply = Message(
            upgrade.client,
            DOWN,
            "ws-upgrade-response",
            0,
            ws.UPGRADE_RESPONSE_BYTES,
            response=True,
        )
        connection.send(reply)

    def publish(self, update: Update) -> None:
        size = update.payload_bytes
        header = ws.frame_header_bytes(size, masked=False)
        updates = (update,)
        sockets = self._sockets
        for client in self.targets(update):
            connection = sockets[client]
            if connection is not None and not connection.closed:
                connection.send(Message(client, DOWN, "ws-frame", size, header, updates))
            else:
                self.missed += 1  # no open socket for this client now

    def _on_client_message(self, message: Message) -> None:
        if message.kind == "ws-upgrade-response":
            self.recorder.connection_ready(message.connection.id, self.env.now)
        else:
            self.deliver(message)
