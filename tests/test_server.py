"""Server capacity: a worker queue that behaves like M/M/1, and memory per connection."""

import pytest

from simulation import analytic, run

from helpers import assert_within_ci, make_scenario

CLIENTS, RATE, SERVICE, LATENCY = 5, 1.0, 0.1, 0.02  # utilisation 5 x 1 x 0.1 = 0.5


def test_one_worker_serving_poisson_client_messages_queues_like_mm1():
    scenario = make_scenario(
        clients=CLIENTS,
        duration_s=2000.0,
        warmup_s=20.0,
        network={"latency_s": LATENCY},
        strategy={"kind": "websocket"},
        server={"workers": 1, "service_time_s": {"dist": "exponential", "mean": SERVICE}},
        workload={"rate_per_s": 0.001, "up": {"kind": "poisson", "rate_per_s": RATE}},
    )
    results = [run(scenario, seed=seed).summary() for seed in range(20)]
    wait = analytic.mm1_mean_wait_s(CLIENTS * RATE, SERVICE)
    expected = LATENCY + wait + SERVICE  # travel, queue, service
    assert_within_ci([r["latency_up_mean_s"] for r in results], expected, 0.02)
    busy = [r["server_busy_fraction"] for r in results]
    assert_within_ci(busy, CLIENTS * RATE * SERVICE, 0.02)


def test_memory_follows_open_connections():
    def peak(kind, **transport):
        scenario = make_scenario(
            clients=100,
            duration_s=5.0,
            network={"latency_s": 0.01},
            strategy={"kind": kind, **({"interval_s": 1.0} if kind == "short-polling" else {})},
            transport=transport,
            server={"memory_per_connection_bytes": 1000},
        )
        return run(scenario).summary()

    sockets = peak("websocket")
    assert sockets["peak_open_connections"] == 100
    assert sockets["peak_memory_bytes"] == 100 * 1000
    # polling without keep-alive holds a connection only for each exchange (~40 ms of
    # every second), so far fewer are open at once
    polling = peak("short-polling", keep_alive=False)
    assert polling["connections_opened"] >= 400
    assert polling["peak_open_connections"] < 50
    assert polling["peak_memory_bytes"] == polling["peak_open_connections"] * 1000


def test_held_long_polls_cost_memory():
    scenario = make_scenario(
        clients=10,
        duration_s=5.0,
        strategy={"kind": "long-polling"},
        server={"memory_per_connection_bytes": 0, "memory_per_held_request_bytes": 500},
        workload={"rate_per_s": 0.01, "start_s": 100.0},
    )
    assert run(scenario).summary()["peak_memory_bytes"] == 10 * 500


@pytest.mark.parametrize("workers", [0, -1, 1.5])
def test_workers_must_be_a_positive_whole_number_or_inf(workers):
    from simulation import ScenarioError

    with pytest.raises(ScenarioError, match="workers"):
        make_scenario(server={"workers": workers})


PUSH = 0.01  # s per recipient


@pytest.mark.parametrize("kind", ["sse", "websocket", "socketio", "stream"])
@pytest.mark.parametrize("fanout", ["serial", "parallel"])
def test_a_broadcast_is_pushed_one_client_after_another_or_all_at_once(kind, fanout):
    clients, latency = 4, 0.02
    scenario = make_scenario(
        clients=clients,
        duration_s=10.0,
        network={"latency_s": latency},
        strategy={"kind": kind},
        server={"push_time_s": PUSH, "push_fanout": fanout},
        workload={"kind": "periodic", "rate_per_s": 1.0, "start_s": 2.0},
    )
    d = run(scenario).deliveries
    assert len(d) == 8 * clients  # updates at 2, 3, ..., 9 s
    for client in range(clients):
        waited = d[d["client"] == client]["latency_s"].to_numpy() - latency
        # serial: client i is written (i + 1) pushes after the update; parallel: one push
        expected = (client + 1) * PUSH if fanout == "serial" else PUSH
        assert waited == pytest.approx([expected] * 8, abs=1e-9)
    assert d["latency_s"].mean() - latency == pytest.approx(
        analytic.push_delay_mean_s(PUSH, clients, fanout)
    )


def test_push_time_adds_to_the_long_poll_closed_form():
    latency, rate = 0.05, 2.0
    scenario = make_scenario(
        clients=3,
        duration_s=600.0,
        network={"latency_s": latency},
        strategy={"kind": "long-polling"},
        server={"push_time_s": PUSH, "push_fanout": "parallel"},
        workload={"kind": "poisson", "rate_per_s": rate, "start_s": 1.0},
    )
    means = [run(scenario, seed=seed).deliveries["latency_s"].mean() for seed in range(8)]
    expected = analytic.long_poll_mean_latency_s(latency, rate) + PUSH
    assert_within_ci(means, expected, 0.002)
    # and it is the push time that moved it: without it the closed form is PUSH lower
    assert abs(expected - PUSH - sum(means) / len(means)) > 0.5 * PUSH


def test_pushes_to_one_client_keep_their_order_when_their_times_vary():
    scenario = make_scenario(
        clients=2,
        duration_s=30.0,
        network={"latency_s": 0.01},
        strategy={"kind": "websocket"},
        server={"push_time_s": {"dist": "exponential", "mean": 0.2}, "push_fanout": "parallel"},
        workload={"kind": "poisson", "rate_per_s": 20.0, "start_s": 1.0},
    )
    d = run(scenario).deliveries
    assert len(d) > 1000
    for client in (0, 1):
        assert d[d["client"] == client]["update_id"].is_monotonic_increasing


def test_short_polling_pushes_nothing_so_push_time_leaves_it_alone():
    def mean(push):
        scenario = make_scenario(
            clients=3,
            duration_s=20.0,
            network={"latency_s": 0.02},
            strategy={"kind": "short-polling", "interval_s": 1.0},
            server={"push_time_s": push},
            workload={"kind": "periodic", "rate_per_s": 2.0, "start_s": 0.3},
        )
        return run(scenario).deliveries["latency_s"].mean()

    assert mean(0.05) == mean(0.0)


def test_an_unknown_push_fanout_names_the_allowed_values():
    from simulation import ScenarioError

    with pytest.raises(ScenarioError, match=r"push_fanout.*serial.*parallel"):
        make_scenario(server={"push_fanout": "round-robin"})
