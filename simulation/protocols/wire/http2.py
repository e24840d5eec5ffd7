"""HTTP/2 framing (RFC 9113): bytes of frames, of the connection set-up and of messages.

Every frame has a 9-byte header (section 4.1). A header block goes in a HEADERS frame and,
past SETTINGS_MAX_FRAME_SIZE, CONTINUATION frames (section 6.10); a body in DATA frames of
at most that size (section 6.1), the last one carrying END_STREAM (an empty DATA frame of
9 bytes if the body has already been sent). No padding is sent; the 5-byte priority
fields of a HEADERS frame (section 6.2) are optional (``header_priority``), off by
default since RFC 9113 section 5.3.2 deprecates RFC 7540's priority signalling.

The connection starts with the client's 24-byte preface (section 3.4) and a SETTINGS
frame from each side, each acknowledged (section 6.5.3). With TLS and ALPN "h2" the
client sends its preface, SETTINGS and first request together right after its Finished,
so HTTP/2 adds no round trip to TLS's. Header blocks are priced with :mod:`.hpack`, one
encoder per direction for the connection's lifetime. Sizes are in bytes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from . import headers as hdr
from .hpack import DEFAULT_HEADER_TABLE_SIZE, Encoder

FRAME_HEADER_BYTES = 9  # RFC 9113 section 4.1
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"  # RFC 9113 section 3.4: 24 bytes
SETTING_BYTES = 6  # a 16-bit identifier and a 32-bit value (section 6.5.1)
# RFC 9113 section 6.5.2 initial values
DEFAULT_MAX_FRAME_SIZE = 16_384
DEFAULT_INITIAL_WINDOW_SIZE = 65_535
# The server's SETTINGS_MAX_CONCURRENT_STREAMS: RFC 9113 section 6.5.2 recommends "no
# smaller than 100" (nginx's http2_max_concurrent_streams default is 128).
DEFAULT_MAX_CONCURRENT_STREAMS = 100

SETTINGS_IDS = {
    "HEADER_TABLE_SIZE": 0x1,
    "ENABLE_PUSH": 0x2,
    "MAX_CONCURRENT_STREAMS": 0x3,
    "INITIAL_WINDOW_SIZE": 0x4,
    "MAX_FRAME_SIZE": 0x5,
    "MAX_HEADER_LIST_SIZE": 0x6,
    "ENABLE_CONNECT_PROTOCOL": 0x8,  # RFC 8441 section 3
}
# Chrome's client SETTINGS and connection WINDOW_UPDATE, its HTTP/2 fingerprint
# "1:65536;2:0;4:6291456;6:262144|15663105" (Akamai, "Passive Fingerprinting of HTTP/2
# Clients", Black Hat EU 2017, updated for current Chrome).
CHROME_SETTINGS = {
    "HEADER_TABLE_SIZE": 65_536,
    "ENABLE_PUSH": 0,
    "INITIAL_WINDOW_SIZE": 6_291_456,
    "MAX_HEADER_LIST_SIZE": 262_144,
}
CHROME_CONNECTION_WINDOW_INCREMENT = 15_663_105
# A server that allows WebSocket over HTTP/2: its stream limit and extended CONNECT.
SERVER_SETTINGS = {"MAX_CONCURRENT_STREAMS": DEFAULT_MAX_CONCURRENT_STREAMS}
SERVER_SETTINGS["ENABLE_CONNECT_PROTOCOL"] = 1

# The Python stack of the testbed (simulation/testbed): httpx's client (h2 4.x under
# httpcore) sends h2's six initial settings and raises the connection window by 16 MiB;
# hypercorn's server adds ENABLE_CONNECT_PROTOCOL to the same six. Read off the wire.
H2_LIBRARY_SETTINGS = {
    "HEADER_TABLE_SIZE": 4096,
    "ENABLE_PUSH": 0,
    "INITIAL_WINDOW_SIZE": 65_535,
    "MAX_FRAME_SIZE": 16_384,
    "MAX_CONCURRENT_STREAMS": 100,
    "MAX_HEADER_LIST_SIZE": 65_536,
}


@dataclass(frozen=True)
class Stack:
    """The framing choices RFC 9113 leaves to the client and the server, as one pair of
    implementations makes them (bytes per connection and per request)."""

    client_settings: dict[str, int]
    connection_window_increment: int
    server_settings: dict[str, int]
    stream_window_update: bool  # the client opens each stream's window with a WINDOW_UPDATE
    empty_end_stream: bool  # the server ends each body with an empty DATA frame


# Chrome (it sets INITIAL_WINDOW_SIZE instead of updating each stream) and a server that
# puts END_STREAM on a body's last DATA frame, as nginx does for a complete body
BROWSER_STACK = Stack(
    CHROME_SETTINGS, CHROME_CONNECTION_WINDOW_INCREMENT, SERVER_SETTINGS, False, False
)
# httpcore sends WINDOW_UPDATE(2**24) on every new stream (httpcore/_async/http2.py,
# _send_request_headers); hypercorn sends END_STREAM on an empty DATA frame after the body
# (hypercorn/protocol/h2.py, EndBody)
HTTPX_HYPERCORN_STACK = Stack(
    H2_LIBRARY_SETTINGS, 2**24, {**H2_LIBRARY_SETTINGS, "ENABLE_CONNECT_PROTOCOL": 1}, True, True
)

WINDOW_UPDATE_BYTES = FRAME_HEADER_BYTES + 4  # section 6.9
PING_BYTES = FRAME_HEADER_BYTES + 8  # section 6.7; its ACK is as large
RST_STREAM_BYTES = FRAME_HEADER_BYTES + 4  # section 6.4
SETTINGS_ACK_BYTES = FRAME_HEADER_BYTES  # section 6.5: an ACK has no payload
HEADERS_PRIORITY_BYTES = 5  # section 6.2: E flag, stream dependency (31 bits), weight


def settings_bytes(settings: dict[str, int] | int) -> int:
    """A SETTINGS frame with these settings (or this many), 6 bytes each (section 6.5)."""
    count = settings if isinstance(settings, int) else len(settings)
    return FRAME_HEADER_BYTES + SETTING_BYTES * count


def settings_payload(settings: dict[str, int]) -> bytes:
    """The SETTINGS frame payload: identifier (16 bits), value (32 bits) each."""
    return b"".join(
        SETTINGS_IDS[k].to_bytes(2, "big") + v.to_bytes(4, "big") for k, v in settings.items()
    )


def goaway_bytes(debug_bytes: int = 0) -> int:
    """A GOAWAY frame: last stream id, error code and optional debug data (section 6.8)."""
    return FRAME_HEADER_BYTES + 8 + debug_bytes


def frame_count(payload_bytes: int, max_frame_size: int = DEFAULT_MAX_FRAME_SIZE) -> int:
    """Frames needed for ``payload_bytes`` at ``max_frame_size`` each (at least one)."""
    if payload_bytes < 0:
        raise ValueError(f"payload_bytes must be >= 0, got {payload_bytes}")
    return max(1, math.ceil(payload_bytes / max_frame_size))


def data_bytes(payload_bytes: int, max_frame_size: int = DEFAULT_MAX_FRAME_SIZE) -> int:
    """DATA frames carrying ``payload_bytes`` of body (one empty frame for 0): wire bytes."""
    return payload_bytes + FRAME_HEADER_BYTES * frame_count(payload_bytes, max_frame_size)


def header_frames_bytes(block_bytes: int, max_frame_size: int = DEFAULT_MAX_FRAME_SIZE) -> int:
    """A HEADERS frame and the CONTINUATION frames a header block needs (section 6.10)."""
    return block_bytes + FRAME_HEADER_BYTES * frame_count(block_bytes, max_frame_size)


def window_updates(
    received_bytes: int, window_bytes: int = DEFAULT_INITIAL_WINDOW_SIZE, threshold: float = 0.5
) -> int:
    """WINDOW_UPDATE frames a receiver sends for ``received_bytes`` of DATA on one level.

    A receiver that tops the window up whenever ``threshold`` of it is consumed (nghttp2's
    policy: when half the window is used) sends one frame per ``threshold * window``.
    Count stream and connection levels separately (section 6.9).
    """
    return int(received_bytes // (window_bytes * threshold))


def connection_preface_bytes(
    client_settings: dict[str, int] = CHROME_SETTINGS,
    server_settings: dict[str, int] = SERVER_SETTINGS,
    connection_window_increment: int = CHROME_CONNECTION_WINDOW_INCREMENT,
) -> tuple[int, int]:
    """(client bytes, server bytes) of the connection set-up, acknowledgments included.

    Client: preface, SETTINGS, a connection-level WINDOW_UPDATE (if any) and the ACK of
    the server's SETTINGS; server: SETTINGS and the ACK of the client's.
    """
    client = len(PREFACE) + settings_bytes(client_settings) + SETTINGS_ACK_BYTES
    if connection_window_increment:
        client += WINDOW_UPDATE_BYTES
    return client, settings_bytes(server_settings) + SETTINGS_ACK_BYTES


@dataclass
class Connection:
    """One HTTP/2 connection's framing state: HPACK encoders and stream ids.

    ``header_table_size`` is the dynamic table each encoder uses (both peers' default,
    RFC 9113 section 6.5.2); ``max_frame_size`` the largest frame payload.
    """

    header_table_size: int = DEFAULT_HEADER_TABLE_SIZE
    max_frame_size: int = DEFAULT_MAX_FRAME_SIZE
    max_concurrent_streams: int = DEFAULT_MAX_CONCURRENT_STREAMS
    huffman: str = "shorter"
    header_priority: bool = False
    next_stream_id: int = 1  # client-initiated streams are odd (section 5.1.1)
    client: Encoder = field(init=False)
    server: Encoder = field(init=False)

    def __post_init__(self) -> None:
        self.client = Encoder(self.header_table_size, self.huffman)
        self.server = Encoder(self.header_table_size, self.huffman)

    def open_stream(self) -> int:
        """The id of the next client stream."""
        stream_id, self.next_stream_id = self.next_stream_id, self.next_stream_id + 2
        return stream_id

    def message_bytes(self, message: hdr.Message, body_bytes: int = 0) -> int:
        """Bytes of a request (client encoder) or response (server encoder) and its body.

        The header block in HEADERS (+ CONTINUATION), then the body in DATA frames.
        END_STREAM is a flag on the last frame, HEADERS when there is no body; a stream
        left open (an SSE response, an extended CONNECT) costs the same bytes.
        """
        encoder = self.client if isinstance(message, hdr.Request) else self.server
        block = encoder.encoded_size(hdr.field_list(message))
        size = header_frames_bytes(block, self.max_frame_size)
        if self.header_priority:
            size += HEADERS_PRIORITY_BYTES
        if body_bytes:
            size += data_bytes(body_bytes, self.max_frame_size)
        return size

    def data_bytes(self, payload_bytes: int) -> int:
        """DATA frames for ``payload_bytes`` more on an open stream (an SSE event, ...)."""
        return data_bytes(payload_bytes, self.max_frame_size)


def message_sizes(messages: Sequence[hdr.Message], body_bytes: int = 0) -> list[int]:
    """Bytes of each message when the messages are sent in order on one connection."""
    connection = Connection()
    return [connection.message_bytes(m, body_bytes) for m in messages]


# Message kinds of the connection set-up: the client's preface (with its SETTINGS) and the
# server's SETTINGS, acknowledgments included (connection_preface_bytes)
KINDS = {"h2-preface": "handshake", "h2-settings": "handshake"}
