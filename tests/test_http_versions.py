"""HTTP/1.1, HTTP/2 and HTTP/3: set-up round trips, header bytes, streams, loss.

Exact checks use a constant one-way latency L (RTT = 2L), no serialization delay and an
instant server, so every time is a whole number of round trips.
"""

from __future__ import annotations

import dataclasses

import hpack
import pytest

from simulation import ScenarioError, run
from simulation.messages import DOWN, UP, Message
from simulation.network import HttpParams
from simulation.protocols import http
from simulation.protocols import sse as sse_format
from simulation.protocols import websocket as ws
from simulation.protocols.wire import headers as hdr
from simulation.protocols.wire import http2, http3
from simulation.strategies import STRATEGIES
from simulation.transport.framing import HttpFraming, min_header_bytes

from helpers import make_scenario

L = 0.05
RTT = 2 * L
FAST = {"latency_s": L, "bandwidth_bps": 1e15}


def _first(kind_of_strategy: str, http: str, tls: str, phase_s=None, **transport):
    strategy = {"kind": kind_of_strategy}
    if phase_s is not None:
        strategy["phase_s"] = phase_s
    scenario = make_scenario(
        clients=1,
        duration_s=2.0,
        warmup_s=0.0,
        network=FAST,
        strategy=strategy,
        transport={"http": http, "tls": tls, **transport},
        workload={"kind": "periodic", "rate_per_s": 1.0},
    )
    return run(scenario)


@pytest.mark.parametrize(
    ("http", "tls", "extra", "round_trips"),
    [
        ("1.1", "1.3", {}, 3),  # TCP, TLS 1.3, Upgrade
        ("2", "1.3", {}, 3),  # TCP, TLS 1.3, extended CONNECT (SETTINGS came in 0.5 RTT)
        ("2", "none", {}, 3),  # h2c: TCP, the server's SETTINGS (sent on the preface), CONNECT
        ("3", "1.3", {}, 2),  # QUIC (TLS inside), CONNECT
        ("3", "1.3", {"quic_0rtt": True}, 1),  # the CONNECT goes with the Initial
    ],
)
def test_websocket_is_ready_after_the_round_trips_of_its_protocol(http, tls, extra, round_trips):
    result = _first("websocket", http, tls, **extra)
    ready = result.connections["ready_at"].iloc[0]
    assert ready == pytest.approx(round_trips * RTT, abs=1e-9)


@pytest.mark.parametrize(
    ("http", "tls", "extra", "round_trips"),
    [
        ("1.1", "1.3", {}, 3),
        ("2", "1.3", {}, 3),
        ("3", "1.3", {}, 2),
        ("3", "1.3", {"quic_0rtt": True}, 1),
    ],
)
def test_the_first_poll_is_answered_after_the_round_trips_of_its_protocol(
    http, tls, extra, round_trips
):
    result = _first("short-polling", http, tls, **extra, phase_s=0.0)
    transfers = result.transfers
    answer = transfers[transfers["kind"] == "poll-response"]["received_at"].min()
    assert answer == pytest.approx(round_trips * RTT, abs=1e-9)


def test_sse_with_ten_streams_per_client_waits_for_no_connection_on_http2():
    def stream_open_at(http):
        result = run(
            make_scenario(
                clients=2,
                duration_s=3.0,
                warmup_s=0.5,
                network=FAST,
                strategy={"kind": "sse", "other_tabs": 9},
                transport={"http": http, "tls": "1.3"},
                workload={"kind": "periodic", "rate_per_s": 1.0},
            )
        )
        transfers = result.transfers
        requests = transfers[transfers["kind"] == "sse-request"]
        return requests["sent_at"].to_numpy(), result.summary()

    sent_h1, summary_h1 = stream_open_at("1.1")
    sent_h2, summary_h2 = stream_open_at("2")
    assert len(sent_h1) == 0  # six connections, all held by other tabs: the tab starves
    assert summary_h1["deliveries"] == 0
    assert sent_h2 == pytest.approx([2 * RTT, 2 * RTT])  # with the other tabs, at set-up
    assert summary_h2["delivery_ratio"] == 1.0


def test_hpack_request_sizes_equal_the_hpack_package():
    framing = HttpFraming("2", HttpParams(), 4096)
    reference = hpack.Encoder()
    for _ in range(5):
        request = Message(0, UP, "poll-request", 0, 700, request=True)
        framed = framing.overhead_bytes(request, now=1.0)
        fields = framing.last_fields
        assert framed == len(reference.encode(list(fields), huffman=True)) + 9


def test_header_bytes_shrink_on_http2_and_http3_but_not_on_http11():
    def request_bytes(http, tls):
        result = _first("short-polling", http, tls)
        polls = result.transfers[result.transfers["kind"] == "poll-request"]
        return polls["overhead_bytes"].to_list()

    h1 = request_bytes("1.1", "1.3")
    h2 = request_bytes("2", "1.3")
    h3 = request_bytes("3", "1.3")
    assert set(h1) == {700}
    assert h2[0] > 400 and all(size < 40 for size in h2[1:])  # the table holds the rest
    assert h3[0] > 400 and all(size < 40 for size in h3[1:])


def test_a_lost_packet_stalls_every_stream_on_http2_and_only_its_own_on_http3():
    """Two clients' worth of work on one client: polls and an SSE stream."""

    def held_back(http):
        result = run(
            make_scenario(
                clients=20,
                duration_s=30.0,
                warmup_s=0.0,
                seed=4,
                network={"latency_s": L, "loss": 0.05, "bandwidth_bps": 1e9},
                strategy={"kind": "short-polling", "interval_s": 0.2},
                transport={"http": http, "tls": "1.3"},
                workload={"kind": "poisson", "rate_per_s": 5.0},
            )
        )
        transfers = result.transfers
        ok = transfers[~transfers["lost"]]
        return int(((ok["handed_at"] - ok["received_at"]) > 1e-9).sum())

    assert held_back("2") > 0  # responses wait behind lost ones on the shared TCP stream
    assert held_back("3") == 0  # each poll and response is its own QUIC stream


@pytest.mark.parametrize(
    ("transport", "words"),
    [
        ({"http": "3", "tls": "none"}, 'transport.tls = "1.3"'),
        ({"http": "2", "quic_0rtt": True}, 'transport.http = "3"'),
        ({"http": "2", "keep_alive": False}, "only HTTP/1.1"),
        ({"http": 2}, 'write it in quotes: "2"'),
        ({"http": "2", "tls": "1.3"}, None),
    ],
)
def test_each_http_version_says_what_it_needs(transport, words):
    if words is None:
        make_scenario(transport=transport)
        return
    with pytest.raises(ScenarioError, match=words.replace(".", r"\.")):
        make_scenario(transport=transport)


def test_headers_too_small_for_http2_are_refused_with_the_smallest_that_fits():
    smallest, _ = min_header_bytes("2", *STRATEGIES["short-polling"].http_heads)
    make_scenario(transport={"http": "2"}, http={"request_header_bytes": smallest})
    with pytest.raises(ScenarioError, match=f"at least {smallest}"):
        make_scenario(transport={"http": "2"}, http={"request_header_bytes": smallest - 1})


def test_the_numbers_the_model_page_quotes():
    """docs/model.md: the default poll request's bytes, first and repeated, and the
    HTTP/2 set-up bytes."""
    for version, first, after in (("2", 474, 25), ("3", 474, 20)):
        framing = HttpFraming(version, HttpParams(), 4096)
        sizes = [
            framing.overhead_bytes(Message(0, UP, "poll-request", 0, 700, request=True), 0.0)
            for _ in range(3)
        ]
        assert sizes == [first, after, after]
    assert HttpFraming("2", HttpParams(), 4096).setup_bytes() == (79, 30)


def test_sse_events_are_data_frames_on_http2_and_http3():
    fields = sse_format.event_overhead_bytes(event_id="7")
    chunked = fields + http.chunk_overhead_bytes(100 + fields)  # HTTP/1.1's framing
    data = http3.frame_header_bytes(http3.FRAME_TYPES["DATA"], 100 + fields)  # 1 + 2 varints
    for version, frame in (("2", 9), ("3", data)):  # DATA frame headers
        framing = HttpFraming(version, HttpParams(), 4096)
        event = Message(0, DOWN, "sse-event", 100, chunked)
        assert framing.overhead_bytes(event, now=0.0) == fields + frame


def test_websocket_frames_travel_in_data_frames():
    data = http3.frame_header_bytes(http3.FRAME_TYPES["DATA"], 102)  # type 1 + length 2
    for version, frame in (("2", 9), ("3", data)):
        framing = HttpFraming(version, HttpParams(), 4096)
        frame_up = Message(0, UP, "ws-frame-up", 96, 6)  # 2-byte header + 4-byte mask
        assert framing.overhead_bytes(frame_up, now=0.0) == 6 + frame


@pytest.mark.parametrize("kind", ["websocket", "sse"])
def test_on_http3_a_long_lived_streams_later_messages_carry_their_offset(kind):
    """Each WebSocket frame or SSE event after the 200 is further along its stream: its
    STREAM frame has an Offset field (RFC 9000 section 19.8), 2 bytes from offset 64."""
    from simulation.protocols.wire.primitives import varint_length
    from simulation.transport.transport import quic_transport_bytes

    result = _first(kind, "3", "1.3")
    transfers = result.transfers.sort_values("message_id")
    stream = transfers[transfers["kind"].str.startswith(("ws-", "sse-"))]
    down = stream[(stream["direction"] == "down") & ~stream["kind"].str.contains("request")]
    offset = 0
    frames = 0
    for row in down.itertuples():
        size = row.payload_bytes + row.overhead_bytes
        if row.kind in ("ws-frame", "sse-event"):  # the client's packets ask for no ACK
            assert row.transport_bytes - quic_transport_bytes(size) == varint_length(offset)
            frames += 1
        offset += size
    assert frames >= 1


def test_a_post_costs_what_the_wire_layer_says_a_request_with_a_body_costs():
    framing = HttpFraming("2", HttpParams(), 4096)
    reference = http2.Connection()
    # the cookie is sized on the empty-body list, so every POST carries the same one
    cookie = hdr.pad_to_http1(hdr.request("http-post", "2", 0, 0), 700).fields[-1]
    for body in (120, 5, 4000):
        post = Message(0, UP, "http-post", body, 700, request=True)
        request = hdr.request("http-post", "2", 0, body)
        request = dataclasses.replace(request, fields=(*request.fields, cookie))
        expected = reference.message_bytes(request, body_bytes=body)
        assert framing.overhead_bytes(post, now=0.0) == expected - body


def test_a_changing_content_length_costs_no_new_cookie():
    """Responses of every size after the first cost the same few bytes: only the date
    and the length change, never the padding cookie."""
    framing = HttpFraming("2", HttpParams(), 4096)
    sizes = [
        framing.overhead_bytes(Message(0, DOWN, "poll-response", body, 300, response=True), 0.5)
        for body in (5, 50, 99, 100, 200, 1000, 10)
    ]
    assert sizes[0] > 150 and max(sizes[1:]) <= 28


def test_socketio_polls_over_http2_and_upgrades_over_its_own_http11_connection():
    result = _first("socketio", "2", "1.3")
    transfers, connections = result.transfers, result.connections
    kinds = transfers.groupby("connection_id")["kind"].apply(set)
    websocket_id = connections.loc[connections["kind"] == "websocket", "connection_id"].iloc[0]
    polling_id = connections.loc[connections["kind"] != "websocket", "connection_id"].iloc[0]
    assert "h2-preface" in kinds[polling_id]  # engine.io's polling: on HTTP/2
    assert "h2-preface" not in kinds[websocket_id]  # its WebSocket: an HTTP/1.1 Upgrade
    upgrade = transfers[transfers["kind"] == "ws-upgrade-request"]["overhead_bytes"].iloc[0]
    assert upgrade == HttpParams().request_header_bytes + ws.UPGRADE_REQUEST_EXTRA_BYTES


def test_quic_probe_timeout_adds_the_ack_delay_and_has_no_floor():
    """RFC 9002 section 6.2.1: PTO = SRTT + max(4 RTTVAR, 1 ms) + max_ack_delay."""
    from simulation.transport.connection import QUIC_GRANULARITY_S, QUIC_MAX_ACK_DELAY_S
    from simulation.transport.recovery import RtoEstimator

    pto = RtoEstimator(1.0, 0.0, 60.0, QUIC_GRANULARITY_S, QUIC_MAX_ACK_DELAY_S)
    pto.sample(0.1)  # SRTT 0.1, RTTVAR 0.05
    assert pto.rto == pytest.approx(0.1 + 0.2 + 0.025)
    for _ in range(40):  # a steady path: RTTVAR shrinks towards 0
        pto.sample(0.1)
    assert pto.rto == pytest.approx(0.1 + 0.001 + 0.025, abs=1e-4)  # not TCP's 1 s floor
