"""Counts mean what they say: a retransmitted request is still one request."""

import pytest

from simulation import run
from simulation.metrics import SUMMARY_METRICS

from helpers import make_scenario


@pytest.fixture(scope="module")
def lossy_polling():
    scenario = make_scenario(
        clients=20,
        duration_s=100.0,
        warmup_s=0.0,
        network={"latency_s": 0.05, "loss": 0.2},
        strategy={"kind": "short-polling", "interval_s": 1.0},
        workload={"rate_per_s": 2.0},
    )
    return run(scenario, seed=3)


def test_requests_count_each_poll_once_on_a_lossy_link(lossy_polling):
    summary = lossy_polling.summary()
    transfers = lossy_polling.transfers
    assert summary["retransmissions"] > 0.15 * summary["messages"]  # the link is lossy
    # every poll the server served was counted once; the few still in flight at the end
    # were sent but not served
    served = summary["server_requests"]
    assert served <= summary["requests"] <= served + 20
    assert summary["requests"] <= 20 * 100  # at most one poll a second per client
    responses = transfers[transfers["response"] & (transfers["attempt"] == 0)]
    assert summary["responses"] == len(responses)
    assert summary["empty_responses"] == int(responses["empty"].sum())
    assert summary["empty_fraction"] == pytest.approx(responses["empty"].mean())


def test_retransmitted_bytes_are_part_of_the_wire_bytes(lossy_polling):
    summary = lossy_polling.summary()
    transfers = lossy_polling.transfers
    resent = transfers[transfers["attempt"] > 0]
    size = resent["payload_bytes"] + resent["overhead_bytes"] + resent["transport_bytes"]
    assert summary["retransmitted_bytes"] == int(size.sum()) > 0
    assert summary["retransmissions"] == len(resent)
    assert summary["retransmitted_bytes"] < summary["wire_bytes"]


def test_every_metric_is_documented_and_computed(lossy_polling):
    summary = lossy_polling.summary()
    assert set(SUMMARY_METRICS) <= set(summary.index)
