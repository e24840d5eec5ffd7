"""An HTTP/3 client on aioquic: one QUIC connection, GET requests as streams.

``H3Session`` offers what the HTTP/2 (httpx) session does: ``connect(port)``,
``get(path, fields) -> body text`` and ``stream(path, fields)``, an async iterator over
the body's chunks as they arrive. The request's pseudo-header fields are rtsim's
(``:method``, ``:authority`` ``rt.example.com``, ``:scheme`` ``https``, ``:path``), in
Chrome's order. The server's self-signed certificate is trusted by its file; the socket
is bound to 127.0.0.1.

For streams that stay open both ways (a WebSocket's extended CONNECT, :mod:`.ws_clients`)
its protocol offers ``open_stream(headers, end_stream)`` (the stream's id and a queue of
its HEADERS and DATA events, then ``None`` at its end), ``send_data(stream_id, data)``
and ``settings_received``, set once the server's SETTINGS are in.
"""

from __future__ import annotations

import asyncio
import contextlib

from aioquic.asyncio.protocol import QuicConnectionProtocol
from aioquic.h3.connection import H3_ALPN, H3Connection
from aioquic.h3.events import DataReceived, H3Event, HeadersReceived
from aioquic.quic.configuration import QuicConfiguration
from aioquic.quic.connection import QuicConnection
from aioquic.quic.events import QuicEvent

from ...protocols.wire import headers as hdr

__all__ = ["H3Session"]

_END = None  # a stream's end in its queue


class _Protocol(QuicConnectionProtocol):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.h3 = H3Connection(self._quic)
        self.streams: dict[int, asyncio.Queue] = {}
        self.settings_received = asyncio.Event()

    def quic_event_received(self, event: QuicEvent) -> None:
        for h3_event in self.h3.handle_event(event):
            self._h3_event(h3_event)
        if self.h3.received_settings is not None:
            self.settings_received.set()

    def _h3_event(self, event: H3Event) -> None:
        if not isinstance(event, HeadersReceived | DataReceived):
            return
        queue = self.streams.get(event.stream_id)
        if queue is None:
            return
        queue.put_nowait(event)
        if event.stream_ended:
            queue.put_nowait(_END)

    def open_stream(self, headers, end_stream: bool) -> tuple[int, asyncio.Queue]:
        """Send ``headers`` (bytes pairs) on a new request stream: its id and its queue."""
        stream_id = self._quic.get_next_available_stream_id()
        queue: asyncio.Queue = asyncio.Queue()
        self.streams[stream_id] = queue
        self.h3.send_headers(stream_id, headers, end_stream=end_stream)
        self.transmit()
        return stream_id, queue

    def send_data(self, stream_id: int, data: bytes) -> None:
        self.h3.send_data(stream_id, data, end_stream=False)
        self.transmit()

    def request(self, path: str, fields) -> asyncio.Queue:
        headers = [
            (b":method", b"GET"),
            (b":authority", hdr.AUTHORITY.encode()),
            (b":scheme", b"https"),
            (b":path", path.encode()),
            *((n.encode(), v.encode()) for n, v in fields),
        ]
        return self.open_stream(headers, end_stream=True)[1]


class H3Session:
    def __init__(self, certificate) -> None:
        self.configuration = QuicConfiguration(
            is_client=True, alpn_protocols=H3_ALPN, server_name=hdr.AUTHORITY
        )
        if certificate is not None:
            self.configuration.load_verify_locations(str(certificate.certfile))
        self.protocol: _Protocol | None = None
        self._transport: asyncio.DatagramTransport | None = None

    async def __aenter__(self) -> H3Session:
        return self

    async def __aexit__(self, *exc_info) -> None:
        if self.protocol is not None:
            self.protocol.close()
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(self.protocol.wait_closed(), 0.2)
        if self._transport is not None:
            self._transport.close()

    async def connect(self, port: int) -> None:
        loop = asyncio.get_running_loop()
        connection = QuicConnection(configuration=self.configuration)
        transport, protocol = await loop.create_datagram_endpoint(
            lambda: _Protocol(connection), local_addr=("127.0.0.1", 0)
        )
        self._transport = transport
        self.protocol = protocol
        protocol.connect(("127.0.0.1", port))
        await protocol.wait_connected()

    async def stream(self, path: str, fields):
        assert self.protocol is not None
        queue = self.protocol.request(path, fields)
        while (event := await queue.get()) is not _END:
            if isinstance(event, DataReceived) and event.data:
                yield event.data.decode()

    async def get(self, path: str, fields) -> str:
        return "".join([chunk async for chunk in self.stream(path, fields)])
