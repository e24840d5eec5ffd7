"""Two-way traffic on a half-duplex channel against its closed form
(``analytic.half_duplex_mean_latency_s``), within 95% confidence intervals over
replications."""

import numpy as np
import pytest

from simulation import analytic, run

from helpers import assert_within_ci, make_scenario

REPLICATIONS = 20
LATENCY, BANDWIDTH, PAYLOAD = 0.005, 64e3, 200
# A WebSocket frame of 200 bytes: a 4-byte header (+ a 4-byte mask going up) and 40 of
# IP/TCP, serialized at 64 kbit/s
SERIALIZATION = {
    "down": (PAYLOAD + 4 + 40) * 8 / BANDWIDTH,
    "up": (PAYLOAD + 8 + 40) * 8 / BANDWIDTH,
}


def two_way(mode, rate_per_s, turnaround_s=0.0):
    network = {"mode": mode, "latency_s": LATENCY, "bandwidth_bps": BANDWIDTH}
    if mode == "half-duplex":
        network["turnaround_s"] = turnaround_s
    return make_scenario(
        duration_s=300.0,
        warmup_s=5.0,
        network=network,
        strategy={"kind": "websocket"},
        workload={
            "kind": "poisson",
            "rate_per_s": rate_per_s,
            "payload_bytes": PAYLOAD,
            "up": {"kind": "poisson", "rate_per_s": rate_per_s, "payload_bytes": PAYLOAD},
        },
    )


def replicate(scenario):
    """Per replication: the mean latency down and up."""
    summaries = [run(scenario, seed=seed).summary() for seed in range(REPLICATIONS)]
    return (
        [s["latency_mean_s"] for s in summaries],
        [s["latency_up_mean_s"] for s in summaries],
    )


def closed_form(direction, rate_per_s, turnaround_s):
    return analytic.half_duplex_mean_latency_s(
        direction,
        rate_per_s,
        rate_per_s,
        LATENCY,
        turnaround_s,
        SERIALIZATION["down"],
        SERIALIZATION["up"],
    )


def test_frame_sizes_are_the_ones_the_closed_form_uses():
    transfers = run(two_way("half-duplex", 2.0)).transfers
    frames = transfers[transfers["kind"].astype(str).isin(["ws-frame", "ws-frame-up"])]
    wire = frames["payload_bytes"] + frames["overhead_bytes"] + frames["transport_bytes"]
    seconds = wire * 8 / BANDWIDTH
    for direction, expected in SERIALIZATION.items():
        assert np.allclose(seconds[frames["direction"] == direction], expected)


@pytest.mark.parametrize(
    ("rate_per_s", "turnaround_s"),
    [(2.0, 0.0), (2.0, 0.05), (5.0, 0.02)],
    ids=["no-turnaround", "light-load", "busy"],
)
def test_half_duplex_mean_latency_matches_the_closed_form(rate_per_s, turnaround_s):
    assert (
        analytic.half_duplex_utilisation(
            rate_per_s, rate_per_s, LATENCY, turnaround_s, SERIALIZATION["down"]
        )
        < 0.5
    )  # where the closed form is claimed to hold
    down, up = replicate(two_way("half-duplex", rate_per_s, turnaround_s))
    assert_within_ci(down, closed_form("down", rate_per_s, turnaround_s), 0.004)
    assert_within_ci(up, closed_form("up", rate_per_s, turnaround_s), 0.004)


def test_full_duplex_directions_queue_independently_like_md1():
    down, up = replicate(two_way("full-duplex", 5.0))
    for values, direction in ((down, "down"), (up, "up")):
        expected = analytic.full_duplex_mean_latency_s(5.0, LATENCY, SERIALIZATION[direction])
        assert_within_ci(values, expected, 0.002)


def test_a_turnaround_is_paid_by_the_messages_that_change_direction():
    """The exact part of the closed form: a fraction 2ab/(a+b)^2 of messages turn the
    medium, and each of them starts at least a turnaround after it was offered."""
    turnaround = 0.05
    fractions = []
    for seed in range(REPLICATIONS):
        t = run(two_way("half-duplex", 2.0, turnaround), seed=seed).transfers
        frames = t[t["kind"].astype(str).isin(["ws-frame", "ws-frame-up"])].sort_values(
            "sent_at", kind="stable"
        )
        turned = (frames["direction"] != frames["direction"].shift()).iloc[1:]
        waited = (frames["started_at"] - frames["sent_at"]).iloc[1:]
        assert (waited[turned] >= turnaround - 1e-9).all()
        fractions.append(turned.mean())
    assert_within_ci(fractions, analytic.turn_probability(2.0, 2.0), 0.02)


def test_closed_form_is_infinite_when_the_medium_saturates():
    assert analytic.half_duplex_utilisation(5.0, 5.0, LATENCY, 0.2, 0.03) > 1
    assert closed_form("down", 5.0, 0.2) == float("inf")
    assert analytic.turn_probability(8.0, 2.0) == pytest.approx(0.32)
    with pytest.raises(ValueError):
        analytic.half_duplex_mean_latency_s("down", 1.0, 0.0, LATENCY, 0.1, 0.03)
