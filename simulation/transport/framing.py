"""HTTP/2 and HTTP/3 framing: what an application message costs on a multiplexed connection.

Strategies size every message as HTTP/1.1 sends it (``[http]`` header sizes, chunked
SSE events, WebSocket frames after an Upgrade). On a connection with
``[transport] http = "2"`` or ``"3"`` the connection re-frames each message as it is sent
(:meth:`HttpFraming.overhead_bytes`):

* a request or response head becomes a HEADERS frame whose header block is the message
  kind's header list (:mod:`simulation.protocols.wire.headers`), padded with a cookie so
  that its HTTP/1.1 text is the configured ``request_header_bytes`` /
  ``response_header_bytes``, then compressed with HPACK (HTTP/2, RFC 7541) or QPACK
  (HTTP/3, RFC 9204) against this connection's dynamic table, direction by direction. A
  repeated request costs a few bytes of table references; a response's ``date`` changes
  once a second. QPACK's encoder-stream insertions are counted with the message that
  needed them;
* a body goes in DATA frames (9-byte headers on HTTP/2, split at 16,384 bytes; a type
  and length varint on HTTP/3);
* an SSE event's chunked framing becomes a DATA frame; the last chunk becomes an empty
  DATA frame with END_STREAM (HTTP/2) or the QUIC stream's FIN (HTTP/3, no bytes);
* a WebSocket frame (RFC 8441 and RFC 9220: WebSocket over an extended CONNECT stream)
  keeps its framing inside a DATA frame; the upgrade is an extended CONNECT request and a
  200 response, with ``sec-websocket-extensions`` only when the server accepts
  permessage-deflate (the strategy puts the accepted value in the response's ``meta``);
* what the protocols leave to the implementations follows ``[transport] http_stack``
  (:mod:`.stacks`): the SETTINGS each end sends, a WINDOW_UPDATE opening each request
  stream, an empty DATA frame ending each response, and whether a response's HEADERS,
  body and end go out as one write or three (:attr:`HttpFraming.extra_writes`: TLS
  records on HTTP/2, QUIC packets on HTTP/3);
* on HTTP/3 a head whose field section refers to the dynamic table is acknowledged by the
  receiver's QPACK decoder (a Section Acknowledgment, RFC 9204 section 4.4.1):
  :attr:`HttpFraming.needs_section_ack` says so after each message is framed.

Sizes are bytes, the clock seconds (it only sets the ``date`` header's value).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Protocol

from ..messages import UP, Message
from ..protocols import http, websocket
from ..protocols.wire import deflate, hpack, http2, http3, qpack
from ..protocols.wire import headers as hdr
from .stacks import STACKS, HttpStack

__all__ = ["HeaderSizes", "HttpFraming", "min_header_bytes"]

SSE_STREAM_KINDS = frozenset({"sse-event", "sse-comment"})
# the HTTP/1.1 header list each head is sized from (another tab's stream is an SSE request)
HEADER_KIND = {"sse-request-other-tab": "sse-request"}
REQUEST_KINDS = (
    "poll-request",
    "lp-request",
    "sse-request",
    "eio-handshake",
    "eio-poll",
    "http-post",
    "eio-post",
    "ws-upgrade-request",
)
# responses that end their stream (the others open one: SSE, a WebSocket)
ENDING_RESPONSE_KINDS = frozenset(
    {
        "poll-response",
        "lp-response",
        "eio-poll-response",
        "eio-open",
        "eio-post-ok",
        "http-post-response",
    }
)
RESPONSE_KINDS = (
    "poll-response",
    "lp-response",
    "sse-response",
    "eio-poll-response",
    "eio-open",
    "eio-post-ok",
    "http-post-response",
    "ws-upgrade-response",
)


class HeaderSizes(Protocol):
    """The ``[http]`` sizes (:class:`simulation.network.HttpParams`)."""

    @property
    def request_header_bytes(self) -> int: ...
    @property
    def response_header_bytes(self) -> int: ...
    @property
    def upgrade_response_bytes(self) -> int: ...


def _is_head(message: Message) -> bool:
    return message.request or message.response or message.kind == "sse-request-other-tab"


def http1_head_bytes(message: Message, sizes: HeaderSizes) -> int:
    """Bytes of the HTTP/1.1 head the strategy put in ``message.overhead_bytes``."""
    kind = message.kind
    if message.direction == UP:
        size = sizes.request_header_bytes
        if kind == "ws-upgrade-request":
            size += websocket.UPGRADE_REQUEST_EXTRA_BYTES
        elif kind == "sse-request" and message.meta is not None:
            size += len(f"Last-Event-ID: {message.meta}\r\n")
        return size
    if kind == "ws-upgrade-response":  # and the extension the server accepted, if any
        accepted = message.meta
        extension = deflate.extension_header_bytes(accepted) if accepted else 0
        return sizes.upgrade_response_bytes + extension
    return sizes.response_header_bytes


def _chunk_framing_bytes(payload: int, overhead: int) -> int:
    """The chunked-coding bytes in an SSE chunk of ``payload`` + ``overhead`` bytes."""
    for framing in range(5, 21):  # hex size, CRLF, CRLF
        if http.chunk_overhead_bytes(payload + overhead - framing) == framing:
            return framing
    raise ValueError(f"not a chunked SSE message: {payload} + {overhead} bytes")


@lru_cache(maxsize=4096)
def _fields(
    kind: str, version: str, head_bytes: int, body_bytes: int, seq: int, second: int, extra: str
) -> tuple[tuple[str, str], ...]:
    """The HTTP/2-3 field list of a head whose HTTP/1.1 text is ``head_bytes`` with an
    empty body (:func:`simulation.protocols.wire.headers.pad_like`: the same cookie in
    every message of a kind)."""
    message: hdr.Message
    if kind in RESPONSE_KINDS:  # ``extra``: the extensions a WebSocket server accepted
        message = hdr.response(kind, version, float(second), body_bytes, extra)
        base: hdr.Message = hdr.response(kind, version, 0.0, 0, extra)
    else:
        message = hdr.request(kind, version, seq, body_bytes)
        base = hdr.request(kind, version, seq, 0)
        if extra:
            last_event_id = ("last-event-id", extra)
            message = hdr.Request(message.method, message.path, (*message.fields, last_event_id))
            base = hdr.Request(base.method, base.path, (*base.fields, last_event_id))
    return tuple(hdr.field_list(hdr.pad_like(message, base, head_bytes)))


def min_header_bytes(
    version: str, requests: Iterable[str] = REQUEST_KINDS, responses: Iterable[str] = RESPONSE_KINDS
) -> tuple[int, int]:
    """The smallest ``request_header_bytes`` and ``response_header_bytes`` that hold the
    header lists of these kinds on HTTP ``version``: the longest list (with a 9-digit body
    length) plus room for the cookie that pads it."""
    request_line, response_line = len("cookie: \r\n") + 1, len("set-cookie: \r\n") + 1
    smallest_request = smallest_response = 0
    for kind in requests:
        need = hdr.http1_size(hdr.request(kind, version, 0, 10**8)) + request_line
        if kind == "ws-upgrade-request":  # it has the Upgrade lines on top
            need -= websocket.UPGRADE_REQUEST_EXTRA_BYTES
        smallest_request = max(smallest_request, need)
    for kind in responses:
        if kind != "ws-upgrade-response":  # sized by upgrade_response_bytes
            need = hdr.http1_size(hdr.response(kind, version, 0.0, 10**8)) + response_line
            smallest_response = max(smallest_response, need)
    return smallest_request, smallest_response


class HttpFraming:
    """One HTTP/2 or HTTP/3 connection's framing and header compression state.

    An encoder per direction (the client's requests, the server's responses), as on a
    real connection. Encoded sizes are cached per header list while the table does not
    change, so a steady stream of identical requests costs one dictionary lookup each.
    """

    def __init__(
        self,
        version: str,
        sizes: HeaderSizes,
        header_table_size: int,
        stack: HttpStack = STACKS["browser"],
    ):
        self.version = version
        self.sizes = sizes
        self.stack = stack
        # what framing the last message found, for the connection to act on: its head
        # refers to the QPACK dynamic table; the writes it takes beyond one (stacks that
        # send a response's HEADERS, body and end separately)
        self.needs_section_ack = False
        self.extra_writes = 0
        # bytes the implementations add to each request and each ending response
        if version == "2":
            self._per_request = http2.WINDOW_UPDATE_BYTES if stack.http2.stream_window_update else 0
            self._per_ending = http2.FRAME_HEADER_BYTES if stack.http2.empty_end_stream else 0
        else:
            self._per_request = 0
            self._per_ending = http3.data_frame_bytes(0) if stack.empty_end else 0
        self.requests = 0  # numbers Engine.IO's cache-busting token
        self.last_fields: tuple[tuple[str, str], ...] = ()  # the last head's field list
        self._cache: dict[str, dict[tuple, tuple]] = {"up": {}, "down": {}}
        if version == "2":
            self._hpack = {
                "up": hpack.Encoder(header_table_size),
                "down": hpack.Encoder(header_table_size),
            }
        else:
            blocked = http3.DEFAULT_SETTINGS.get("QPACK_BLOCKED_STREAMS", 0)
            history = stack.qpack_history
            self._qpack = {side: qpack.Encoder(history=history) for side in ("up", "down")}
            for encoder in self._qpack.values():
                encoder.apply_settings(header_table_size, blocked)

    def setup_bytes(self) -> tuple[int, int]:
        """(client, server) bytes the HTTP layer adds to the connection's set-up: the
        HTTP/2 preface and SETTINGS exchange, or the HTTP/3 control and QPACK streams."""
        if self.version == "2":
            stack = self.stack.http2
            return http2.connection_preface_bytes(
                stack.client_settings, stack.server_settings, stack.connection_window_increment
            )
        setup = http3.Connection().setup
        return setup["client"], setup["server"]

    def overhead_bytes(self, message: Message, now: float) -> int:
        """``message.overhead_bytes`` (HTTP/1.1) as this connection frames it."""
        payload, overhead = message.payload_bytes, message.overhead_bytes
        self.needs_section_ack = False
        self.extra_writes = 0
        if _is_head(message):
            head = http1_head_bytes(message, self.sizes)
            body_extra = overhead - head  # body bytes that are not payload (Engine.IO text)
            body = payload + body_extra
            block = self._header_block(message, head, body, now)
            if message.direction == UP:
                block += self._per_request
            else:
                ending = message.kind in ENDING_RESPONSE_KINDS
                if ending:
                    block += self._per_ending
                if self.stack.separate_writes:
                    self.extra_writes = (body > 0) + ending
            return block + self._data_bytes(body) - payload
        kind = message.kind
        if kind in SSE_STREAM_KINDS:
            text = overhead - _chunk_framing_bytes(payload, overhead)  # the event's fields
            return self._data_bytes(payload + text) - payload
        if kind == "sse-end":
            return http2.FRAME_HEADER_BYTES if self.version == "2" else 0
        # a WebSocket frame (its framing kept) inside a DATA frame
        return self._data_bytes(payload + overhead) - payload

    def _data_bytes(self, body: int) -> int:
        if body <= 0:
            return 0
        if self.version == "2":
            return http2.data_bytes(body)
        return http3.data_frame_bytes(body)

    def _header_block(self, message: Message, head: int, body: int, now: float) -> int:
        kind = HEADER_KIND.get(message.kind, message.kind)
        seq = 0
        if message.direction == UP:
            self.requests += 1
            if kind.startswith("eio-"):
                seq = self.requests
        extra = ""
        if kind in ("sse-request", "ws-upgrade-response") and message.meta is not None:
            extra = str(message.meta)  # a Last-Event-ID; the extensions a server accepted
        fields = _fields(kind, self.version, head, max(body, 0), seq, int(now), extra)
        self.last_fields = fields
        direction = message.direction
        if self.version == "2":
            return http2.header_frames_bytes(self._hpack_size(direction, fields))
        return self._qpack_size(direction, fields)

    def _hpack_size(self, direction: str, fields: tuple) -> int:
        encoder = self._hpack[direction]
        table = encoder.table
        state = (len(table.entries), table.size, table.entries[0] if table.entries else None)
        cached = self._cache[direction].get(fields)
        if cached is not None and cached[0] == state:
            return cached[1]
        size = encoder.encoded_size(fields)
        after = (len(table.entries), table.size, table.entries[0] if table.entries else None)
        if after == state:  # nothing inserted: the same list costs the same next time
            self._cache[direction][fields] = (state, size)
        return size

    def _qpack_size(self, direction: str, fields: tuple) -> int:
        """HEADERS frame and the encoder-stream instructions it needed (acknowledged by
        the time of the next message, as :class:`simulation.protocols.wire.http3`)."""
        encoder = self._qpack[direction]
        state = encoder.state
        cached = self._cache[direction].get(fields)
        if cached is not None and cached[0] == state:
            self.needs_section_ack = cached[2]
            return cached[1]
        instructions, section = encoder.encode(0, fields)
        encoder.acknowledge()
        size = http3.frame_bytes(http3.FRAME_TYPES["HEADERS"], len(section)) + len(instructions)
        # a Required Insert Count of 0 is encoded as a 0 byte (RFC 9204 section 4.5.1.1)
        needs_ack = section[0] != 0
        if encoder.state == state:
            self._cache[direction][fields] = (state, size, needs_ack)
        self.needs_section_ack = needs_ack
        return size
