"""Tiny scenarios whose complete message trace is written out by hand."""

import pytest

from simulation import run
from simulation.protocols import websocket as ws

from helpers import make_scenario

COLUMNS = [
    "client",
    "direction",
    "kind",
    "sent_at",
    "received_at",
    "payload_bytes",
    "overhead_bytes",
    "transport_bytes",
    "updates",
]

# Two clients, 10 ms each way, infinite bandwidth; an update every second from t = 0.5.
TINY = {
    "clients": 2,
    "duration_s": 2.6,
    "network": {"latency_s": 0.01},
    "workload": {"kind": "periodic", "rate_per_s": 1.0, "start_s": 0.5, "payload_bytes": 100},
}
SYN = 60  # IP + TCP headers with the usual SYN options
HDR = 40  # IP + TCP headers of one data segment


def trace(result):
    rows = result.transfers[COLUMNS].astype({"direction": str, "kind": str})
    return [tuple(row) for row in rows.itertuples(index=False)]


def assert_trace(actual, expected):
    assert len(actual) == len(expected)
    for got, want in zip(actual, expected, strict=True):
        assert got[:3] == want[:3]
        assert got[3:5] == pytest.approx(want[3:5])
        assert got[5:] == want[5:]


def both_clients(*row):
    return [(0, *row), (1, *row)]


def test_short_polling_trace():
    scenario = make_scenario(**TINY, strategy={"kind": "short-polling", "phase_s": 0.25})
    result = run(scenario)
    req, resp = 700, 300
    expected = [
        # first poll due at 0.25: the pool opens a TCP connection first (one round trip)
        *both_clients("up", "tcp-syn", 0.25, 0.26, 0, 0, SYN, 0),
        *both_clients("down", "tcp-syn-ack", 0.26, 0.27, 0, 0, SYN, 0),
        *both_clients("up", "poll-request", 0.27, 0.28, 0, req, HDR, 0),
        *both_clients("down", "poll-response", 0.28, 0.29, 0, resp, HDR, 0),  # empty
        # later polls reuse the kept-alive connection
        *both_clients("up", "poll-request", 1.25, 1.26, 0, req, HDR, 0),
        *both_clients("down", "poll-response", 1.26, 1.27, 100, resp, HDR, 1),  # update 0
        *both_clients("up", "poll-request", 2.25, 2.26, 0, req, HDR, 0),
        *both_clients("down", "poll-response", 2.26, 2.27, 100, resp, HDR, 1),  # update 1
    ]
    assert_trace(trace(result), expected)
    assert result.transfers["empty"].tolist() == [False] * 6 + [True] * 2 + [False] * 8
    deliveries = result.deliveries
    assert deliveries["update_id"].tolist() == [0, 0, 1, 1]
    assert deliveries["client"].tolist() == [0, 1, 0, 1]
    assert deliveries["latency_s"].tolist() == pytest.approx([0.77, 0.77, 0.77, 0.77])
    summary = result.summary()
    assert summary["updates"] == 3  # the third (t = 2.5) is still queued at the end
    assert summary["requests"] == 6
    assert summary["empty_responses"] == 2
    assert summary["empty_fraction"] == pytest.approx(2 / 6)
    assert summary["handshake_bytes"] == 4 * SYN
    assert summary["wire_bytes"] == 4 * SYN + 6 * (req + HDR) + 6 * (resp + HDR) + 4 * 100
    assert summary["peak_connections"] == 2
    connections = result.connections
    assert connections["requested_at"].tolist() == [0.25, 0.25]
    assert connections["opened_at"].tolist() == pytest.approx([0.27, 0.27])


def test_websocket_trace():
    scenario = make_scenario(**TINY, strategy={"kind": "websocket"})
    result = run(scenario)
    upgrade = 700 + ws.UPGRADE_REQUEST_EXTRA_BYTES
    switching = ws.UPGRADE_RESPONSE_BYTES
    expected = [
        *both_clients("up", "tcp-syn", 0.0, 0.01, 0, 0, SYN, 0),
        *both_clients("down", "tcp-syn-ack", 0.01, 0.02, 0, 0, SYN, 0),
        *both_clients("up", "ws-upgrade-request", 0.02, 0.03, 0, upgrade, HDR, 0),
        *both_clients("down", "ws-upgrade-response", 0.03, 0.04, 0, switching, HDR, 0),
    ]
    for created in (0.5, 1.5, 2.5):
        expected += both_clients("down", "ws-frame", created, created + 0.01, 100, 2, HDR, 1)
    assert_trace(trace(result), expected)
    assert result.deliveries["latency_s"].tolist() == pytest.approx([0.01] * 6)
    connections = result.connections
    assert connections["opened_at"].tolist() == pytest.approx([0.02, 0.02])
    assert connections["ready_at"].tolist() == pytest.approx([0.04, 0.04])
    assert connections["requested_at"].tolist() == [0.0, 0.0]
    assert result.summary()["requests"] == 2


def test_half_duplex_polling_pays_turnaround_on_every_direction_change():
    scenario = make_scenario(
        **{
            **TINY,
            "clients": 1,
            "duration_s": 1.5,
            "network": {"mode": "half-duplex", "latency_s": 0.01, "turnaround_s": 0.005},
        },
        strategy={"kind": "short-polling", "phase_s": 0.25},
    )
    result = run(scenario)
    t = result.transfers
    assert (
        t["kind"].astype(str).tolist()
        == ["tcp-syn", "tcp-syn-ack"]
        + [
            "poll-request",
            "poll-response",
        ]
        * 2
    )
    # The SYN is the medium's first use (no turnaround); every later message changes the
    # direction, so it waits for the medium to be idle, then 5 ms of turnaround.
    assert t["started_at"].tolist() == pytest.approx([0.25, 0.265, 0.28, 0.295, 1.255, 1.27])
    assert t["received_at"].tolist() == pytest.approx([0.26, 0.275, 0.29, 0.305, 1.265, 1.28])
    assert result.deliveries["latency_s"].tolist() == pytest.approx([0.78])


def test_stream_runs_on_simplex():
    scenario = make_scenario(
        **{**TINY, "network": {"mode": "simplex", "latency_s": 0.01}},
        strategy={"kind": "stream", "frame_overhead_bytes": 4},
    )
    result = run(scenario)
    assert set(result.transfers["direction"].astype(str)) == {"down"}
    assert result.transfers["overhead_bytes"].tolist() == [4] * 6
    assert result.transfers["transport_bytes"].tolist() == [0] * 6  # no connection
    assert result.deliveries["latency_s"].tolist() == pytest.approx([0.01] * 6)
