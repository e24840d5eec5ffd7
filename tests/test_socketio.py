"""Socket.IO: the Engine.IO handshake, upgrade, heartbeats, acknowledgements, reconnection.

Byte counts are worked out from the packet text (Engine.IO v4, Socket.IO v5).
"""

import pytest

from simulation import run
from simulation.protocols import engineio as eio

from helpers import make_scenario

OPEN_TEXT = eio.open_packet(25.0, 20.0, 1_000_000, ["websocket"])
SID_ANSWER = '40{"sid":"xxxxxxxxxxxxxxxxxxxx"}'


def scenario(transports, duration_s=0.5, **extra):
    return make_scenario(
        duration_s=duration_s,
        network={"latency_s": 0.01},
        strategy={"kind": "socketio", "transports": transports, **extra},
        workload={
            "kind": "periodic",
            "rate_per_s": 1.0,
            "start_s": 0.3,
            "payload_bytes": 10,
            "up": {"kind": "periodic", "rate_per_s": 1.0, "start_s": 0.35, "payload_bytes": 100},
        },
    )


def rows(result):
    t = result.transfers
    return list(zip(t["kind"].astype(str), t["sent_at"].round(6), t["overhead_bytes"], strict=True))


def test_polling_handshake_then_upgrade_to_websocket():
    result = run(scenario(["polling", "websocket"]))
    kinds = [k for k, _, _ in rows(result) if not k.startswith("tcp-")]
    assert kinds[:12] == [
        "eio-handshake",  # GET ...transport=polling, 0.02 (after TCP)
        "eio-open",  # 0{"sid":...}
        "eio-post",  # POST 40: CONNECT to "/"
        "eio-post-ok",
        "ws-upgrade-request",  # the WebSocket, on a second connection
        "eio-poll",  # the first GET gets the queued CONNECT answer
        "ws-upgrade-response",
        "eio-poll-response",
        "eio-probe",  # 2probe
        "eio-poll",  # held
        "eio-probe",  # 3probe
        "eio-upgrade",  # 5: from now on, the WebSocket
    ]
    by_kind = {}
    for kind, sent, overhead in rows(result):
        by_kind.setdefault(kind, []).append((sent, overhead))
    assert by_kind["eio-open"] == [(0.03, 300 + len(OPEN_TEXT))]
    assert by_kind["eio-post"][0] == (0.04, 700 + len("40"))
    assert by_kind["eio-poll-response"] == [
        (0.07, 300 + len(SID_ANSWER)),  # the CONNECT answer
        (0.11, 300 + len("6")),  # the noop that ends the held GET when the upgrade lands
    ]
    probe_up, probe_down = by_kind["eio-probe"]
    assert probe_up == (0.08, len("2probe") + 2 + 4)  # masked client frame
    assert probe_down == (0.09, len("3probe") + 2)
    assert by_kind["eio-upgrade"] == [(0.1, 1 + 2 + 4)]
    # an update of 10 bytes: 42["update","pppppppppp"] in one frame
    assert by_kind["sio-event"][0] == (0.3, eio.event_overhead_bytes("update") + 2)
    connections = result.connections
    assert connections.loc[connections["kind"] == "websocket", "ready_at"].tolist() == [
        pytest.approx(0.08)
    ]
    d = result.deliveries
    assert d["latency_s"].tolist() == pytest.approx([0.01, 0.01])  # down and up


def test_python_socketio_upgrades_at_once_on_the_same_connection():
    result = run(
        make_scenario(
            duration_s=0.5,
            network={"latency_s": 0.01},
            http={"upgrade_response_bytes": 200},
            strategy={
                "kind": "socketio",
                "transports": ["polling", "websocket"],
                "client_library": "python-socketio",
            },
            workload={"kind": "periodic", "rate_per_s": 1.0, "start_s": 0.3, "payload_bytes": 10},
        )
    )
    assert [(k, sent) for k, sent, _ in rows(result)] == [
        ("tcp-syn", 0.0),
        ("tcp-syn-ack", 0.01),
        ("eio-handshake", 0.02),  # GET ...transport=polling
        ("eio-open", 0.03),
        ("ws-upgrade-request", 0.04),  # at once, on the same kept-alive connection
        ("ws-upgrade-response", 0.05),
        ("eio-probe", 0.06),
        ("eio-probe", 0.07),
        ("eio-upgrade", 0.08),
        ("sio-connect", 0.08),  # CONNECT only now, over the WebSocket
        ("sio-connect", 0.09),
        ("sio-event", 0.3),
    ]
    assert len(result.connections) == 1
    response = result.transfers[result.transfers["kind"] == "ws-upgrade-response"]
    assert response["overhead_bytes"].tolist() == [200]  # [http] upgrade_response_bytes
    assert result.deliveries["latency_s"].tolist() == pytest.approx([0.01])


def test_polling_only_carries_events_in_poll_responses_and_emits_in_posts():
    result = run(scenario(["polling"]))
    t = result.transfers
    responses = t[t["kind"].astype(str) == "eio-poll-response"]
    # the held GET is answered the moment the update exists
    assert responses["sent_at"].tolist()[1] == pytest.approx(0.3)
    assert responses["overhead_bytes"].tolist()[1] == 300 + eio.event_overhead_bytes("update")
    posts = t[t["kind"].astype(str) == "eio-post"]
    assert posts["overhead_bytes"].tolist()[1] == 700 + eio.event_overhead_bytes(
        "message", ack_id=0
    )
    # the acknowledgement 430[] comes back in the next poll response
    assert responses["overhead_bytes"].tolist()[2] == 300 + len("430[]")
    assert result.summary()["ack_rtt_mean_s"] == pytest.approx(0.02)
    assert "ws-upgrade-request" not in set(t["kind"].astype(str))


@pytest.mark.parametrize("library, first_id", [("socket.io-client", 0), ("python-socketio", 1)])
def test_each_client_library_numbers_its_acks_from_its_own_start(library, first_id):
    # emits at 10 per second from 0.3 s: ids first_id, first_id + 1, ..., in each emit's
    # text; the tenth id has two digits with python-socketio and one with socket.io-client
    result = run(
        make_scenario(
            duration_s=1.5,
            network={"latency_s": 0.01},
            strategy={"kind": "socketio", "transports": ["websocket"], "client_library": library},
            workload={
                "kind": "periodic",
                "rate_per_s": 0.1,
                "start_s": 5.0,
                "up": {"kind": "periodic", "rate_per_s": 10.0, "start_s": 0.3, "payload_bytes": 5},
            },
        )
    )
    t = result.transfers
    emits = t[(t["kind"].astype(str) == "sio-event") & (t["direction"] == "up")]
    # + a client frame's 6-byte header (2 + the 4-byte mask, RFC 6455 section 5.2)
    expected = [eio.event_overhead_bytes("message", ack_id=first_id + k) + 6 for k in range(10)]
    assert emits["overhead_bytes"].tolist()[:10] == expected
    assert expected[9] - expected[0] == (1 if library == "python-socketio" else 0)
    acks = t[t["kind"].astype(str) == "sio-ack"]  # server frames: a 2-byte header
    assert acks["overhead_bytes"].tolist()[:10] == [
        len(f"43{first_id + k}[]") + 2 for k in range(10)
    ]


def test_websocket_only_gets_the_open_packet_as_its_first_frame():
    result = run(scenario(["websocket"]))
    kinds = [k for k, _, _ in rows(result)]
    assert kinds[:7] == [
        "tcp-syn",
        "tcp-syn-ack",
        "ws-upgrade-request",
        "ws-upgrade-response",
        "eio-open",
        "sio-connect",  # 40 from the client
        "sio-connect",  # 40{"sid":...} from the server
    ]
    t = result.transfers
    open_frame = t[t["kind"].astype(str) == "eio-open"]
    text = eio.open_packet(25.0, 20.0, 1_000_000, [])  # nothing to upgrade to
    assert open_frame["overhead_bytes"].tolist() == [len(text) + 2]
    assert result.summary()["ack_rtt_mean_s"] == pytest.approx(0.02)  # one round trip


def test_heartbeats_every_ping_interval():
    result = run(scenario(["polling", "websocket"], duration_s=30.0, ping_interval_s=5.0))
    t = result.transfers
    pings = t[t["kind"].astype(str) == "eio-ping"]
    pongs = t[t["kind"].astype(str) == "eio-pong"]
    # the first ping 5 s after the session opens (0.03), each next one 5 s after the pong
    # arrives (one round trip, 0.02 s, later): 5.03, 10.05, 15.07, ...
    assert pings["sent_at"].tolist() == pytest.approx([5.03, 10.05, 15.07, 20.09, 25.11])
    assert (pongs["overhead_bytes"] == 1 + 2 + 4).all()  # "3" in a masked frame
    assert result.summary()["reconnects"] == 0


def test_a_silent_server_is_detected_and_the_client_reconnects():
    s = make_scenario(
        duration_s=30.0,
        network={"latency_s": 0.01},
        strategy={
            "kind": "socketio",
            "ping_interval_s": 2.0,
            "ping_timeout_s": 1.0,
            "randomization_factor": 0.0,
        },
        faults={"outages": [{"start_s": 5.0, "duration_s": 10.0}]},
        workload={"rate_per_s": 1.0},
    )
    result = run(s)
    reasons = set(result.connections["close_reason"].astype(str))
    assert reasons & {"ping-timeout", "pong-timeout"}
    summary = result.summary()
    assert summary["reconnects"] >= 1
    assert summary["missed_updates"] > 0  # emitted while the session was gone
    late = result.deliveries[result.deliveries["created_at"] > 20.0]
    assert len(late) > 0  # back in service after the outage


def test_a_server_restart_drops_sessions_and_clients_come_back():
    s = make_scenario(
        clients=20,
        duration_s=10.0,
        network={"latency_s": 0.01},
        strategy={"kind": "socketio"},
        faults={"server_restarts_s": [4.0]},
        workload={"rate_per_s": 2.0},
    )
    summary = run(s).summary()
    assert summary["reconnects"] == 20
    assert 0 < summary["recovery_max_s"] < 2.5  # backoff 0.5-1.5 s, then the handshake


def chat(tmp_path, rows, rooms, clients=4, cost=0.0, duration_s=3.0):
    """A chat whose server writes each copy of a message in ``cost`` s, one after the
    other (``[server] push_time_s``, serial)."""
    trace = tmp_path / "messages.csv"
    trace.write_text("time_s,client,payload_bytes\n" + "".join(f"{r}\n" for r in rows))
    return run(
        make_scenario(
            clients=clients,
            duration_s=duration_s,
            network={"latency_s": 0.01},
            server={"push_time_s": cost, "push_fanout": "serial"},
            strategy={
                "kind": "socketio",
                "transports": ["websocket"],
                "rooms": rooms,
            },
            workload={
                "rate_per_s": 0.01,
                "start_s": 100.0,
                "up": {"kind": "trace", "trace_csv": str(trace)},
            },
        )
    )


def test_a_room_message_reaches_every_other_member_once(tmp_path):
    rooms = [{"name": "a", "members": 3}, {"name": "b", "first_client": 2, "members": 2}]
    result = chat(tmp_path, ["1.0,2,10", "2.0,0,10"], rooms, cost=0.001)
    d = result.deliveries
    down = d[d["direction"] == "down"]
    # client 2 is in both rooms: its message goes to 0 and 1 (room a) and 3 (room b),
    # once each, never back to 2; client 0's goes to 1 and 2 (room a)
    first = down[down["created_at"] == 1.0]
    assert first["client"].tolist() == [0, 1, 3]
    # it reaches the server at 1.01; writes at 1.011, 1.012, 1.013; arrive 10 ms later
    assert first["delivered_at"].tolist() == pytest.approx([1.021, 1.022, 1.023])
    second = down[down["created_at"] == 2.0]
    assert second["client"].tolist() == [1, 2]
    summary = result.summary()
    assert summary["broadcasts"] == 2
    assert summary["fanout_first_mean_s"] == pytest.approx(0.021)
    assert summary["fanout_last_mean_s"] == pytest.approx((0.023 + 0.022) / 2)
    assert summary["room_a_deliveries"] == 4  # 0, 1 and then 1, 2
    assert summary["room_b_deliveries"] == 2  # 3 and then 2
    assert summary["duplicate_deliveries"] == 0


def test_fan_out_delays_the_last_recipient_by_the_size_of_the_room(tmp_path):
    rooms = [{"name": "big", "members": 50}]
    result = chat(tmp_path, ["1.0,0,10"], rooms, clients=50, cost=0.001)
    down = result.deliveries[result.deliveries["direction"] == "down"]
    spread = down["delivered_at"].max() - down["delivered_at"].min()
    assert spread == pytest.approx(48 * 0.001)  # 49 recipients, one write apart
    assert len(down) == 49


@pytest.mark.parametrize(
    ("rooms", "message"),
    [
        ([{"name": "a", "members": 0}], r"rooms\[0\]\.members: must be >= 1, got 0"),
        ([{"name": "a", "members": 2}, {"name": "a", "members": 1}], r"rooms\[1\]\.name: .*unique"),
        ([{"name": "a", "members": 2, "size": 3}], r"rooms\[0\]: unknown key 'size'"),
        ({"name": "a"}, "expected a list of tables"),
    ],
)
def test_bad_rooms_are_explained(rooms, message):
    from simulation import ScenarioError

    with pytest.raises(ScenarioError, match=message):
        make_scenario(strategy={"kind": "socketio", "rooms": rooms})


def rooms_scenario(update_rooms, **strategy):
    return make_scenario(
        clients=4,
        duration_s=3.0,
        network={"latency_s": 0.01},
        strategy={
            "kind": "socketio",
            "transports": ["websocket"],
            "rooms": [{"name": "a", "members": 3}, {"name": "b", "first_client": 2, "members": 2}],
            "update_rooms": update_rooms,
            **strategy,
        },
        workload={"kind": "periodic", "rate_per_s": 1.0, "start_s": 0.5},
    )


@pytest.mark.parametrize(("update_rooms", "clients"), [(["b"], [2, 3]), (["a", "b"], [0, 1, 2, 3])])
def test_server_updates_go_to_rooms_each_socket_once(update_rooms, clients):
    result = run(rooms_scenario(update_rooms))
    d = result.deliveries
    for _update_id, group in d.groupby("update_id"):
        assert sorted(group["client"]) == clients  # client 2, in both rooms, gets one copy
    summary = result.summary()
    assert summary["expected_deliveries"] == 3 * len(clients)
    assert summary["delivery_ratio"] == 1.0


def test_unknown_update_rooms_are_refused():
    from simulation import ScenarioError

    with pytest.raises(
        ScenarioError, match=r"update_rooms: names rooms that do not exist: \['c'\]"
    ):
        rooms_scenario(["c"])


def recovery(**strategy):
    return run(
        make_scenario(
            duration_s=6.0,
            network={"latency_s": 0.01},
            strategy={
                "kind": "socketio",
                "transports": ["websocket"],
                "randomization_factor": 0.0,
                **strategy,
            },
            faults={"server_restarts_s": [2.0]},
            workload={"kind": "periodic", "rate_per_s": 4.0, "start_s": 0.125},
        )
    )


def test_connection_state_recovery_delivers_what_was_emitted_while_away():
    # sessions drop at 2.0; the client is back 1 s later (+ set-up): the updates at 2.125,
    # ..., 3.0 are emitted while it is away
    plain = recovery().summary()
    assert plain["missed_updates"] >= 4
    recovered = recovery(connection_state_recovery=True).summary()
    assert recovered["recovered_updates"] == plain["missed_updates"]
    assert recovered["missed_updates"] == 0
    assert recovered["deliveries"] == plain["deliveries"] + plain["missed_updates"]


def test_recovery_gives_up_after_the_maximum_disconnection():
    late = recovery(connection_state_recovery=True, max_disconnection_s=0.5).summary()
    assert late["recovered_updates"] == 0
    assert late["missed_updates"] == recovery().summary()["missed_updates"]


def test_upgrade_and_heartbeat_bytes_are_counted_as_such():
    from simulation.metrics import byte_breakdown

    result = run(scenario(["polling", "websocket"], duration_s=30.0, ping_interval_s=5.0))
    t = result.transfers
    parts = byte_breakdown(t)
    kinds = t["kind"].astype(str)
    total = t["payload_bytes"] + t["overhead_bytes"] + t["transport_bytes"]
    assert parts["heartbeats"] == total[kinds.isin(["eio-ping", "eio-pong"])].sum() > 0
    engine = kinds.isin(["eio-handshake", "eio-open", "eio-probe", "eio-upgrade"])
    assert parts["handshakes"] >= total[engine].sum() > 0
    assert sum(parts.values()) == total.sum()
