"""Long polling: exact traces, batching, closed forms, and a proxy shorter than the hold."""

import pytest

from simulation import analytic, run

from helpers import assert_within_ci, make_scenario


def test_held_request_is_answered_by_the_first_update_and_batches_the_rest():
    scenario = make_scenario(
        clients=2,
        duration_s=0.7,
        network={"latency_s": 0.01},
        strategy={"kind": "long-polling", "hold_timeout_s": 10.0, "reconnect_delay_s": 0.25},
        workload={"kind": "periodic", "rate_per_s": 10.0, "start_s": 0.05},
    )
    result = run(scenario)
    t = result.transfers
    for client in (0, 1):  # both clients follow the same sequence
        mine = t[t["client"] == client]
        lp = mine[mine["kind"].astype(str).str.startswith("lp-")]
        # request at 0.02 (after TCP set-up) is held; update 0 (0.05) answers it at once;
        # the client waits 0.25 s and asks at 0.31: updates 1 and 2 (0.15, 0.25) were
        # queued meanwhile and go out together
        assert mine["kind"].astype(str).tolist()[:2] == ["tcp-syn", "tcp-syn-ack"]
        assert lp["kind"].astype(str).tolist() == ["lp-request", "lp-response"] * 3
        assert lp["sent_at"].tolist() == pytest.approx([0.02, 0.05, 0.31, 0.32, 0.58, 0.59])
        assert lp["updates"].tolist() == [0, 1, 0, 2, 0, 3]
        d = result.deliveries[result.deliveries["client"] == client]
        assert d["update_id"].tolist() == [0, 1, 2, 3, 4, 5]
        assert d["delivered_at"].tolist() == pytest.approx([0.06, 0.33, 0.33, 0.6, 0.6, 0.6])
        assert d["latency_s"].tolist() == pytest.approx([0.01, 0.18, 0.08, 0.25, 0.15, 0.05])


def test_hold_timeout_answers_empty_and_the_client_asks_again():
    scenario = make_scenario(
        duration_s=1.0,
        network={"latency_s": 0.01},
        strategy={"kind": "long-polling", "hold_timeout_s": 0.3},
        workload={"kind": "periodic", "rate_per_s": 1.0, "start_s": 0.5},
    )
    t = run(scenario).transfers
    lp = t[t["kind"].astype(str).str.startswith("lp-")]
    # held from 0.03, empty at 0.33; again from 0.35, answered by update 0 at 0.5;
    # again from 0.52, empty at 0.82; again from 0.84
    assert lp["sent_at"].tolist() == pytest.approx([0.02, 0.33, 0.34, 0.5, 0.51, 0.82, 0.83])
    assert lp["empty"].tolist() == [False, True, False, False, False, True, False]


def test_a_proxy_idle_timeout_shorter_than_the_hold_breaks_the_request():
    scenario = make_scenario(
        duration_s=10.0,
        network={"latency_s": 0.01},
        strategy={"kind": "long-polling", "hold_timeout_s": 40.0},
        transport={"idle_timeout_s": 3.0},
        workload={"kind": "periodic", "rate_per_s": 0.1, "start_s": 8.0},
    )
    result = run(scenario)
    connections = result.connections
    # request arrives at 0.03; nothing moves for 3 s: the proxy closes the connection at
    # 3.03, and the client asks again on a new one (set-up at 3.05, request held at 3.06)
    assert connections["close_reason"].astype(str).tolist()[:2] == ["idle-timeout"] * 2
    assert connections["closed_at"].tolist()[:2] == pytest.approx([3.03, 6.06])
    assert connections["requested_at"].tolist() == pytest.approx([0.0, 3.03, 6.06])
    # the update at 8.0 still reaches the client, over the third connection
    assert result.deliveries["latency_s"].tolist() == pytest.approx([0.01])
    assert result.summary()["peak_memory_bytes"] == 70 * 1024


RATE, LATENCY, HOLD = 2.0, 0.05, 1.0


def _lp_scenario(reconnect_delay_s=0.0):
    return make_scenario(
        clients=3,
        duration_s=300.0,
        warmup_s=5.0,
        network={"latency_s": LATENCY},
        strategy={
            "kind": "long-polling",
            "hold_timeout_s": HOLD,
            "reconnect_delay_s": reconnect_delay_s,
        },
        workload={"kind": "poisson", "rate_per_s": RATE},
    )


@pytest.mark.parametrize("reconnect_delay_s", [0.0, 0.2])
def test_long_poll_mean_latency_matches_renewal_reward(reconnect_delay_s):
    scenario = _lp_scenario(reconnect_delay_s)

    def mean_latency(result):
        d = result.deliveries
        kept = (d["created_at"] >= scenario.warmup_s) & (d["created_at"] < 299.0)
        return d.loc[kept, "latency_s"].mean()

    values = [mean_latency(run(scenario, seed=seed)) for seed in range(20)]
    expected = analytic.long_poll_mean_latency_s(LATENCY, RATE, HOLD, reconnect_delay_s)
    assert LATENCY < expected < LATENCY + (2 * LATENCY + reconnect_delay_s) / 2
    assert_within_ci(values, expected, max_half_width=0.004)


def test_long_poll_empty_fraction_matches_closed_form():
    scenario = _lp_scenario()
    values = [run(scenario, seed=seed).summary()["empty_fraction"] for seed in range(20)]
    expected = analytic.long_poll_empty_fraction(LATENCY, RATE, HOLD)
    assert_within_ci(values, expected, max_half_width=0.02)
