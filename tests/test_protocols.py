import pytest

from simulation import load_scenario, run
from simulation.protocols import http, sse, tcp, tls
from simulation.protocols import websocket as ws
from simulation.protocols.kinds import CATEGORIES, KIND_CATEGORIES

from helpers import SCENARIOS


@pytest.mark.parametrize(
    ("payload", "masked", "expected"),
    [
        (0, False, 2),
        (125, False, 2),
        (126, False, 4),
        (65535, False, 4),
        (65536, False, 10),
        (0, True, 6),
        (125, True, 6),
        (126, True, 8),
        (65536, True, 14),
    ],
)
def test_frame_header_sizes_follow_rfc6455(payload, masked, expected):
    assert ws.frame_header_bytes(payload, masked) == expected


def test_negative_payload_is_refused():
    with pytest.raises(ValueError):
        ws.frame_header_bytes(-1, False)


def test_handshake_sizes_are_those_of_the_rfc_example():
    # "HTTP/1.1 101 Switching Protocols\r\n" (34) + "Upgrade: websocket\r\n" (20)
    # + "Connection: Upgrade\r\n" (21) + "Sec-WebSocket-Accept: " + 28 chars + "\r\n" (52)
    # + "\r\n" (2)
    assert ws.UPGRADE_RESPONSE_BYTES == 34 + 20 + 21 + 52 + 2
    # Upgrade (20) + Connection (21) + Sec-WebSocket-Key: 24 chars (45) + Version (27)
    assert ws.UPGRADE_REQUEST_EXTRA_BYTES == 20 + 21 + 45 + 27


def test_control_frames():
    assert ws.control_frame_bytes(0, masked=False) == 2  # server ping or pong
    assert ws.control_frame_bytes(0, masked=True) == 6  # client pong
    assert ws.control_frame_bytes(ws.CLOSE_STATUS_BYTES, masked=True) == 8  # client close
    with pytest.raises(ValueError):
        ws.control_frame_bytes(126, masked=False)


def test_chunked_encoding_overhead():
    # "64\r\n" + data + "\r\n" for 100 bytes; "1000\r\n" + data + "\r\n" for 4096
    assert http.chunk_overhead_bytes(100) == 4 + 2
    assert http.chunk_overhead_bytes(4096) == 6 + 2
    assert http.chunk_overhead_bytes(15) == 3 + 2
    assert http.LAST_CHUNK_BYTES == 5
    with pytest.raises(ValueError):
        http.chunk_overhead_bytes(0)


def test_sse_event_bytes_are_counted_from_the_text():
    assert sse.event_text("hello", "7", "tick") == "id: 7\nevent: tick\ndata: hello\n\n"
    assert sse.event_text("a\nb") == "data: a\ndata: b\n\n"
    # "data: " + payload + "\n" + "\n"
    assert sse.event_overhead_bytes() == 8
    # "id: 42\n" (7) + the above
    assert sse.event_overhead_bytes(event_id="42") == 15
    payload = "x" * 100
    assert len(sse.event_text(payload, "42").encode()) == 100 + sse.event_overhead_bytes("42")
    assert sse.retry_field_bytes(3000) == len("retry: 3000\n")


def test_tcp_segments_and_headers():
    assert tcp.segments(0, 1460) == 1
    assert tcp.segments(1460, 1460) == 1
    assert tcp.segments(1461, 1460) == 2
    assert tcp.packet_overhead_bytes(3000, 1460, 40) == 3 * 40


def test_tls_handshakes_have_the_documented_shape():
    tls12 = tls.handshake_flights("1.2")
    assert [d for d, _, _ in tls12] == ["up", "down", "up", "down"]
    assert tls.round_trips("1.2") == 2
    # ServerHello + Certificate + ServerKeyExchange + ServerHelloDone, 5-byte record each
    assert tls12[1][2] == 66 + 2540 + 338 + 4 + 4 * 5
    tls13 = tls.handshake_flights("1.3")
    assert [d for d, _, _ in tls13] == ["up", "down", "up"]
    assert tls.round_trips("1.3") == 1
    assert tls.handshake_flights("1.3", certificate_bytes=1000)[1][2] == tls13[1][2] - 1540
    assert tls.RECORD_OVERHEAD_BYTES == {"1.3": 22, "1.2": 29}
    with pytest.raises(ValueError):
        tls.handshake_flights("1.1")


def test_engineio_and_socketio_packets_match_the_protocol_documents():
    from simulation.protocols import engineio as eio

    text = eio.open_packet(25.0, 20.0, 1_000_000, ["websocket"])
    assert text == (
        '0{"sid":"xxxxxxxxxxxxxxxxxxxx","upgrades":["websocket"],"pingInterval":25000,'
        '"pingTimeout":20000,"maxPayload":1000000}'
    )
    client, server = eio.connect_packets()
    assert client == "40"
    assert server == '40{"sid":"xxxxxxxxxxxxxxxxxxxx"}'
    assert eio.connect_packets("/admin")[0] == "40/admin,"
    assert eio.socketio_packet(eio.EVENT, data='["chat","hello"]') == '42["chat","hello"]'
    assert eio.socketio_packet(eio.EVENT, "/admin", 12, '["x"]') == '42/admin,12["x"]'
    assert eio.ack_packet(12) == "4312[]"
    # 42["update",""] is 15 bytes around the payload
    assert eio.event_overhead_bytes("update") == len('42["update",""]') == 15
    assert eio.event_overhead_bytes("chat", ack_id=7) == len('427["chat",""]')
    assert eio.polling_body_bytes(["2", '42["a","b"]']) == 1 + 1 + 11


def test_every_kind_on_the_wire_is_declared_with_its_category():
    assert set(KIND_CATEGORIES.values()) <= set(CATEGORIES)
    seen = set()
    for path in sorted(SCENARIOS.glob("*.toml")):
        scenario = load_scenario(path)
        changes = {
            "duration_s": min(scenario.duration_s, 40.0),
            "warmup_s": 0.0,
            "record.level": "full",  # the transfers table
        }
        if scenario.clients > 1000 and not scenario.groups:
            changes["clients"] = 1000
        seen |= set(run(scenario.replace(changes), force=True).transfers["kind"].astype(str))
    assert seen <= set(KIND_CATEGORIES), seen - set(KIND_CATEGORIES)
    assert {"tcp-syn", "tls-client-hello", "ws-frame", "eio-ping", "poll-request"} <= seen
