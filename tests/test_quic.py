"""QUIC packet and handshake sizes, HTTP/3 frames (simulation.protocols.wire.quic, .http3)."""

import pytest

from simulation.protocols import tls
from simulation.protocols.wire import headers, http3, quic
from simulation.protocols.wire.primitives import encode_varint, varint_length


def test_varints_rfc9000_appendix_a1():
    assert encode_varint(37).hex() == "25"
    assert encode_varint(15293).hex() == "7bbd"
    assert encode_varint(494878333).hex() == "9d7f3e7d"
    assert encode_varint(151288809941952652).hex() == "c2197c5eff14e88c"
    assert [varint_length(v) for v in (63, 64, 16383, 16384)] == [1, 2, 2, 4]
    with pytest.raises(ValueError):
        encode_varint(1 << 62)


def test_packet_headers():
    assert quic.short_header_bytes() == 1 + 8 + 2
    assert quic.packet_overhead_bytes("1rtt") == 11 + 16
    # flags, version, DCID len + 8, SCID len + 8, token length, Length, packet number
    assert quic.long_header_bytes("initial") == 1 + 4 + 1 + 8 + 1 + 8 + 1 + 2 + 2
    assert quic.long_header_bytes("handshake") == 27
    assert quic.long_header_bytes("initial", token_bytes=100) == 28 + 1 + 100
    assert quic.datagram_wire_bytes(1200) == 1228
    assert quic.datagram_wire_bytes(1200, ip="6") == 1248
    with pytest.raises(ValueError):
        quic.long_header_bytes("1rtt")


def test_frames():
    assert quic.crypto_frame_header_bytes(0, 300) == 1 + 1 + 2
    assert quic.stream_frame_header_bytes(0, 0, None) == 2
    assert quic.stream_frame_header_bytes(4, 100, 50) == 1 + 1 + 2 + 1


def test_transport_parameters():
    # 9 parameters: seven varint limits, the 8-byte source connection id
    size = quic.transport_parameters_bytes(quic.CLIENT_TRANSPORT_PARAMETERS)
    assert size == 4 + (2 + 4) + 3 * (2 + 4) + (2 + 4) + 2 * (2 + 2) + (2 + 1) + (2 + 8)
    assert quic.transport_parameters_bytes({0x02: b"\0" * 16}) == 4 + 2 + 16


def test_one_rtt_handshake():
    hs = quic.handshake()
    assert hs.client_first == [1200]  # the ClientHello's Initial, padded (RFC 9000 14.1)
    assert hs.client_second == [1200]  # it has an Initial (an ACK): padded too
    assert hs.server_first[0] == 1200 and all(d <= 1200 for d in hs.server_first)
    crypto = hs.extra["server_hello"] + hs.extra["encrypted"]
    assert crypto + 3 * 27 < hs.server_bytes < crypto + 200
    assert hs.extra["encrypted"] > tls.CERTIFICATE_BYTES
    assert hs.round_trips == 1
    assert hs.server_bytes <= 3 * 1200  # within the anti-amplification limit
    client, server = hs.wire_bytes()
    assert client == hs.client_bytes + 2 * 28 and server == hs.server_bytes + 3 * 28


def test_large_certificate_costs_a_round_trip():
    hs = quic.handshake(certificate_bytes=5000)
    assert hs.server_bytes > 3 * 1200 and hs.round_trips == 2


def test_zero_rtt():
    hs = quic.handshake(zero_rtt=True, early_data_bytes=400)
    assert hs.round_trips == 0 and hs.client_first == [1200]
    assert hs.extra["encrypted"] < 200 and hs.server_first == [1200]  # no certificate
    big = quic.handshake(zero_rtt=True, early_data_bytes=2000)
    assert len(big.client_first) == 3 and big.client_first[:2] == [1200, 1200]


def test_pack_flight_splits_crypto_across_datagrams():
    sizes = quic.pack_flight([("handshake", 0, 3000)])
    assert len(sizes) == 3 and sizes[:2] == [1200, 1200]
    # CRYPTO frame headers: offset 0 takes one byte, the later offsets two
    assert sum(sizes) == 3000 + 3 * quic.packet_overhead_bytes("handshake") + 4 + 5 + 5


def test_stream_data_datagrams():
    assert quic.stream_data_datagrams(100) == [27 + 2 + 100]
    sizes = quic.stream_data_datagrams(3000, stream_id=4)
    assert sizes[:2] == [1200, 1200] and sum(sizes) - 3000 == 27 * 3 + 2 + 4 + 4


def test_data_further_along_its_stream_carries_the_offset():
    """RFC 9000 section 19.8: a STREAM frame has an Offset field unless its data starts
    the stream; a varint, so 1, 2 or 4 bytes more."""
    assert quic.stream_datagrams_at(207, 0) == quic.stream_datagrams(207)
    assert quic.stream_datagrams_at(207, 63) == (27 + 2 + 207 + 1,)
    assert quic.stream_datagrams_at(207, 80) == (27 + 2 + 207 + 2,)
    assert quic.stream_datagrams_at(207, 20_000) == (27 + 2 + 207 + 4,)
    # a full packet's data spills into a second one; both frames carry an offset
    full = 1200 - 27 - 2
    assert quic.stream_datagrams(full) == (1200,)
    assert quic.stream_datagrams_at(full, 100) == (1200, 27 + 2 + 2 + 2)


def test_http3_frames_and_control_stream():
    assert http3.frame_header_bytes(0x1, 60) == 2
    assert http3.frame_header_bytes(0x1, 64) == 3
    assert http3.data_frame_bytes(50) == 52
    assert http3.data_frame_bytes(100) == 103
    payload = http3.settings_payload(http3.DEFAULT_SETTINGS)
    assert payload.hex() == "01" + "5000" + "07" + "10" + "08" + "01" + "21" + "01"
    assert http3.control_stream_bytes() == 1 + 2 + len(payload)
    assert http3.goaway_bytes(4) == 3


def test_http3_repeated_requests():
    connection = http3.Connection()
    assert connection.setup["client"] == http3.control_stream_bytes() + 3 + 2
    request = headers.pad_to_http1(headers.request("poll-request", "3"), 700)
    sizes = [
        connection.message_bytes(request, stream_id=connection.open_stream()) for _ in range(5)
    ]
    assert connection.next_stream_id == 20
    (first, inserted), (second, none) = sizes[0], sizes[1]
    assert inserted > 400 and none == 0
    assert first == second < 25  # the first refers to its own insertions (may block)
    static = http3.Connection(settings={})
    assert static.setup == {"client": 3, "server": 3}
    size, encoder = static.message_bytes(request)
    assert encoder == 0 and size > 450


def test_http3_extended_connect_and_body():
    connection = http3.Connection()
    connect = headers.request("ws-upgrade-request", "3")
    size, _ = connection.message_bytes(connect)
    response = headers.response("ws-upgrade-response", "3")
    assert connection.message_bytes(response)[0] < size
    post = headers.request("http-post", "3", body_bytes=5000)
    with_body, _ = connection.message_bytes(post, 5000)
    assert with_body > 5000 + 3
