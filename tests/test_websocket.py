"""WebSocket: close handshake, reconnection with backoff, buffering, pings."""

import pytest

from simulation import run
from simulation.protocols import websocket as ws

from helpers import make_scenario

TICKS = {"kind": "periodic", "rate_per_s": 1.0, "start_s": 0.5, "payload_bytes": 100}


def ws_scenario(duration_s=2.7, transport=None, clients=1, **strategy):
    return make_scenario(
        clients=clients,
        duration_s=duration_s,
        network={"latency_s": 0.01},
        strategy={"kind": "websocket", "randomization_factor": 0.0, **strategy},
        transport=transport or {},
        workload=TICKS,
    )


@pytest.mark.parametrize("client", [0, 1])
def test_close_handshake_and_reconnect_trace(client):
    result = run(ws_scenario(clients=2, max_connection_s=1.0, reconnect_delay_s=0.5))
    t = result.transfers
    t = t[t["client"] == client].reset_index(drop=True)
    kinds = t["kind"].astype(str).tolist()
    assert kinds[:8] == [
        "tcp-syn",
        "tcp-syn-ack",
        "ws-upgrade-request",
        "ws-upgrade-response",  # 0.03: socket open at the server
        "ws-frame",  # update 0 at 0.5
        "ws-close",  # the server closes at 0.03 + 1.0
        "ws-close",  # the client echoes at 1.04
        "tcp-syn",  # 1.05 + 0.5: the client reconnects
    ]
    assert t["sent_at"].tolist()[:8] == pytest.approx([0, 0.01, 0.02, 0.03, 0.5, 1.03, 1.04, 1.55])
    assert t["overhead_bytes"].tolist()[5:7] == [4, 8]  # status code; + masking key
    connections = result.connections
    connections = connections[connections["client"] == client]
    # the second socket (open at 1.58) reaches its limit too: closed at 2.60
    assert connections["close_reason"].astype(str).tolist() == ["ws-close", "ws-close"]
    assert connections["closed_at"].tolist() == pytest.approx([1.05, 2.60])
    assert connections["ready_at"].tolist() == pytest.approx([0.04, 1.59])
    # update 1 (1.5) came while no socket was open: missed; update 2 (2.5) delivered
    d = result.deliveries
    assert d[d["client"] == client]["update_id"].tolist() == [0, 2]
    summary = result.summary()
    assert summary["missed_updates"] == 2  # one per client
    assert summary["reconnects"] == 2


def test_buffering_while_disconnected_delivers_late_instead_of_never():
    result = run(
        ws_scenario(max_connection_s=1.0, reconnect_delay_s=0.5, buffer_while_disconnected=True)
    )
    d = result.deliveries
    assert d["update_id"].tolist() == [0, 1, 2]
    # update 1 (1.5) waits for the new socket: 101 sent at 1.58, frame arrives 1.59
    assert d["latency_s"].tolist() == pytest.approx([0.01, 0.09, 0.01])
    assert result.summary()["missed_updates"] == 0


def test_failed_reconnections_back_off_exponentially_up_to_the_maximum():
    # A 5 ms idle timeout on a 10 ms path kills every connection before its SYN-ACK.
    result = run(ws_scenario(duration_s=25.0, transport={"idle_timeout_s": 0.005}))
    requested = result.connections["requested_at"].to_numpy()
    waits = requested[1:] - (requested[:-1] + 0.005)
    assert waits.tolist() == pytest.approx([1.0, 2.0, 4.0, 5.0, 5.0, 5.0])
    assert result.summary()["reconnects"] == 6


def test_randomization_spreads_reconnections():
    scenario = make_scenario(
        clients=200,
        duration_s=3.0,
        network={"latency_s": 0.01},
        strategy={"kind": "websocket", "max_connection_s": 1.0, "randomization_factor": 0.5},
        workload=TICKS,
    )
    connections = run(scenario).connections
    second = connections.groupby("client")["requested_at"].nth(1).to_numpy()
    waits = second - 1.05  # the close handshake ends at 1.05
    assert waits.min() >= 0.5 - 1e-9 and waits.max() <= 1.5 + 1e-9
    assert waits.std() > 0.2  # uniform on [0.5, 1.5] has sd 0.29


def test_pings_keep_an_idle_proxy_from_closing_the_socket():
    def closes(ping_interval_s):
        scenario = make_scenario(
            duration_s=60.0,
            network={"latency_s": 0.01},
            strategy={"kind": "websocket", "ping_interval_s": ping_interval_s},
            transport={"idle_timeout_s": 10.0},
            workload={"kind": "periodic", "rate_per_s": 0.02, "start_s": 55.0},
        )
        result = run(scenario)
        return (result.connections["close_reason"].astype(str) == "idle-timeout").sum(), result

    silent, _ = closes(float("inf"))
    assert silent >= 4
    pinged, result = closes(5.0)
    assert pinged == 0
    t = result.transfers
    pongs = t[t["kind"].astype(str) == "ws-pong"]
    assert len(pongs) == 11  # pings at 5.03, 10.03, ..., 55.03
    assert (pongs["overhead_bytes"] == ws.control_frame_bytes(0, masked=True)).all()
    assert result.deliveries["update_id"].tolist() == [0]
