"""Minimal WebSocket clients over HTTP/2 (RFC 8441) and HTTP/3 (RFC 9220).

No Python library offers one, so these are written on the protocol libraries: ``h2``
over asyncio streams (h2c with prior knowledge, or TLS 1.3 with ALPN ``h2``, trusting
the testbed's certificate) and aioquic's H3 connection (:mod:`.h3_client`). The
WebSocket frames inside the stream are read and written with ``wsproto``'s connection
(no handshake of its own: the extended CONNECT is it); client frames are masked.

Sequence of one client (each step waits for the one before)::

    client                                            server
      | -- HTTP/2 preface, SETTINGS, WINDOW_UPDATE ---> |   (h3: QUIC handshake, then the
      | <-- SETTINGS (ENABLE_CONNECT_PROTOCOL = 1) ---- |    control streams' SETTINGS)
      | -- SETTINGS ACK, HEADERS :method CONNECT, ----> |
      |    :protocol websocket, WINDOW_UPDATE (stream)  |
      | <-- HEADERS :status 200 ----------------------- |
      | <-- DATA (one WebSocket frame each) ----------- |   text messages are yielded
      | -- DATA (masked pong) ------------------------> |   for each ping
      |         ... at the end of the run: the connection dropped (no close frame)

On HTTP/2 the client behaves as httpx's (httpcore 1.x) does, the ``python`` stack rtsim
prices (``simulation/transport/stacks.py``): h2's six initial settings without
ENABLE_CONNECT_PROTOCOL, the connection's window raised by 2**24 after the preface, a
stream's window raised by 2**24 right after its HEADERS, and received data acknowledged
to h2 as it arrives (h2 sends a WINDOW_UPDATE once half a window is used up). Unlike
httpx, it waits for the server's SETTINGS before the CONNECT, as RFC 8441 section 3
requires.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator

import h2.config
import h2.connection
import h2.events
import h2.settings
from aioquic.h3.events import DataReceived, HeadersReceived
from wsproto.connection import Connection, ConnectionType
from wsproto.events import CloseConnection, Ping, TextMessage

from ...protocols.wire import headers as hdr
from .h3_client import H3Session

__all__ = ["H2WebSocket", "H3WebSocket", "WebSocketRejected"]

_WINDOW_INCREMENT = 2**24  # httpcore's, for the connection and each stream
_READ_BYTES = 65_536


class WebSocketRejected(Exception):
    """The server answered the extended CONNECT with a status other than 200."""


def _headers(message: hdr.Request) -> list[tuple[bytes, bytes]]:
    """rtsim's field list of ``message``, pseudo-header fields first, as bytes."""
    return [(n.encode(), v.encode()) for n, v in hdr.field_list(message)]


def _status(headers) -> int:
    return int(dict(headers)[b":status"])


class _Frames:
    """The WebSocket inside the stream: bytes in, complete text messages and the bytes
    to send back (pongs, a close's echo) out."""

    def __init__(self) -> None:
        self.connection = Connection(ConnectionType.CLIENT)
        self._text: list[str] = []
        self.closed = False

    def feed(self, data: bytes) -> tuple[list[str], bytes]:
        self.connection.receive_data(data)
        texts, reply = [], b""
        for event in self.connection.events():
            if isinstance(event, TextMessage):
                self._text.append(event.data)
                if event.message_finished:
                    texts.append("".join(self._text))
                    self._text.clear()
            elif isinstance(event, Ping):
                reply += self.connection.send(event.response())
            elif isinstance(event, CloseConnection):
                reply += self.connection.send(event.response())
                self.closed = True
        return texts, reply


class H2WebSocket:
    """A WebSocket over one HTTP/2 connection: ``h2c`` (no TLS) or ``h2`` (TLS 1.3)."""

    def __init__(self, protocol: str, certificate) -> None:
        self.tls: ssl.SSLContext | None = None
        if protocol == "h2":
            self.tls = ssl.create_default_context(cafile=str(certificate.certfile))
            self.tls.set_alpn_protocols(["h2"])
        self.scheme = "https" if protocol == "h2" else "http"
        config = h2.config.H2Configuration(
            client_side=True, header_encoding=None, validate_inbound_headers=False
        )
        self.h2 = h2.connection.H2Connection(config=config)
        self.h2.local_settings = h2.settings.Settings(
            client=True,
            initial_values={
                h2.settings.SettingCodes.ENABLE_PUSH: 0,
                h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 100,
                h2.settings.SettingCodes.MAX_HEADER_LIST_SIZE: 65_536,
            },
        )
        del self.h2.local_settings[h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL]
        self.frames = _Frames()
        self.stream_id = 0
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._events: list[h2.events.Event] = []

    async def __aenter__(self) -> H2WebSocket:
        return self

    async def __aexit__(self, *exc_info) -> None:
        # dropped, not closed: no TLS close_notify either way, as httpx's connections in
        # the other cells (rtsim's runs end without closing)
        if self._writer is not None:
            self._writer.transport.abort()

    def _flush(self) -> None:
        assert self._writer is not None
        data = self.h2.data_to_send()
        if data:
            self._writer.write(data)

    async def _next_event(self) -> h2.events.Event | None:
        """The next h2 event, reading the socket as needed; None when it closes."""
        assert self._reader is not None
        while not self._events:
            data = await self._reader.read(_READ_BYTES)
            if not data:
                return None
            self._events.extend(self.h2.receive_data(data))
            self._flush()  # SETTINGS ACKs, PING answers
        return self._events.pop(0)

    async def open(self, port: int, request: hdr.Request) -> None:
        """Connect to 127.0.0.1:``port`` and open the WebSocket with ``request`` (an
        extended CONNECT: rtsim's list); returns once the server's 200 is in."""
        server_name = "127.0.0.1" if self.tls is not None else None
        self._reader, self._writer = await asyncio.open_connection(
            "127.0.0.1", port, ssl=self.tls, server_hostname=server_name
        )
        self.h2.initiate_connection()
        self.h2.increment_flow_control_window(_WINDOW_INCREMENT)
        self._flush()
        while not isinstance(event := await self._next_event(), h2.events.RemoteSettingsChanged):
            if event is None:
                raise ConnectionError("closed before the server's SETTINGS")
        self.stream_id = self.h2.get_next_available_stream_id()
        self.h2.send_headers(self.stream_id, _headers(request), end_stream=False)
        self.h2.increment_flow_control_window(_WINDOW_INCREMENT, stream_id=self.stream_id)
        self._flush()
        while not isinstance(event := await self._next_event(), h2.events.ResponseReceived):
            if event is None:
                raise ConnectionError("closed before the answer to the CONNECT")
        if (status := _status(event.headers)) != 200:
            raise WebSocketRejected(f"extended CONNECT answered {status}")

    async def messages(self) -> AsyncIterator[str]:
        """The text messages, as they arrive, until the stream or connection ends."""
        while (event := await self._next_event()) is not None:
            if isinstance(event, h2.events.DataReceived) and event.stream_id == self.stream_id:
                self.h2.acknowledge_received_data(event.flow_controlled_length, self.stream_id)
                texts, reply = self.frames.feed(event.data)
                if reply:
                    self.h2.send_data(self.stream_id, reply)
                self._flush()
                for text in texts:
                    yield text
            elif isinstance(event, h2.events.StreamEnded | h2.events.StreamReset):
                if event.stream_id == self.stream_id:
                    return
            elif isinstance(event, h2.events.ConnectionTerminated):
                return
            if self.frames.closed:
                return


class H3WebSocket:
    """A WebSocket over one HTTP/3 connection (aioquic, :class:`.h3_client.H3Session`)."""

    def __init__(self, certificate) -> None:
        self.session = H3Session(certificate)
        self.frames = _Frames()
        self.stream_id = 0
        self._queue: asyncio.Queue | None = None

    async def __aenter__(self) -> H3WebSocket:
        return self

    async def __aexit__(self, *exc_info) -> None:
        await self.session.__aexit__(*exc_info)

    async def open(self, port: int, request: hdr.Request) -> None:
        """The QUIC handshake, the server's SETTINGS, then the extended CONNECT; returns
        once the server's 200 is in."""
        await self.session.connect(port)
        protocol = self.session.protocol
        assert protocol is not None
        await protocol.settings_received.wait()
        self.stream_id, self._queue = protocol.open_stream(_headers(request), end_stream=False)
        event = await self._queue.get()
        if not isinstance(event, HeadersReceived):
            raise ConnectionError("the CONNECT stream ended without an answer")
        if (status := _status(event.headers)) != 200:
            raise WebSocketRejected(f"extended CONNECT answered {status}")

    async def messages(self) -> AsyncIterator[str]:
        """The text messages, as they arrive, until the stream ends."""
        assert self._queue is not None and self.session.protocol is not None
        protocol = self.session.protocol
        while isinstance(event := await self._queue.get(), DataReceived):
            texts, reply = self.frames.feed(event.data)
            if reply:
                protocol.send_data(self.stream_id, reply)
            for text in texts:
                yield text
            if self.frames.closed:
                return
