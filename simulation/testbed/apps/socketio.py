"""Socket.IO with ``python-socketio``: an asyncio server on aiohttp and its asyncio client.

Sequence per client (Engine.IO v4, Socket.IO v5), with the default transports
``["polling", "websocket"]``: ``GET /socket.io/?EIO=4&transport=polling`` -> the open
packet -> the WebSocket upgrade (``2probe``, ``3probe``, ``5``) -> the Socket.IO CONNECT
(``40``, with the client's index as auth) -> the server puts the socket in the room
``updates`` -> every update is broadcast to that room (or emitted to its one target) as
``42["update","<payload>"]`` -> Engine.IO pings every ``ping_interval_s``. With
``["websocket"]`` the client opens the WebSocket directly.

Client messages (the schedule's ``client_messages``): once connected, a client emits each
of its own at its scheduled time as ``42<id>["message","<payload>"]`` with a callback;
the server's handler returns nothing, so python-socketio answers ``43<id>[]``. The emit
and the ack's hand-over are recorded (``Measurements.ack``); the ack RTT compared is the
one between the client's socket times around them (``Measurements.ack_times``). The
schedule holds only the messages rtsim delivered; one due before the real client is
connected (its set-up takes a few milliseconds longer than the model's) is emitted as
soon as it is.
"""

from __future__ import annotations

import asyncio

import socketio

from ..context import Testbed
from ..schedule import ALL_CLIENTS, payload_text
from .http_server import HttpServer

__all__ = ["SocketIOApp"]

ROOM = "updates"


class SocketIOApp:
    kind = "socketio"

    def __init__(self, testbed: Testbed, params: dict) -> None:
        self.testbed = testbed
        self.transports = list(params.get("transports", ["polling", "websocket"]))
        self.event = str(params.get("event_name", "update"))
        self.sio = socketio.AsyncServer(
            async_mode="aiohttp",
            ping_interval=float(params.get("ping_interval_s", 25.0)),
            ping_timeout=float(params.get("ping_timeout_s", 20.0)),
        )
        self.sio.on("connect", self._connect)
        self.sio.on("message", self._message)
        self.sid_of: dict[int, str] = {}
        app = HttpServer.application(testbed.measurements)
        self.sio.attach(app)
        self.server = HttpServer(app)
        self._queue: asyncio.Queue = asyncio.Queue()
        self._sender: asyncio.Task | None = None

    async def start_server(self) -> int:
        port = await self.server.start()
        self.testbed.feed.listeners.append(self._queue.put_nowait)
        self._sender = asyncio.get_running_loop().create_task(self._send())
        return port

    async def stop_server(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
        await self.server.stop()

    async def _connect(self, sid, environ, auth) -> None:
        client = int((auth or {}).get("client", -1))
        self.sid_of[client] = sid
        await self.sio.enter_room(sid, ROOM)

    async def _message(self, sid, data) -> None:
        """A client message: returning nothing acknowledges it with no arguments."""

    async def _send(self) -> None:
        """Emit updates one by one, in the order they were appended."""
        while True:
            update = await self._queue.get()
            text = self.testbed.body([update])
            if update.target == ALL_CLIENTS:
                await self.sio.emit(self.event, text, room=ROOM)
            elif update.target in self.sid_of:
                await self.sio.emit(self.event, text, to=self.sid_of[update.target])

    async def client(self, index: int, port: int) -> None:
        sio = socketio.AsyncClient(reconnection=True)
        sio.on(self.event, lambda data: self.testbed.received(index, data))
        try:
            await sio.connect(
                f"http://127.0.0.1:{port}",
                transports=self.transports,
                auth={"client": index},
            )
            await self._emit_messages(sio, index)
            await sio.wait()
        finally:
            await sio.disconnect()

    async def _emit_messages(self, sio: socketio.AsyncClient, index: int) -> None:
        """Emit this client's scheduled messages, each with a callback timing its ack."""
        testbed = self.testbed
        messages = testbed.schedule.client_messages
        mine = messages[messages["origin"] == index]
        for update_id, created_at, payload_bytes in zip(
            mine["update_id"], mine["created_at"], mine["payload_bytes"], strict=True
        ):
            await asyncio.sleep(max(0.0, created_at - testbed.now()))
            if not sio.connected:
                continue
            sent = testbed.now()

            def acked(*_args, sent=sent) -> None:
                testbed.measurements.ack(index, sent, testbed.now())

            text = payload_text(int(update_id), int(payload_bytes))
            await sio.emit("message", text, callback=acked)
