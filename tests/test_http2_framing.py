"""HTTP/2 frame sizes (simulation.protocols.wire.http2), checked against the h2 library."""

import h2.config
import h2.connection
import h2.settings
import hpack as hpack_pkg
import pytest

from simulation.protocols.wire import headers, http2


def _client():
    config = h2.config.H2Configuration(client_side=True, header_encoding=None)
    connection = h2.connection.H2Connection(config)
    connection.initiate_connection()
    return connection


def test_preface_and_frame_constants():
    assert len(http2.PREFACE) == 24
    assert http2.FRAME_HEADER_BYTES == 9
    assert http2.PING_BYTES == 17 and http2.WINDOW_UPDATE_BYTES == 13
    assert http2.goaway_bytes() == 17 and http2.goaway_bytes(10) == 27
    assert http2.settings_bytes(http2.CHROME_SETTINGS) == 9 + 4 * 6 == 33
    assert len(http2.settings_payload(http2.CHROME_SETTINGS)) == 24
    assert http2.settings_payload({"ENABLE_PUSH": 0}) == bytes([0, 2, 0, 0, 0, 0])


def test_connection_preface_bytes():
    client, server = http2.connection_preface_bytes()
    assert client == 24 + 33 + 13 + 9
    assert server == 9 + 2 * 6 + 9


def test_client_preface_matches_h2():
    connection = _client()
    sent = connection.data_to_send()
    assert sent.startswith(http2.PREFACE)
    assert len(sent) == len(http2.PREFACE) + http2.settings_bytes(len(connection.local_settings))
    connection.increment_flow_control_window(http2.CHROME_CONNECTION_WINDOW_INCREMENT)
    assert len(connection.data_to_send()) == http2.WINDOW_UPDATE_BYTES
    connection.ping(b"12345678")
    assert len(connection.data_to_send()) == http2.PING_BYTES


@pytest.mark.parametrize(
    ("payload", "frames"), [(0, 1), (1, 1), (16_384, 1), (16_385, 2), (40_000, 3)]
)
def test_data_frames_split_at_max_frame_size(payload, frames):
    assert http2.frame_count(payload) == frames
    assert http2.data_bytes(payload) == payload + 9 * frames
    assert http2.data_bytes(payload, max_frame_size=1000) == payload + 9 * max(
        1, -(-payload // 1000)
    )


def test_data_frames_match_h2():
    connection = _client()
    connection.data_to_send()
    fields = headers.field_list(headers.request("http-post", "2", body_bytes=20_000))
    connection.send_headers(1, fields)
    connection.data_to_send()
    connection.send_data(1, b"x" * 16_384)
    connection.send_data(1, b"x" * 3_616, end_stream=True)
    assert len(connection.data_to_send()) == http2.data_bytes(20_000)


def test_header_block_continuation():
    assert http2.header_frames_bytes(100) == 109
    assert http2.header_frames_bytes(16_385) == 16_385 + 18


def test_requests_on_a_connection_match_h2():
    ours = http2.Connection(huffman="always")
    theirs = _client()
    theirs.data_to_send()
    request = headers.pad_to_http1(headers.request("poll-request", "2"), 700)
    for _ in range(4):
        stream_id = theirs.get_next_available_stream_id()
        assert ours.open_stream() == stream_id
        theirs.send_headers(stream_id, headers.field_list(request), end_stream=True)
        assert ours.message_bytes(request) == len(theirs.data_to_send())


def test_repeated_poll_requests_and_responses():
    request = headers.pad_to_http1(headers.request("poll-request", "2"), 700)
    sizes = http2.message_sizes([request] * 10)
    assert sizes[0] == 9 + len(hpack_pkg.Encoder().encode(headers.field_list(request)))
    assert sizes[1] == sizes[9] < 30
    connection = http2.Connection()
    responses = []
    for second in range(5):
        message = headers.response("poll-response", "2", now_s=second, body_bytes=100)
        responses.append(connection.message_bytes(headers.pad_to_http1(message, 300), 100))
    # the date changes every second: one literal each time, the rest indexed
    assert responses[1] == responses[4] < responses[0]
    assert 100 + 18 < responses[1] < 100 + 18 + 40


def test_header_priority_and_window_updates():
    request = headers.request("poll-request", "2")
    plain = http2.Connection().message_bytes(request)
    assert http2.Connection(header_priority=True).message_bytes(request) == plain + 5
    assert http2.window_updates(65_535) == 2
    assert http2.window_updates(10_000) == 0
    with pytest.raises(ValueError):
        http2.frame_count(-1)
