"""QUIC packets, datagrams and the handshake (RFC 9000, RFC 9001): sizes in bytes.

A packet is a header, frames, and a 16-byte AEAD tag (AES-128-GCM, RFC 9001 section
5.3); packets of several number spaces may share a UDP datagram (RFC 9000 section 12.2).

* Long header (Initial, 0-RTT, Handshake; RFC 9000 section 17.2): flags 1, version 4,
  DCID length 1 + DCID, SCID length 1 + SCID, for Initial a token length varint (+ token),
  the Length field, the packet number.
* Short header (1-RTT; section 17.3.1): flags 1, DCID, packet number.

Connection ids are 8 bytes (aioquic's ``QuicConfiguration.connection_id_length``), the
packet number and Length field 2 bytes each (aioquic's ``PACKET_NUMBER_SEND_SIZE`` and
``PACKET_LENGTH_SEND_SIZE``); datagrams carry at most 1,200 bytes (RFC 9000 section 14,
aioquic's ``max_datagram_size`` default), and every datagram with an Initial packet is
padded to 1,200 (section 14.1). Before the client's address is validated the server sends
at most three times what it received (section 8.1): a server flight above that waits for
the client's next datagram, one more round trip.

The TLS 1.3 messages travel in CRYPTO frames without TLS records (RFC 9001 section 4),
their sizes those of :mod:`simulation.protocols.tls`, plus the QUIC transport parameters
extension (RFC 9001 section 8.2) computed from the parameters sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from .. import tls
from .primitives import encode_varint, varint_length

UDP_HEADER_BYTES = 8  # RFC 768
IP_HEADER_BYTES = {"4": 20, "6": 40}  # RFC 791 section 3.1 (no options), RFC 8200 section 3
AEAD_TAG_BYTES = 16  # RFC 9001 section 5.3: AEAD_AES_128_GCM
CID_BYTES = 8  # aioquic QuicConfiguration.connection_id_length
PACKET_NUMBER_BYTES = 2  # aioquic PACKET_NUMBER_SEND_SIZE (1 to 4 allowed, section 17.1)
LENGTH_FIELD_BYTES = 2  # aioquic PACKET_LENGTH_SEND_SIZE
MIN_INITIAL_DATAGRAM_BYTES = 1200  # RFC 9000 section 14.1
MAX_DATAGRAM_BYTES = 1200  # RFC 9000 section 14: smallest allowed maximum; aioquic default
AMPLIFICATION_FACTOR = 3  # RFC 9000 section 8.1
VERSION_BYTES = 4
ACK_FRAME_BYTES = 5  # type, largest, delay, range count, first range: one byte each (19.3)
HANDSHAKE_DONE_BYTES = 1  # RFC 9000 section 19.20
PING_FRAME_BYTES = 1  # section 19.2
# NEW_CONNECTION_ID (section 19.15): type, sequence number, retire prior to, length (one
# byte each while small), the id and a 16-byte stateless reset token
NEW_CONNECTION_ID_FRAME_BYTES = 1 + 1 + 1 + 1 + CID_BYTES + 16

# Transport parameters (RFC 9000 section 18.2), as a browser client and a server send
# them; aioquic's defaults for the limits (max_data and max_stream_data 1 MiB, idle
# timeout 60 s).
CLIENT_TRANSPORT_PARAMETERS: dict[int, int | bytes] = {
    0x01: 60_000,  # max_idle_timeout (ms)
    0x04: 1_048_576,  # initial_max_data
    0x05: 1_048_576,  # initial_max_stream_data_bidi_local
    0x06: 1_048_576,  # initial_max_stream_data_bidi_remote
    0x07: 1_048_576,  # initial_max_stream_data_uni
    0x08: 128,  # initial_max_streams_bidi
    0x09: 128,  # initial_max_streams_uni
    0x0E: 8,  # active_connection_id_limit
    0x0F: b"\x00" * CID_BYTES,  # initial_source_connection_id
}
SERVER_TRANSPORT_PARAMETERS: dict[int, int | bytes] = {
    0x00: b"\x00" * CID_BYTES,  # original_destination_connection_id
    **CLIENT_TRANSPORT_PARAMETERS,
    0x02: b"\x00" * 16,  # stateless_reset_token
}


# A resumed handshake's ClientHello adds pre_shared_key (RFC 8446 section 4.2.11: 4-byte
# extension header, identities list 2 + identity 2 + ticket + 4-byte age, binders list 2 +
# 1 + 32 for SHA-256) and an empty early_data extension (4, section 4.2.10). The ticket
# is the one the server issued (tls.SESSION_TICKET_BYTES: OpenSSL's, 208 bytes).
PSK_EXTENSIONS_BYTES = 4 + 2 + 2 + tls.SESSION_TICKET_IDENTITY_BYTES + 4 + 2 + 1 + 32 + 4


def spare_connection_ids(peer_parameters: dict[int, int | bytes]) -> int:
    """Connection ids an endpoint issues once the handshake is done: as many as the peer's
    active_connection_id_limit allows beside the one in use (RFC 9000 section 5.1.1, as
    aioquic does)."""
    limit = peer_parameters.get(0x0E, 2)  # the limit's default is 2 (section 18.2)
    assert isinstance(limit, int)
    return limit - 1


def transport_parameters_bytes(parameters: dict[int, int | bytes]) -> int:
    """The quic_transport_parameters TLS extension: 4-byte extension header + parameters.

    Each parameter is an id varint, a length varint and the value (a varint or bytes).
    """
    size = 4
    for key, value in parameters.items():
        data = value if isinstance(value, bytes) else encode_varint(value)
        size += varint_length(key) + varint_length(len(data)) + len(data)
    return size


def long_header_bytes(
    space: str,
    cid_bytes: int = CID_BYTES,
    token_bytes: int = 0,
    pn_bytes: int = PACKET_NUMBER_BYTES,
) -> int:
    """Header of an Initial, 0-RTT or Handshake packet (RFC 9000 section 17.2)."""
    size = 1 + VERSION_BYTES + 1 + cid_bytes + 1 + cid_bytes + LENGTH_FIELD_BYTES + pn_bytes
    if space == "initial":
        size += varint_length(token_bytes) + token_bytes
    elif space not in ("handshake", "0rtt"):
        raise ValueError(f"no long header for space {space!r}")
    return size


def short_header_bytes(cid_bytes: int = CID_BYTES, pn_bytes: int = PACKET_NUMBER_BYTES) -> int:
    """Header of a 1-RTT packet (RFC 9000 section 17.3.1)."""
    return 1 + cid_bytes + pn_bytes


def packet_overhead_bytes(space: str, cid_bytes: int = CID_BYTES) -> int:
    """Header and AEAD tag bytes of one packet of ``space`` ("initial", ..., "1rtt")."""
    if space == "1rtt":
        return short_header_bytes(cid_bytes) + AEAD_TAG_BYTES
    return long_header_bytes(space, cid_bytes) + AEAD_TAG_BYTES


def crypto_frame_header_bytes(offset: int, length: int) -> int:
    """CRYPTO frame: type, offset varint, length varint (RFC 9000 section 19.6)."""
    return 1 + varint_length(offset) + varint_length(length)


def stream_frame_header_bytes(stream_id: int, offset: int, length: int | None) -> int:
    """STREAM frame: type, stream id, offset (when not 0), length (when not last, 19.8)."""
    size = 1 + varint_length(stream_id)
    if offset:
        size += varint_length(offset)
    if length is not None:
        size += varint_length(length)
    return size


def datagram_wire_bytes(udp_payload_bytes: int, ip: str = "4") -> int:
    """A datagram on the wire: UDP payload + UDP header + IP header."""
    return udp_payload_bytes + UDP_HEADER_BYTES + IP_HEADER_BYTES[ip]


def stream_data_datagrams(
    payload_bytes: int,
    stream_id: int = 0,
    offset: int = 0,
    max_datagram: int = MAX_DATAGRAM_BYTES,
    cid_bytes: int = CID_BYTES,
) -> list[int]:
    """UDP payload sizes of the 1-RTT packets carrying ``payload_bytes`` of one stream.

    One STREAM frame per packet, filling datagrams of ``max_datagram``; the last frame of
    a packet omits its length (RFC 9000 section 19.8). 0 bytes is a single frame (FIN).
    """
    sizes, left = [], payload_bytes
    while True:
        room = max_datagram - packet_overhead_bytes("1rtt", cid_bytes)
        chunk = min(left, room - stream_frame_header_bytes(stream_id, offset, None))
        sizes.append(packet_overhead_bytes("1rtt", cid_bytes) + chunk)
        sizes[-1] += stream_frame_header_bytes(stream_id, offset, None)
        offset, left = offset + chunk, left - chunk
        if left <= 0:
            return sizes


@lru_cache(maxsize=8192)
def stream_datagrams(payload_bytes: int) -> tuple[int, ...]:
    """:func:`stream_data_datagrams` with the defaults, remembered per size (the transport
    sizes every QUIC message this way)."""
    return tuple(stream_data_datagrams(payload_bytes))


def stream_datagrams_at(payload_bytes: int, offset: int) -> tuple[int, ...]:
    """:func:`stream_datagrams` for data that starts at ``offset`` of its stream: each
    STREAM frame then has an Offset field (RFC 9000 section 19.8: present unless the
    offset is 0), a long-lived stream's messages after its first (SSE events, WebSocket
    frames)."""
    at_start = stream_datagrams(payload_bytes)
    if not offset:
        return at_start
    field = varint_length(offset)
    if len(at_start) == 1 and at_start[0] + field <= MAX_DATAGRAM_BYTES:
        return (at_start[0] + field,)
    return tuple(stream_data_datagrams(payload_bytes, offset=offset))


@dataclass
class _Datagram:
    size: int = 0
    has_initial: bool = False

    def padded(self) -> int:
        return max(self.size, MIN_INITIAL_DATAGRAM_BYTES) if self.has_initial else self.size


def _data_frame_header(space: str, offset: int, length: int) -> int:
    if space in ("initial", "handshake"):
        return crypto_frame_header_bytes(offset, length)
    return stream_frame_header_bytes(0, offset, length)  # the first request stream


def pack_flight(
    parts: list[tuple[str, int, int]],
    max_datagram: int = MAX_DATAGRAM_BYTES,
    cid_bytes: int = CID_BYTES,
) -> list[int]:
    """UDP payload sizes of a flight: ``(space, other frame bytes, data bytes)`` parts.

    Parts go in order into coalesced packets, a packet per space per datagram; the data
    (CRYPTO frames in Initial and Handshake packets, STREAM frames in 0-RTT and 1-RTT
    ones) is split across datagrams as needed. Datagrams with an Initial are padded to
    1,200 bytes.
    """
    datagrams = [_Datagram()]
    for space, frames, crypto in parts:
        header = _data_frame_header
        offset, first = 0, True
        while first or crypto > offset:
            current = datagrams[-1]
            overhead = packet_overhead_bytes(space, cid_bytes) + (frames if first else 0)
            room = max_datagram - current.size - overhead
            length = crypto - offset
            if crypto:
                length = min(length, room - header(space, offset, length))
            if room <= 0 or (crypto and length <= 0):
                datagrams.append(_Datagram())
                continue
            size = overhead + (header(space, offset, length) + length if crypto else 0)
            current.size += size
            current.has_initial |= space == "initial"
            offset, first = offset + length, False
    return [d.padded() for d in datagrams if d.size]


@dataclass
class Handshake:
    """The QUIC + TLS 1.3 handshake's datagrams (UDP payload bytes) and round trips."""

    client_first: list[int]
    server_first: list[int]
    client_second: list[int]
    round_trips: int
    zero_rtt: bool
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def client_bytes(self) -> int:
        return sum(self.client_first) + sum(self.client_second)

    @property
    def server_bytes(self) -> int:
        return sum(self.server_first)

    def wire_bytes(self, ip: str = "4") -> tuple[int, int]:
        """(client, server) bytes with UDP and IP headers."""
        up = self.client_first + self.client_second
        return (
            sum(datagram_wire_bytes(d, ip) for d in up),
            sum(datagram_wire_bytes(d, ip) for d in self.server_first),
        )


def handshake(
    certificate_bytes: int = tls.CERTIFICATE_BYTES,
    zero_rtt: bool = False,
    early_data_bytes: int = 0,
    max_datagram: int = MAX_DATAGRAM_BYTES,
    cid_bytes: int = CID_BYTES,
    client_hello_bytes: int = tls.CLIENT_HELLO_BYTES,
    key_share: str = "x25519",
    signature_bytes: int = tls.SIGNATURE_BYTES,
) -> Handshake:
    """The handshake's flights, TLS 1.3 message sizes as :mod:`simulation.protocols.tls`.

    1. client: Initial [CRYPTO ClientHello] (+ 0-RTT packets with ``early_data_bytes`` of
       stream data when resuming with ``zero_rtt``), padded to 1,200;
    2. server: Initial [ACK, CRYPTO ServerHello], Handshake [CRYPTO EncryptedExtensions,
       Certificate (absent on resumption), CertificateVerify (likewise), Finished];
    3. client: Initial [ACK], Handshake [ACK, CRYPTO Finished] (padded: it has an Initial).

    The client sends its request after one round trip (with its Finished), or at once
    with 0-RTT; add one when the server's flight exceeds three times the client's first.
    """
    client_share, server_share = tls.KEY_SHARES[key_share]
    client_hello = client_hello_bytes + client_share
    client_hello += transport_parameters_bytes(CLIENT_TRANSPORT_PARAMETERS)
    if zero_rtt:
        client_hello += PSK_EXTENSIONS_BYTES
    server_hello = tls.SERVER_HELLO_BYTES + server_share
    encrypted = tls.ENCRYPTED_EXTENSIONS_BYTES
    encrypted += transport_parameters_bytes(SERVER_TRANSPORT_PARAMETERS)
    if not zero_rtt:  # a resumed (PSK) handshake sends no certificate (RFC 8446 2.2)
        encrypted += certificate_bytes + tls.certificate_verify_bytes(signature_bytes)
    encrypted += tls.FINISHED_TLS13_BYTES
    first = [("initial", 0, client_hello)]
    if zero_rtt and early_data_bytes:  # 0-RTT packets, coalesced while there is room
        first.append(("0rtt", 0, early_data_bytes))
    client_first = pack_flight(first, max_datagram, cid_bytes)
    server_first = pack_flight(
        [("initial", ACK_FRAME_BYTES, server_hello), ("handshake", 0, encrypted)],
        max_datagram,
        cid_bytes,
    )
    client_second = pack_flight(
        [("initial", ACK_FRAME_BYTES, 0), ("handshake", ACK_FRAME_BYTES, tls.FINISHED_TLS13_BYTES)],
        max_datagram,
        cid_bytes,
    )
    blocked = sum(server_first) > AMPLIFICATION_FACTOR * sum(client_first)
    round_trips = (0 if zero_rtt else 1) + (1 if blocked else 0)
    extra = {"client_hello": client_hello, "server_hello": server_hello, "encrypted": encrypted}
    return Handshake(client_first, server_first, client_second, round_trips, zero_rtt, extra)


# Message kinds of the QUIC handshake (simulation.transport.setup), and their category
KINDS = {
    "quic-initial": "handshake",
    "quic-handshake": "handshake",
    "quic-ack": "handshake",
    "quic-finished": "handshake",
    "quic-handshake-done": "handshake",
    # acknowledgements after the handshake: transport overhead of the data they acknowledge
    "quic-ack-only": "data",
}
