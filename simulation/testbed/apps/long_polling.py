"""Long polling on aiohttp: the server holds ``GET /poll?client=<i>`` until an update for
that client exists or ``hold_timeout_s`` passes, then answers (empty after a timeout).

Sequence per client: ``GET`` -> held -> ``200`` with every update appended for that
client since its previous response -> the next ``GET`` after ``reconnect_delay_s``, on the
same kept-alive connection.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from ..context import Testbed
from .http_server import HttpServer
from .short_polling import MAX_REQUESTS_PER_CLIENT, client_session, poll_url

__all__ = ["LongPollingApp"]


class LongPollingApp:
    kind = "long-polling"

    def __init__(self, testbed: Testbed, params: dict) -> None:
        self.testbed = testbed
        self.hold_timeout_s = float(params.get("hold_timeout_s", 30.0))
        self.reconnect_delay_s = float(params.get("reconnect_delay_s", 0.0))
        app = HttpServer.application(testbed.measurements)
        app.router.add_get("/poll", self._poll)
        self.server = HttpServer(app)

    async def start_server(self) -> int:
        return await self.server.start()

    async def stop_server(self) -> None:
        await self.server.stop()

    async def _poll(self, request: web.Request) -> web.Response:
        testbed = self.testbed
        client = int(request.query["client"])
        deadline = testbed.now() + self.hold_timeout_s
        while True:
            seen = len(testbed.feed.updates)
            updates = testbed.take(client)
            remaining = deadline - testbed.now()
            if updates or remaining <= 0:
                return web.Response(body=testbed.body(updates).encode())
            await testbed.feed.wait_beyond(seen, remaining)

    async def client(self, index: int, port: int) -> None:
        url = poll_url(port, index)
        async with client_session() as session:
            for _ in range(MAX_REQUESTS_PER_CLIENT):
                async with session.get(url) as response:
                    text = await response.text()
                self.testbed.received(index, text)
                if self.reconnect_delay_s > 0:
                    await asyncio.sleep(self.reconnect_delay_s)
