"""HTTP/3 framing (RFC 9114) over QUIC streams: bytes of frames, streams and messages.

Every HTTP/3 frame is a varint type, a varint length and the payload (RFC 9114 section
7.1): DATA 0x0, HEADERS 0x1, SETTINGS 0x4, GOAWAY 0x7. Each endpoint opens a control
stream (unidirectional stream type 0x00, section 6.2.1) starting with its SETTINGS, and,
when QPACK's dynamic table is used, QPACK encoder (0x02) and decoder (0x03) streams (RFC
9204 section 4.2). Requests and responses are HEADERS (a QPACK field section, priced by
:mod:`.qpack`) then DATA frames on a client-initiated bidirectional stream (ids 0, 4, 8,
...). WebSocket runs on an extended CONNECT stream (RFC 9220), its frames in DATA frames.
QUIC packetization (STREAM frames, packets, datagrams) is :mod:`.quic`'s. Sizes in bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import headers as hdr
from .primitives import encode_varint, varint_length
from .qpack import Encoder

FRAME_TYPES = {"DATA": 0x0, "HEADERS": 0x1, "SETTINGS": 0x4, "GOAWAY": 0x7}
STREAM_TYPES = {"control": 0x00, "qpack-encoder": 0x02, "qpack-decoder": 0x03}
SETTINGS_IDS = {
    "QPACK_MAX_TABLE_CAPACITY": 0x01,  # RFC 9204 section 5
    "MAX_FIELD_SECTION_SIZE": 0x06,  # RFC 9114 section 7.2.4.1
    "QPACK_BLOCKED_STREAMS": 0x07,  # RFC 9204 section 5
    "ENABLE_CONNECT_PROTOCOL": 0x08,  # RFC 9220 section 3
    "H3_DATAGRAM": 0x33,  # RFC 9297 section 2.1.1
    "GREASE": 0x21,  # a reserved identifier (0x1f * N + 0x21, RFC 9114 section 7.2.4.1)
}
# aioquic's H3Connection._get_local_settings: a 4,096-byte QPACK table, 16 blocked
# streams, extended CONNECT, and one GREASE setting ("DUMMY").
DEFAULT_SETTINGS = {
    "QPACK_MAX_TABLE_CAPACITY": 4096,
    "QPACK_BLOCKED_STREAMS": 16,
    "ENABLE_CONNECT_PROTOCOL": 1,
    "GREASE": 1,
}


def frame_header_bytes(frame_type: int, payload_bytes: int) -> int:
    """Type and length varints of a frame (RFC 9114 section 7.1)."""
    return varint_length(frame_type) + varint_length(payload_bytes)


def frame_bytes(frame_type: int, payload_bytes: int) -> int:
    """A whole frame: header and payload."""
    return frame_header_bytes(frame_type, payload_bytes) + payload_bytes


def data_frame_bytes(payload_bytes: int) -> int:
    """A DATA frame carrying ``payload_bytes`` (section 7.2.1); HTTP/3 does not split."""
    return frame_bytes(FRAME_TYPES["DATA"], payload_bytes)


def settings_payload(settings: dict[str, int]) -> bytes:
    """SETTINGS payload: identifier and value varints (section 7.2.4)."""
    return b"".join(encode_varint(SETTINGS_IDS[k]) + encode_varint(v) for k, v in settings.items())


def control_stream_bytes(settings: dict[str, int] = DEFAULT_SETTINGS) -> int:
    """The control stream's first bytes: stream type and SETTINGS frame (section 6.2.1)."""
    payload = len(settings_payload(settings))
    return varint_length(STREAM_TYPES["control"]) + frame_bytes(FRAME_TYPES["SETTINGS"], payload)


def goaway_bytes(stream_id: int) -> int:
    """GOAWAY with the last stream id (section 7.2.6)."""
    return frame_bytes(FRAME_TYPES["GOAWAY"], varint_length(stream_id))


@dataclass
class Connection:
    """One HTTP/3 connection's state: a QPACK encoder each way, stream ids, settings.

    Both endpoints announce ``settings`` (each encoder uses the peer's QPACK limits);
    ``acknowledge_each`` stands for the decoder's acknowledgments arriving before the
    next message.
    """

    settings: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_SETTINGS))
    acknowledge_each: bool = True
    next_stream_id: int = 0  # client-initiated bidirectional (RFC 9000 section 2.1)
    client: Encoder = field(init=False)
    server: Encoder = field(init=False)
    setup: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        capacity = self.settings.get("QPACK_MAX_TABLE_CAPACITY", 0)
        blocked = self.settings.get("QPACK_BLOCKED_STREAMS", 0)
        self.client, self.server = Encoder(), Encoder()
        per_side = control_stream_bytes(self.settings)
        per_side += len(self.client.apply_settings(capacity, blocked))
        self.server.apply_settings(capacity, blocked)
        if capacity:  # the encoder and decoder stream type bytes
            per_side += varint_length(STREAM_TYPES["qpack-encoder"])
            per_side += varint_length(STREAM_TYPES["qpack-decoder"])
        self.setup = {"client": per_side, "server": per_side}

    def open_stream(self) -> int:
        """The id of the next request stream."""
        stream_id, self.next_stream_id = self.next_stream_id, self.next_stream_id + 4
        return stream_id

    def message_bytes(
        self, message: hdr.Message, body_bytes: int = 0, stream_id: int = 0
    ) -> tuple[int, int]:
        """(request/response stream bytes, encoder stream bytes) of a message and body.

        Stream bytes: HEADERS frame (the field section) then a DATA frame if there is a
        body. Encoder stream bytes: the QPACK insertions the field section needed, sent by
        the same side on its encoder stream.
        """
        encoder = self.client if isinstance(message, hdr.Request) else self.server
        instructions, section = encoder.encode(stream_id, hdr.field_list(message))
        if self.acknowledge_each:
            encoder.acknowledge()
        size = frame_bytes(FRAME_TYPES["HEADERS"], len(section))
        if body_bytes:
            size += data_frame_bytes(body_bytes)
        return size, len(instructions)


# Message kind of each side's control and QPACK streams at set-up (Connection.setup)
KINDS = {"h3-settings": "handshake"}
