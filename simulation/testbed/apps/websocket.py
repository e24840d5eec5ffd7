"""WebSocket (RFC 6455) with the ``websockets`` package, server and client.

Sequence per client: TCP -> ``GET /?client=<i>`` with ``Upgrade: websocket`` -> ``101`` ->
one text frame per update, the moment it is appended -> a ping from the server every
``ping_interval_s``, answered by a pong. Compression (permessage-deflate, on by default
in ``websockets``) is switched off, as rtsim counts uncompressed frames; only the server
pings, as in rtsim's model (``websockets`` clients ping too by default).
"""

from __future__ import annotations

import asyncio
import math

from websockets.asyncio.client import connect
from websockets.asyncio.server import Server, serve

from ..context import Testbed
from ..measurements import header_block_bytes

__all__ = ["WebSocketApp"]


class WebSocketApp:
    kind = "websocket"

    def __init__(self, testbed: Testbed, params: dict) -> None:
        self.testbed = testbed
        ping = float(params.get("ping_interval_s", math.inf))
        self.ping_interval_s = ping if math.isfinite(ping) else None
        self._server: Server | None = None

    async def start_server(self) -> int:
        server = self._server = await serve(
            self._handler,
            "127.0.0.1",
            0,
            compression=None,
            ping_interval=self.ping_interval_s,
            process_response=self._measure_handshake,
        )
        return server.sockets[0].getsockname()[1]

    async def stop_server(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def _measure_handshake(self, connection, request, response):
        measurements = self.testbed.measurements
        measurements.requests += 1
        request_line = f"GET {request.path} HTTP/1.1"
        measurements.upgrade_request_header_bytes.append(
            header_block_bytes(request_line, request.headers.raw_items())
        )
        status = f"HTTP/1.1 {response.status_code} {response.reason_phrase}"
        measurements.upgrade_response_header_bytes.append(
            header_block_bytes(status, response.headers.raw_items())
        )
        return None

    async def _handler(self, connection) -> None:
        testbed = self.testbed
        client = int(connection.request.path.partition("client=")[2])
        testbed.skip(client)
        closed = asyncio.ensure_future(connection.wait_closed())
        try:
            while not closed.done():
                appended = asyncio.ensure_future(
                    testbed.feed.wait_beyond(len(testbed.feed.updates), math.inf)
                )
                await asyncio.wait({appended, closed}, return_when=asyncio.FIRST_COMPLETED)
                appended.cancel()
                for update in testbed.take(client):
                    await connection.send(testbed.body([update]))
        finally:
            closed.cancel()

    async def client(self, index: int, port: int) -> None:
        uri = f"ws://127.0.0.1:{port}/?client={index}"
        async with connect(uri, compression=None, ping_interval=None) as socket:
            async for message in socket:  # text frames (the server sends no binary)
                text = message if isinstance(message, str) else message.decode()
                self.testbed.received(index, text)
