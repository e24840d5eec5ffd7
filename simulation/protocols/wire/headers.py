"""The header fields each message kind carries, and their size as HTTP/1.1 text (bytes).

Headers are lists of ``(name, value)`` pairs, lowercase names, in the order a browser or
server sends them, so HPACK and QPACK can price a repeated request as it really is
(mostly table references) while the HTTP/1.1 text repeats every byte.

Requests are those of a desktop Chrome (version 124) on a same-origin page at
``https://rt.example.com``: the reduced User-Agent string (Chromium "User-Agent
Reduction", chromium.org/updates/ua-reduction), the default low-entropy client hints
``sec-ch-ua``, ``sec-ch-ua-mobile``, ``sec-ch-ua-platform`` (WICG User-Agent Client Hints
section 3), Fetch Metadata ``sec-fetch-*`` (W3C Fetch Metadata Request Headers section
2), ``accept: */*`` for fetch() (WHATWG Fetch, "fetch" step 1.6 default Accept),
``accept: text/event-stream`` and ``cache-control: no-cache`` for EventSource (WHATWG HTML
section 9.2.2), and the WebSocket handshake of RFC 6455 section 4.1 with
``permessage-deflate; client_max_window_bits`` as Chrome offers it (RFC 7692 section 7.1).
Responses are lean API responses (RFC 9110: ``date`` section 6.6.1, ``content-type``
8.3, ``content-length`` 8.6, ``cache-control`` RFC 9111 5.2).

HTTP/2 and HTTP/3 carry the same fields without the connection-specific ones and with
the request line and Host as pseudo-header fields (RFC 9113 sections 8.2.2 and 8.3;
RFC 9114 sections 4.2 and 4.3); WebSocket uses extended CONNECT there (RFC 8441 section
4 and 5, RFC 9220 section 3) instead of the Upgrade handshake.

Against the HTTP/1.1 defaults of :mod:`simulation.protocols.http` (700 request, 300
response bytes, left as they are): the poll request here is 520 bytes of HTTP/1.1 text
without cookies and the poll response 157 (with a 2-digit content-length), so the
defaults read as these lists plus about 180 bytes of cookies and 143 bytes of response
cookies or security headers; :func:`pad_to_http1` adds exactly that, so one scenario key
sizes the same headers on HTTP/1.1, HTTP/2 and HTTP/3.

What varies between messages of a kind is an argument: the response's ``date`` (one
value per second), ``content-length``, Engine.IO's cache-busting ``t`` query parameter
(engine.io-client ``timestampRequests``, on by default for polling).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, replace
from email.utils import formatdate

AUTHORITY = "rt.example.com"
ORIGIN = f"https://{AUTHORITY}"
# Chrome 124 on Windows: reduced UA string and its client-hint brands ("Not-A.Brand" is
# the GREASE brand of that release).
USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
SEC_CH_UA = '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"'
# Fields RFC 9113 section 8.2.2 (and RFC 9114 section 4.2) forbid in HTTP/2 and HTTP/3.
CONNECTION_SPECIFIC = frozenset(
    {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"}
)
# 2024-05-14 10:00:00 UTC: the Date of a response sent at simulated time 0.
DATE_EPOCH_S = 1_715_680_800
# The RFC 6455 section 1.2 example key and its accept value.
WS_KEY = "dGhlIHNhbXBsZSBub25jZQ=="
WS_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
WS_EXTENSIONS_OFFER = "permessage-deflate; client_max_window_bits"
WS_EXTENSIONS_ANSWER = "permessage-deflate"
EIO_SID = "x" * 20  # as protocols.engineio.SID

REASONS = {101: "Switching Protocols", 200: "OK", 204: "No Content"}


@dataclass(frozen=True)
class Request:
    """A request: method, target, authority and header fields (lowercase names)."""

    method: str
    path: str
    fields: tuple[tuple[str, str], ...]
    authority: str = AUTHORITY
    scheme: str = "https"
    protocol: str | None = None  # extended CONNECT's :protocol (RFC 8441 section 4)


@dataclass(frozen=True)
class Response:
    """A response: status code and header fields (lowercase names)."""

    status: int
    fields: tuple[tuple[str, str], ...]


Message = Request | Response


def http1_text(message: Message) -> str:
    """The HTTP/1.1 header section: start line, Host first, fields, empty line (RFC 9112)."""
    if isinstance(message, Request):
        lines = [f"{message.method} {message.path} HTTP/1.1", f"host: {message.authority}"]
    else:
        lines = [f"HTTP/1.1 {message.status} {REASONS.get(message.status, '')}"]
    lines += [f"{name}: {value}" for name, value in message.fields]
    return "\r\n".join(lines) + "\r\n\r\n"


def http1_size(message: Message) -> int:
    """Bytes of the HTTP/1.1 header section (everything before the body)."""
    return len(http1_text(message).encode("utf-8"))


def field_list(message: Message) -> list[tuple[str, str]]:
    """The HTTP/2 and HTTP/3 field list: pseudo-header fields first (RFC 9113 8.3).

    Requests in Chrome's order (:method, :authority, :scheme, :path); an extended CONNECT
    adds :protocol (RFC 8441 section 4). Connection-specific fields are left out.
    """
    if isinstance(message, Request):
        pseudo = [(":method", message.method), (":authority", message.authority)]
        pseudo += [(":scheme", message.scheme), (":path", message.path)]
        if message.protocol is not None:
            pseudo.append((":protocol", message.protocol))
    else:
        pseudo = [(":status", str(message.status))]
    return pseudo + [(n, v) for n, v in message.fields if n not in CONNECTION_SPECIFIC]


def _browser(accept: str, mode: str = "cors", dest: str = "empty") -> list[tuple[str, str]]:
    return [
        ("connection", "keep-alive"),
        ("sec-ch-ua", SEC_CH_UA),
        ("sec-ch-ua-mobile", "?0"),
        ("user-agent", USER_AGENT),
        ("accept", accept),
        ("sec-ch-ua-platform", '"Windows"'),
        ("sec-fetch-site", "same-origin"),
        ("sec-fetch-mode", mode),
        ("sec-fetch-dest", dest),
        ("referer", f"{ORIGIN}/"),
        ("accept-encoding", "gzip, deflate, br, zstd"),
        ("accept-language", "en-US,en;q=0.9"),
    ]


def _date(now_s: float) -> str:
    return formatdate(DATE_EPOCH_S + int(now_s), usegmt=True)


def eio_token(seq: int) -> str:
    """Engine.IO's ``t`` parameter: a yeast() id, 7 base-64 digits of a millisecond clock."""
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_"
    value, digits = DATE_EPOCH_S * 1000 + 1009 * seq, ""
    while value:
        value, digit = divmod(value, 64)
        digits = alphabet[digit] + digits
    return digits


def request(kind: str, version: str = "1.1", seq: int = 0, body_bytes: int = 0) -> Request:
    """The request of message kind ``kind`` as HTTP ``version`` ("1.1", "2" or "3") sends it.

    ``seq`` numbers requests of the kind (it changes Engine.IO's ``t``); ``body_bytes`` is
    the body's length for requests with one (POSTs).
    """
    eio = f"/socket.io/?EIO=4&transport=polling&t={eio_token(seq)}"
    if kind == "poll-request":
        return Request("GET", "/poll", tuple(_browser("*/*")))
    if kind == "lp-request":
        return Request("GET", "/updates", tuple(_browser("*/*")))
    if kind == "sse-request":
        browser = _browser("text/event-stream")
        fields = (*browser[:4], ("cache-control", "no-cache"), *browser[4:])
        return Request("GET", "/events", fields)
    if kind == "eio-handshake":
        return Request("GET", eio, tuple(_browser("*/*")))
    if kind == "eio-poll":
        return Request("GET", f"{eio}&sid={EIO_SID}", tuple(_browser("*/*")))
    if kind in ("http-post", "eio-post"):
        path = "/send" if kind == "http-post" else f"{eio}&sid={EIO_SID}"
        browser = _browser("*/*")
        fields = (
            *browser[:1],
            ("content-length", str(body_bytes)),
            *browser[1:4],
            ("content-type", "text/plain;charset=UTF-8"),
            *browser[4:6],
            ("origin", ORIGIN),
            *browser[6:],
        )
        return Request("POST", path, fields)
    if kind == "ws-upgrade-request":
        return _ws_request(version)
    raise ValueError(f"no request header list for message kind {kind!r}")


def _ws_request(version: str) -> Request:
    common = [
        ("pragma", "no-cache"),
        ("cache-control", "no-cache"),
        ("user-agent", USER_AGENT),
        ("origin", ORIGIN),
        ("sec-websocket-version", "13"),
        ("accept-encoding", "gzip, deflate, br, zstd"),
        ("accept-language", "en-US,en;q=0.9"),
    ]
    if version == "1.1":  # RFC 6455 section 4.1
        fields = [("connection", "Upgrade"), *common[:3], ("upgrade", "websocket"), *common[3:]]
        fields += [("sec-websocket-key", WS_KEY), ("sec-websocket-extensions", WS_EXTENSIONS_OFFER)]
        return Request("GET", "/ws", tuple(fields))
    # RFC 8441 section 5 / RFC 9220 section 3: no Upgrade, Connection or Sec-WebSocket-Key
    fields = [*common, ("sec-websocket-extensions", WS_EXTENSIONS_OFFER)]
    return Request("CONNECT", "/ws", tuple(fields), protocol="websocket")


def response(
    kind: str, version: str = "1.1", now_s: float = 0.0, body_bytes: int = 0, extensions: str = ""
) -> Response:
    """The response of message kind ``kind`` as HTTP ``version`` sends it.

    ``now_s`` is the time it is sent (its ``date``), ``body_bytes`` its body's length;
    ``extensions`` the WebSocket extensions a server accepts in its answer to an upgrade
    (``Sec-WebSocket-Extensions``, RFC 6455 section 9.1), none when empty: a server that
    declines an offer leaves the field out (RFC 7692 section 5).
    """
    date = ("date", _date(now_s))
    length = ("content-length", str(body_bytes))
    if kind in ("poll-response", "lp-response"):
        fields = [date, ("content-type", "application/json"), length]
        return Response(200, (*fields, ("cache-control", "no-store"), ("connection", "keep-alive")))
    if kind == "sse-response":
        fields = [date, ("content-type", "text/event-stream"), ("cache-control", "no-cache")]
        fields += [("connection", "keep-alive"), ("transfer-encoding", "chunked")]
        return Response(200, tuple(fields))
    if kind in ("eio-poll-response", "eio-open", "eio-post-ok", "http-post-response"):
        kind_type = "text/html" if kind == "eio-post-ok" else "text/plain; charset=UTF-8"
        fields = [("content-type", kind_type), length, date, ("connection", "keep-alive")]
        return Response(200, tuple(fields))
    if kind == "ws-upgrade-response":
        accepted = [("sec-websocket-extensions", extensions)] if extensions else []
        if version == "1.1":  # RFC 6455 section 4.2.2
            fields = [("upgrade", "websocket"), ("connection", "Upgrade")]
            fields += [("sec-websocket-accept", WS_ACCEPT)]
            return Response(101, (*fields, *accepted))
        # RFC 8441 section 5: a 2xx status, no Sec-WebSocket-Accept; as every 2xx from an
        # origin server with a clock, a Date (RFC 9110 section 6.6.1; a 101 may omit it)
        return Response(200, (date, *accepted))
    raise ValueError(f"no response header list for message kind {kind!r}")


def filler_value(length: int) -> str:
    """``length`` characters of a deterministic base64url token (a cookie's entropy)."""
    chunks: list[str] = []
    counter = 0
    while sum(map(len, chunks)) < length:
        digest = hashlib.sha256(f"rtsim-filler-{counter}".encode()).digest()
        chunks.append(base64.urlsafe_b64encode(digest).decode().rstrip("="))
        counter += 1
    return "".join(chunks)[:length]


def pad_to_http1(message: Message, total_bytes: int, name: str | None = None) -> Message:
    """``message`` with a filler field so its HTTP/1.1 header section is ``total_bytes``.

    The filler is ``cookie`` for a request and ``set-cookie`` for a response (the
    stand-ins for what makes real headers large: cookies, tokens, security headers), its
    value a stable token, so the same scenario keys ``[http] request_header_bytes`` and
    ``response_header_bytes`` mean the same headers on every HTTP version: on HTTP/2 and
    HTTP/3 the filler is sent once in full, then by table index. ``total_bytes`` equal to
    the unpadded size adds nothing; otherwise it needs room for ``name: `` and a value.
    """
    if name is None:
        name = "cookie" if isinstance(message, Request) else "set-cookie"
    base = http1_size(message)
    extra = total_bytes - base
    if extra == 0:
        return message
    line = len(f"{name}: \r\n")
    if extra < line + 1:
        raise ValueError(
            f"{total_bytes} bytes of HTTP/1.1 headers: the header list alone is {base} bytes,"
            f" and a {name} field needs at least {line + 1} more"
        )
    return replace(message, fields=(*message.fields, (name, filler_value(extra - line))))


def pad_like(message: Message, base: Message, total_bytes: int) -> Message:
    """``message`` with the filler field that pads ``base`` to ``total_bytes``.

    ``base`` is the same kind of message with an empty body: the filler is sized once, so
    every message of the kind carries the same cookie, as a real client's does, whatever
    digits its ``content-length`` has (re-sizing the filler per message would cost a new
    HPACK/QPACK literal whenever the length gains a digit). ``base`` is then exactly
    ``total_bytes`` of HTTP/1.1 text and ``message`` a few bytes more or less.
    """
    padded = pad_to_http1(base, total_bytes)
    filler = padded.fields[len(base.fields) :]
    return replace(message, fields=(*message.fields, *filler))
