"""Short polling, long polling and SSE over HTTP/2 and HTTP/3: an ASGI app on hypercorn
(:mod:`.hypercorn_server`), httpx clients (HTTP/2) and aioquic clients (HTTP/3,
:mod:`.h3_client`).

Header lists: the clients send exactly the request rtsim models for the message kind
(:mod:`simulation.protocols.wire.headers`: Chrome's fields, padded with a cookie to the
scenario's ``[http] request_header_bytes`` of HTTP/1.1 text) and the server answers with
rtsim's response fields padded to ``response_header_bytes`` (hypercorn adds ``date``).
The client's index rides in the last characters of the cookie's value (the same length,
so the same bytes), and the path is rtsim's (``/poll``, ``/updates``, ``/events``). The
server measures the HTTP/1.1 size of every head it receives and sends (with the fields
HTTP/2 and 3 leave out put back), so what crossed the wire can be checked against the
lists rtsim priced.

Sequences (each client has one connection, its requests multiplexed on it):

* short polling: ``GET /poll`` every ``interval_s`` (not waiting for the previous
  answer) -> ``200`` with every update for that client since its previous response;
* long polling: ``GET /updates`` held until an update exists or ``hold_timeout_s``
  passes -> ``200`` -> the next ``GET`` at once;
* SSE: ``GET /events`` -> ``200`` and one ``id: <id>\\ndata: <payload>\\n\\n`` DATA
  frame per update, the moment it is appended.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import replace

from ...protocols import sse as sse_protocol
from ...protocols.wire import headers as hdr
from ..context import Testbed
from .h3_client import H3Session
from .hypercorn_server import PROTOCOLS, HypercornServer, serve_lifespan, serve_until_gone
from .short_polling import MAX_REQUESTS_PER_CLIENT
from .sse import EventStreamParser

__all__ = ["MULTIPLEXED_KINDS", "MultiplexedApp", "client_of", "request_headers"]

# testbed strategy -> (request kind, response kind, path)
MULTIPLEXED_KINDS = {
    "short-polling": ("poll-request", "poll-response", "/poll"),
    "long-polling": ("lp-request", "lp-response", "/updates"),
    "sse": ("sse-request", "sse-response", "/events"),
}
DEFAULT_REQUEST_BYTES, DEFAULT_RESPONSE_BYTES = 700, 300  # rtsim's [http] defaults
_CLIENT_TAG = "-c"


def request_headers(kind: str, version: str, head_bytes: int, client: int) -> hdr.Request:
    """rtsim's request of ``kind`` padded to ``head_bytes``, the client's index in the
    cookie's last characters."""
    message = hdr.pad_to_http1(hdr.request(kind, version), head_bytes)
    assert isinstance(message, hdr.Request)
    fields = []
    for name, value in message.fields:
        if name == "cookie":
            tag = f"{_CLIENT_TAG}{client}"
            value = value[: -len(tag)] + tag
        fields.append((name, value))
    return replace(message, fields=tuple(fields))


def client_of(headers: list[tuple[bytes, bytes]]) -> int:
    for name, value in headers:
        if name == b"cookie":
            return int(value.decode("latin-1").rpartition(_CLIENT_TAG)[2])
    raise ValueError("request without the testbed's cookie")


def _http1_bytes(start_line: str, fields) -> int:
    size = len(start_line) + 2
    for name, value in fields:
        size += len(name) + 2 + len(value) + 2
    return size + 2


class MultiplexedApp:
    """One strategy over one protocol (``h2c``, ``h2`` or ``h3``); see the module doc."""

    def __init__(self, kind: str, protocol: str, testbed: Testbed, params: dict) -> None:
        if kind not in MULTIPLEXED_KINDS:
            raise ValueError(
                f"no {protocol} testbed app for {kind!r} (allowed: {', '.join(MULTIPLEXED_KINDS)})"
            )
        self.kind = kind
        self.protocol = protocol
        self.version = PROTOCOLS[protocol][0]
        self.testbed = testbed
        self.request_kind, self.response_kind, self.path = MULTIPLEXED_KINDS[kind]
        self.request_bytes = int(params.get("request_header_bytes", DEFAULT_REQUEST_BYTES))
        self.response_bytes = int(params.get("response_header_bytes", DEFAULT_RESPONSE_BYTES))
        self.interval_s = float(params.get("interval_s", 1.0))
        self.hold_timeout_s = float(params.get("hold_timeout_s", 30.0))
        self.server = HypercornServer(self._asgi, protocol)

    async def start_server(self) -> int:
        return await self.server.start()

    async def stop_server(self) -> None:
        await self.server.stop()

    # -- server ----------------------------------------------------------------------------

    async def _asgi(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await serve_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        await serve_until_gone(self._respond(scope, send), receive, "http.disconnect")

    async def _respond(self, scope, send) -> None:
        measurements = self.testbed.measurements
        measurements.requests += 1
        raw = scope["headers"]
        start = f"{scope['method']} {scope['raw_path'].decode('latin-1')} HTTP/1.1"
        # connection: keep-alive is in rtsim's HTTP/1.1 list, and HTTP/2 and 3 drop it
        measurements.request_header_bytes.append(
            _http1_bytes(start, raw) + len("connection: keep-alive\r\n")
        )
        client = client_of(raw)
        if self.kind == "sse":
            await self._stream(client, send)
            return
        testbed = self.testbed
        updates = testbed.take(client)
        if self.kind == "long-polling":
            deadline = testbed.now() + self.hold_timeout_s
            while not updates and (remaining := deadline - testbed.now()) > 0:
                seen = len(testbed.feed.updates)
                await testbed.feed.wait_beyond(seen, remaining)
                updates = testbed.take(client)
        body = testbed.body(updates).encode()
        await send(self._start(len(body)))
        await send({"type": "http.response.body", "body": body})

    def _start(self, body_bytes: int) -> dict:
        """The response head: rtsim's fields but ``date``, which hypercorn adds."""
        kind = self.response_kind
        response = hdr.response(kind, self.version, self.testbed.now(), body_bytes)
        base = hdr.response(kind, self.version, 0.0, 0)  # the cookie is sized on it
        padded = hdr.pad_like(response, base, self.response_bytes)
        size = hdr.http1_size(hdr.pad_to_http1(base, self.response_bytes))
        self.testbed.measurements.response_header_bytes.append(size)  # what rtsim's key means
        fields = [(n, v) for n, v in hdr.field_list(padded) if not n.startswith(":")]
        headers = [(n.encode(), v.encode()) for n, v in fields if n != "date"]
        return {"type": "http.response.start", "status": 200, "headers": headers}

    async def _stream(self, client: int, send) -> None:
        testbed = self.testbed
        updates = testbed.skip(client)
        await send(self._start(0))
        while True:
            for update in updates:
                text = sse_protocol.event_text(testbed.body([update]), str(update.update_id))
                await send({"type": "http.response.body", "body": text.encode(), "more_body": True})
            seen = len(testbed.feed.updates)
            await testbed.feed.wait_beyond(seen, float("inf"))
            updates = testbed.take(client)

    # -- clients ---------------------------------------------------------------------------

    def _session(self):
        if self.protocol == "h3":
            return H3Session(self.server.certificate)
        return _HttpxSession(self.protocol, self.server.certificate)

    async def client(self, index: int, port: int) -> None:
        message = request_headers(self.request_kind, self.version, self.request_bytes, index)
        fields = [(n, v) for n, v in hdr.field_list(message) if not n.startswith(":")]
        started = asyncio.get_running_loop().time()  # polls keep to the schedule's phase
        async with self._session() as session:
            await session.connect(port)  # HTTP/3: the QUIC handshake; httpx connects lazily
            if self.kind == "sse":
                await self._listen(session, index, fields)
            elif self.kind == "long-polling":
                for _ in range(MAX_REQUESTS_PER_CLIENT):
                    self.testbed.measurements.ask(index, self.testbed.now())
                    text = await session.get(self.path, fields)
                    self.testbed.received(index, text)
            else:
                await self._poll(session, index, fields, started)

    async def _poll(self, session, index: int, fields, start: float) -> None:
        loop = asyncio.get_running_loop()
        pending: set[asyncio.Task] = set()

        async def request() -> None:
            self.testbed.received(index, await session.get(self.path, fields))

        try:
            for count in range(MAX_REQUESTS_PER_CLIENT):
                await asyncio.sleep(max(0.0, start + count * self.interval_s - loop.time()))
                task = loop.create_task(request())
                pending.add(task)
                task.add_done_callback(pending.discard)
        finally:
            for task in pending:
                task.cancel()

    async def _listen(self, session, index: int, fields) -> None:
        parser, buffer = EventStreamParser(), ""
        async for chunk in session.stream(self.path, fields):
            buffer += chunk
            *lines, buffer = buffer.split("\n")
            for line in lines:
                data = parser.feed_line(line)
                if data is not None:
                    self.testbed.received(index, data)


class _HttpxSession:
    """An httpx client on one HTTP/2 connection (h2c with prior knowledge, or h2 + TLS)
    that sends only the header fields it is given (httpx's own defaults removed)."""

    def __init__(self, protocol: str, certificate) -> None:
        import httpx

        verify: ssl.SSLContext | bool = False
        if certificate is not None:
            verify = ssl.create_default_context(cafile=str(certificate.certfile))
        self.scheme = "https" if protocol == "h2" else "http"
        self.client = httpx.AsyncClient(http1=False, http2=True, verify=verify, timeout=None)
        self.client.headers.clear()
        self.port = 0

    async def __aenter__(self) -> _HttpxSession:
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.client.aclose()

    async def connect(self, port: int) -> None:
        self.port = port

    def _request(self, path: str, fields):
        url = f"{self.scheme}://127.0.0.1:{self.port}{path}"
        headers = [("host", hdr.AUTHORITY), *fields]
        return self.client.build_request("GET", url, headers=headers)

    async def get(self, path: str, fields) -> str:
        response = await self.client.send(self._request(path, fields))
        return response.text

    async def stream(self, path: str, fields):
        response = await self.client.send(self._request(path, fields), stream=True)
        try:
            async for chunk in response.aiter_raw():
                yield chunk.decode()
        finally:
            await response.aclose()
