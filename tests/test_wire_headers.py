"""Header lists per message kind (simulation.protocols.wire.headers)."""

import pytest

from simulation.protocols import http, websocket
from simulation.protocols.wire import headers

REQUESTS = ["poll-request", "lp-request", "sse-request", "eio-handshake", "eio-poll"]
REQUESTS += ["http-post", "eio-post", "ws-upgrade-request"]
RESPONSES = ["poll-response", "lp-response", "sse-response", "eio-poll-response", "eio-open"]
RESPONSES += ["eio-post-ok", "http-post-response", "ws-upgrade-response"]


@pytest.mark.parametrize("kind", REQUESTS)
def test_requests_fit_under_the_default_request_header_bytes(kind):
    message = headers.request(kind, body_bytes=40)
    size = headers.http1_size(message)
    assert 450 < size < http.DEFAULT_REQUEST_HEADER_BYTES
    padded = headers.pad_to_http1(message, http.DEFAULT_REQUEST_HEADER_BYTES)
    assert headers.http1_size(padded) == http.DEFAULT_REQUEST_HEADER_BYTES
    assert padded.fields[-1][0] == "cookie"


@pytest.mark.parametrize("kind", RESPONSES)
def test_responses_fit_under_the_default_response_header_bytes(kind):
    message = headers.response(kind, body_bytes=40)
    assert 100 < headers.http1_size(message) < http.DEFAULT_RESPONSE_HEADER_BYTES
    padded = headers.pad_to_http1(message, http.DEFAULT_RESPONSE_HEADER_BYTES)
    assert headers.http1_size(padded) == http.DEFAULT_RESPONSE_HEADER_BYTES
    assert padded.fields[-1][0] == "set-cookie"


def test_http1_text_is_the_wire_form():
    text = headers.http1_text(headers.request("poll-request"))
    assert text.startswith("GET /poll HTTP/1.1\r\nhost: rt.example.com\r\n")
    assert text.endswith("\r\n\r\n") and text.count("\r\n\r\n") == 1
    response = headers.http1_text(headers.response("poll-response", now_s=61.5))
    assert response.startswith("HTTP/1.1 200 OK\r\ndate: Tue, 14 May 2024 10:01:01 GMT\r\n")


def test_websocket_upgrade_matches_rfc6455_lines():
    request = headers.http1_text(headers.request("ws-upgrade-request"))
    for line in websocket._UPGRADE_REQUEST_LINES.lower().split("\r\n")[:-1]:
        assert line in request.lower()
    response = headers.response("ws-upgrade-response")
    assert response.status == 101
    assert ("sec-websocket-accept", headers.WS_ACCEPT) in response.fields


@pytest.mark.parametrize("version", ["2", "3"])
def test_extended_connect_for_websocket(version):
    fields = headers.field_list(headers.request("ws-upgrade-request", version))
    assert fields[:5] == [
        (":method", "CONNECT"),
        (":authority", headers.AUTHORITY),
        (":scheme", "https"),
        (":path", "/ws"),
        (":protocol", "websocket"),
    ]
    names = {name for name, _ in fields}
    assert not names & {"upgrade", "connection", "sec-websocket-key"}
    assert "sec-websocket-version" in names
    response = headers.field_list(headers.response("ws-upgrade-response", version, 61.5))
    assert response[0] == (":status", "200")
    # a 2xx from an origin server carries its Date (RFC 9110 section 6.6.1)
    assert response[1] == ("date", "Tue, 14 May 2024 10:01:01 GMT")


def test_field_lists_drop_connection_specific_fields():
    for kind in REQUESTS[:-1]:
        fields = headers.field_list(headers.request(kind))
        assert [n for n, _ in fields[:4]] == [":method", ":authority", ":scheme", ":path"]
        assert not {n for n, _ in fields} & headers.CONNECTION_SPECIFIC
    sse = headers.field_list(headers.response("sse-response"))
    assert ("transfer-encoding", "chunked") not in sse and sse[0] == (":status", "200")


def test_varying_values():
    first, second = headers.request("eio-poll", seq=0), headers.request("eio-poll", seq=1)
    assert first.path != second.path and len(first.path) == len(second.path)
    assert headers.response("poll-response", now_s=0.2) == headers.response("poll-response")
    post = headers.request("http-post", body_bytes=1234)
    assert ("content-length", "1234") in post.fields and post.method == "POST"


def test_padding_errors_and_filler():
    message = headers.request("poll-request")
    size = headers.http1_size(message)
    assert headers.pad_to_http1(message, size) is message
    with pytest.raises(ValueError, match="alone is"):
        headers.pad_to_http1(message, size - 1)
    with pytest.raises(ValueError):
        headers.pad_to_http1(message, size + 5)
    assert headers.filler_value(100) == headers.filler_value(100)
    assert len(headers.filler_value(100)) == 100
    with pytest.raises(ValueError):
        headers.request("nope")
