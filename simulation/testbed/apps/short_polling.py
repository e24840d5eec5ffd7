"""Short polling on aiohttp: ``GET /poll?client=<i>`` every ``interval_s`` seconds.

Sequence per client: ``GET`` -> ``200`` with the payloads of every update for that client
appended since its previous response (empty body if none), on a kept-alive connection
from aiohttp's pool (at most six per host, as HTTP/1.1 browsers). Requests go out on a
fixed schedule whether or not the previous one was answered (``setInterval``).
"""

from __future__ import annotations

import asyncio

import aiohttp
from aiohttp import web

from .http_server import AiohttpApp

__all__ = ["ShortPollingApp", "client_session", "poll_url"]

MAX_REQUESTS_PER_CLIENT = 100_000


def client_session() -> aiohttp.ClientSession:
    """A client session like a browser's: six connections per host, no overall timeout."""
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit_per_host=6),
        timeout=aiohttp.ClientTimeout(total=None),
    )


def poll_url(port: int, client: int) -> str:
    return f"http://127.0.0.1:{port}/poll?client={client}"


class ShortPollingApp(AiohttpApp):
    kind = "short-polling"
    path = "/poll"

    def configure(self, params: dict) -> None:
        self.interval_s = float(params.get("interval_s", 1.0))

    async def handle(self, request: web.Request) -> web.Response:
        client = int(request.query["client"])
        return web.Response(body=self.testbed.body(self.testbed.take(client)).encode())

    async def client(self, index: int, port: int) -> None:
        loop = asyncio.get_running_loop()
        url = poll_url(port, index)
        pending: set[asyncio.Task] = set()
        async with client_session() as session:
            start = loop.time()
            try:
                for count in range(MAX_REQUESTS_PER_CLIENT):
                    await asyncio.sleep(max(0.0, start + count * self.interval_s - loop.time()))
                    task = loop.create_task(self._request(session, url, index))
                    pending.add(task)
                    task.add_done_callback(pending.discard)
            finally:
                for task in pending:
                    task.cancel()

    async def _request(self, session: aiohttp.ClientSession, url: str, index: int) -> None:
        async with session.get(url) as response:
            text = await response.text()
        self.testbed.received(index, text)
