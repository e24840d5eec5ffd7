import pytest

from simulation.protocols import websocket as ws


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
