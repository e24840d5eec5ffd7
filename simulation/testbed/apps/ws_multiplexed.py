"""WebSocket over HTTP/2 (RFC 8441) and HTTP/3 (RFC 9220): an ASGI app on hypercorn
(:mod:`.hypercorn_server`) and the minimal clients of :mod:`.ws_clients`.

Sequence per client (one connection each, h2c, h2 or h3): set-up and the server's
SETTINGS -> extended CONNECT ``/ws`` with ``:protocol websocket`` -> ``200`` -> one text
frame per update for that client, the moment it is appended, each in a DATA frame of its
own. Updates appended before the server accepts the stream are not sent (as rtsim's
server, which has no socket for the client yet).

Header lists, as :mod:`.multiplexed` does for requests and responses: the client sends
rtsim's extended CONNECT request (Chrome's fields, ``permessage-deflate`` offered, a
cookie padding it to ``[http] request_header_bytes`` plus the Upgrade lines rtsim adds on
HTTP/1.1) with its index in the cookie's last characters; the server answers with rtsim's
``ws-upgrade-response`` fields padded to ``upgrade_response_bytes``, less what hypercorn
adds itself (``date``, and ``sec-websocket-extensions`` when it accepts an extension).
The server measures both heads as HTTP/1.1 text.

What hypercorn does that rtsim's defaults do not, and how the testbed meets it:

* compression: hypercorn accepts ``permessage-deflate`` whenever it is offered (it has no
  switch for it); rtsim prices uncompressed frames unless ``permessage_deflate`` is set,
  that is a server that declines. So, while the server runs, hypercorn's extension is
  replaced by one that declines every offer (:class:`_Declined`), as the HTTP/1.1 app's
  ``compression=None`` does;
* pings: an ASGI app cannot send a ping (the ASGI WebSocket messages have none);
  hypercorn pings by itself with ``websocket_ping_interval``, but its first ping goes out
  at the accept, where rtsim's (and the ``websockets`` package's) first ping is one
  interval later. The testbed leaves hypercorn's pings off; with the testbed's 20 s
  ``ping_interval_s`` rtsim's first ping falls after a cell of up to 20 s, so neither side
  pings. The clients answer pings with pongs all the same.
"""

from __future__ import annotations

import math
from dataclasses import replace

import hypercorn.protocol.ws_stream as ws_stream
from wsproto.extensions import PerMessageDeflate

from ...protocols import websocket as ws_protocol
from ...protocols.wire import headers as hdr
from ..context import Testbed
from ..measurements import header_block_bytes
from .hypercorn_server import PROTOCOLS, HypercornServer, serve_lifespan, serve_until_gone
from .multiplexed import DEFAULT_REQUEST_BYTES, client_of, request_headers
from .ws_clients import H2WebSocket, H3WebSocket

__all__ = ["WebSocketOverHttpApp"]

_ADDED_BY_HYPERCORN = ("date", "sec-websocket-extensions")
_DATE_VALUE_CHARACTERS = 29  # "Tue, 14 May 2024 10:00:00 GMT" (RFC 9110 section 5.6.7)


# the extension class hypercorn's WebSocket streams use (hypercorn.protocol.ws_stream)
_HYPERCORN_EXTENSION = "PerMessageDeflate"


class _Declined(PerMessageDeflate):
    """permessage-deflate, declined: every offer is answered without it (RFC 7692
    section 5: a server may decline by leaving it out of its answer)."""

    def accept(self, offer: str) -> None:
        return None


class WebSocketOverHttpApp:
    """The WebSocket strategy over ``protocol`` (``h2c``, ``h2`` or ``h3``); see the
    module doc. ``params``: ``request_header_bytes`` and ``upgrade_response_bytes``
    (bytes of HTTP/1.1 text, rtsim's ``[http]`` keys)."""

    kind = "websocket"
    path = "/ws"

    def __init__(self, protocol: str, testbed: Testbed, params: dict) -> None:
        self.protocol = protocol
        self.version = PROTOCOLS[protocol][0]
        self.testbed = testbed
        self.request_bytes = int(params.get("request_header_bytes", DEFAULT_REQUEST_BYTES))
        self.response_bytes = int(
            params.get("upgrade_response_bytes", ws_protocol.UPGRADE_RESPONSE_BYTES)
        )
        self.server = HypercornServer(self._asgi, protocol)
        self._deflate = getattr(ws_stream, _HYPERCORN_EXTENSION)

    async def start_server(self) -> int:
        setattr(ws_stream, _HYPERCORN_EXTENSION, _Declined)  # for this run only
        return await self.server.start()

    async def stop_server(self) -> None:
        try:
            await self.server.stop()
        finally:
            setattr(ws_stream, _HYPERCORN_EXTENSION, self._deflate)

    # -- server ----------------------------------------------------------------------------

    async def _asgi(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await serve_lifespan(receive, send)
            return
        if scope["type"] != "websocket":
            return
        await receive()  # websocket.connect: the extended CONNECT is in
        client = self._measure_request(scope["path"], scope["headers"])
        self.testbed.skip(client)  # a new subscriber
        await send({"type": "websocket.accept", "headers": self._accept_headers()})
        await serve_until_gone(self._push(client, send), receive, "websocket.disconnect")

    def _measure_request(self, path: str, headers) -> int:
        """Count the request and its HTTP/1.1 size (``host`` first, as rtsim writes it;
        hypercorn puts ``:authority`` there); returns the client's index."""
        measurements = self.testbed.measurements
        measurements.requests += 1
        measurements.upgrade_request_header_bytes.append(
            header_block_bytes(f"CONNECT {path} HTTP/1.1", headers)
        )
        return client_of(headers)

    def _accept_headers(self) -> list[tuple[bytes, bytes]]:
        """rtsim's answer but the fields hypercorn adds; records the HTTP/1.1 size of the
        whole answer as hypercorn sends it (with its ``date``)."""
        kind = "ws-upgrade-response"
        response = hdr.response(kind, self.version, self.testbed.now())
        base = hdr.response(kind, self.version, 0.0)
        padded = hdr.pad_like(response, base, self.response_bytes)
        assert isinstance(padded, hdr.Response)
        fields = [(n, v) for n, v in padded.fields if n not in _ADDED_BY_HYPERCORN]
        sent = [*fields, ("date", "x" * _DATE_VALUE_CHARACTERS)]
        status = f"HTTP/1.1 {padded.status} {hdr.REASONS[padded.status]}"
        self.testbed.measurements.upgrade_response_header_bytes.append(
            header_block_bytes(status, sent)
        )
        return [(n.encode(), v.encode()) for n, v in fields]

    async def _push(self, client: int, send) -> None:
        testbed = self.testbed
        while True:
            # the client's cursor: updates appended while the last ones were sent count
            await testbed.feed.wait_beyond(testbed.cursors[client], math.inf)
            for update in testbed.take(client):
                await send({"type": "websocket.send", "text": testbed.body([update])})

    # -- clients ---------------------------------------------------------------------------

    async def client(self, index: int, port: int) -> None:
        head = self.request_bytes + ws_protocol.UPGRADE_REQUEST_EXTRA_BYTES
        request = request_headers("ws-upgrade-request", self.version, head, index)
        if self.protocol == "h2c":  # what a client sends without TLS (the same size)
            request = replace(request, scheme="http")
        certificate = self.server.certificate
        socket = (
            H3WebSocket(certificate)
            if self.protocol == "h3"
            else H2WebSocket(self.protocol, certificate)
        )
        async with socket:
            await socket.open(port, request)
            async for text in socket.messages():
                self.testbed.received(index, text)
