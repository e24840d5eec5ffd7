"""WebSocket (RFC 6455) sizes: the opening handshake and frame headers.

The handshake sizes are computed from the example handshake of RFC 6455 section 1.2, not
typed in, so they can be checked against the RFC text.
"""

# RFC 6455 section 1.2: the header lines a client adds to an ordinary GET to ask for the
# upgrade (the example's Host and Origin lines are part of any request's headers, which
# [http] request_header_bytes already counts; the subprotocol line is optional).
_UPGRADE_REQUEST_LINES = (
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
)
UPGRADE_REQUEST_EXTRA_BYTES = len(_UPGRADE_REQUEST_LINES.encode("ascii"))

# RFC 6455 section 1.2: the server's whole handshake response, ending with the empty line.
_UPGRADE_RESPONSE = (
    "HTTP/1.1 101 Switching Protocols\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    "\r\n"
)
UPGRADE_RESPONSE_BYTES = len(_UPGRADE_RESPONSE.encode("ascii"))

MASKING_KEY_BYTES = 4  # RFC 6455 section 5.3: every client -> server frame is masked


def frame_header_bytes(payload_bytes: int, masked: bool) -> int:
    """Bytes a frame adds to ``payload_bytes`` (RFC 6455 section 5.2).

    Two bytes (FIN/opcode, MASK/length); 2 more for payloads of 126 to 65,535 bytes and 8
    more from 65,536 bytes (the extended payload length); 4 more when masked.
    """
    if payload_bytes < 0:
        raise ValueError(f"payload_bytes must be >= 0, got {payload_bytes}")
    if payload_bytes <= 125:
        header = 2
    elif payload_bytes <= 0xFFFF:
        header = 4
    else:
        header = 10
    return header + (MASKING_KEY_BYTES if masked else 0)


# Control frames (RFC 6455 section 5.5) carry at most 125 bytes, so a 2-byte header (+4
# masking key from the client). Ping and pong carry no application data here; a close
# frame carries a 2-byte status code (section 5.5.1).
CLOSE_STATUS_BYTES = 2


def control_frame_bytes(payload_bytes: int, masked: bool) -> int:
    """Total bytes of a ping, pong or close frame with ``payload_bytes`` of body."""
    if not 0 <= payload_bytes <= 125:
        raise ValueError(f"control frames carry 0 to 125 bytes, got {payload_bytes}")
    return frame_header_bytes(payload_bytes, masked) + payload_bytes


# Message kinds this protocol puts on the wire, and their category (protocols.kinds)
KINDS = {
    "ws-upgrade-request": "handshake",
    "ws-upgrade-response": "handshake",
    "ws-ping": "heartbeat",
    "ws-pong": "heartbeat",
    "ws-frame": "data",
    "ws-frame-up": "data",
    "ws-close": "data",
}
