"""Server-Sent Events: ``aiohttp-sse`` on the server, an aiohttp client that parses the
event stream (WHATWG HTML, "Server-sent events") and reconnects with ``Last-Event-ID``.

Sequence per client: ``GET /events?client=<i>`` (``Accept: text/event-stream``) -> ``200``
and a chunked stream of ``id: <id>\\ndata: <payload>\\n\\n`` events, one per update the
moment it is appended -> when the stream ends (the server's ``max_stream_s``, or a broken
connection) the client waits ``retry_s`` and asks again with ``Last-Event-ID``; the
server first replays the updates after that id.
"""

from __future__ import annotations

import asyncio
import math

from aiohttp import web
from aiohttp_sse import sse_response

from .http_server import AiohttpApp
from .short_polling import MAX_REQUESTS_PER_CLIENT, client_session

__all__ = ["EventStreamParser", "ServerSentEventsApp"]

_NO_PINGS_S = 1e9  # aiohttp-sse pings every 15 s by default; rtsim's default is none


class EventStreamParser:
    """Incremental parser of an event stream: feed it lines, get (id, data) events.

    Follows the WHATWG processing rules: a blank line dispatches, ``:`` starts a comment,
    ``data`` lines join with ``\\n``, ``id`` sets the last event id (kept across events).
    """

    def __init__(self) -> None:
        self.last_event_id: str | None = None
        self._data: list[str] = []

    def feed_line(self, line: str) -> str | None:
        """The data of the event this line completes, else None."""
        line = line.rstrip("\r\n")
        if not line:
            if not self._data:
                return None
            data, self._data = "\n".join(self._data), []
            return data
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            self._data.append(value)
        elif name == "id" and "\0" not in value:
            self.last_event_id = value
        return None


class ServerSentEventsApp(AiohttpApp):
    kind = "sse"
    path = "/events"

    def configure(self, params: dict) -> None:
        self.retry_s = float(params.get("retry_s", 3.0))
        self.max_stream_s = float(params.get("max_stream_s", math.inf))
        comment = float(params.get("comment_interval_s", math.inf))
        self.ping_interval_s = comment if math.isfinite(comment) else _NO_PINGS_S

    async def handle(self, request: web.Request) -> web.StreamResponse:
        testbed = self.testbed
        client = int(request.query["client"])
        last_id = request.headers.get("Last-Event-ID")
        ends_at = testbed.now() + self.max_stream_s
        async with sse_response(request, sep="\n", ping_interval=self.ping_interval_s) as stream:
            # a new subscriber gets what comes from now on; a returning one, what it missed
            if last_id is not None:
                updates = testbed.after(client, int(last_id))
            else:
                updates = testbed.skip(client)
            while True:
                for update in updates:
                    text = testbed.body([update])
                    await stream.send(text, id=str(update.update_id))
                remaining = ends_at - testbed.now()
                if remaining <= 0:
                    break
                seen = len(testbed.feed.updates)
                await testbed.feed.wait_beyond(seen, remaining)
                updates = testbed.take(client)
        return stream

    async def client(self, index: int, port: int) -> None:
        url = f"http://127.0.0.1:{port}/events?client={index}"
        parser = EventStreamParser()
        async with client_session() as session:
            for attempt in range(MAX_REQUESTS_PER_CLIENT):
                headers = {"Accept": "text/event-stream", "Cache-Control": "no-cache"}
                if parser.last_event_id is not None:
                    headers["Last-Event-ID"] = parser.last_event_id
                if attempt:
                    self.testbed.measurements.reconnects += 1
                async with session.get(url, headers=headers) as response:
                    async for line in response.content:
                        data = parser.feed_line(line.decode("utf-8"))
                        if data is not None:
                            self.testbed.received(index, data)
                await asyncio.sleep(self.retry_s)
