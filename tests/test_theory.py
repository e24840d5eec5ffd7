"""The simulator against closed forms, within 95% confidence intervals over replications."""

import numpy as np
import pytest

from simulation import analytic, run
from simulation.protocols import websocket as ws

from helpers import assert_within_ci, make_scenario

REPLICATIONS = 20


def replicate(scenario, measure):
    return [measure(run(scenario, seed=seed)) for seed in range(REPLICATIONS)]


def test_short_poll_mean_latency_is_latency_plus_half_interval():
    latency, interval = 0.05, 1.0
    scenario = make_scenario(
        clients=5,
        duration_s=200.0,
        warmup_s=5.0,
        network={"latency_s": latency},
        strategy={"kind": "short-polling", "interval_s": interval},
        workload={"kind": "poisson", "rate_per_s": 2.0},
    )
    # Only updates that every client has surely polled for by the end (no censoring).
    last = scenario.duration_s - interval - latency

    def mean_latency(result):
        d = result.deliveries
        kept = (d["created_at"] >= scenario.warmup_s) & (d["created_at"] < last)
        return d.loc[kept, "latency_s"].mean()

    expected = analytic.short_poll_mean_latency_s(latency, interval)
    assert_within_ci(replicate(scenario, mean_latency), expected, max_half_width=0.01)


@pytest.mark.parametrize(("audience", "clients"), [("all", 3), ("one", 4)])
def test_short_poll_empty_fraction_is_exp_minus_rate_times_interval(audience, clients):
    rate, interval = 2.0, 1.0
    scenario = make_scenario(
        clients=clients,
        duration_s=300.0,
        warmup_s=5.0,
        network={"latency_s": 0.02},
        strategy={"kind": "short-polling", "interval_s": interval},
        workload={"kind": "poisson", "rate_per_s": rate, "audience": audience},
    )
    per_client_rate = rate if audience == "all" else rate / clients
    expected = analytic.short_poll_empty_fraction(per_client_rate, interval)
    fractions = replicate(scenario, lambda result: result.summary()["empty_fraction"])
    assert_within_ci(fractions, expected, max_half_width=0.02)


def _queue_scenario(payload_bytes):
    # One client, a raw feed through a 80 kbit/s link: 1000-byte messages take D = 0.1 s.
    return make_scenario(
        duration_s=2000.0,
        warmup_s=20.0,
        network={"mode": "simplex", "latency_s": 0.01, "bandwidth_bps": 80_000},
        strategy={"kind": "stream"},
        workload={"kind": "poisson", "rate_per_s": 5.0, "payload_bytes": payload_bytes},
    )


def _mean_latency_after_warmup(result):
    d = result.deliveries
    return d.loc[d["created_at"] >= result.scenario.warmup_s, "latency_s"].mean()


def test_bandwidth_limited_link_queues_like_md1():
    scenario = _queue_scenario(1000)
    service = analytic.serialization_s(1000, 80_000)
    expected = analytic.md1_mean_wait_s(5.0, service) + service + 0.01
    assert_within_ci(replicate(scenario, _mean_latency_after_warmup), expected, 0.01)


def test_exponential_message_sizes_queue_like_mm1():
    scenario = _queue_scenario({"dist": "exponential", "mean": 1000})
    service = analytic.serialization_s(1000, 80_000)
    expected = analytic.mm1_mean_wait_s(5.0, service) + service + 0.01
    assert_within_ci(replicate(scenario, _mean_latency_after_warmup), expected, 0.02)


def test_websocket_opens_after_one_round_trip():
    scenario = make_scenario(
        clients=3,
        duration_s=1.0,
        network={"latency_s": 0.05, "bandwidth_bps": 1e6},
        strategy={"kind": "websocket"},
    )
    opened = run(scenario).connections["opened_at"].to_numpy()
    expected = analytic.websocket_open_s(
        0.05, 700 + ws.UPGRADE_REQUEST_EXTRA_BYTES, ws.UPGRADE_RESPONSE_BYTES, 1e6
    )
    np.testing.assert_allclose(opened, expected)


def test_websocket_open_time_with_random_latency_averages_two_mean_latencies():
    scenario = make_scenario(
        clients=2000,
        duration_s=2.0,
        network={"latency_s": {"dist": "exponential", "mean": 0.05}},
        strategy={"kind": "websocket"},
        workload={"rate_per_s": 0.1},
    )
    opened = run(scenario).connections["opened_at"].to_numpy()
    assert_within_ci(opened, analytic.websocket_open_s(0.05), max_half_width=0.005)
