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
