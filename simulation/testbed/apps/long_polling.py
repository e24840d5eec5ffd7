"""Long polling on aiohttp: the server holds ``GET /poll?client=<i>`` until an update for
that client exists or ``hold_timeout_s`` passes, then answers (empty after a timeout).

Sequence per client: ``GET`` -> held -> ``200`` with every update appended for that
client since its previous response -> the next ``GET`` after ``reconnect_delay_s``, on the
same kept-alive connection.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from .http_server import AiohttpApp
from .short_polling import MAX_REQUESTS_PER_CLIENT, client_session, poll_url

__all__ = ["LongPollingApp"]


class LongPollingApp(AiohttpApp):
    kind = "long-polling"
    path = "/poll"

    def configure(self, params: dict) -> None:
        self.hold_timeout_s = float(params.get("hold_timeout_s", 30.0))
        self.reconnect_delay_s = float(params.get("reconnect_delay_s", 0.0))

    async def handle(self, request: web.Request) -> web.Response:
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
                self.testbed.measurements.ask(index, self.testbed.now())
                async with session.get(url) as response:
                    text = await response.text()
                self.testbed.received(index, text)
                if self.reconnect_delay_s > 0:
                    await asyncio.sleep(self.reconnect_delay_s)
