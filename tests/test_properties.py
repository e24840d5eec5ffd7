"""Properties that hold for every scenario, checked on random small ones (hypothesis)."""

import os

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulation import parse_scenario, run

EPS = 1e-9


@st.composite
def scenarios(draw):
    mode = draw(st.sampled_from(["simplex", "half-duplex", "full-duplex"]))
    kinds = (
        ["stream"]
        if mode == "simplex"
        else ["short-polling", "long-polling", "sse", "websocket", "socketio", "stream"]
    )
    kind = draw(st.sampled_from(kinds))
    latency = draw(
        st.one_of(
            st.floats(0.0, 0.2),
            st.builds(lambda m: {"dist": "exponential", "mean": m}, st.floats(0.001, 0.2)),
        )
    )
    network = {
        "mode": mode,
        "latency_s": latency,
        "bandwidth_bps": draw(st.sampled_from([float("inf"), 2e4, 1e5, 1e7])),
        "loss": draw(st.sampled_from([0.0, 0.0, 0.05, 0.3])),
        "jitter_s": draw(st.sampled_from([0.0, 0.02])),
        "queue_bytes": draw(st.sampled_from([float("inf"), 3000.0])),
    }
    if mode == "half-duplex":
        network["turnaround_s"] = draw(st.sampled_from([0.0, 0.01]))
    strategy = {"kind": kind}
    if kind == "short-polling":
        strategy["interval_s"] = draw(st.floats(0.05, 2.0))
    if kind == "long-polling":
        strategy["hold_timeout_s"] = draw(st.floats(0.1, 5.0))
        strategy["reconnect_delay_s"] = draw(st.sampled_from([0.0, 0.1]))
    if kind == "websocket":
        strategy["ping_interval_s"] = draw(st.sampled_from([float("inf"), 0.3]))
        strategy["max_connection_s"] = draw(st.sampled_from([float("inf"), 1.0]))
        strategy["reconnect_delay_s"] = draw(st.sampled_from([0.0, 0.2]))
        strategy["buffer_while_disconnected"] = draw(st.booleans())
    if kind == "socketio":
        strategy["transports"] = draw(
            st.sampled_from([["polling", "websocket"], ["polling"], ["websocket"]])
        )
        strategy["client_library"] = draw(st.sampled_from(["socket.io-client", "python-socketio"]))
        strategy["ping_interval_s"] = draw(st.sampled_from([0.3, 25.0]))
        strategy["ping_timeout_s"] = draw(st.sampled_from([0.2, 20.0]))
        strategy["reconnection_delay_s"] = draw(st.sampled_from([0.0, 0.2]))
        strategy["rooms"] = draw(
            st.sampled_from(
                [
                    [],
                    [{"name": "a", "members": 3}],
                    [{"name": "a", "members": 2}, {"name": "b", "first_client": 1, "members": 2}],
                ]
            )
        )
        if strategy["rooms"]:
            strategy["update_rooms"] = draw(st.sampled_from([[], ["a"]]))
        strategy["connection_state_recovery"] = draw(st.booleans())
        strategy["max_disconnection_s"] = draw(st.sampled_from([0.5, 120.0]))
    if kind == "sse":
        strategy["retry_s"] = draw(st.sampled_from([0.0, 0.5]))
        strategy["max_stream_s"] = draw(st.sampled_from([float("inf"), 1.0]))
        strategy["history_size"] = draw(st.sampled_from([0, 3, 1000]))
    transport = {}
    if kind != "stream":
        rto_s = draw(st.sampled_from([0.2, 1.0]))
        transport = {
            "tls": draw(st.sampled_from(["none", "1.2", "1.3"])),
            "keep_alive": draw(st.booleans()),
            "max_connections_per_host": draw(st.integers(1, 6)),
            "rto_s": rto_s,
            "rto_min_s": draw(st.sampled_from(sorted({0.2, rto_s}))),
            "idle_timeout_s": draw(st.sampled_from([float("inf"), 0.5, 3.0])),
        }
    return parse_scenario(
        {
            "seed": draw(st.integers(0, 2**32)),
            "duration_s": draw(st.floats(1.0, 8.0)),
            # enough clients for every room (a larger room is refused)
            "clients": draw(st.integers(_room_clients(strategy), 3)),
            "network": network,
            "strategy": strategy,
            "transport": transport,
            "faults": draw(
                st.sampled_from(
                    [
                        {},
                        {"outages": [{"start_s": 0.5, "duration_s": 1.0}]},
                        {"outage_rate_per_s": 0.5, "outage_duration_s": 0.3},
                        {"server_restarts_s": [0.7, 2.0]},
                        {"latency_spikes": [{"start_s": 0.2, "duration_s": 1.0, "extra_s": 0.3}]},
                        {"loss_bursts": {"p_enter": 0.2, "p_leave": 0.3, "loss_in_burst": 0.8}},
                        {"proxy_idle_timeout_s": 0.4},
                    ]
                )
            ),
            "server": {
                "workers": draw(st.sampled_from([float("inf"), 1.0, 2.0])),
                "service_time_s": draw(st.sampled_from([0.0, 0.005])),
                "push_time_s": draw(st.sampled_from([0.0, 0.01])),
                "push_fanout": draw(st.sampled_from(["serial", "parallel"])),
            },
            "workload": {
                **(
                    {"up": {"rate_per_s": draw(st.floats(0.2, 5.0))}}
                    if kind != "stream" and draw(st.booleans())
                    else {}
                ),
                "kind": draw(st.sampled_from(["poisson", "periodic"])),
                "rate_per_s": draw(st.floats(0.5, 20.0)),
                "audience": draw(st.sampled_from(["all", "one"])),
                "payload_bytes": draw(st.sampled_from([0, 100, 2000])),
            },
        }
    )


def _room_clients(strategy) -> int:
    rooms = strategy.get("rooms", [])
    return max((room.get("first_client", 0) + room["members"] for room in rooms), default=1)


PROPERTY_SETTINGS = settings(
    max_examples=int(os.environ.get("RTSIM_PROPERTY_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@PROPERTY_SETTINGS
@given(scenarios())
def test_nothing_is_delivered_before_it_exists(scenario):
    result = run(scenario)
    d = result.deliveries
    assert (d["delivered_at"] >= d["sent_at"] - EPS).all()
    assert (d["sent_at"] >= d["created_at"] - EPS).all()
    assert (d["latency_s"] >= -EPS).all()
    assert (d["delivered_at"] <= scenario.duration_s).all()


@PROPERTY_SETTINGS
@given(scenarios())
def test_every_transfer_is_received_lost_or_in_flight(scenario):
    result = run(scenario)
    t = result.transfers
    received = t["received_at"].notna()
    assert (received.astype(int) + t["lost"].astype(int) + t["in_flight"].astype(int) == 1).all()
    assert (t.loc[t["dropped"], "lost"]).all()
    sent = t[~t["dropped"]]
    assert (sent["started_at"] >= sent["sent_at"] - EPS).all()
    arrived = t[received]
    assert (arrived["received_at"] >= arrived["started_at"] - EPS).all()
    handed = t[t["handed_at"].notna()]
    assert (handed["handed_at"] >= handed["received_at"] - EPS).all()
    # every delivery came with a message that was received by then: at its arrival, or
    # later when the transport held it behind a lost one (head-of-line blocking)
    d = result.deliveries.merge(t, on="message_id", suffixes=("", "_message"))
    assert len(d) == len(result.deliveries)
    assert (d["delivered_at"] >= d["received_at"] - EPS).all()
    lossless = scenario.network.loss == 0 and scenario.network.queue_bytes == float("inf")
    if lossless and not scenario.faults.any:
        # lossless: a client gets an update the moment it arrives (the server, in the
        # other direction, only once it has served the message)
        down = d[d["direction"] == "down"]
        np.testing.assert_allclose(down["delivered_at"], down["received_at"])
    # reliable transport: on each connection and direction, deliveries keep sending order
    with_connection = d[d["connection_id"] >= 0]
    for _key, group in with_connection.groupby(["connection_id", "direction"], observed=True):
        ordered = group.sort_values("seq")
        assert ordered["delivered_at"].is_monotonic_increasing


@PROPERTY_SETTINGS
@given(scenarios())
def test_no_update_reaches_a_client_twice(scenario):
    d = run(scenario).deliveries
    assert not d.duplicated(["update_id", "client"]).any()


@PROPERTY_SETTINGS
@given(scenarios())
def test_channel_modes_hold(scenario):
    t = run(scenario).transfers
    mode = scenario.network.mode
    if mode == "simplex":
        assert set(t["direction"].astype(str)) <= {"down"}
    if mode != "half-duplex":
        return
    # Each client's shared medium is busy from first bit sent to last bit received; two
    # messages in opposite directions never hold it at the same time.
    turnaround = scenario.network.turnaround_s
    for _client, busy in t[t["received_at"].notna()].groupby("client"):
        for direction in ("up", "down"):
            mine = busy[busy["direction"] == direction]
            other = busy[busy["direction"] != direction]
            for start, end in zip(mine["started_at"], mine["received_at"], strict=True):
                overlaps = (other["started_at"] < end - EPS) & (other["received_at"] > start + EPS)
                assert not overlaps.any()
                # and a direction change waits for the turnaround
                later = other[other["started_at"] >= end - EPS]["started_at"]
                assert (later >= end + turnaround - EPS).all()


@settings(max_examples=15, deadline=None)
@given(scenarios())
def test_same_seed_gives_identical_dataframes(scenario):
    first, second = run(scenario), run(scenario)
    for table in ("deliveries", "transfers", "connections", "updates"):
        pd.testing.assert_frame_equal(getattr(first, table), getattr(second, table))
    pd.testing.assert_series_equal(first.summary(), second.summary())


@PROPERTY_SETTINGS
@given(scenarios())
def test_nothing_silently_vanishes(scenario):
    """Every (update, client) pair is delivered, counted as missed, or pending at the end."""
    result = run(scenario)
    updates = result.updates
    expected = int(updates["audience"].sum())
    # the audience the strategy reported agrees with the targets, where they say it all
    if scenario.strategy.kind != "socketio" or not scenario.strategy.update_rooms:
        fan_out = (updates["direction"] == "down") & (updates["target"] < 0)
        assert expected == int(np.where(fan_out, scenario.clients, 1).sum())
    delivered = len(result.deliveries)
    missed = result.stats.strategy.missed_updates
    pending = result.stats.strategy.pending_updates
    if scenario.strategy.kind == "sse":
        # a broken stream's events are replayed later; until the client reconnects they
        # are neither delivered nor lost
        assert delivered + missed + pending <= expected
    else:
        assert delivered + missed + pending == expected
