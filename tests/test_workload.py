"""Workloads: arrival kinds, traces, and client messages in both directions."""

import pytest

from simulation import ScenarioError, load_scenario, run
from simulation.protocols import websocket as ws

from helpers import assert_within_ci, make_scenario


def count_updates(workload, seeds=range(20), duration_s=200.0):
    scenario = make_scenario(
        duration_s=duration_s,
        strategy={"kind": "websocket"},
        workload=workload,
    )
    return [len(run(scenario, seed=seed).updates) / duration_s for seed in seeds]


def test_poisson_rate():
    assert_within_ci(count_updates({"kind": "poisson", "rate_per_s": 4.0}), 4.0, 0.15)


def test_periodic_is_exact():
    # at 0, 0.25, ..., 199.75: the run stops before t = 200
    assert count_updates({"kind": "periodic", "rate_per_s": 4.0}, seeds=[0]) == [800 / 200]


def test_bursty_mean_rate_is_rate_times_on_fraction():
    rates = count_updates(
        {
            "kind": "bursty",
            "rate_per_s": 10.0,
            "on_s": {"dist": "exponential", "mean": 2.0},
            "off_s": {"dist": "exponential", "mean": 6.0},
        },
        seeds=range(30),
        duration_s=400.0,
    )
    assert_within_ci(rates, 10.0 * 2.0 / (2.0 + 6.0), 0.2)


def test_trace_is_replayed_with_targets(tmp_path):
    (tmp_path / "updates.csv").write_text(
        "time_s,client,payload_bytes\n0.5,,100\n1.0,1,250\n0.2,0,10\n"
    )
    (tmp_path / "s.toml").write_text(
        'duration_s = 2.0\nclients = 2\n[strategy]\nkind = "websocket"\n'
        '[workload]\nkind = "trace"\ntrace_csv = "updates.csv"\n'
    )
    result = run(load_scenario(tmp_path / "s.toml"))
    updates = result.updates
    assert updates["created_at"].tolist() == [0.2, 0.5, 1.0]  # sorted by time
    assert updates["target"].tolist() == [0, -1, 1]
    assert updates["payload_bytes"].tolist() == [10, 100, 250]
    d = result.deliveries
    # the server has each socket open by 0.15 (TCP and upgrade requests, 50 ms each way)
    assert sorted(zip(d["update_id"], d["client"], strict=True)) == [(0, 0), (1, 0), (1, 1), (2, 1)]


@pytest.mark.parametrize(
    ("csv_text", "message"),
    [
        ("time,payload_bytes\n1,2\n", "no column 'time_s'"),
        ("time_s,payload_bytes\n1,x\n", "line 2, column 'payload_bytes': 'x' is not a number"),
        ("time_s,payload_bytes\n-1,5\n", "must be >= 0"),
    ],
)
def test_bad_traces_are_explained(tmp_path, csv_text, message):
    (tmp_path / "t.csv").write_text(csv_text)
    (tmp_path / "s.toml").write_text(
        '[strategy]\nkind = "websocket"\n[workload]\nkind = "trace"\ntrace_csv = "t.csv"\n'
    )
    with pytest.raises(ScenarioError, match=message):
        load_scenario(tmp_path / "s.toml")


def test_trace_keys_must_go_together(tmp_path):
    (tmp_path / "s.toml").write_text('[strategy]\nkind = "websocket"\n[workload]\nkind = "trace"\n')
    with pytest.raises(ScenarioError, match="needs trace_csv"):
        load_scenario(tmp_path / "s.toml")
    (tmp_path / "s.toml").write_text(
        '[strategy]\nkind = "websocket"\n[workload]\ntrace_csv = "x.csv"\n'
    )
    with pytest.raises(ScenarioError, match="only applies to kind = 'trace'"):
        load_scenario(tmp_path / "s.toml")


def test_client_messages_need_a_way_up():
    with pytest.raises(ScenarioError, match=r"\[workload.up\] needs clients that can send"):
        make_scenario(
            network={"mode": "simplex"},
            strategy={"kind": "stream"},
            workload={"up": {"rate_per_s": 1.0}},
        )


UP_TICKS = {"kind": "periodic", "rate_per_s": 1.0, "start_s": 0.5, "payload_bytes": 50}
NO_UPDATES = {"kind": "periodic", "rate_per_s": 0.01, "start_s": 100.0, "up": UP_TICKS}


def up_transfers(result, kind):
    t = result.transfers
    return t[t["kind"].astype(str) == kind]


def test_websocket_client_messages_are_masked_frames():
    scenario = make_scenario(
        duration_s=2.0,
        network={"latency_s": 0.01},
        strategy={"kind": "websocket"},
        workload=NO_UPDATES,
    )
    result = run(scenario)
    frames = up_transfers(result, "ws-frame-up")
    created = result.updates["created_at"].to_numpy()  # 0.5 + a random phase, then + 1 s
    assert created[1] - created[0] == pytest.approx(1.0)
    assert 0.5 <= created[0] < 1.5
    assert frames["sent_at"].tolist() == pytest.approx(created.tolist())
    assert (frames["overhead_bytes"] == ws.frame_header_bytes(50, masked=True)).all()
    d = result.deliveries
    assert d["direction"].astype(str).tolist() == ["up", "up"]
    assert d["latency_s"].tolist() == pytest.approx([0.01, 0.01])
    assert result.summary()["latency_up_mean_s"] == pytest.approx(0.01)


def test_polling_client_messages_are_posts_on_the_pool():
    scenario = make_scenario(
        duration_s=2.0,
        network={"latency_s": 0.01},
        strategy={"kind": "short-polling", "interval_s": 10.0, "phase_s": 5.0},
        workload=NO_UPDATES,
    )
    result = run(scenario)
    posts = up_transfers(result, "http-post")
    created = result.updates["created_at"].to_numpy()
    # the first POST opens the connection (set-up: one round trip), the second reuses it
    assert posts["sent_at"].tolist() == pytest.approx([created[0] + 0.02, created[1]])
    assert (posts["overhead_bytes"] == 700).all() and (posts["payload_bytes"] == 50).all()
    assert result.deliveries["latency_s"].tolist() == pytest.approx([0.03, 0.01])
    assert len(up_transfers(result, "http-post-response")) == 2


def test_event_streams_starve_client_posts_at_the_connection_limit():
    def summary(limit):
        scenario = make_scenario(
            duration_s=20.0,
            network={"latency_s": 0.01},
            strategy={"kind": "sse"},
            transport={"max_connections_per_host": limit},
            workload={"rate_per_s": 1.0, "up": {"rate_per_s": 1.0}},
        )
        return run(scenario).summary()

    starved = summary(1)  # the stream holds the only connection: POSTs wait forever
    assert starved["up_deliveries"] == 0
    assert starved["pending_updates"] == starved["up_messages"]
    assert starved["deliveries"] > 0  # the stream itself works
    fine = summary(2)
    assert fine["up_deliveries"] == fine["up_messages"] - fine["pending_updates"]
    assert fine["up_deliveries"] > 0
